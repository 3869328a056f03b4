"""Keystone 25 (Caracal) under gunicorn: its factory predates ``keystone.wsgi.api``."""

import sys

sys.argv = sys.argv[:1]

from keystone.server.wsgi import initialize_public_application  # noqa: E402

application = initialize_public_application()
