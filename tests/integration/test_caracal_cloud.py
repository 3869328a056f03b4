"""A second, older test cloud (2024.1 Caracal): the series found, and judged right on any day.

One release in the test cloud proves only the newest column of the microversion
table. This brings up real Caracal services (``testbed/testbed.py --series
caracal``, its own lock, ports and state folder, beside the newest cloud), runs
the nightly tenant playbook as the member, and judges the same facts for days
taken from the history of ``series_status.yaml``. The expected verdict of each
day is read from the version of that file in force that day (the shared
snapshot, not the project's index), so the index's history is checked against
its source.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patchcheck.facts import load_facts
from patchcheck.judge.maintained_release import max_microversion
from patchcheck.knowledge.series import UNSUPPORTED, parse_series_status
from tests.helpers import shared_data
from tests.integration.conftest import REPO, VENV_BIN, TestCloud, brought_up, run_tenant_playbook
from tests.integration.test_tenant_check import ALLOWED_WRITE, log_positions, new_requests

STATE = Path(os.environ.get("PATCHCHECK_CARACAL_DIR", REPO / ".testbed-caracal"))
TESTCASE = "scs-0124-maintained-release"


@pytest.fixture(scope="module")
def caracal_cloud() -> Iterator[TestCloud]:
    yield from brought_up(TestCloud(STATE, series="caracal"))


@pytest.fixture(scope="module")
def nightly(caracal_cloud: TestCloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("caracal-nightly")
    before = log_positions(caracal_cloud)
    run = run_tenant_playbook(caracal_cloud.clouds_yaml, out)
    return {"run": run, "out": out, "requests": new_requests(caracal_cloud, before)}


def in_force(day: dt.date) -> Path | None:
    """The version of series_status.yaml in force on ``day`` (the last one landed by then)."""
    folder = shared_data() / "releases" / "series_status_history"
    landed = [path for path in sorted(folder.glob("*.yaml")) if dt.date.fromisoformat(path.name[:10]) <= day]
    return landed[-1] if landed else None


def status_by_file(day: dt.date, name: str) -> str | None:
    """A series' status on ``day`` by the file in force then, with its planned transition if due."""
    path = in_force(day)
    entry = parse_series_status(path).by_name.get(name) if path else None
    if entry is None:
        return None
    due = entry.next_phase_status and entry.next_phase_date and day >= entry.next_phase_date
    return entry.next_phase_status if due else entry.status


def expected_result(day: dt.date, candidates: tuple[str, ...]) -> str:
    """The verdict the history file in force on ``day`` decides for a cloud that is one of ``candidates``."""
    statuses = {status_by_file(day, name) for name in candidates}
    if statuses == {"maintained"}:
        return "PASS"
    return "FAIL" if statuses <= UNSUPPORTED else "ABORT"  # None (not in the file) is neither


def judge_on(facts: Path, day: dt.date, tmp_path: Path) -> dict[str, Any]:
    verdicts = tmp_path / f"verdicts-{day}.json"
    subprocess.run(
        [
            str(VENV_BIN / "patchcheck"),
            "judge",
            "--facts",
            str(facts),
            "--verdicts",
            str(verdicts),
            "--reference-date",
            day.isoformat(),
            "--tests",
            TESTCASE,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    document = json.loads(verdicts.read_text())
    return next(testcase for testcase in document["testcases"] if testcase["id"] == TESTCASE)


def test_the_member_finds_caracal_or_dalmatian_with_get_only(nightly: dict[str, Any]) -> None:
    run = nightly["run"]
    assert run.returncode == 0, run.output[-3000:]
    facts = load_facts(nightly["out"] / "facts" / "tenant-testbed.json")
    assert facts.auth_ok and facts.raw["auth"]["roles"] == ["member", "reader"]
    maxima = {
        service_type: max_microversion(endpoint)
        for endpoint in facts.endpoints
        if endpoint.interface == "public"
        for service_type in endpoint.service_types
    }
    assert (maxima["compute"], maxima["block-storage"], maxima["placement"]) == ("2.96", "3.71", "1.39")
    ours = [r for r in nightly["requests"] if r[3].startswith("patchcheck/")]
    assert ours and [(m, p) for _s, m, p, _a in ours if m not in ("GET", "HEAD")] == [ALLOWED_WRITE]
    document = json.loads((nightly["out"] / "verdicts.json").read_text())
    releases = next(t for t in document["testcases"] if t["id"] == TESTCASE)
    nova = next(item for item in releases["items"] if item["subject"].startswith("compute (nova)"))
    assert nova["evidence"]["candidates"] == ["caracal", "dalmatian"]
    assert "Caracal (2024.1)" in nova["message"] and "Dalmatian (2024.2)" in nova["message"]  # said as such


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2019-01-01", "before the history begins"),
        ("2024-06-01", "Caracal maintained, Dalmatian in development"),
        ("2025-06-01", "both maintained"),
        ("2025-12-01", "Caracal unmaintained, Dalmatian maintained"),
        ("2026-11-23", "Caracal unmaintained, Dalmatian end of life"),
    ],
)
def test_the_same_facts_judged_on_days_of_the_history(
    nightly: dict[str, Any], tmp_path: Path, day: str, why: str
) -> None:
    when = dt.date.fromisoformat(day)
    facts = nightly["out"] / "facts" / "tenant-testbed.json"
    testcase = judge_on(facts, when, tmp_path)
    expected = expected_result(when, ("caracal", "dalmatian"))
    compute = next(item for item in testcase["items"] if item["subject"].startswith("compute (nova)"))
    assert compute["result"] == expected, (why, in_force(when), compute["message"])
    assert testcase["result"] == expected, (why, [item["message"] for item in testcase["items"]])
    status = status_by_file(when, "caracal") or "unknown"
    assert f"Caracal (2024.1) {status}" in compute["message"], compute["message"]
