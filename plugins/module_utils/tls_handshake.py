"""What one TLS handshake with an endpoint shows: protocol, cipher, certificate expiry.

An ordinary client's handshake (Python's ``ssl``), nothing sent after it; when the certificate
does not verify, one more handshake without verification reads its expiry for the record. Each
host:port is read once per collection (``tls_once``), for the API endpoints and the dashboard
alike, and not at all once the collection's deadline has passed. Whatever a handshake or a
scan raises is that endpoint's TLS error, never the run's end.
"""

from __future__ import annotations

import datetime
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget
from ansible_collections.scs.patchcheck.plugins.module_utils.tls_scan import guarded, tls_scan
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import one_line


def tls_once(
    url: str, tls_seen: dict[str, Any], tls_verify: bool | str, timeout: int, scan_tls: bool, budget: Budget
) -> dict[str, Any]:
    """The TLS facts of the URL's host:port, read once per collection (API endpoints and the dashboard)."""
    netloc = urlsplit(url).netloc
    if netloc not in tls_seen:
        tls_seen[netloc] = {"error": "not scanned: the collection's deadline has passed"}
        if budget.left() > 0:
            tls_seen[netloc] = tls_facts(url, tls_verify, timeout)
            if scan_tls:
                tls_seen[netloc]["scan"] = guarded(lambda: tls_scan(url, tls_verify, timeout))
    return tls_seen[netloc]


def tls_facts(url: str, verify: bool | str, timeout: int) -> dict[str, Any]:
    """Protocol, cipher and certificate expiry from one handshake with the endpoint.

    A host no resolver accepts (an empty or 64-character label) is this endpoint's TLS error,
    never an exception: an https endpoint without TLS facts would vanish from the TLS checks.
    """
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 443
    facts = {
        "host": host,
        "port": port,
        "verified": False,
        "error": None,
        "protocol": None,
        "cipher": None,
        "not_after": None,
        "days_to_expiry": None,
    }
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        facts["error"] = "certificate verification is disabled in clouds.yaml (verify: false)"
    else:
        cafile = verify if isinstance(verify, str) else None
        context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            facts["protocol"] = tls.version()
            facts["cipher"] = tls.cipher()[0]
            der = tls.getpeercert(binary_form=True)
        facts["verified"] = verify is not False
    except ssl.SSLCertVerificationError as exc:
        facts["error"] = one_line(exc)
        der = unverified_certificate(host, port, timeout)
    except (OSError, ssl.SSLError, ValueError) as exc:  # ValueError: UnicodeError of an invalid label
        facts["error"] = one_line(exc)
        return facts
    if der:
        not_after = certificate_not_after(der)
        if not_after is not None:
            facts["not_after"] = not_after.isoformat()
            now = datetime.datetime.now(datetime.UTC)
            facts["days_to_expiry"] = (not_after - now).days
    return facts


def unverified_certificate(host: str, port: int, timeout: int) -> bytes | None:
    """The peer certificate without verification, only to read its expiry for the record."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, ValueError):
        return None


def certificate_not_after(der: bytes) -> datetime.datetime | None:
    try:
        from cryptography import x509
    except ImportError:
        return None
    certificate = x509.load_der_x509_certificate(der)
    return certificate.not_valid_after_utc
