"""The SCS line protocol: ``<testcase-id>: PASS|FAIL|ABORT`` and prefixed log lines.

This is what SCS check scripts print and what the compliance suite parses
(``compute_results`` in scs-compliance-check.py): results on stdout, one line
per testcase; log lines start with ``INFO:``, ``WARNING:``, ``ERROR:`` or
``CRITICAL:``, and are counted by their prefix.
"""

from __future__ import annotations

from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts

LOG_PREFIX = {Result.PASS: "INFO", Result.FAIL: "ERROR", Result.ABORT: "WARNING"}


def result_lines(verdicts: Verdicts) -> list[str]:
    return [f"{testcase.id}: {testcase.result.value}" for testcase in verdicts.testcases]


def log_lines(verdicts: Verdicts) -> list[str]:
    """One line per finding; a testcase without items says why it ABORTs."""
    lines = []
    for testcase in verdicts.testcases:
        if not testcase.items:
            lines.append(f"WARNING: {testcase.id}: no check ran for this testcase")
        for item in testcase.items:
            lines.append(f"{LOG_PREFIX[item.result]}: {testcase.id}: {item.message}")
    for declaration in verdicts.declarations:
        where = f"declaration {declaration['index']} (line {declaration['line']}, {declaration['advisory']})"
        if declaration["state"] == "expired":
            lines.append(f"WARNING: {where} expired on {declaration['expires']}: no effect")
        elif declaration["state"] == "stale":
            lines.append(f"WARNING: {where} matches nothing (stale): remove it or fix hosts/products")
    for facts in verdicts.facts:
        if facts.get("error"):
            lines.append(f"CRITICAL: facts {facts['path']} unusable: {facts['error']}")
    return lines
