"""Every ABORT of a verdicts file, with its reason and what resolves it, for the summaries.

An ABORT is a question the run could not answer; an operator who reads only the summary must see
each one, not find it filed under a FAIL heading (issue 27: stale knowledge, advisory ids the index
does not know and a broken live check were invisible or listed as configuration violations). The
reason is the item's own message; what resolves it is read from the item's kind (its evidence keys,
subject and message, as the judge writes them) and names a command or an input. Grouped by what
resolves it, so a thousand hosts stopped by old knowledge read as one thing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from patchcheck.judge.packed_items import items_having
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, Verdicts

UPDATE_KNOWLEDGE = "Run `patchcheck index update`, then judge again"
GATHER_AGAIN = (
    "Make the host reachable and gather it again "
    "(`ansible-playbook -i <inventory> playbooks/operator_check.yaml`)"
)
LIVE_CONFIG = (
    "Judge with the gathering's Ansible configuration and inventory "
    "(`patchcheck judge --ansible-config ansible.cfg --ansible-inventory <inventory>`; "
    "the operator playbook passes both)"
)
READ_EVERYTHING = (
    "Let the collector read what the facts list as incomplete (`-e patchcheck_become=true` for "
    "root-only files, or mend what is named), then gather again"
)
REFUSED = "Gather the refused facts file again (the message says why it was refused)"
FAULT = "A fault of patchcheck itself: report it with verdicts.json; the message names the exception"
RANGE_UNREADABLE = (
    "Run `patchcheck index update` (the overlay may repair the range); else report the advisory"
)
ADVISORY_UNKNOWN = (
    "Give the judge what the message names (the configuration a rule reads, a released version), "
    "or declare the advisory (`--declarations`, see docs/operator-guide.md) and judge again"
)
OTHERWISE = "Supply what the message names, then gather or judge again"
NOTHING_JUDGED = (
    "Give the judge facts this testcase applies to (host facts from the operator run, "
    "tenant facts from the nightly check), or leave it out of the scope (`--tests`)"
)


ABORT_ONLY = frozenset({Result.ABORT})


def resolves(item: Item) -> str:
    """The command or input that resolves this ABORT; the first matching kind wins."""
    for applies, resolution in KINDS:
        if applies(item):
            return resolution
    return OTHERWISE


KINDS: list[tuple[Callable[[Item], bool], str]] = [
    (lambda item: "unknown_advisory" in item.evidence, UPDATE_KNOWLEDGE),
    (lambda item: item.subject.endswith("(advisory knowledge too old)"), UPDATE_KNOWLEDGE),
    (lambda item: "patchcheck index update" in item.message, UPDATE_KNOWLEDGE),
    (lambda item: "not looked at live" in item.message or "live checks" in item.subject, LIVE_CONFIG),
    (lambda item: ": not gathered (" in item.message, GATHER_AGAIN),
    (lambda item: "incomplete" in item.evidence, READ_EVERYTHING),
    (lambda item: ": facts refused:" in item.message, REFUSED),
    (lambda item: "the check itself broke" in item.message or "could not be checked" in item.message, FAULT),
    (lambda item: "range for" in item.message and "cannot be read" in item.message, RANGE_UNREADABLE),
    (lambda item: item.evidence.get("status") == "unknown", ADVISORY_UNKNOWN),
]


@dataclass(frozen=True, slots=True)
class Abort:
    testcase: str
    subject: str
    reason: str


def aborts_by_resolution(verdicts: Verdicts) -> dict[str, list[Abort]]:
    """Every ABORT item, grouped by what resolves it (groups and items in the verdicts' order).

    A testcase with no item at all is ABORT as well (it checked nothing): it is listed by its id.
    """
    grouped: dict[str, list[Abort]] = {}
    for testcase in verdicts.testcases:
        if not testcase.items:
            reason = f"{testcase.id}: no item was judged, so this testcase proves nothing"
            grouped.setdefault(NOTHING_JUDGED, []).append(Abort(testcase.id, testcase.id, reason))
        for item in items_having(testcase.items, ABORT_ONLY):  # packed items: ABORT batches only
            if item.result is Result.ABORT:
                grouped.setdefault(resolves(item), []).append(Abort(testcase.id, item.subject, item.message))
    return grouped
