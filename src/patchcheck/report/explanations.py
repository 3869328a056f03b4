"""Why a testcase is not PASS, how old the knowledge was, and what else the run warned about.

The summaries are the page a person opens first (issue 30): a table of results that says FAIL
without a reason sent people to the Ansible output or the verdicts file. These helpers give the
summaries, for every testcase that is not PASS, each FAIL finding's sentence (the advisories'
findings are the open-advisories table, with deadline and remedy), how many findings ABORTed (each
is listed with what resolves it under "Not decided"), the knowledge's age against its limit, and
the run's warnings. They read the verdicts only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from patchcheck.days import collected_moment
from patchcheck.judge.packed_items import items_having, result_counts
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe

ADVISORIES = "scs-0124-ossa-patched"
FAIL_ONLY = frozenset({Result.FAIL})


@dataclass(frozen=True)
class NotPassed:
    """One testcase that is not PASS and the findings behind it."""

    testcase: str
    result: Result
    counts: Counter[Result]
    failures: list[str]
    """Each FAIL finding's sentence (empty for the advisories: see ``pointer``)."""
    pointer: str | None = None
    """Where the FAIL findings are shown instead of here."""


def not_passed(verdicts: Verdicts) -> list[NotPassed]:
    """Every testcase that is not PASS, in the verdicts' order."""
    found = []
    for testcase in verdicts.testcases:
        result = testcase.result
        if result is Result.PASS:
            continue
        counts = result_counts(testcase.items)
        if testcase.id == ADVISORIES and counts[Result.FAIL]:
            pointer = "each open advisory is in the table below, with its deadline and what to do"
            found.append(NotPassed(testcase.id, result, counts, [], pointer))
            continue
        failures = [item.message for item in items_having(testcase.items, FAIL_ONLY)]
        found.append(NotPassed(testcase.id, result, counts, failures))
    return found


def findings_text(counts: Counter[Result]) -> str:
    """``3 FAIL, 1 ABORT, 5 PASS`` (only what occurs); ``no finding`` for none."""
    order = (Result.FAIL, Result.ABORT, Result.PASS)
    return ", ".join(f"{counts[result]} {result.value}" for result in order if counts[result]) or "no finding"


def knowledge_line(verdicts: Verdicts) -> str | None:
    """What knowledge judged the run, how old it was then, and whether that was too old."""
    knowledge = verdicts.knowledge
    if not knowledge:
        return None
    line = f"Judged with {describe(knowledge)}"
    made = collected_moment(str(knowledge.get("fetched_at") or knowledge.get("built_at") or ""))
    judged = collected_moment(str(verdicts.judged_at))
    if made is None or judged is None:
        return line + "; its age is not known."
    age = max(judged - made, dt.timedelta(0))
    days = age.total_seconds() / 86400
    line += f", {days:.1f} days old when judged"
    limit = knowledge.get("max_age_days")
    if isinstance(limit, int | float):
        if days > limit:
            line += (
                f": older than the limit of {limit:g} days, so it cannot prove {ADVISORIES} "
                "(run `patchcheck index update`)"
            )
        else:
            line += f" (limit {limit:g} days)"
    return line + "."


def run_warnings(verdicts: Verdicts) -> list[str]:
    """What the run itself warned about: unusable facts, expired or stale declarations."""
    warnings = [
        f"facts {entry.get('path')} unusable: {entry.get('error')}"
        for entry in verdicts.facts
        if entry.get("error")
    ]
    for declaration in verdicts.declarations:
        line, advisory = declaration.get("line"), declaration.get("advisory")
        where = f"declaration {declaration.get('index')} (line {line}, {advisory})"
        if declaration.get("state") == "expired":
            warnings.append(f"{where} expired on {declaration.get('expires')}: no effect")
        elif declaration.get("state") == "stale":
            warnings.append(f"{where} matches nothing (stale): remove it or fix hosts/products")
    return warnings
