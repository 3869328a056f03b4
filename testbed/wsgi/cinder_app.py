"""Cinder API under gunicorn: cinder reads no config-dir variable, so pass --config-file."""

import os
import sys

sys.argv = [sys.argv[0], "--config-file", os.environ["TESTBED_CINDER_CONF"]]

from cinder.wsgi.api import application  # noqa: E402,F401
