"""HTTP requests bounded as a whole: one deadline from connect to the body's last byte.

requests and urllib3 bound each socket operation (``timeout`` is per read), never a request
as a whole: a server that drips its status line or headers a byte at a time, or answers
``100 Continue`` forever, keeps http.client reading for as long as it likes. This module
mounts a transport adapter whose connections' sockets check one monotonic deadline before
every recv and send: each operation may block for ``min(per-read timeout, time left)`` and
raises a timeout once the time is gone. It covers connect, the TLS handshake (CPython bounds
a handshake by the socket's timeout as a whole), the status line, every header line, the
``100 Continue`` loop and a streamed body. No protocol is parsed here: urllib3 does that.

The tenant collector's Ansible module cannot import ``patchcheck``: the collection ships a
byte-equal copy as its ``plugins/module_utils/bounded_http.py`` (a unit test holds the two
equal). Requests through an HTTP proxy (``HTTPS_PROXY``) use urllib3's proxy
manager and keep only the per-read timeout.
"""

from __future__ import annotations

import contextvars
import io
import math
import socket
import time
from typing import Any

try:
    from requests.adapters import HTTPAdapter
    from requests.exceptions import ConnectTimeout
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    REQUESTS_IMPORT_ERROR: ImportError | None = None
except ImportError as missing:  # importable without them (Ansible's import test); the module says what lacks
    REQUESTS_IMPORT_ERROR = missing
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object  # type: ignore[assignment,misc]
    ConnectTimeout = OSError  # type: ignore[assignment,misc]

#: The deadline (time.monotonic()) of the request being sent in this context.
_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("bounded_http_deadline", default=math.inf)
DEADLINE_GONE = "the request's deadline has passed"


class DeadlineSocket:
    """A connected socket whose every recv and send ends by its connection's deadline."""

    def __init__(self, sock: Any, connection: Any) -> None:
        self._sock = sock
        self._connection = connection
        self._per_read: float | None = sock.gettimeout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def _arm(self) -> None:
        left = self._connection.deadline_end - time.monotonic()
        if left <= 0:
            raise TimeoutError(DEADLINE_GONE)
        self._sock.settimeout(left if self._per_read is None else min(self._per_read, left))

    def settimeout(self, value: float | None) -> None:
        self._per_read = value

    def gettimeout(self) -> float | None:
        return self._per_read

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def send(self, *args: Any) -> int:
        self._arm()
        return self._sock.send(*args)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """A loop of sends, each bounded by what is left (a slow reader cannot stretch it)."""
        with memoryview(data) as view, view.cast("B") as octets:
            sent = 0
            while sent < len(octets):
                self._arm()
                sent += self._sock.send(octets[sent:], flags)

    def makefile(self, mode: str = "r", buffering: int | None = None, **_kwargs: Any) -> Any:
        """The reader http.client reads the status line, headers and body from (binary only)."""
        if mode not in ("rb", "br"):
            raise ValueError(f"only binary reading is supported, not {mode!r}")
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]  # reads through recv_into above
        self._sock._io_refs += 1
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)


class _Deadlined:
    """Takes the deadline of the request that uses the connection; wraps its socket."""

    deadline_end: float = math.inf
    timeout: Any
    sock: Any

    def _new_conn(self) -> Any:
        self.deadline_end = _DEADLINE.get()
        left = self.deadline_end - time.monotonic()
        if left <= 0:
            raise TimeoutError(DEADLINE_GONE)
        if not isinstance(self.timeout, (int, float)) or self.timeout > left:
            self.timeout = left  # connect and the TLS handshake end by the deadline too
        return super()._new_conn()  # type: ignore[misc]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None and not isinstance(self.sock, DeadlineSocket):
            self.sock = DeadlineSocket(self.sock, self)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.deadline_end = _DEADLINE.get()  # a kept-alive connection serves a new request
        return super().request(*args, **kwargs)  # type: ignore[misc]


class DeadlineHTTPConnection(_Deadlined, HTTPConnection):
    pass


class DeadlineHTTPSConnection(_Deadlined, HTTPSConnection):
    pass


class DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """Each request ends within ``whole_s`` seconds, and none after ``end`` (time.monotonic()).

    Mount it on a requests.Session (``mount_deadline``) or on keystoneauth's session's
    ``.session``: every request through it, authentication included, gets the deadline.
    A streamed body read later keeps the deadline of the request it answers.
    """

    def __init__(self, whole_s: float, end: float = math.inf, **kwargs: Any) -> None:
        self.whole_s = float(whole_s)
        self.end = end
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": DeadlineHTTPPool, "https": DeadlineHTTPSPool}

    def send(self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any) -> Any:
        now = time.monotonic()
        end = min(self.end, now + self.whole_s)
        left = end - now
        if left <= 0:
            raise ConnectTimeout(DEADLINE_GONE, request=request)
        if isinstance(timeout, tuple):
            timeout = tuple(left if part is None else min(float(part), left) for part in timeout)
        else:
            timeout = left if timeout is None else min(float(timeout), left)
        token = _DEADLINE.set(end)
        try:
            return super().send(request, stream=stream, timeout=timeout, **kwargs)
        finally:
            _DEADLINE.reset(token)


def mount_deadline(session: Any, whole_s: float, end: float = math.inf) -> Any:
    """``session`` (a requests.Session) with the deadline adapter for http and https; returned."""
    adapter = DeadlineAdapter(whole_s, end)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def read_capped(response: Any, cap: int, chunk: int = 8192) -> tuple[bytes, str | None]:
    """A streamed body up to ``cap`` bytes (decoded); a larger one is refused, unread if declared.

    Returns (body, None) or (what was read, the one-line reason it was cut).
    """
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > cap:
        return b"", f"the answer is larger than {cap} bytes (it declares {int(declared)})"
    chunks: list[bytes] = []
    size = 0
    reader = getattr(response.raw, "read1", None) or response.raw.read
    try:
        while size <= cap:
            data = reader(chunk, decode_content=True)
            if not data:
                return b"".join(chunks), None
            chunks.append(data)
            size += len(data)
    except Exception as exc:  # a timeout, a reset, a broken encoding: the reason travels as text
        return b"".join(chunks)[:cap], one_line(exc)
    return b"".join(chunks)[:cap], f"the answer is larger than {cap} bytes"


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``, as errors are recorded."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
