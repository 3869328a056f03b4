"""Horizon under gunicorn with the test cloud's settings module (horizon_settings.py).

Horizon's own ``openstack_dashboard.wsgi`` forces ``openstack_dashboard.settings``;
this entry point names the test cloud's module instead.
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "horizon_settings"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
