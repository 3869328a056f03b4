"""Findings and results: PASS, FAIL and ABORT, with the reason travelling along.

ABORT is a result of its own (not a failed assertion and not a skip): it means
the evidence was missing, partial or ambiguous. It never counts as PASS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Result(StrEnum):
    PASS = "PASS"  # noqa: S105  (a verdict, not a password)
    FAIL = "FAIL"
    ABORT = "ABORT"

    @property
    def scs_value(self) -> int:
        """The value in an SCS report's ``results`` map."""
        return {Result.PASS: 1, Result.ABORT: 0, Result.FAIL: -1}[self]


def combine(results: list[Result]) -> Result:
    """A testcase over many items: any FAIL fails it, else any ABORT aborts it.

    No items at all is ABORT: a testcase that checked nothing proves nothing.
    """
    if not results:
        return Result.ABORT
    if Result.FAIL in results:
        return Result.FAIL
    if Result.ABORT in results:
        return Result.ABORT
    return Result.PASS


class AbortCheck(Exception):
    """Raised inside a compliance test when the evidence cannot decide it."""


@dataclass(frozen=True)
class Finding:
    """One judged item: what was checked, the result, and a sentence an auditor reads."""

    testcase: str
    subject: str
    result: Result
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Make the finding a pytest outcome: pass, fail with the sentence, or abort."""
        if self.result is Result.ABORT:
            raise AbortCheck(self.message)
        assert self.result is Result.PASS, self.message
