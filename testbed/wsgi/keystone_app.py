"""Keystone under gunicorn: oslo.config must not parse gunicorn's command line."""

import sys

sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402,F401
