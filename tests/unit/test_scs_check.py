"""``patchcheck scs-check`` / ``patchcheck-scs-judge``: the script SCS's suite runs (issue 29, point 3).

Run as SCS's scs-compliance-check.py runs it (a subprocess, its stdout and stderr read as lines):
given facts it judges them, unless they are older than the testcase's lifetime; given a cloud it
gathers first; what keeps it from judging is a line SCS counts and ABORT for every testcase.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from patchcheck.scope import SHIPPED_SCOPES, shipped_scope
from tests.helpers import hibiscus_document, write

DATA = Path(__file__).resolve().parents[2] / "src" / "patchcheck" / "data"
TENANT = shipped_scope(SHIPPED_SCOPES["tenant"])
PROJECT_ID = "4da41a3c0b1e4c2e9e2f4a6b8c0d1e2f"


def scs_check(*args: str, path: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **extra,
        "PATH": path
        if path is not None
        else f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        ["sh", str(DATA / "patchcheck-scs-judge"), *args, *TENANT.testcase_ids],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def results(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(line.rsplit(": ", 1) for line in done.stdout.splitlines())


def facts(folder: Path, gathered: dt.datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {**hibiscus_document(), "collected_at": gathered.isoformat(timespec="seconds")}
    text = json.dumps(document).replace("/v2.1", f"/v2.1/{PROJECT_ID}")  # as catalogs list compute
    (folder / "tenant-c.json").write_text(text)
    return folder


def test_fresh_facts_are_judged_with_their_evidence_published(tmp_path: Path) -> None:
    done = scs_check(f"--facts={facts(tmp_path / 'f', dt.datetime.now(dt.UTC))}", "--os-cloud=")
    assert done.returncode in (0, 1, 3), done.stderr
    assert set(results(done)) == set(TENANT.testcase_ids)
    assert results(done)["scs-0124-maintained-release"] == "PASS"
    assert results(done)["scs-0125-https-endpoints"] == "FAIL"  # the fixture's endpoints are plain http
    lines = done.stderr.splitlines()
    assert any(line.startswith("ERROR: scs-0125-https-endpoints: ") for line in lines)
    assert any(line.startswith("INFO: advisory knowledge") for line in lines)
    assert PROJECT_ID not in done.stderr + done.stdout


def test_facts_older_than_the_lifetime_are_not_reported_as_fresh(tmp_path: Path) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    done = scs_check("--facts", str(facts(tmp_path / "f", old)))  # the older "--facts FOLDER" form too
    assert set(results(done).values()) == {"ABORT"}
    assert done.stderr.count("older than the testcase's lifetime (day)") == len(TENANT.testcase_ids)


def test_a_cloud_that_does_not_answer_is_an_error_line_and_abort(tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    auth = {
        "auth_url": "http://127.0.0.1:9/v3",
        "username": "u",
        "password": "canary-pw-19",
        "project_name": "p",
    }
    auth |= {"user_domain_name": "Default", "project_domain_name": "Default"}
    write({"clouds": {"nowhere": {"auth": auth, "dashboard_url": "none"}}}, clouds)
    done = scs_check("--facts=", "--os-cloud=nowhere", OS_CLIENT_CONFIG_FILE=str(clouds))
    assert set(results(done).values()) == {"ABORT"}, done.stdout + done.stderr
    assert "ERROR: patchcheck-scs-judge: cloud 'nowhere' did not authenticate" in done.stderr
    assert "canary-pw-19" not in done.stdout + done.stderr


def test_neither_facts_nor_cloud_is_critical_and_abort(tmp_path: Path) -> None:
    done = scs_check("--facts=", "--os-cloud=")
    assert done.returncode == 4
    assert set(results(done).values()) == {"ABORT"} and len(results(done)) == len(TENANT.testcase_ids)
    assert done.stderr.startswith("CRITICAL: patchcheck-scs-judge: neither facts nor os_cloud given")


def test_without_patchcheck_every_testcase_is_abort_never_missing(tmp_path: Path) -> None:
    done = scs_check("--facts", "/nowhere", "--os-cloud=c", path="/usr/bin:/bin")
    assert done.returncode == 127
    assert results(done) == dict.fromkeys(TENANT.testcase_ids, "ABORT")
    assert done.stderr.startswith("CRITICAL: patchcheck-scs-judge: patchcheck not found on PATH")
