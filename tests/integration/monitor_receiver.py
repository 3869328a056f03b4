"""A test receiver that implements the SCS compliance monitor's upload contract.

``POST /reports`` with ``Content-Type: application/x-signed-yaml``, ``Authorization:
Basic base64(subject:apikey)`` and the body ``<ssh signature>&<report YAML>``. The
signature is checked with the real ``ssh-keygen -Y verify -n report`` against an
allowed-signers file, as the monitor does; 401 for bad credentials or a bad
signature, 415 for a wrong content type, 409 for a ``run.uuid`` it already has,
200 when stored (as the monitor answers; ``test_scs_monitor.py`` compares the two).
``mode`` makes it misbehave for fault tests: ``"500"`` answers
500, ``"slow"`` waits before answering, ``"status:N"`` answers N.
"""

from __future__ import annotations

import base64
import http.server
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml


class Receiver:
    def __init__(self, allowed_signers: Path, credentials: dict[str, str], port: int = 0) -> None:
        self.allowed_signers = allowed_signers
        self.credentials = credentials
        self.stored: dict[str, bytes] = {}
        self.requests: list[int] = []
        self.mode = "normal"
        self.slow_s = 10.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.handle(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        status = self.decide(path, headers, body)
        with self.lock:
            self.requests.append(status)
        return status

    def decide(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.mode == "500":
            return 500
        if self.mode.startswith("status:"):  # any answer the real monitor gives only in rare states
            return int(self.mode.split(":", 1)[1])
        if self.mode == "slow":
            time.sleep(self.slow_s)
        if path.rstrip("/") != "/reports":
            return 404
        if headers.get("Content-Type") != "application/x-signed-yaml":
            return 415
        subject = self.authenticate(headers.get("Authorization", ""))
        if subject is None:
            return 401
        signature, separator, report = body.partition(b"&")
        if not separator or not self.verify(subject, signature, report):
            return 401
        uuids = [str(doc["run"]["uuid"]) for doc in yaml.safe_load_all(report) if isinstance(doc, dict)]
        with self.lock:
            if any(uuid in self.stored for uuid in uuids):
                return 409
            for uuid in uuids:
                self.stored[uuid] = report
        return 200

    def authenticate(self, header: str) -> str | None:
        kind, _, token = header.partition(" ")
        if kind != "Basic":
            return None
        try:
            subject, _, apikey = base64.b64decode(token, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return subject if self.credentials.get(subject) == apikey else None

    def verify(self, subject: str, signature: bytes, report: bytes) -> bool:
        with tempfile.TemporaryDirectory() as scratch:
            signature_file = Path(scratch) / "report.sig"
            signature_file.write_bytes(signature)
            result = subprocess.run(
                [
                    "ssh-keygen",
                    "-Y",
                    "verify",
                    "-f",
                    str(self.allowed_signers),
                    "-I",
                    subject,
                    "-n",
                    "report",
                    "-s",
                    str(signature_file),
                ],
                input=report,
                capture_output=True,
                timeout=30,
                check=False,
            )
        return result.returncode == 0
