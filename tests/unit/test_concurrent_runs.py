"""Two runs on the same output folder, and the facts folder: nothing torn, nothing lost, nothing stale."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.helpers import hibiscus_document, host_facts_document, patchcheck_argv, run_patchcheck, write


def judge_and_report(facts: Path, out: Path) -> list[str]:
    verdicts = out / "verdicts.json"
    return [
        " ".join(map(str, patchcheck_argv("judge", "--facts", facts, "--verdicts", verdicts))),
        " ".join(
            map(str, patchcheck_argv("report", "--verdicts", verdicts, "--subject", "x", "--out-dir", out))
        ),
    ]


def test_two_runs_at_once_on_one_output_folder_leave_whole_files(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    facts.mkdir()
    for number in range(20):
        write(host_facts_document(f"ctl{number}"), facts / f"host-ctl{number}.json")
    out = tmp_path / "out"
    runs = [
        subprocess.Popen(  # noqa: S602  (our own fixed command lines)
            "; ".join(judge_and_report(facts, out)),
            shell=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for run in runs:
        _stdout, stderr = run.communicate(timeout=300)
        assert run.returncode in (0, 1, 3), stderr
    verdicts = json.loads((out / "verdicts.json").read_text())
    assert {item["subject"] for t in verdicts["testcases"] for item in t["items"]} >= {
        f"ctl{number}" for number in range(20)
    }
    report = yaml.safe_load((out / "report.yaml").read_text())
    assert report["subject"] == "x"
    assert not [path.name for path in out.iterdir() if path.name.endswith(".tmp")]


def test_a_facts_folder_is_every_json_file_in_it_and_an_empty_one_is_refused(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    facts.mkdir()
    empty = run_patchcheck("judge", "--facts", facts, "--verdicts", tmp_path / "v.json")
    assert empty.returncode == 4
    assert empty.stderr.strip() == f"patchcheck: error: {facts}: a facts folder without any *.json file"
    write(hibiscus_document(), facts / "tenant-a.json")
    write(host_facts_document("ctl1"), facts / "host-ctl1.json")
    (facts / "notes.txt").write_text("not facts")
    judged = run_patchcheck("judge", "--facts", facts, "--verdicts", tmp_path / "v.json")
    assert judged.returncode == 4  # tenant and host facts report to different scopes
    assert "judge them in separate runs" in judged.stderr
    (facts / "tenant-a.json").unlink()
    write(host_facts_document("ctl2"), facts / "host-ctl2.json")
    judged = run_patchcheck("judge", "--facts", facts, "--verdicts", tmp_path / "v.json")
    assert judged.returncode in (0, 1, 3), judged.stderr
    paths = [entry["path"] for entry in json.loads((tmp_path / "v.json").read_text())["facts"]]
    assert paths == [str(facts / "host-ctl1.json"), str(facts / "host-ctl2.json")]


def test_a_later_run_without_an_sbom_removes_the_earlier_one(tmp_path: Path) -> None:
    hosts = write(host_facts_document("ctl1"), tmp_path / "host.json")
    tenant = write(hibiscus_document(), tmp_path / "tenant.json")
    for facts, sbom_expected in ((hosts, True), (tenant, False)):
        run_patchcheck("judge", "--facts", facts, "--verdicts", tmp_path / "out" / "verdicts.json")
        run_patchcheck(
            "report",
            "--verdicts",
            tmp_path / "out" / "verdicts.json",
            "--subject",
            "x",
            "--out-dir",
            tmp_path / "out",
        )
        assert (tmp_path / "out" / "sbom.cdx.json").exists() is sbom_expected
