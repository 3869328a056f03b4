"""Neutron API under gunicorn: configuration comes from OS_NEUTRON_CONFIG_DIR."""

import sys

sys.argv = sys.argv[:1]

from neutron.wsgi.api import application  # noqa: E402,F401
