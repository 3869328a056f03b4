"""Placement 11 (Caracal) under gunicorn: configuration from OS_PLACEMENT_CONFIG_DIR, older factory."""

import sys

sys.argv = sys.argv[:1]

from placement.wsgi import init_application  # noqa: E402

application = init_application()
