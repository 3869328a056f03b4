"""patchcheck's SCS scopes, read by SCS's own code: the loader the monitor uses, and the suite itself.

A scope that ``scs_cert_lib.load_spec`` rejects makes the whole compliance monitor exit at
start-up, taking every other scope with it; a scope whose ``scripts`` entry cannot run is a
promise the SCS suite cannot keep. Both are checked with the real thing
(``../shared/scs-standards``), never with our own reading of the format.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from patchcheck.scope import SHIPPED_SCOPES, load_scope, shipped_scope
from tests.helpers import hibiscus_document, host_facts_document, scs_standards, write

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "src" / "patchcheck" / "data"


def scs_cert_lib():
    tests = scs_standards() / "Tests"
    if str(tests) not in sys.path:
        sys.path.append(str(tests))
    import scs_cert_lib

    return scs_cert_lib


@pytest.mark.parametrize("name", sorted(SHIPPED_SCOPES.values()))
def test_every_shipped_scope_loads_with_scs_own_loader(name: str) -> None:
    lib = scs_cert_lib()
    spec = lib.load_spec(yaml.safe_load((DATA / name).read_text()))
    lib.annotate_validity(spec["timeline"], spec["versions"], dt.date.today())
    ours = shipped_scope(name)
    assert spec["uuid"] == ours.uuid
    assert sorted(spec["testcases"]) == sorted(ours.testcase_ids)
    (version,) = spec["versions"].values()
    assert version["validity"] == "effective"
    # every testcase counts for the version: the monitor's 'main' target lists them all
    assert sorted(version["targets"]["main"]) == sorted(ours.testcase_ids)
    assert all(testcase["lifetime"] == "day" for testcase in spec["testcases"].values())
    # what the monitor evaluates: a FAIL fails the version, an ABORT or a missing result does not
    assert lib.evaluate({tc: -1 for tc in ours.testcase_ids}, version["targets"]["main"]) == -1
    assert lib.evaluate({}, version["targets"]["main"]) is None


def test_the_two_scopes_are_distinct_so_no_run_replaces_the_other() -> None:
    tenant, operator = (shipped_scope(SHIPPED_SCOPES[kind]) for kind in ("tenant", "host"))
    assert tenant.uuid != operator.uuid
    assert "scs-0124-maintained-release" in set(tenant.testcase_ids) & set(operator.testcase_ids)
    by_path = load_scope(DATA / SHIPPED_SCOPES["host"])
    assert (by_path.uuid, by_path.testcases) == (operator.uuid, operator.testcases)


@pytest.mark.parametrize(
    ("kind", "document"),
    [("tenant", hibiscus_document()), ("host", host_facts_document("ctl1"))],
)
def test_the_scs_suite_runs_the_scope_as_written(kind: str, document: dict, tmp_path: Path) -> None:
    """scs-compliance-check.py runs the scope's scripts entry and reads the judge's results."""
    suite = scs_standards() / "Tests" / "scs-compliance-check.py"
    tests = tmp_path / "Tests"
    tests.mkdir()
    for name in (SHIPPED_SCOPES[kind], "patchcheck-scs-judge"):
        shutil.copy2(DATA / name, tests / name)
    facts = tmp_path / "facts"
    facts.mkdir()
    document = {**document, "collected_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    write(document, facts / f"{kind}.json")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [
            sys.executable,
            str(suite),
            str(tests / SHIPPED_SCOPES[kind]),
            "-s",
            "cloud-a",
            "-a",
            f"facts={facts}",
            "-o",
            str(tmp_path / "report.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    report = yaml.safe_load((tmp_path / "report.yaml").read_text())
    (invocation,) = report["run"]["invocations"].values()
    assert invocation["rc"] in (0, 1, 3), done.stdout + done.stderr + json.dumps(invocation["stderr"])
    scope = shipped_scope(SHIPPED_SCOPES[kind])
    assert sorted(invocation["results"]) == sorted(scope.testcase_ids)  # every testcase, none missing
    # the same results patchcheck's own judge and report give for these facts
    verdicts, out = tmp_path / "verdicts.json", tmp_path / "out"
    out.mkdir()
    subprocess.run(
        [sys.executable, "-m", "patchcheck.cli", "judge", "--facts", str(facts), "--verdicts", str(verdicts)],
        capture_output=True,
        check=False,
        timeout=300,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "patchcheck.cli",
            "report",
            "--verdicts",
            str(verdicts),
            "--subject",
            "c",
            "--out-dir",
            str(out),
        ],
        capture_output=True,
        check=False,
        timeout=300,
    )
    ours = yaml.safe_load((out / "report.yaml").read_text())
    (own,) = ours["run"]["invocations"].values()
    assert own["results"] == invocation["results"]
    assert ours["spec"]["uuid"] == report["spec"]["uuid"]


def test_the_scope_program_refuses_a_wrong_command_line(tmp_path: Path) -> None:
    """No testcase: a usage error. Neither facts nor cloud: ABORT for the testcase and a CRITICAL line
    SCS counts (tests/unit/test_scs_check.py has the rest)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for argv, code in ((["--facts=x"], 2), (["scs-0124-ossa-patched"], 4)):
        done = subprocess.run(
            [str(DATA / "patchcheck-scs-judge"), *argv], capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == code, done.stderr
    assert done.stdout == "scs-0124-ossa-patched: ABORT\n"
    assert done.stderr.startswith("CRITICAL: patchcheck-scs-judge: neither facts nor os_cloud given")
