"""Neutron 24 (Caracal) under gunicorn's sync worker: configuration from OS_NEUTRON_CONFIG_DIR.

Neutron's API factory of this series monkey-patches for eventlet on import, which
hangs gunicorn's threaded worker; the testbed runs it with the ``sync`` worker.
"""

import sys

sys.argv = sys.argv[:1]

from neutron.cmd.eventlet.server import main_api_eventlet  # noqa: E402

application = main_api_eventlet()
