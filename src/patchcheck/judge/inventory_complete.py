"""scs-0124-inventory-complete: every host of the inventory was gathered, completely.

An unreachable host, or one whose module failed, FAILs this testcase (the proof
does not cover the whole cloud) and ABORTs its own checks elsewhere. A host
gathered with collection errors, or with anything it could not read completely
(``incomplete`` in the facts: an unreadable container, a file that is no regular
file or leaves its folder), is ABORT: partial evidence. The other host testcases
add the same gap as an ABORT finding (``partial_evidence``), so none PASSes on
what was not seen.
"""

from __future__ import annotations

from patchcheck.facts import HostFacts
from patchcheck.judge.verdict import Finding, Result

TESTCASE = "scs-0124-inventory-complete"


def judge_inventory(facts: HostFacts) -> Finding:
    if not facts.reachable:
        return Finding(
            TESTCASE,
            facts.host,
            Result.FAIL,
            f"{facts.host}: not gathered: {facts.failure}",
            {"host": facts.host},
        )
    if facts.skipped_sources:
        return Finding(
            TESTCASE,
            facts.host,
            Result.ABORT,
            f"{facts.host}: gathered without {', '.join(facts.skipped_sources)} (partial by request)",
            {"host": facts.host, "skipped": list(facts.skipped_sources)},
        )
    if facts.incomplete:
        shown = "; ".join(facts.gaps[:5]) + (
            f"; and {len(facts.gaps) - 5} more" if len(facts.gaps) > 5 else ""
        )
        return Finding(
            TESTCASE,
            facts.host,
            Result.ABORT,
            f"{facts.host}: gathered incompletely ({len(facts.gaps)} item(s) not read): {shown}",
            {"host": facts.host, "incomplete": facts.gaps},
        )
    if facts.errors:
        return Finding(
            TESTCASE,
            facts.host,
            Result.ABORT,
            f"{facts.host}: gathered with {len(facts.errors)} error(s): {'; '.join(facts.errors[:5])}",
            {"host": facts.host, "errors": list(facts.errors)},
        )
    return Finding(
        TESTCASE,
        facts.host,
        Result.PASS,
        f"{facts.host}: gathered {len(facts.components)} components and {len(facts.config)} "
        f"configuration files",
        {"host": facts.host},
    )


def judge_inventory_findings(facts: HostFacts) -> list[Finding]:
    return [judge_inventory(facts)]


def partial_evidence(testcase: str, facts: HostFacts) -> list[Finding]:
    """An ABORT finding for a host gathered incompletely: a testcase may not PASS on it."""
    if not facts.reachable or not facts.incomplete:
        return []
    return [
        Finding(
            testcase,
            f"{facts.host} (incomplete evidence)",
            Result.ABORT,
            f"{facts.host}: {len(facts.gaps)} item(s) not read, so this host cannot pass: {facts.gaps[0]}",
            {"host": facts.host, "incomplete": facts.gaps},
        )
    ]
