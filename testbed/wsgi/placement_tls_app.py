"""Placement as a TLS-terminating edge would serve it: the app plus an HSTS header.

Used only by the tests that put an https endpoint into the test cloud's catalog
(gunicorn's own TLS terminates the connection; a proxy in front of a real
deployment adds HSTS the same way).
"""

import sys

sys.argv = sys.argv[:1]

from placement.wsgi.api import application as placement  # noqa: E402

HSTS = ("Strict-Transport-Security", "max-age=63072000")


def application(environ, start_response):
    def with_hsts(status, headers, exc_info=None):
        return start_response(status, [*headers, HSTS], exc_info)

    return placement(environ, with_hsts)
