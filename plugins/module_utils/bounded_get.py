"""Unauthenticated and authenticated GETs of JSON documents, bounded in size and time.

Only GET requests are sent (with ``redirect=False``: an answer's ``Location`` is never followed).
Each request ends by its own timeout as a whole (not per read: an answer dripping a byte every
few seconds never times out a read) and by the collection's deadline (``Budget``); an answer is
read up to ``MAX_BODY_BYTES`` after decompression. Each breach is that request's error, recorded
with its item, never the run's end. The deadline on the status line and headers comes from
``bounded_http`` (a copy of ``patchcheck.bounded_http``), mounted on keystoneauth's session.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_http import (
    DeadlineAdapter,
    mount_deadline,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import one_line

#: Response headers kept as evidence: software banners and HSTS (read from responses already fetched).
KEPT_HEADERS = ("Server", "X-Powered-By", "Strict-Transport-Security")


#: The largest answer read (decoded): version documents and a 100-image list are far smaller.
MAX_BODY_BYTES = 4 * 1024 * 1024
READ_CHUNK = 8192


class Budget:
    """The whole collection's deadline; each request gets the smaller of its own and what is left."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def for_request(self, timeout: float) -> float:
        """Seconds one request may take: its own timeout, or less when the deadline is nearer."""
        return min(float(timeout), self.left())


#: The error of a request not sent: the collection's deadline had passed.
DEADLINE_PASSED = "not read: the collection's deadline has passed"


def fetch_json(
    session: Any, url: str, timeout: int, authenticated: bool = False, budget: Budget | None = None
) -> tuple[int | None, dict[str, str], Any, str | None]:
    """One GET; returns (status, kept headers, body or None, error).

    Bounded in time as a whole (not per read: an answer dripping a byte every few seconds
    never times out a read) and in size after decompression (a small gzip body can expand
    to gigabytes); each breach is this request's error, never the run's end.
    """
    allowed = budget.for_request(timeout) if budget else float(timeout)
    if allowed <= 0:
        return None, {}, None, DEADLINE_PASSED
    end = time.monotonic() + allowed
    with_deadline(session, timeout, budget)
    try:
        response = session.get(
            url,
            authenticated=authenticated,
            raise_exc=False,
            timeout=allowed,
            headers={"Accept": "application/json"},
            redirect=False,
            stream=True,
        )
    except Exception as exc:  # connection refused, TLS failure, timeout: all evidence gaps
        return None, {}, None, one_line(exc)
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    try:
        data, error = read_bounded(response, end)
    finally:
        response.close()
    if error:
        return response.status_code, headers, None, error
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = None
    return response.status_code, headers, body, None


def with_deadline(session: Any, timeout: float, budget: Budget | None) -> None:
    """keystoneauth's session with the deadline adapter (once): headers and body end in time.

    keystoneauth's requests carry only a per-read timeout: a status line or headers dripped a
    byte at a time, or ``100 Continue`` forever, kept http.client reading (issue 26 point 10).
    """
    inner = getattr(session, "session", None)
    if inner is None or not hasattr(inner, "get_adapter"):
        return
    if not isinstance(inner.get_adapter("https://"), DeadlineAdapter):
        mount_deadline(inner, float(timeout), budget.end if budget else float("inf"))


def read_bounded(response: Any, end: float) -> tuple[bytes, str | None]:
    """The body up to MAX_BODY_BYTES by ``end``; a larger declared Content-Length is refused unread."""
    declared = str(response.headers.get("Content-Length", "")).strip()
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return (
            b"",
            f"not read: the answer is larger than {MAX_BODY_BYTES} bytes (it declares {int(declared)})",
        )
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > end:
                return b"", "not read: the answer took longer than the request's deadline"
            # read1 returns what has arrived: a dripping answer meets the deadline between drips
            reader = getattr(response.raw, "read1", None) or response.raw.read
            chunk = reader(READ_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks), None
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return b"", f"not read: the answer is larger than {MAX_BODY_BYTES} bytes"
            chunks.append(chunk)
    except Exception as exc:  # a broken or undecodable stream is this request's gap
        if "timed out" in str(exc) or isinstance(exc, TimeoutError):  # the deadline adapter's timeout
            return b"", "not read: the answer took longer than the request's deadline"
        return b"", f"not read: {one_line(exc)}"
