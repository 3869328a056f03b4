"""Inputs too large or unusable end in a report of ABORTs, never in no report (issue 26, point 13).

Before, one oversized file stopped the judge with exit 4 and no verdicts: no report at all,
so the monitor kept the last good one. Now the file is not read, its host (named by the
collector's file name) ABORTs every host testcase, and the other hosts are judged as usual.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from patchcheck.facts.load import MAX_FACTS_BYTES
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import MAX_EVIDENCE_LINES, Item, VerdictsWriter
from tests.helpers import host_facts_document, run_patchcheck, write

HOST_TESTCASES = (
    "scs-0124-ossa-patched",
    "scs-0124-maintained-release",
    "scs-0124-ossn-config",
    "scs-0124-dependencies-patched",
    "scs-0124-inventory-complete",
)


def oversized_host_facts(path: Path) -> Path:
    """A valid host document padded with error lines to one byte past the limit."""
    document = host_facts_document("huge1")
    base = len(json.dumps(document))
    line = "x" * 1000
    document["errors"] = [line] * ((MAX_FACTS_BYTES - base) // (len(line) + 4) + 2)
    text = json.dumps(document)
    assert len(text) > MAX_FACTS_BYTES
    path.write_text(text)
    return path


def test_oversized_facts_file_gives_a_report_with_its_host_abort(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    facts.mkdir()
    write(host_facts_document("ctl1"), facts / "host-ctl1.json")
    oversized_host_facts(facts / "host-huge1.json")
    verdicts, out = tmp_path / "verdicts.json", tmp_path / "out"
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", verdicts, "--reference-date", "2026-11-23"
    )
    assert judged.returncode in (1, 3), judged.stderr  # judged, not refused as bad input (4)
    reported = run_patchcheck("report", "--verdicts", verdicts, "--subject", "c", "--out-dir", out)
    assert reported.returncode in (1, 3), reported.stderr
    report = yaml.safe_load((out / "report.yaml").read_text())
    run = next(iter(report["run"]["invocations"].values()))
    assert set(run["results"]) == set(HOST_TESTCASES)
    assert all(value <= 0 for value in run["results"].values()), run["results"]  # never PASS
    for testcase in HOST_TESTCASES:
        assert any(
            line.startswith("WARNING: " + testcase + ": huge1: facts refused:")
            and "over the judge's limit" in line
            for line in run["stderr"]
        ), testcase
    assert any(line.startswith("CRITICAL: facts ") and "host-huge1.json" in line for line in run["stderr"])
    assert verdicts.stat().st_size < 1024 * 1024  # the padding never reached the verdicts


def test_oversized_tenant_facts_file_gives_an_abort_for_its_cloud(tmp_path: Path) -> None:
    facts = tmp_path / "tenant-prod.json"
    facts.write_text(json.dumps({"kind": "tenant", "schema_version": 1, "pad": "x" * MAX_FACTS_BYTES}))
    verdicts, out = tmp_path / "verdicts.json", tmp_path / "out"
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", verdicts, "--reference-date", "2026-11-23"
    )
    assert judged.returncode == 3, judged.stderr
    reported = run_patchcheck("report", "--verdicts", verdicts, "--subject", "prod", "--out-dir", out)
    assert reported.returncode == 3, reported.stderr
    report = yaml.safe_load((out / "report.yaml").read_text())
    run = next(iter(report["run"]["invocations"].values()))
    assert run["results"] and all(value == 0 for value in run["results"].values()), run["results"]
    assert any("over the judge's limit" in line for line in run["stderr"])


def test_verdicts_file_the_report_refuses_gives_a_report_of_aborts(tmp_path: Path) -> None:
    facts = write(host_facts_document("ctl1"), tmp_path / "host-ctl1.json")
    verdicts, out = tmp_path / "verdicts.json", tmp_path / "out"
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", verdicts, "--reference-date", "2026-11-23"
    )
    assert judged.returncode in (0, 1, 3), judged.stderr
    text = verdicts.read_text()
    verdicts.write_text(text[: len(text) // 2])  # cut short: not JSON any more
    reported = run_patchcheck("report", "--verdicts", verdicts, "--subject", "c", "--out-dir", out)
    assert reported.returncode == 3, reported.stderr
    report = yaml.safe_load((out / "report.yaml").read_text())
    assert report["spec"]["name"]  # the scope the judge recorded, read from the file's head
    run = next(iter(report["run"]["invocations"].values()))
    assert set(run["results"]) == set(HOST_TESTCASES)
    assert all(value == 0 for value in run["results"].values()), run["results"]
    assert any(
        "was refused, so nothing was judged: " in line and "not JSON" in line for line in run["stderr"]
    )
    assert "ABORT" in (out / "junit.xml").read_text()


def test_verdicts_file_without_a_scope_is_still_refused_with_its_reason(tmp_path: Path) -> None:
    verdicts, out = tmp_path / "verdicts.json", tmp_path / "out"
    verdicts.write_text("[")
    reported = run_patchcheck("report", "--verdicts", verdicts, "--subject", "c", "--out-dir", out)
    assert reported.returncode == 4, reported.stderr  # no scope to report against: the usual one line
    assert "not JSON" in reported.stderr
    with_scope = run_patchcheck(
        "report", "--verdicts", verdicts, "--subject", "c", "--out-dir", out,
        "--scope", "scs-0124-patchcheck-operator.yaml",
    )  # fmt: skip
    assert with_scope.returncode == 3, with_scope.stderr
    assert (out / "report.yaml").exists()


def test_evidence_sentences_are_bounded_in_the_verdicts_file(tmp_path: Path) -> None:
    gaps = [f"config /etc/nova/{number}.conf: permission denied" for number in range(200_000)]
    item = Item("t[ctl1]", "ctl1", Result.ABORT, "ctl1: incomplete", {"host": "ctl1", "incomplete": gaps})
    written = item.to_json()["evidence"]
    assert written["incomplete"] == [*gaps[:MAX_EVIDENCE_LINES], f"… and {200_000 - MAX_EVIDENCE_LINES} more"]
    assert written["host"] == "ctl1"
    assert item.evidence["incomplete"] is gaps  # the judge's own finding is untouched
    path = tmp_path / "verdicts.json"
    writer = VerdictsWriter(path)
    for _ in range(100):
        writer.add("scs-0124-inventory-complete", item)
    writer.finish({"kind": "verdicts"}, [("scs-0124-inventory-complete", "")])
    assert path.stat().st_size < 500_000  # 100 items of 200,000 gaps each: under half a MB
