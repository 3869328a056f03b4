"""Nova 29 (Caracal) under gunicorn: configuration from OS_NOVA_CONFIG_DIR, older factory.

The testbed sets OS_NOVA_DISABLE_EVENTLET_PATCHING=1: nova monkey-patches for
eventlet on import, and gunicorn's threaded worker then hangs after one request.
"""

import sys

sys.argv = sys.argv[:1]

from nova.api.openstack.compute.wsgi import init_application  # noqa: E402

application = init_application()
