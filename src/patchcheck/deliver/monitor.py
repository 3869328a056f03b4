"""The SCS compliance monitor's upload contract, as a client.

``POST <monitor>/reports`` with the body ``<signature file>&<report YAML>``,
``Content-Type: application/x-signed-yaml`` and ``Authorization: Basic
<base64(subject:apikey)>`` (the token file holds that base64 string). The
monitor answers 2xx (stored), 409 (it already has this ``run.uuid``: delivered
before), 401 (bad credentials or signature), 415 (wrong content type). Other
4xx answers except 408 and 429 are permanent: sending the same signed report
again cannot succeed, so it is refused, not retried.
TLS verification is always on; a private CA is given explicitly (``ca_file``);
there is no insecure fallback. The token never appears in an error message.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import requests

from patchcheck import __version__
from patchcheck.errors import InputError
from patchcheck.urls import without_userinfo

CONTENT_TYPE = "application/x-signed-yaml"
TIMEOUT_S = 30


class Outcome(StrEnum):
    DELIVERED = "delivered"
    DUPLICATE = "already delivered"
    RETRY = "not delivered, will retry"
    REFUSED = "refused for good, moved aside"
    OTHER_SUBJECT = "not sent: another subject's report (this token is not for it)"


@dataclass(frozen=True)
class Response:
    outcome: Outcome
    detail: str

    @property
    def confirmed(self) -> bool:
        return self.outcome in (Outcome.DELIVERED, Outcome.DUPLICATE)


def reports_url(monitor: str) -> str:
    """``<monitor>/reports``; refused: credentials, query or fragment in the URL, plain http off loopback.

    The token travels in an Authorization header: over plain http anyone on the path reads it,
    so http is accepted only to a loopback address (a local monitor, a test). Refusals never
    repeat the URL's userinfo.
    """
    shown = re.split(r"[?#]", without_userinfo(monitor), maxsplit=1)[0]  # a query may hold a key too
    if without_userinfo(monitor) != monitor:
        raise InputError("--monitor", shown, "credentials in the URL: put them in the token file")
    try:
        parts = urlsplit(monitor)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        raise InputError("--monitor", shown, "not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InputError("--monitor", shown, "not an http(s) URL")
    if parts.query or parts.fragment:
        raise InputError("--monitor", shown, "a query or fragment has no place in the monitor's base URL")
    if parts.scheme == "http" and not loopback(host):
        raise InputError(
            "--monitor",
            monitor,
            "plain http would send the token in clear: use https (http only to loopback)",
        )
    return monitor.rstrip("/") + "/reports"


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def body_of(signature: bytes, report: bytes) -> bytes:
    return signature + b"&" + report


def upload(
    report: Path,
    signature: Path,
    monitor: str,
    token: str,
    ca_file: Path | None = None,
    timeout: float = TIMEOUT_S,
) -> Response:
    url = reports_url(monitor)
    try:
        response = requests.post(
            url,
            data=body_of(signature.read_bytes(), report.read_bytes()),
            headers={
                "Content-Type": CONTENT_TYPE,
                "Authorization": f"Basic {token}",
                "User-Agent": f"patchcheck/{__version__}",
            },
            timeout=timeout,
            verify=str(ca_file) if ca_file else True,
            allow_redirects=False,
        )
    except requests.exceptions.SSLError:
        return Response(Outcome.RETRY, f"TLS verification of {url} failed (give its CA with --ca-file)")
    except requests.exceptions.Timeout:
        return Response(Outcome.RETRY, f"no answer from {url} within {timeout:.0f} s")
    except requests.exceptions.ConnectionError:
        return Response(Outcome.RETRY, f"cannot connect to {url}")
    except requests.exceptions.RequestException as exc:
        return Response(Outcome.RETRY, f"{type(exc).__name__} talking to {url}")
    status = response.status_code
    if 200 <= status < 300:
        return Response(Outcome.DELIVERED, f"HTTP {status}")
    if status == 409:
        return Response(Outcome.DUPLICATE, "HTTP 409: the monitor already has this run")
    answer = monitor_answer(response)
    if status >= 500 or status in TRANSIENT:
        return Response(Outcome.RETRY, f"HTTP {status} from {url}{answer}")
    reason = {401: "bad credentials or signature", 403: "forbidden", 415: "wrong content type"}.get(
        status, ""
    )
    return Response(
        Outcome.REFUSED, f"HTTP {status}{' (' + reason + ')' if reason else ''} from {url}{answer}"
    )


#: 4xx answers that say "later", not "never": request timeout, too many requests.
TRANSIENT = (408, 429)
ANSWER_CHARS = 300


def monitor_answer(response: requests.Response) -> str:
    """The monitor's own reason (FastAPI's ``{"detail": ...}``), one line, bounded, or nothing."""
    try:
        text = response.text[: ANSWER_CHARS * 4]
        detail = response.json().get("detail", text) if text.lstrip().startswith("{") else text
    except (ValueError, AttributeError):
        detail = response.text[: ANSWER_CHARS * 4]
    detail = " ".join(str(detail).split())[:ANSWER_CHARS]
    return f": the monitor says {detail!r}" if detail else ""
