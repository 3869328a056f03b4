"""Hostile clocks and days (issue 26): facts from the future, reference days past what datetime holds.

Every moment is derived from one clock read at the start of each test (``NOW``-relative), so
the tests hold on any day they run.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from patchcheck.judge.verdicts import Verdicts
from patchcheck.report.scs_report import build_report
from patchcheck.scope import Scope, shipped_scope
from tests.helpers import host_facts_document, run_patchcheck, write


def operator_scope() -> Scope:
    return shipped_scope("scs-0124-patchcheck-operator.yaml")


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def judge_hosts(tmp_path: Path, *documents: dict) -> tuple[object, dict]:
    folder = tmp_path / "facts"
    folder.mkdir()
    for document in documents:
        write(document, folder / f"{document['host']}.json")
    judged = run_patchcheck("judge", "--facts", folder, "--verdicts", tmp_path / "verdicts.json")
    return judged, json.loads((tmp_path / "verdicts.json").read_text())


def test_facts_from_the_future_are_refused_for_that_host_and_never_become_checked_at(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    future = host_facts_document("ahead", collected_at=stamp(now + dt.timedelta(days=1)))
    skewed = host_facts_document("skewed", collected_at=stamp(now + dt.timedelta(minutes=1)))
    judged, verdicts = judge_hosts(tmp_path, future, skewed)
    assert judged.returncode in (1, 3), judged.stderr
    items = [item for testcase in verdicts["testcases"] for item in testcase["items"]]
    ahead = [item for item in items if item["subject"].startswith("ahead")]
    assert len(ahead) == len(verdicts["testcases"])  # one item per testcase: none vanishes
    assert {item["result"] for item in ahead} == {"ABORT"}
    assert all("later than the judge's clock" in item["message"] for item in ahead)
    assert any(
        item["subject"] == "skewed" and item["result"] == "PASS" for item in items
    )  # 1 min: clock skew
    out = tmp_path / "out"
    reported = run_patchcheck(
        "report", "--verdicts", tmp_path / "verdicts.json", "--subject", "s", "--out-dir", out
    )
    report = yaml.safe_load((out / "report.yaml").read_text())
    assert report["checked_at"] <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    refusals = [line for line in reported.stderr.splitlines() if line.startswith("CRITICAL:")]
    assert len(refusals) == 1 and "ahead.json" in refusals[0] and "clock is wrong" in refusals[0]


def test_a_report_never_takes_a_future_checked_at_from_any_verdicts_file() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    facts = [
        {"path": "a.json", "collected_at": stamp(now + dt.timedelta(days=365 * 70))},
        {"path": "b.json", "collected_at": stamp(now - dt.timedelta(hours=1))},
    ]
    verdicts = Verdicts(
        judged_at=now.isoformat(),
        reference_date=now.date().isoformat(),
        patchcheck_version="test",
        facts=facts,
        testcases=[],
        command=["patchcheck"],
    )
    report = build_report(verdicts, operator_scope(), "s", ["patchcheck"], 0, now=now)
    assert report["checked_at"].replace(microsecond=0) == now - dt.timedelta(hours=1)
    (invocation,) = report["run"]["invocations"].values()
    assert any("a.json" in line and line.startswith("WARNING:") for line in invocation["stderr"])
    verdicts.facts = facts[:1]
    only_future = build_report(verdicts, operator_scope(), "s", ["patchcheck"], 0, now=now)
    assert only_future["checked_at"] == now


@pytest.mark.parametrize("day", ["9999-12-31", "9000-01-02", "1969-12-31"])
def test_a_reference_day_out_of_bounds_is_a_usage_error_naming_the_argument(day: str, tmp_path: Path) -> None:
    facts = write(host_facts_document(), tmp_path / "facts.json")
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", tmp_path / "v.json", "--reference-date", day
    )
    assert judged.returncode == 2  # the documented usage-error code, not 70 (OverflowError)
    (error,) = [line for line in judged.stderr.splitlines() if "error" in line]
    assert error.startswith("patchcheck judge: error: argument --reference-date:") and day in error


def test_the_last_accepted_reference_day_judges_without_overflow(tmp_path: Path) -> None:
    facts = write(host_facts_document(), tmp_path / "facts.json")
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", tmp_path / "v.json", "--reference-date", "9000-01-01"
    )
    assert judged.returncode in (0, 1, 3), judged.stderr
