"""Reading a host that may be hostile: bounded reads, read-only commands, and a note of what was not read.

The readers in module_utils read every file through ``read_regular``: at most a given number of
bytes, only a regular file (never a FIFO or a device, which would block or fill memory), opened
without following a final link, and never through a link that leaves the tree being gathered. What
cannot be read raises ``Skipped`` with a reason that names the file, never its content
(``failure_text``); the reader records it with ``incomplete``, so the facts say which evidence is
partial and the judge never passes a host on what it did not see. Commands (``rpm -q``, ``docker
ps``) run through ``run``: C locale, a timeout, and a failure noted by the command's name and its
exit code or exception type, never its output.
"""

from __future__ import annotations

import os
import stat
import subprocess
from typing import Any


class Skipped(Exception):
    """A file that was not read, and why: the source it belongs to is incomplete."""


def read_regular(path: str, limit: int, root: str | None = None) -> bytes:
    """A regular file's bytes (at most ``limit``), never through a link that leaves ``root``.

    A FIFO would block forever, ``/dev/zero`` would fill memory, a link to /etc/shadow
    would read what nobody asked for: the path is resolved and must stay under ``root``,
    the file is opened without blocking or following a final link and must be regular.
    Every ``OSError`` on the way (``realpath`` too: a link swapped for a FIFO while it is
    resolved, a symlink loop, an I/O error) is a ``Skipped`` for this file, never a crash.
    """
    try:
        if root is not None:
            real, base = os.path.realpath(path), os.path.realpath(root)
            if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
                raise Skipped(f"{path}: a link out of {root}, not followed")
            path = real
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise Skipped(f"{path}: not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise Skipped(f"{path}: {failure_text(exc)}") from None
    if len(data) > limit:
        raise Skipped(f"{path}: larger than {limit} bytes, not read")
    return data


def failure_text(exc: BaseException) -> str:
    """Why something was not read, without its content: an error's message may quote the file."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def incomplete(record: list[dict[str, str]], source: str, item: str, reason: str) -> None:
    """Note that ``source`` was not read completely on this host: its evidence is partial."""
    record.append({"source": source, "item": item, "reason": reason[:300]})


def run(argv: list[str], errors: list[str], timeout: int = 60) -> str | None:
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        errors.append(f"{os.path.basename(argv[0])} {argv[1]}: {type(exc).__name__}")
        return None
    if result.returncode != 0:
        errors.append(f"{os.path.basename(argv[0])} {argv[1]}: exit {result.returncode}")
        return None
    return result.stdout


#: What the facts keep of os-release, and the most of the file read.
OS_RELEASE_KEYS = ("ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME")
MAX_OS_RELEASE_BYTES = 64 * 1024


def os_release(tree: str = "/") -> dict[str, str]:
    """The distribution a tree runs: ``id``, ``version_id``, ``version_codename``, ``pretty_name``.

    From ``<tree>/etc/os-release``, else ``<tree>/usr/lib/os-release`` (systemd's order), each read
    bounded and never through a link out of ``tree`` (an image's absolute link to /usr/lib/os-release
    would read the host's: that one falls back to the tree's own). Empty when neither reads: the
    release is a detail of the facts, never a gap.
    """
    for name in ("etc/os-release", "usr/lib/os-release"):
        try:
            text = read_regular(os.path.join(tree, name), MAX_OS_RELEASE_BYTES, tree)
        except Skipped:
            continue
        values = {}
        for line in text.decode("utf-8", errors="replace").splitlines():
            key, _equals, value = line.strip().partition("=")
            if key in OS_RELEASE_KEYS and key.lower() not in values:
                values[key.lower()] = value.strip().strip("\"'")[:200]
        return values
    return {}


def skipped_folder(exc: OSError, gaps: list[dict[str, str]]) -> None:
    """A configuration folder (a service's, a place of secret files) not listed: a gap of ``config``."""
    incomplete(
        gaps, "config", str(exc.filename), f"folder not readable: {exc.strerror or type(exc).__name__}"
    )


def name_of(lookup: Any, number: int) -> str:
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)
