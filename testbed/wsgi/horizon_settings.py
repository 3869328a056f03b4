"""Horizon's settings for the test cloud: Horizon's defaults, then the switches a test flips.

The switches come from the JSON file ``TESTBED_HORIZON_SETTINGS`` names (written by
``testbed.py`` from its settings, see ``HORIZON_DEFAULTS`` there). Each one is a Django or
Horizon setting a security note names, so a test can show the verdict follow it.
"""

import json
import os
from pathlib import Path

from openstack_dashboard.settings import *  # noqa: F403

SWITCHES = json.loads(Path(os.environ["TESTBED_HORIZON_SETTINGS"]).read_text())


def on(name: str) -> bool:
    return str(SWITCHES[name]).lower() == "true"


DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = SWITCHES["secret_key"]
OPENSTACK_KEYSTONE_URL = SWITCHES["keystone_url"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SWITCHES["database"]}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT = SWITCHES["static_root"]
COMPRESS_OFFLINE = False
COMPRESS_ENABLED = False

SESSION_ENGINE = "django.contrib.sessions.backends." + SWITCHES["session_engine"]  # OSSN-0017
SESSION_COOKIE_SECURE = on("session_cookie_secure")  # OSSN-0036
CSRF_COOKIE_SECURE = on("csrf_cookie_secure")  # OSSN-0036
SESSION_COOKIE_HTTPONLY = on("session_cookie_httponly")
if SWITCHES["x_frame_options"] == "off":  # framing by a foreign page
    DISALLOW_IFRAME_EMBED = False
    MIDDLEWARE = tuple(m for m in MIDDLEWARE if m != "django.middleware.clickjacking.XFrameOptionsMiddleware")  # noqa: F405
else:
    X_FRAME_OPTIONS = SWITCHES["x_frame_options"]
if on("compression"):  # OSSN-0037: compressed pages over TLS (BREACH)
    MIDDLEWARE = ("django.middleware.gzip.GZipMiddleware", *MIDDLEWARE)
if int(SWITCHES["hsts_seconds"]):  # OSSN-0035: HSTS, sent by Django on https requests only
    MIDDLEWARE = ("django.middleware.security.SecurityMiddleware", *MIDDLEWARE)
    SECURE_HSTS_SECONDS = int(SWITCHES["hsts_seconds"])
if SWITCHES["regions"]:  # OSSN-0073: the login form offers these keystone URLs to every visitor
    AVAILABLE_REGIONS = [(url, f"Region {n}") for n, url in enumerate(SWITCHES["regions"].split(","), 1)]
