"""The host classifier, where the judge has always imported it from.

It lives in ``patchcheck.addresses`` so that delivery (``deliver/monitor.py``, plain http
only to loopback) uses the same rule without depending on the judge.
"""

from patchcheck.addresses import (
    HostClass,
    HostKind,
    classify_address,
    classify_host,
    classify_name,
    classify_short_ipv4,
    url_host,
)

__all__ = [
    "HostClass",
    "HostKind",
    "classify_address",
    "classify_host",
    "classify_name",
    "classify_short_ipv4",
    "url_host",
]
