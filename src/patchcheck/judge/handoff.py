"""What ``patchcheck judge`` and its pytest run hand each other, so nothing is done twice.

In: the facts the command has already read and validated (reading and
validating is the floor of the judge's cost; doing it again in pytest doubled
it). Out: each testcase's result, so the command need not read back a verdicts
file that holds every finding (hundreds of MB for 10,000 hosts).

A module of its own, not part of the pytest plugin: the command imports this
before pytest starts, and a plugin module imported that early could not be
assertion-rewritten by pytest.
"""

from __future__ import annotations

from pathlib import Path

from patchcheck.facts import HostFacts, TenantFacts
from patchcheck.judge.verdict import Result


class Handoff:
    """Passed to ``pytest.main(plugins=[...])``; the plugin finds it by type."""

    def __init__(self, facts: dict[Path, TenantFacts | HostFacts]) -> None:
        self.facts = facts
        self.results: dict[str, Result] | None = None
