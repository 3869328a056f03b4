"""The patchcheck command as a user runs it: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.helpers import hibiscus_document, run_patchcheck, shared_data, with_max_versions, write


def patchcheck(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_patchcheck(*args)


def judge(tmp_path: Path, document: dict, *extra: str) -> subprocess.CompletedProcess[str]:
    facts = write(document, tmp_path / "facts.json")
    return patchcheck(
        "judge",
        "--facts",
        facts,
        "--verdicts",
        tmp_path / "verdicts.json",
        "--reference-date",
        "2026-11-23",
        *extra,
    )


def test_judge_and_report_a_current_cloud(tmp_path: Path) -> None:
    judged = judge(tmp_path, hibiscus_document(), "--tests", "^scs-0124-maintained-release$")
    assert judged.returncode == 0, judged.stderr
    assert judged.stdout.strip().endswith("scs-0124-maintained-release: PASS")
    reported = patchcheck(
        "report", "--verdicts", tmp_path / "verdicts.json", "--subject", "testbed", "--out-dir", tmp_path
    )
    assert reported.returncode == 0
    assert reported.stdout == "scs-0124-maintained-release: PASS\n"
    report = yaml.safe_load((tmp_path / "report.yaml").read_text())
    (invocation,) = report["run"]["invocations"].values()
    assert invocation["results"] == {"scs-0124-maintained-release": 1}
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml")


def test_an_unmaintained_cloud_fails_with_exit_1(tmp_path: Path) -> None:
    document = with_max_versions(hibiscus_document(), compute="2.90", block_storage="3.66", placement="1.38")
    judged = judge(tmp_path, document)
    assert judged.returncode == 1
    assert "scs-0124-maintained-release: FAIL" in judged.stdout


def test_failed_authentication_is_abort_with_exit_3(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["auth"] = {"ok": False, "auth_url": "http://127.0.0.1:1/v3", "error": "ConnectFailure: refused"}
    judged = judge(tmp_path, document)
    assert judged.returncode == 3
    verdicts = json.loads((tmp_path / "verdicts.json").read_text())
    assert verdicts["testcases"][0]["result"] == "ABORT"
    assert "http://127.0.0.1:1/v3" in verdicts["testcases"][0]["items"][0]["message"]


def test_invalid_facts_stop_with_one_line_and_exit_4(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["endpoints"][0]["versions"] = "v3"
    judged = judge(tmp_path, document)
    assert judged.returncode == 4
    assert judged.stderr.count("\n") == 1
    assert judged.stderr.startswith(f"patchcheck: error: {tmp_path / 'facts.json'}: $.endpoints[0].versions:")
    assert "Traceback" not in judged.stderr
    assert not (tmp_path / "verdicts.json").exists()


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = patchcheck(
        "judge", "--facts", "x.json", "--verdicts", tmp_path / "v.json", "--reference-date", "soon"
    )
    assert result.returncode == 2
    assert "not a date" in result.stderr


def test_series_view(tmp_path: Path) -> None:
    result = patchcheck("series", "--date", "2026-11-23")
    assert result.returncode == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "unmaintained" in lines["Epoxy"]
    assert "maintained" in lines["Hibiscus"] and "unmaintained" not in lines["Hibiscus"]


COMPLIANCE_CHECKS = """
import pytest

@pytest.mark.scs_testcase("scs-0124-maintained-release")
def test_broken_check():
    {}.missing

@pytest.mark.scs_testcase("scs-0124-maintained-release")
def test_skipped_check():
    pytest.skip("no data")

@pytest.mark.scs_testcase("scs-0124-maintained-release")
def test_good_check():
    pass
"""


def test_a_crashing_or_skipped_check_is_abort_never_pass(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "pytest.ini").write_text("[pytest]\n")
    (layer / "test_layer.py").write_text(COMPLIANCE_CHECKS)
    judged = judge(tmp_path, hibiscus_document(), "--compliance-dir", str(layer))
    assert judged.returncode == 3, judged.stdout + judged.stderr
    items = json.loads((tmp_path / "verdicts.json").read_text())["testcases"][0]["items"]
    results = {item["subject"]: (item["result"], item["message"]) for item in items}
    assert results["test_broken_check"][0] == "ABORT"
    assert "the check itself broke: AttributeError" in results["test_broken_check"][1]
    assert results["test_skipped_check"] == ("ABORT", "test_skipped_check: not checked (Skipped: no data)")
    assert results["test_good_check"][0] == "PASS"


GROUPED_CHECKS = """
import pytest

from patchcheck.judge.pytest_plugin import parametrize_groups
from patchcheck.judge.verdict import Finding, Result

TESTCASE = "scs-0124-ossa-patched"


def broken():
    raise RuntimeError("judge crashed")


def judges():
    return [
        ("passing", lambda: [Finding(TESTCASE, "passing a", Result.PASS, "fine")]),
        ("failing", lambda: [Finding(TESTCASE, "failing a", Result.FAIL, "overdue")]),
        ("crashing", broken),
        ("skipping", lambda: pytest.skip("inside the judge")),
    ]


def pytest_generate_tests(metafunc):
    parametrize_groups(metafunc, "group", judges())


@pytest.mark.scs_testcase(TESTCASE)
def test_lean(group):
    group.check()


@pytest.mark.scs_testcase(TESTCASE)
@pytest.mark.skip(reason="marked")
def test_marked(group):
    group.check()


@pytest.mark.scs_testcase(TESTCASE)
def test_with_fixture(group, tmp_path):
    assert tmp_path.is_dir()
    group.check()
"""


def test_judged_groups_end_as_their_findings_on_either_protocol(tmp_path: Path) -> None:
    """The lean protocol (plain groups) and pytest's own (a mark, a fixture) record the same way."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "pytest.ini").write_text("[pytest]\n")
    (layer / "test_layer.py").write_text(GROUPED_CHECKS)
    judged = judge(
        tmp_path,
        hibiscus_document(),
        "--compliance-dir",
        str(layer),
        "--scope",
        "scs-0124-patchcheck-operator.yaml",
    )
    assert judged.returncode == 1, judged.stdout + judged.stderr
    testcases = json.loads((tmp_path / "verdicts.json").read_text())["testcases"]
    items = next(t["items"] for t in testcases if t["id"] == "scs-0124-ossa-patched")
    results = {(item["nodeid"].split("::")[1], item["subject"]): item["result"] for item in items}
    for test in ("test_lean", "test_with_fixture"):
        assert results[(f"{test}[passing]", "passing a")] == "PASS"
        assert results[(f"{test}[failing]", "failing a")] == "FAIL"
        assert results[(f"{test}[crashing]", "crashing")] == "ABORT"
        assert results[(f"{test}[skipping]", "skipping")] == "ABORT"
    for subject in ("passing", "failing", "crashing", "skipping"):
        assert results[(f"test_marked[{subject}]", subject)] == "ABORT"


def test_a_check_without_testcase_marker_is_refused(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "pytest.ini").write_text("[pytest]\n")
    (layer / "test_layer.py").write_text("def test_unmarked():\n    pass\n")
    judged = judge(tmp_path, hibiscus_document(), "--compliance-dir", str(layer))
    assert judged.returncode == 70
    assert "must carry @pytest.mark.scs_testcase" in judged.stdout + judged.stderr


def test_advisories_affecting_explains_each_match() -> None:
    result = patchcheck("advisories", "affecting", "nova", "29.0.1", "--date", "2026-11-23")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "nova 29.0.1: series caracal (unmaintained on 2026-11-23); 5 advisories apply"
    assert any(
        line.startswith("  OSSA-2024-002 [affected] medium, overdue since 2024-08-23") for line in lines
    )
    assert any("only if nova-flat-image-backend" in line for line in lines)


def test_advisories_show_and_an_unknown_id() -> None:
    shown = patchcheck("advisories", "show", "ossa-2025-001")
    assert shown.returncode == 0
    assert "caracal      fixed in 24.1.4" in shown.stdout
    missing = patchcheck("advisories", "show", "OSSA-1999-001")
    assert missing.returncode == 4
    assert missing.stderr == "patchcheck: error: advisories: OSSA-1999-001: no such advisory in the index\n"


def test_index_build_with_a_problem_replaces_nothing(tmp_path: Path) -> None:
    shared = shared_data()
    ossa = tmp_path / "ossa"
    ossa.mkdir()
    for source in sorted((shared / "ossa" / "ossa").glob("OSSA-2026-*.yaml")):
        (ossa / source.name).write_text(source.read_text())
    (ossa / "OSSA-2026-099.yaml").write_text(
        "date: 2026-06-01\nid: OSSA-2026-099\ntitle: t\ndescription: d\n"
        "affected-products:\n  - product: nova\n    version: 'all of them'\nvulnerabilities: []\n"
    )
    out = tmp_path / "out"
    result = patchcheck("index", "build", "--data", shared, "--ossa", ossa, "--out", out)
    assert result.returncode == 4
    assert "OSSA-2026-099.yaml: nova: version 'all' has no operator" in result.stderr
    assert not out.exists()


def test_an_interrupted_compliance_run_writes_no_verdicts(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "pytest.ini").write_text("[pytest]\n")
    (layer / "test_layer.py").write_text("this is not python\n")
    (tmp_path / "verdicts.json").write_text("{}")  # a stale file from an earlier run must not survive
    judged = judge(tmp_path, hibiscus_document(), "--compliance-dir", str(layer))
    assert judged.returncode == 70
    assert not (tmp_path / "verdicts.json").exists()


def test_series_view_shows_only_transitions_after_the_day() -> None:
    result = patchcheck("series", "--date", "2026-11-25")
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "unmaintained" in lines["Epoxy"] and " on 2026-" not in lines["Epoxy"]  # passed: in force already
    assert "on 2027-04-28" in lines["Flamingo"]
