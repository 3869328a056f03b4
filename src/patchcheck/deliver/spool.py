"""A spool folder that loses no report.

A report is copied into the spool, with its signature, *before* any upload is
tried, by writing a temporary file and renaming it (a crash leaves either the
whole report or nothing). It is removed only after the monitor confirmed it
(2xx, or 409: the monitor already has this run). Failures (connection refused,
timeout, 5xx) are retried with exponential backoff, on the next run or by
``patchcheck upload``. An exclusive lock on ``<spool>/.lock`` keeps two runs from
sending the same report at once; a second run waits for the first.

Layout per report: ``<name>.yaml`` (the report), ``<name>.yaml.sig`` (its
signature), ``<name>.state.json`` (attempts, next try, last error).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

#: Backoff after the n-th failed attempt: 1, 2, 4, ... minutes, at most 6 hours.
FIRST_BACKOFF_S = 60
MAX_BACKOFF_S = 6 * 3600
LOCK_WAIT_S = 300


class SpoolBusy(RuntimeError):
    """Another run held the spool lock for longer than we were willing to wait."""


@dataclass
class Entry:
    """One spooled report."""

    report: Path

    @property
    def signature(self) -> Path:
        return self.report.with_name(self.report.name + ".sig")

    @property
    def state_file(self) -> Path:
        return self.report.with_name(self.report.name.removesuffix(".yaml") + ".state.json")

    def state(self) -> dict[str, object]:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {"attempts": 0, "next_try": None, "last_error": None}

    def due(self, now: dt.datetime) -> bool:
        next_try = self.state().get("next_try")
        return next_try is None or dt.datetime.fromisoformat(str(next_try)) <= now

    def failed(self, error: str, now: dt.datetime) -> None:
        attempts = int(self.state().get("attempts") or 0) + 1
        delay = min(FIRST_BACKOFF_S * 2 ** (attempts - 1), MAX_BACKOFF_S)
        write_atomically(
            self.state_file,
            json.dumps(
                {
                    "attempts": attempts,
                    "next_try": (now + dt.timedelta(seconds=delay)).isoformat(timespec="seconds"),
                    "last_error": error,
                }
            ).encode(),
        )

    def refuse(self, reason: str, now: dt.datetime) -> Path:
        """Move a report the monitor refused for good into ``refused/``, with why; never retried."""
        refused = self.report.parent / "refused"
        refused.mkdir(exist_ok=True, mode=0o700)
        write_atomically(
            self.state_file,
            json.dumps(
                {**self.state(), "refused_at": now.isoformat(timespec="seconds"), "last_error": reason}
            ).encode(),
        )
        for path in (self.signature, self.state_file, self.report):
            path.replace(refused / path.name)
        return refused / self.report.name

    def subject(self) -> str | None:
        """The ``subject`` of the spooled report (read from its first lines), or None."""
        try:
            document = next(iter(yaml.safe_load_all(self.report.read_text(encoding="utf-8"))), None)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None
        subject = document.get("subject") if isinstance(document, dict) else None
        return str(subject) if subject is not None else None

    def remove(self) -> None:
        for path in (self.signature, self.state_file, self.report):
            path.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, report: Path, signature: bytes, name: str) -> Entry:
        """Put a signed report into the spool (signature first, then the report: a report is complete)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        entry = Entry(self.folder / f"{name}.yaml")
        write_atomically(entry.signature, signature)
        write_atomically(entry.report, report.read_bytes())
        return entry

    def entries(self) -> list[Entry]:
        """Complete entries, oldest first (a report without its signature is not complete yet)."""
        if not self.folder.is_dir():
            return []
        reports = sorted(self.folder.glob("*.yaml"), key=lambda path: path.stat().st_mtime_ns)
        return [Entry(path) for path in reports if Entry(path).signature.exists()]

    @contextlib.contextmanager
    def locked(self, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SpoolBusy(f"{self.folder} is locked by another run") from None
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)
