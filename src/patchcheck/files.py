"""Writing output files so that no reader and no concurrent run ever sees half of one.

Every file patchcheck writes goes through ``atomic_write``, the facts files the
collection roles' action plugins write on the controller too: a temporary file
with a unique name in the same folder, then a rename. ``output_lock`` makes two
runs on the same output folder (a Zuul retry overlapping a manual run, two
timers) take turns instead of interleaving their files: each set of outputs is
then from one run.
"""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

LOCK_NAME = ".patchcheck.lock"


@contextmanager
def atomic_writer(path: Path, mode: int | None = None) -> Iterator[TextIO]:
    """A text stream whose content replaces ``path`` only when the block ends without error.

    ``mode``: the file's mode exactly (facts files are 0640); by default 0644 less the umask.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            yield stream
        temporary.chmod(mode if mode is not None else 0o644 & ~current_umask())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    with atomic_writer(path, mode) as stream:
        stream.write(text)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; a second run waits for the first to finish."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: Inputs a user names (facts, declarations, scopes, reports, tokens): larger is refused, not read.
MAX_INPUT_BYTES = 256 * 1024 * 1024


def open_regular(path: Path, limit: int = MAX_INPUT_BYTES, what: str = "file") -> BinaryIO:
    """``path`` opened for reading if it is a regular file of at most ``limit`` bytes, else ``InputError``.

    A FIFO would block a read forever and ``/dev/zero`` never end: the file is opened without
    blocking and checked before anything is read. Every bounded reader of the judge's side opens
    its input here (``read_input``, the verdicts reader, the distributions' security data).
    """
    from patchcheck.errors import InputError

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise InputError(path, "", "no such file") from None
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror}") from None
    handle = os.fdopen(descriptor, "rb")
    status = os.fstat(handle.fileno())
    if not stat.S_ISREG(status.st_mode):
        handle.close()
        raise InputError(path, "", f"not a regular file (a {what} must be one)")
    if status.st_size > limit:
        handle.close()
        raise InputError(path, "", f"larger than {limit} bytes: not read")
    return handle


def read_input(path: Path, limit: int = MAX_INPUT_BYTES, what: str = "file") -> bytes:
    """A regular file's bytes, at most ``limit`` (read one byte past it: a file may grow); anything
    else is an ``InputError`` at once (``open_regular``)."""
    from patchcheck.errors import InputError

    with open_regular(path, limit, what) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(path, "", f"larger than {limit} bytes: not read")
    return data


def read_input_text(path: Path, limit: int = MAX_INPUT_BYTES, what: str = "file") -> str:
    from patchcheck.errors import InputError

    try:
        return read_input(path, limit, what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"byte {exc.start}", "not UTF-8 text") from None
