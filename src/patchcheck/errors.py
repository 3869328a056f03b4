"""Exit codes and the one error type a user may see.

Every failure a user can cause (a missing file, a malformed facts file, a bad
date) becomes an ``InputError`` whose message names the file and the place in
it; ``cli.main`` prints it as one line and exits with ``ExitCode.BAD_INPUT``.
No traceback reaches the user for bad input.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """The documented exit codes of ``patchcheck`` (see docs/testcases.md, "Exit codes of `patchcheck`")."""

    PASS = 0
    """Every testcase passed."""
    FAIL = 1
    """At least one testcase failed."""
    USAGE = 2
    """The command line was wrong (argparse's own code)."""
    ABORT = 3
    """No testcase failed, but at least one could not be decided (ABORT)."""
    BAD_INPUT = 4
    """An input file is missing, unreadable or invalid."""
    NOT_DELIVERED = 5
    """A report is spooled but the monitor has not confirmed it yet; it will be retried."""
    REFUSED = 6
    """The monitor refused a report for good (4xx: credentials, key, format); it was moved aside."""
    NOT_UPDATED = 7
    """``index update`` could not fetch or build; the previous advisory knowledge stays in force."""
    INTERNAL = 70
    """A bug in patchcheck; the message asks for a report."""


class InputError(Exception):
    """Bad input, with where it is: ``<file>: <place>: <what is wrong>``."""

    def __init__(self, path: Path | str, place: str, problem: str) -> None:
        self.path = str(path)
        self.place = place
        self.problem = problem
        where = f"{self.path}: {place}" if place else self.path
        super().__init__(f"{where}: {problem}")
