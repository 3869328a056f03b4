"""The SCS line protocol: ``<testcase-id>: PASS|FAIL|ABORT`` and prefixed log lines.

This is what SCS check scripts print and what the compliance suite parses
(``compute_results`` in scs-compliance-check.py): results on stdout, one line
per testcase; log lines start with ``INFO:``, ``WARNING:``, ``ERROR:`` or
``CRITICAL:``, and are counted by their prefix.
"""

from __future__ import annotations

from collections.abc import Iterator

from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, Verdicts
from patchcheck.report.published import published

LOG_PREFIX = {Result.PASS: "INFO", Result.FAIL: "ERROR", Result.ABORT: "WARNING"}


def result_lines(verdicts: Verdicts) -> list[str]:
    return [f"{testcase.id}: {testcase.result.value}" for testcase in verdicts.testcases]


def log_line(testcase_id: str, item: Item) -> str:
    """A finding's line; the monitor shows these to anyone: no project ids, no internal addresses."""
    return f"{LOG_PREFIX[item.result]}: {testcase_id}: {published(item.message)}"


def log_lines(verdicts: Verdicts) -> list[str]:
    """One line per finding; a testcase without items says why it ABORTs."""
    return list(each_log_line(verdicts))


def each_log_line(verdicts: Verdicts) -> Iterator[str]:
    """The lines of ``log_lines`` one at a time: at 10,000 hosts they are 200,000 lines, 57 MB."""
    for testcase in verdicts.testcases:
        if not testcase.items:
            yield f"WARNING: {testcase.id}: no check ran for this testcase"
        for item in testcase.items:
            yield log_line(testcase.id, item)
    for declaration in verdicts.declarations:
        where = f"declaration {declaration['index']} (line {declaration['line']}, {declaration['advisory']})"
        if declaration["state"] == "expired":
            yield f"WARNING: {where} expired on {declaration['expires']}: no effect"
        elif declaration["state"] == "stale":
            yield f"WARNING: {where} matches nothing (stale): remove it or fix hosts/products"
    for facts in verdicts.facts:
        if facts.get("error"):
            yield f"CRITICAL: facts {facts['path']} unusable: {facts['error']}"
