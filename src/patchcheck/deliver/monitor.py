"""The SCS compliance monitor's upload contract, as a client.

``POST <monitor>/reports`` with the body ``<signature file>&<report YAML>``,
``Content-Type: application/x-signed-yaml`` and ``Authorization: Basic
<base64(subject:apikey)>`` (the token file holds that base64 string). The
monitor answers 2xx (stored), 409 (it already has this ``run.uuid``: delivered
before), 401 (bad credentials or signature), 415 (wrong content type). Other
4xx answers except 408 and 429 are permanent: sending the same signed report
again cannot succeed, so it is refused, not retried. A redirect (3xx) is not
followed (the token would go with it) and is retried later: a moved or
misconfigured monitor is a state to fix, not a verdict on the report.
TLS verification is always on; a private CA is given explicitly (``ca_file``);
there is no insecure fallback. The token never appears in an error message, even
when the monitor echoes it: every form of it is removed from the monitor's answer.
The whole exchange ends within ``timeout`` (connect, headers, ``100 Continue``,
body: ``patchcheck.bounded_http``) and no more than ANSWER_BYTES of an answer are read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from patchcheck import __version__
from patchcheck.addresses import is_loopback
from patchcheck.bounded_http import mount_deadline, read_capped
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
    """Loopback as a resolver reads it (``127.1``, ``2130706433``, ``[::1]``, localhost names)."""
    return is_loopback(host)


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
    client = mount_deadline(requests.Session(), timeout)
    try:
        return answer_of(client, url, report, signature, token, ca_file, timeout)
    finally:
        client.close()


def answer_of(
    client: requests.Session,
    url: str,
    report: Path,
    signature: Path,
    token: str,
    ca_file: Path | None,
    timeout: float,
) -> Response:
    """One POST and its classification; the detail is scrubbed of every form of the token."""
    try:
        response = client.post(
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
            stream=True,
        )
    except requests.exceptions.SSLError:
        return Response(Outcome.RETRY, f"TLS verification of {url} failed (give its CA with --ca-file)")
    except requests.exceptions.Timeout:
        return Response(Outcome.RETRY, f"no answer from {url} within {timeout:.0f} s")
    except requests.exceptions.ConnectionError:
        return Response(Outcome.RETRY, f"cannot connect to {url}")
    except requests.exceptions.RequestException as exc:
        return Response(Outcome.RETRY, f"{type(exc).__name__} talking to {url}")
    try:
        return classify(response, url, token)
    finally:
        response.close()


def classify(response: requests.Response, url: str, token: str) -> Response:
    status = response.status_code
    if 200 <= status < 300:
        return Response(Outcome.DELIVERED, f"HTTP {status}")
    if status == 409:
        return Response(Outcome.DUPLICATE, "HTTP 409: the monitor already has this run")
    if status in REDIRECTS:
        location = without_userinfo(" ".join(response.headers.get("Location", "").split())[:ANSWER_CHARS])
        shown = scrubbed(re.split(r"[?#]", location, maxsplit=1)[0], token) or "(no Location)"
        return Response(
            Outcome.RETRY,
            f"HTTP {status} from {url}: the monitor answered a redirect to {shown}; "
            "patchcheck does not follow redirects with the token",
        )
    answer = monitor_answer(response, token)
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
#: Redirects: never followed with the token, retried later with the reason.
REDIRECTS = (301, 302, 303, 307, 308)
ANSWER_CHARS = 300
#: The most of an answer read (a 1 GiB error page is not read whole): FastAPI's detail is far smaller.
ANSWER_BYTES = 4096
TOKEN_REMOVED = "(token removed)"  # noqa: S105  (the placeholder, not a secret)


def monitor_answer(response: requests.Response, token: str = "") -> str:
    """The monitor's own reason (FastAPI's ``{"detail": ...}``), one line, bounded, or nothing.

    At most ANSWER_BYTES are read, within the request's deadline; an answer that echoes the
    token (the Authorization header, the decoded ``subject:key``, the key) loses it here,
    before the detail reaches stderr or the spool's state file.
    """
    data, _cut = read_capped(response, ANSWER_BYTES)
    text = scrubbed(data.decode(response.encoding or "utf-8", errors="replace"), token)
    detail: object = text
    if text.lstrip().startswith("{"):
        try:
            detail = json.loads(text).get("detail", text)
        except (ValueError, AttributeError, RecursionError):
            detail = text
    detail = scrubbed(" ".join(scrubbed(str(detail), token).split()), token)[:ANSWER_CHARS]
    return f": the monitor says {detail!r}" if detail else ""


def token_forms(token: str) -> list[str]:
    """The token as sent (base64), decoded (``subject:key``), the key alone, longest first."""
    forms = {token.strip()}
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        decoded = ""
    if decoded:
        forms.add(decoded)
        forms.add(decoded.partition(":")[2])
    for form in list(forms):
        forms.add(quote(form, safe=""))
        forms.add(json.dumps(form)[1:-1])
    return sorted((form for form in forms if len(form) >= 4), key=len, reverse=True)


def scrubbed(text: str, token: str) -> str:
    """``text`` without any form of the token."""
    for form in token_forms(token) if token else []:
        text = text.replace(form, TOKEN_REMOVED)
    return text
