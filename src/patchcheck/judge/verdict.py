"""Findings and results: PASS, FAIL and ABORT, with the reason travelling along.

ABORT is a result of its own (not a failed assertion and not a skip): it means
the evidence was missing, partial or ambiguous. It never counts as PASS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


@dataclass(frozen=True, slots=True)
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


class FindingGroup:
    """The findings of one testcase on one subject (a host): one pytest item, every finding kept.

    A pytest item costs about a millisecond of bookkeeping; one item per finding
    made 1,000 hosts (about 20,000 findings) take 20 s. One item per host and
    testcase keeps the ids readable (``ctl1``) while the verdicts file still
    records each finding with its own result and sentence.

    The findings are judged when the item runs, not when it is collected, and
    dropped once recorded: with 10,000 hosts, holding all of them from collection
    to the end was most of the judge's memory.
    """

    def __init__(self, subject: str, judge: Callable[[], Sequence[Finding]]) -> None:
        self.subject = subject
        self._judge = judge
        self._findings: tuple[Finding, ...] | None = None

    def __repr__(self) -> str:
        return f"FindingGroup({self.subject!r})"

    @property
    def findings(self) -> tuple[Finding, ...]:
        if self._findings is None:
            self._findings = tuple(self._judge())
        return self._findings

    @property
    def judged(self) -> tuple[Finding, ...] | None:
        """The findings if judging has run and succeeded, else None (without judging now)."""
        return self._findings

    def release(self) -> None:
        """Forget the findings once recorded (they are judged again if asked for)."""
        self._findings = None

    def check(self) -> None:
        """Fail if any finding fails, else abort if any aborts; the message lists them.

        No findings at all passes here and records nothing: the testcase's result
        comes from recorded findings only, and a testcase with none is ABORT.
        """
        findings = self.findings
        for result in (Result.FAIL, Result.ABORT):
            hit = [finding.message for finding in findings if finding.result is result]
            if hit:
                summary = f"{len(hit)} of {len(findings)} {result.value}: " + " | ".join(hit)
                if result is Result.ABORT:
                    raise AbortCheck(summary)
                raise AssertionError(summary)
