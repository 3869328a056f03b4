"""Glance 28 (Caracal) under gunicorn: configuration from OS_GLANCE_CONFIG_DIR, older factory."""

import sys

sys.argv = sys.argv[:1]

from glance.common.wsgi_app import init_app  # noqa: E402

application = init_app()
