"""SCS report, line protocol and JUnit, from a verdicts file."""

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from patchcheck.errors import InputError
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts, load_verdicts
from patchcheck.report.junit import build_junit, write_junit
from patchcheck.report.line_protocol import log_lines, result_lines
from patchcheck.report.scs_report import build_report, results_of, write_report
from patchcheck.scope import shipped_scope as shipped_scope_named
from tests.helpers import scs_suite


def shipped_scope():  # the operator scope: these verdicts are of host checks
    return shipped_scope_named("scs-0124-patchcheck-operator.yaml")


def verdicts(*items: Item, empty: tuple[str, ...] = ()) -> Verdicts:
    testcases = [TestcaseVerdict("scs-0124-maintained-release", "desc", list(items))]
    testcases += [TestcaseVerdict(name, "desc", []) for name in empty]
    facts = [{"path": "h.json", "host": "h", "cloud": None, "collected_at": GATHERED, "error": None}]
    return Verdicts(
        "2026-11-23T00:00:00+00:00", "2026-11-23", "0.1.0", facts, testcases, ["patchcheck", "judge"]
    )


GATHERED = "2026-11-22T21:30:00Z"
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def item(result: Result, subject: str = "compute") -> Item:
    return Item(f"t::{subject}", subject, result, f"{subject}: {result.value.lower()} because of evidence")


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
        "reported_at",
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
    # the SCS compliance suite's own parser of a check's stdout (Tests/scs-compliance-check.py)
    assert scs_suite().compute_results(invocation["stdout"]) == invocation["results"]
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
    report = build_report(judged, shipped_scope(), "c", [], 3, now=NOW)
    (invocation,) = report["run"]["invocations"].values()
    assert (invocation["info"], invocation["warning"], invocation["error"]) == (1, 2, 0)


def test_checked_at_is_when_the_facts_were_gathered_and_old_facts_say_so() -> None:
    """The monitor ages a result by checked_at: the report's own time goes to run.reported_at."""
    fresh = build_report(verdicts(item(Result.PASS)), shipped_scope(), "c", [], 0, now=NOW)
    gathered = dt.datetime(2026, 11, 22, 21, 30, tzinfo=dt.UTC)
    assert fresh["checked_at"].replace(microsecond=0) == gathered < fresh["checked_at"]
    assert fresh["run"]["reported_at"] == NOW
    (invocation,) = fresh["run"]["invocations"].values()
    assert not [line for line in invocation["stderr"] if "lifetime" in line]
    # a "day" result gathered on the 22nd counts until midnight of the 24th
    late = build_report(
        verdicts(item(Result.PASS)), shipped_scope(), "c", [], 0, now=NOW + dt.timedelta(days=2)
    )
    (invocation,) = late["run"]["invocations"].values()
    stale = [line for line in invocation["stderr"] if "older than the testcase's lifetime" in line]
    assert len(stale) == 5 and stale[0].startswith("WARNING: scs-0124-maintained-release: facts gathered")
    assert invocation["warning"] == 5
    # the same facts judged later: the same second, a later fraction (the monitor shows the newest)
    assert late["checked_at"].replace(microsecond=0) == gathered < fresh["checked_at"] < late["checked_at"]


@pytest.mark.parametrize(
    ("after", "gap"),
    [
        (dt.timedelta(seconds=1), dt.timedelta(milliseconds=5)),
        (dt.timedelta(hours=5), dt.timedelta(seconds=1)),
        (dt.timedelta(days=1), dt.timedelta(seconds=1)),
        (dt.timedelta(days=7), dt.timedelta(minutes=1)),
    ],
)
def test_reports_of_the_same_facts_are_ordered_by_when_they_were_made(
    after: dt.timedelta, gap: dt.timedelta
) -> None:
    """Issue 29: equal checked_at let the monitor show an older report; a little later is enough."""
    from patchcheck.report.scs_report import ordered

    gathered = dt.datetime(2026, 11, 22, 21, 30, tzinfo=dt.UTC)
    earlier, later = ordered(gathered, gathered + after), ordered(gathered, gathered + after + gap)
    assert gathered <= earlier < later < gathered + dt.timedelta(seconds=1)
    assert ordered(gathered, gathered + dt.timedelta(days=400)) < gathered + dt.timedelta(seconds=1)


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


@pytest.mark.parametrize("shape", ["items and an empty testcase", "no testcase"])
def test_junit_written_one_testcase_at_a_time_is_the_tree_s_text(tmp_path: Path, shape: str) -> None:
    """``write_junit`` streams; its file is what ``build_junit``'s indented tree serialises to."""
    judged = verdicts(
        item(Result.PASS),
        item(Result.FAIL, "cinder <&\"'>"),
        item(Result.ABORT, "nova"),
        empty=("scs-0124-ossa-patched",),
    )
    if shape == "no testcase":
        judged.testcases.clear()
    write_junit(judged, "c & d", tmp_path / "junit.xml")
    tree = ET.tostring(build_junit(judged, "c & d").getroot(), encoding="utf-8", xml_declaration=True)
    assert (tmp_path / "junit.xml").read_text(encoding="utf-8") == tree.decode("utf-8")


def test_verdicts_file_round_trip_and_tamper_check(tmp_path: Path) -> None:
    judged = verdicts(item(Result.PASS), item(Result.FAIL, "cinder"))
    judged.write(tmp_path / "verdicts.json")
    again = load_verdicts(tmp_path / "verdicts.json")
    assert again.overall is Result.FAIL
    text = (tmp_path / "verdicts.json").read_text().replace('"result":"FAIL"', '"result":"PASS"', 1)
    (tmp_path / "verdicts.json").write_text(text)
    with pytest.raises(InputError, match=r"testcases\[0\]\.result: says PASS but its items give FAIL"):
        load_verdicts(tmp_path / "verdicts.json")


TRICKY_MESSAGES = [
    "plain",
    "x" * 300 + " words " * 40,  # folded past the line width
    "quote ' and \" and: colon # hash",
    "line\nbreak\n\nand an empty line",
    "non-ASCII … ü ✓ and \u2028 and \x85",
    "  leading and trailing spaces  ",
    "- looks like a list item",
    "",
    "tab\there \x07 bell",
]


@pytest.mark.parametrize("batch", [1, 3, 2000])
def test_streamed_report_is_the_text_of_the_whole_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """``write_report`` streams the log lines in batches; the text is what dumping it whole gave."""
    from patchcheck.report import scs_report

    monkeypatch.setattr(scs_report, "BATCH_LINES", batch)
    judged = verdicts(*(item(Result.FAIL, subject=message) for message in TRICKY_MESSAGES))
    report = build_report(judged, shipped_scope(), "c", ["patchcheck"], 1, now=NOW)
    write_report(report, tmp_path / "report.yaml")
    (invocation,) = report["run"]["invocations"].values()
    plain = {**report, "run": {**report["run"], "invocations": {invocation["id"]: {**invocation}}}}
    plain["run"]["invocations"][invocation["id"]]["stderr"] = list(invocation["stderr"])
    whole = yaml.dump(
        plain, Dumper=scs_report.DUMPER, default_flow_style=False, sort_keys=False, explicit_start=True
    )
    assert (tmp_path / "report.yaml").read_text() == whole
    assert invocation["error"] == len(TRICKY_MESSAGES)  # counted as they were packed
    assert yaml.safe_load(whole)["run"]["invocations"][invocation["id"]]["stderr"][
        -len(TRICKY_MESSAGES) :
    ] == [
        f"ERROR: scs-0124-maintained-release: {message}: fail because of evidence"
        for message in TRICKY_MESSAGES
    ]


def test_a_report_without_log_lines_says_so_in_yaml(tmp_path: Path) -> None:
    import io

    from patchcheck.report.scs_report import LogLines, write_sequence

    text = io.StringIO()
    write_sequence(text, "stderr", "      ", LogLines([]))
    assert text.getvalue() == "      stderr: []\n"
