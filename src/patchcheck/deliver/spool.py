"""A spool folder that loses no report.

A report is copied into the spool, with its signature, *before* any upload is
tried, by writing a temporary file and renaming it (a crash leaves either the
whole report or nothing). It is removed only after the monitor confirmed it
(2xx, or 409: the monitor already has this run). Failures (connection refused,
timeout, 5xx) are retried with exponential backoff, on the next run or by
``patchcheck upload``. An exclusive lock on ``<spool>/.lock`` keeps two runs from
sending the same report at once; a second run waits ``LOCK_WAIT_S`` for the first, then
leaves its report spooled for that run, ``patchcheck upload`` or the next run
(``SpoolBusy``, exit 5).

Failures: a spool that cannot be written (full, read-only) is ``SpoolUnwritable`` naming
the folder, no temporary file left, the report where it was (exit 4). A state file that
cannot be read as one (malformed JSON, a naive or unparsable ``next_try``) is that entry's
problem only: it is moved aside to ``<name>.state.json.malformed``, the entry is retried,
and the others upload as before.

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

from patchcheck.errors import InputError

#: Backoff after the n-th failed attempt: 1, 2, 4, ... minutes, at most 6 hours.
FIRST_BACKOFF_S = 60
MAX_BACKOFF_S = 6 * 3600
#: Seconds a second delivery waits for the spool lock: a delivery in progress finishes its
#: uploads in minutes, and the waiting run's report is already spooled, so it need not wait.
LOCK_WAIT_S = 10


class SpoolBusy(RuntimeError):
    """Another run held the spool lock for longer than we were willing to wait."""

    def __init__(self, lock: Path) -> None:
        self.lock = lock
        super().__init__(
            f"another delivery holds the spool lock {lock}; what is spooled stays there and is sent "
            "by that run, `patchcheck upload` or the next run"
        )


class SpoolUnwritable(InputError):
    """The spool folder cannot be written (full, read-only): said once, naming it."""

    def __init__(self, folder: Path, exc: OSError) -> None:
        super().__init__(
            folder,
            "",
            f"the spool cannot be written ({exc.strerror or exc}); nothing was sent, the report "
            "stays where it was",
        )


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
        """The entry's state; a malformed state file is moved aside and the entry starts afresh."""
        try:
            text = self.state_file.read_text()
        except FileNotFoundError:
            return {"attempts": 0, "next_try": None, "last_error": None}
        except (OSError, UnicodeDecodeError) as exc:
            return self.reset(f"unreadable: {exc}")
        try:
            state = json.loads(text)
            problem = state_problem(state)
        except (ValueError, RecursionError) as exc:
            problem = f"not JSON: {str(exc)[:80]}"
        return self.reset(problem) if problem else state

    def reset(self, problem: str) -> dict[str, object]:
        """Move a malformed state file aside (kept for a look) and record why; the entry is due now."""
        aside = self.state_file.with_name(self.state_file.name + ".malformed")
        with contextlib.suppress(OSError):
            self.state_file.replace(aside)
        return {
            "attempts": 0,
            "next_try": None,
            "last_error": f"state file was malformed ({problem}); moved to {aside.name}",
        }

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
        """The ``subject`` of the spooled report's first document, or None."""
        subjects = self.subjects()
        return subjects[0] if subjects else None

    def subjects(self) -> list[str | None]:
        """The ``subject`` of each document of the spooled report ([] if it cannot be read).

        A document without one gives None, so a token of any subject never counts as its own.
        """
        try:
            documents = list(yaml.safe_load_all(self.report.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return []
        subjects = [document.get("subject") if isinstance(document, dict) else None for document in documents]
        return [str(subject) if subject is not None else None for subject in subjects]

    def remove(self) -> None:
        for path in (self.signature, self.state_file, self.report):
            path.unlink(missing_ok=True)


def state_problem(state: object) -> str | None:
    """What makes a parsed state file unusable, or None: the backoff must be computable from it."""
    if not isinstance(state, dict):
        return "not an object"
    attempts = state.get("attempts", 0)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 0 <= attempts < 10_000:
        return "attempts is not a count"
    next_try = state.get("next_try")
    if next_try is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(next_try))
    except ValueError:
        return "next_try is not a time"
    return "next_try has no time zone" if moment.tzinfo is None else None


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write through a temporary file and a rename; on failure (ENOSPC, EROFS) no temporary stays."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, report: Path, signature: bytes, name: str) -> Entry:
        """Put a signed report into the spool (signature first, then the report: a report is complete)."""
        entry = Entry(self.folder / f"{name}.yaml")
        data = report.read_bytes()
        fresh = [path for path in (entry.report, entry.signature) if not path.exists()]
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomically(entry.signature, signature)
            write_atomically(entry.report, data)
        except OSError as exc:  # full or read-only: nothing half-spooled stays
            for path in fresh:  # only what this call created: an earlier copy stays spooled
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
            raise SpoolUnwritable(self.folder, exc) from None
        return entry

    def entries(self) -> list[Entry]:
        """Complete entries, oldest first (a report without its signature is not complete yet)."""
        if not self.folder.is_dir():
            return []
        reports = sorted(self.folder.glob("*.yaml"), key=lambda path: path.stat().st_mtime_ns)
        return [Entry(path) for path in reports if Entry(path).signature.exists()]

    @contextlib.contextmanager
    def locked(self, wait_s: float | None = None) -> Iterator[None]:
        """The spool's lock, waited for at most ``wait_s`` seconds (then ``SpoolBusy``)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SpoolUnwritable(self.folder, exc) from None
        try:
            deadline = time.monotonic() + (LOCK_WAIT_S if wait_s is None else wait_s)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SpoolBusy(self.folder / ".lock") from None
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)
