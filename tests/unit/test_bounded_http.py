"""Every HTTP reader ends by one whole-request deadline, reads a bounded answer and keeps no token.

Hostile servers on 127.0.0.1 speak raw HTTP: a status line and headers dripped a byte at a
time, ``100 Continue`` forever, silence after accepting (a keystone that never answers),
an endless error body, redirects, and an error page that echoes the Authorization header.
The tenant reader, the dashboard reader and delivery each end within their deadline with an
error, and the token appears in no output and no spool file.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget, fetch_json
from ansible_collections.scs.patchcheck.plugins.module_utils.dashboard import dashboard_facts
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from patchcheck.deliver.monitor import Outcome, loopback, upload
from tests.helpers import load_module, run_patchcheck

ROOT = Path(__file__).resolve().parents[2]
MODULE = load_module(ROOT / "plugins/modules/tenant_facts.py", "tenant_bounded")
KEY = "K3Y-canary-5f1e"
SUBJECT = "subject-canary"
TOKEN = base64.b64encode(f"{SUBJECT}:{KEY}".encode()).decode()


def drip(conn: socket.socket, _request: bytes) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def continue_forever(conn: socket.socket, _request: bytes) -> None:
    while True:
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        time.sleep(0.05)


def silent(_conn: socket.socket, _request: bytes) -> None:
    time.sleep(120)


def endless_error(conn: socket.socket, _request: bytes) -> None:
    conn.sendall(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    while True:
        conn.sendall(chunk)


def huge_declared(conn: socket.socket, _request: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")
    time.sleep(120)  # the body never comes: reading it would wait, refusing it does not


def echo_token(conn: socket.socket, request: bytes) -> None:
    """A 403 page quoting the request's Authorization header, decoded and URL-encoded too."""
    header = next(
        (line for line in request.split(b"\r\n") if line.lower().startswith(b"authorization:")), b""
    ).decode()
    body = json.dumps(
        {"detail": f"forbidden: {header} = {SUBJECT}:{KEY} ({SUBJECT}%3A{KEY}) key {KEY}"}
    ).encode()
    conn.sendall(
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
    )


def redirect(status: int) -> Callable[[socket.socket, bytes], None]:
    def answer(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(
            b"HTTP/1.1 %d Moved\r\nLocation: https://user:%s@elsewhere.example.net/reports?k=%s\r\n"
            b"Content-Length: 0\r\n\r\n" % (status, KEY.encode(), KEY.encode())
        )

    return answer


@contextlib.contextmanager
def raw_server(behaviour: Callable[[socket.socket, bytes], None]) -> Iterator[str]:
    """``http://127.0.0.1:<port>``, answering every connection with ``behaviour``."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(130)
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            behaviour(conn, request)

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = listener.accept()
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


HANGS = {"dripped headers": drip, "100 Continue forever": continue_forever, "silence": silent}


def test_the_collectors_copy_is_the_same_text() -> None:
    """The collection ships ``bounded_http`` as module_utils (the module cannot import patchcheck)."""
    shipped = ROOT / "plugins/module_utils/bounded_http.py"
    assert shipped.read_text() == (ROOT / "src/patchcheck/bounded_http.py").read_text()


@pytest.mark.parametrize("kind", HANGS)
def test_the_tenant_reader_ends_by_the_request_deadline(kind: str) -> None:
    session = ks_session.Session(auth=token_endpoint.Token("http://127.0.0.1:1", "TOKEN-5ec7"))
    with raw_server(HANGS[kind]) as url:
        start = time.monotonic()
        status, _headers, body, error = fetch_json(session, url + "/", 2, budget=Budget(60))
        took = time.monotonic() - start
    assert took < 5, f"{kind}: {took:.1f} s with a 2 s request timeout"
    assert error and status is None and body is None


@pytest.mark.parametrize("kind", HANGS)
def test_the_dashboard_reader_ends_by_the_request_deadline(kind: str) -> None:
    with raw_server(HANGS[kind]) as url:
        start = time.monotonic()
        record = dashboard_facts(url + "/", "variable", 2, True, Budget(60))
        took = time.monotonic() - start
    assert took < 5, f"{kind}: {took:.1f} s with a 2 s request timeout"
    assert record["pages"][0]["error"] and record["login_form"] is None


def test_a_declared_gigabyte_is_refused_unread() -> None:
    session = ks_session.Session(auth=token_endpoint.Token("http://127.0.0.1:1", "TOKEN-5ec7"))
    with raw_server(huge_declared) as url:
        start = time.monotonic()
        _status, _headers, body, error = fetch_json(session, url + "/", 10, budget=Budget(60))
        took = time.monotonic() - start
    assert took < 2 and body is None and "larger than 4194304 bytes (it declares 1073741824)" in error


def keystone_cloud(tmp_path: Path, url: str) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        yaml.safe_dump(
            {
                "clouds": {
                    "silent": {
                        "auth": {
                            "auth_url": url + "/v3",
                            "username": "u",
                            "password": "p",
                            "project_name": "p",
                            "user_domain_name": "Default",
                            "project_domain_name": "Default",
                        },
                        "dashboard_url": url + "/dashboard/",
                    }
                }
            }
        )
    )
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds)


@pytest.mark.parametrize(("timeout", "deadline"), [(3, 10), (15, 4)])
def test_a_keystone_that_never_answers_ends_with_facts_by_the_deadline(
    timeout: int, deadline: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 26 point 9: discovery and the token POST ran without any timeout (>150 s)."""
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", "")
    with raw_server(silent) as url:
        keystone_cloud(tmp_path, url)
        start = time.monotonic()
        facts = MODULE.gather("silent", ["public"], timeout=timeout, scan_tls=False, deadline=deadline)
        took = time.monotonic() - start
    assert took < deadline + 3, f"{took:.1f} s with timeout {timeout} and deadline {deadline}"
    assert facts["auth"]["ok"] is False and facts["auth"]["error"]
    assert facts["dashboard"]["pages"] == [] or facts["dashboard"]["pages"][0]["error"]


def report_files(tmp_path: Path) -> tuple[Path, Path]:
    report, signature = tmp_path / "report.yaml", tmp_path / "report.yaml.sig"
    report.write_text(yaml.safe_dump({"subject": SUBJECT, "run": {"uuid": "u-1"}}))
    signature.write_text("signature")
    return report, signature


@pytest.mark.parametrize("kind", HANGS)
def test_delivery_ends_by_its_deadline_and_retries(kind: str, tmp_path: Path) -> None:
    report, signature = report_files(tmp_path)
    with raw_server(HANGS[kind]) as url:
        start = time.monotonic()
        response = upload(report, signature, url, TOKEN, timeout=2)
        took = time.monotonic() - start
    assert took < 5, f"{kind}: {took:.1f} s with a 2 s timeout"
    assert response.outcome is Outcome.RETRY


def test_an_endless_error_body_is_read_only_to_its_cap(tmp_path: Path) -> None:
    """Issue 26 point 14: a 1 GiB error page was read whole (3.1 GB RSS); this one never ends."""
    report, signature = report_files(tmp_path)
    with raw_server(endless_error) as url:
        start = time.monotonic()
        response = upload(report, signature, url, TOKEN, timeout=20)
        took = time.monotonic() - start
    assert took < 3, f"{took:.1f} s: the answer was read past its cap"
    assert response.outcome is Outcome.REFUSED and "HTTP 400" in response.detail
    assert len(response.detail) < 600


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_retried_with_its_reason_and_never_followed(status: int, tmp_path: Path) -> None:
    report, signature = report_files(tmp_path)
    with raw_server(redirect(status)) as url:
        response = upload(report, signature, url, TOKEN, timeout=5)
    assert response.outcome is Outcome.RETRY
    assert "the monitor answered a redirect to https://elsewhere.example.net/reports;" in response.detail
    assert "does not follow redirects with the token" in response.detail
    assert KEY not in response.detail and "token?" not in response.detail


@pytest.mark.parametrize("host", ["127.1", "2130706433", "[::1]", "0x7f.0.0.1", "localhost", "::1"])
def test_loopback_is_read_as_a_resolver_reads_it(host: str) -> None:
    assert loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "monitor.example.net", "127.0.0.1.example.net"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not loopback(host)


def test_a_monitor_echoing_the_token_leaks_it_nowhere(tmp_path: Path) -> None:
    """Issue 26 point 18: the echoed Authorization header reached stderr and refused/*.state.json."""
    report = tmp_path / "report.yaml"
    report.write_text(
        yaml.safe_dump({"subject": SUBJECT, "checked_at": "2026-12-05 10:00:00", "run": {"uuid": "u"}})
    )
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=60)
    token = tmp_path / "token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    spool = tmp_path / "spool"
    with raw_server(echo_token) as url:
        done = run_patchcheck(
            "deliver",
            "--report",
            report,
            "--key",
            key,
            "--token-file",
            token,
            "--monitor",
            url,
            "--spool",
            spool,
        )
    assert done.returncode == 6, done.stderr  # refused for good, moved aside
    assert "HTTP 403" in done.stderr and "(token removed)" in done.stderr
    files = [path for path in spool.rglob("*") if path.is_file()]
    assert any(path.name.endswith(".state.json") for path in files)
    for text in [done.stdout, done.stderr, *(path.read_text(errors="replace") for path in files)]:
        for form in (TOKEN, KEY, f"{SUBJECT}:{KEY}"):
            assert form not in text
