"""scs-0124-inventory-complete: every host of the inventory was gathered, completely.

An unreachable host, or one whose module failed, FAILs this testcase (the proof
does not cover the whole cloud) and ABORTs its own checks elsewhere. A host
gathered with collection errors (a changelog or configuration file it could not
read, a container engine that did not answer) is ABORT: partial evidence.
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
