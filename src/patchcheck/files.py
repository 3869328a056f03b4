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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

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
