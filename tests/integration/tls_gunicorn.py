"""A test cloud app under gunicorn's own TLS on 127.0.0.1, as a TLS-terminating edge serves it.

The https endpoints of the integration tests (placement in the catalog, a hardened Horizon)
run this way: the test cloud's venv, an app from ``testbed/wsgi``, a certificate from a CA
made for the test, Mozilla intermediate ciphers. Stopped with its whole process group; the
port must be free afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.unit.tls_server import INTERMEDIATE_CIPHERS, make_ca_and_server

WSGI = Path(__file__).resolve().parents[2] / "testbed" / "wsgi"


@contextmanager
def gunicorn_over_tls(
    venv: Path, app: str, port: int, folder: Path, env: dict[str, str], not_after: dt.datetime
) -> Iterator[Path]:
    """Serve ``app`` over TLS on ``port``; yields the CA file. Access log: ``folder/<port>-access.log``."""
    ca, cert, key = make_ca_and_server(folder, not_after)
    pid_file = folder / f"gunicorn-{port}.pid"
    subprocess.run(
        [
            str(venv / "bin" / "gunicorn"),
            "--daemon",
            "--pid",
            str(pid_file),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--graceful-timeout",
            "3",
            "--certfile",
            str(cert),
            "--keyfile",
            str(key),
            "--ciphers",
            INTERMEDIATE_CIPHERS,
            "--access-logfile",
            str(folder / f"{port}-access.log"),
            "--access-logformat",
            "%(m)s\t%(U)s",
            "--pythonpath",
            str(WSGI),
            app,
        ],
        env={**os.environ, **env},
        check=True,
        timeout=60,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield ca
    finally:
        stop(pid_file, port)


def stop(pid_file: Path, port: int) -> None:
    """The daemon's whole process group (master and worker), then the port must be free."""
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    group = os.getpgid(int(pid_file.read_text().strip()))
    assert group != os.getpgrp(), "gunicorn's daemon runs in a process group of its own"
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(group, signal.SIGKILL)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is still served"
