"""Cinder 24 (Caracal) under gunicorn: it reads no config-dir variable, so pass --config-file."""

import os
import sys

sys.argv = [sys.argv[0], "--config-file", os.environ["TESTBED_CINDER_CONF"]]

from cinder.wsgi.wsgi import initialize_application  # noqa: E402

application = initialize_application()
