"""SCS report, line protocol and JUnit, from a verdicts file."""

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from patchcheck.errors import InputError
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts, load_verdicts
from patchcheck.report.junit import build_junit
from patchcheck.report.line_protocol import log_lines, result_lines
from patchcheck.report.scs_report import build_report, results_of, write_report
from patchcheck.scope import shipped_scope

SCS_VERDICTS = {"PASS": 1, "ABORT": 0, "FAIL": -1}


def verdicts(*items: Item, empty: tuple[str, ...] = ()) -> Verdicts:
    testcases = [TestcaseVerdict("scs-0124-maintained-release", "desc", list(items))]
    testcases += [TestcaseVerdict(name, "desc", []) for name in empty]
    return Verdicts(
        "2026-11-23T00:00:00+00:00", "2026-11-23", "0.1.0", [], testcases, ["patchcheck", "judge"]
    )


def item(result: Result, subject: str = "compute") -> Item:
    return Item(f"t::{subject}", subject, result, f"{subject}: {result.value.lower()} because of evidence")


def scs_compute_results(stdout: list[str]) -> dict[str, int]:
    """How the SCS compliance suite reads results from a check's stdout (compute_results)."""
    results = {}
    for line in stdout:
        parts = line.rsplit(":", 1)
        if len(parts) == 2 and parts[1].strip().upper() in SCS_VERDICTS:
            results[parts[0].strip()] = SCS_VERDICTS[parts[1].strip().upper()]
    return results


def test_report_has_the_shape_of_the_scs_compliance_suite(tmp_path: Path) -> None:
    report = build_report(
        verdicts(item(Result.PASS)), shipped_scope(), "mycloud", ["patchcheck", "report"], 0
    )
    assert list(report) == ["spec", "checked_at", "reference_date", "subject", "run"]
    assert list(report["spec"]) == ["uuid", "name", "url"]
    assert list(report["run"]) == [
        "uuid",
        "argv",
        "assignment",
        "sections",
        "forced_version",
        "forced_tests",
        "invocations",
    ]
    (invocation,) = report["run"]["invocations"].values()
    assert list(invocation) == [
        "id",
        "cmd",
        "results",
        "rc",
        "stdout",
        "stderr",
        "info",
        "warning",
        "error",
        "critical",
    ]
    assert report["run"]["invocations"][invocation["id"]] is invocation
    assert report["reference_date"] == dt.date(2026, 11, 23)
    write_report(report, tmp_path / "report.yaml")
    text = (tmp_path / "report.yaml").read_text()
    assert text.startswith("---\n")
    assert yaml.safe_load(text)["subject"] == "mycloud"


def test_results_agree_with_what_the_suite_parses_from_stdout() -> None:
    judged = verdicts(item(Result.PASS), item(Result.FAIL, "cinder"), empty=("scs-0124-ossa-patched",))
    report = build_report(judged, shipped_scope(), "c", [], 1)
    (invocation,) = report["run"]["invocations"].values()
    assert scs_compute_results(invocation["stdout"]) == invocation["results"]
    assert invocation["results"] == {"scs-0124-maintained-release": -1, "scs-0124-ossa-patched": 0}
    assert results_of(report) == {
        "scs-0124-maintained-release": Result.FAIL,
        "scs-0124-ossa-patched": Result.ABORT,
    }


def test_each_run_gets_a_fresh_uuid() -> None:
    first = build_report(verdicts(item(Result.PASS)), shipped_scope(), "c", [], 0)
    second = build_report(verdicts(item(Result.PASS)), shipped_scope(), "c", [], 0)
    assert first["run"]["uuid"] != second["run"]["uuid"]


def test_line_protocol() -> None:
    judged = verdicts(item(Result.PASS), item(Result.ABORT, "cinder"), empty=("scs-0124-ossa-patched",))
    assert result_lines(judged) == ["scs-0124-maintained-release: ABORT", "scs-0124-ossa-patched: ABORT"]
    lines = log_lines(judged)
    assert lines[0].startswith("INFO: scs-0124-maintained-release: compute")
    assert lines[1].startswith("WARNING: scs-0124-maintained-release: cinder")
    assert lines[2] == "WARNING: scs-0124-ossa-patched: no check ran for this testcase"
    report = build_report(judged, shipped_scope(), "c", [], 3)
    (invocation,) = report["run"]["invocations"].values()
    assert (invocation["info"], invocation["warning"], invocation["error"]) == (1, 2, 0)


def test_junit_never_shows_an_abort_as_passed() -> None:
    judged = verdicts(
        item(Result.PASS),
        item(Result.FAIL, "cinder"),
        item(Result.ABORT, "nova"),
        empty=("scs-0124-ossa-patched",),
    )
    root = build_junit(judged, "c").getroot()
    suite, empty_suite = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    assert suite.find("testcase[@name='cinder']/failure") is not None
    assert suite.find("testcase[@name='nova']/error").get("type") == "ABORT"
    assert empty_suite.find("testcase/error") is not None
    ET.fromstring(ET.tostring(root))  # noqa: S314  (our own output)


def test_verdicts_file_round_trip_and_tamper_check(tmp_path: Path) -> None:
    judged = verdicts(item(Result.PASS), item(Result.FAIL, "cinder"))
    judged.write(tmp_path / "verdicts.json")
    again = load_verdicts(tmp_path / "verdicts.json")
    assert again.overall is Result.FAIL
    text = (tmp_path / "verdicts.json").read_text().replace('"result":"FAIL"', '"result":"PASS"', 1)
    (tmp_path / "verdicts.json").write_text(text)
    with pytest.raises(InputError, match=r"testcases\[0\]\.result: says PASS but its items give FAIL"):
        load_verdicts(tmp_path / "verdicts.json")
