"""Delivery end to end: real ssh-keygen keys and signatures, a receiver with the monitor's contract."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import patchcheck_argv, run_deliver, run_patchcheck
from tests.integration.conftest import APIKEY, Monitor, TestCloud, run_tenant_playbook
from tests.integration.monitor_receiver import Receiver


@pytest.fixture(scope="module")
def report(test_cloud: TestCloud, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real SCS report of the local test cloud (collect, judge, report)."""
    out = tmp_path_factory.mktemp("tenant")
    run = run_tenant_playbook(test_cloud.clouds_yaml, out)
    assert run.returncode == 0, run.output[-3000:]
    return out / "report.yaml"


def patchcheck(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_patchcheck(*args)


def upload(keys: dict[str, Path], monitor: str, spool: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return patchcheck("upload", "--token-file", keys["token"], "--monitor", monitor, "--spool", spool, *extra)


def run_uuid(report: Path) -> str:
    return str(yaml.safe_load(report.read_text())["run"]["uuid"])


def spooled(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.yaml"))


@pytest.mark.parametrize("status", [403, 413, 422])
def test_a_permanent_refusal_is_moved_aside_and_fails_with_exit_6(
    status: int, report: Path, keys: dict[str, Path], receiver: Receiver, tmp_path: Path
) -> None:
    """Answers the real monitor gives only in rare states (401 and 415 are tried on the real one)."""
    receiver.mode = f"status:{status}"
    spool = tmp_path / "spool"
    result = run_deliver(report, keys, receiver.url, spool)
    assert result.returncode == 6, result.stderr
    assert f"HTTP {status}" in result.stderr and "refused for good" in result.stderr
    assert spooled(spool) == [] and len(spooled(spool / "refused")) == 1
    receiver.mode = "normal"
    assert upload(keys, receiver.url, spool, "--all").returncode == 0
    assert receiver.requests == [status]  # never sent again


@pytest.mark.parametrize("status", [408, 429, 503])
def test_a_passing_refusal_is_retried(
    status: int, report: Path, keys: dict[str, Path], receiver: Receiver, tmp_path: Path
) -> None:
    receiver.mode = f"status:{status}"
    result = run_deliver(report, keys, receiver.url, tmp_path / "spool")
    assert result.returncode == 5, result.stderr
    assert len(spooled(tmp_path / "spool")) == 1


def test_server_error_is_retried_later(
    report: Path, keys: dict[str, Path], receiver: Receiver, tmp_path: Path
) -> None:
    receiver.mode = "500"
    result = run_deliver(report, keys, receiver.url, tmp_path / "spool")
    assert result.returncode == 5
    assert "HTTP 500" in result.stderr
    assert len(spooled(tmp_path / "spool")) == 1


@pytest.mark.parametrize("what", ["key", "token"])
def test_secret_files_readable_by_others_are_refused(
    report: Path, keys: dict[str, Path], receiver: Receiver, tmp_path: Path, what: str
) -> None:
    keys[what].chmod(0o644)
    result = run_deliver(report, keys, receiver.url, tmp_path / "spool")
    assert result.returncode == 4
    assert f"run: chmod 600 {keys[what]}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert receiver.requests == []


def test_two_runs_at_once_send_each_report_once(
    report: Path, keys: dict[str, Path], receiver: Receiver, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    receiver.mode = "500"
    assert run_deliver(report, keys, receiver.url, spool).returncode == 5
    receiver.mode, receiver.requests = "normal", []
    command = patchcheck_argv(
        "upload", "--token-file", keys["token"], "--monitor", receiver.url, "--spool", spool, "--all"
    )
    first, second = (
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    )
    assert {first.wait(timeout=120), second.wait(timeout=120)} == {0}
    assert receiver.requests == [200]
    assert spooled(spool) == []


def test_killed_during_upload_keeps_the_report(
    report: Path, keys: dict[str, Path], receiver: Receiver, tmp_path: Path
) -> None:
    receiver.mode, receiver.slow_s = "slow", 20
    spool = tmp_path / "spool"
    process = subprocess.Popen(
        patchcheck_argv(
            "deliver",
            "--report",
            report,
            "--key",
            keys["key"],
            "--token-file",
            keys["token"],
            "--monitor",
            receiver.url,
            "--spool",
            spool,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not spooled(spool):
        time.sleep(0.1)
    time.sleep(1.0)  # the upload is under way now: the receiver sits on it
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    (entry,) = spooled(spool)
    assert entry.read_bytes() == report.read_bytes()
    assert entry.with_name(entry.name + ".sig").read_bytes().startswith(b"-----BEGIN SSH SIGNATURE-----")


def test_nightly_playbook_collects_judges_signs_and_delivers(
    test_cloud: TestCloud, monitor: Monitor, tmp_path: Path
) -> None:
    """To the real SCS compliance monitor, which then shows the report's results."""
    account = monitor.account("testbed")
    run = run_tenant_playbook(
        test_cloud.clouds_yaml,
        tmp_path / "out",
        "-e",
        f"patchcheck_monitor_url={monitor.url}",
        "-e",
        f"patchcheck_signing_key={account['key']}",
        "-e",
        f"patchcheck_token_file={account['token']}",
    )
    assert run.returncode == 0, run.output[-3000:]
    report = yaml.safe_load((tmp_path / "out" / "report.yaml").read_text())
    (invocation,) = report["run"]["invocations"].values()
    status = monitor.status("testbed")[report["spec"]["uuid"]]["results"]
    assert {testcase: entry["report"] for testcase, entry in status.items()} == {
        testcase: report["run"]["uuid"] for testcase in invocation["results"]
    }
    assert {testcase: entry["result"] for testcase, entry in status.items()} == invocation["results"]
    for name in ("summary.md", "summary.html", "vex.cdx.json", "junit.xml"):
        assert (tmp_path / "out" / name).exists(), name


def test_while_a_report_waits_no_credential_is_in_the_spool_or_any_output(
    test_cloud: TestCloud, keys: dict[str, Path], tmp_path: Path
) -> None:
    """The monitor is down, so the signed report stays in the spool: the API key, the token file's
    content, the private key and the cloud's password must be in none of the files nor the output."""
    run = run_tenant_playbook(
        test_cloud.clouds_yaml,
        tmp_path / "out",
        "-vvv",
        "-e",
        "patchcheck_monitor_url=http://127.0.0.1:9",
        "-e",
        f"patchcheck_signing_key={keys['key']}",
        "-e",
        f"patchcheck_token_file={keys['token']}",
        "-e",
        f"patchcheck_spool={tmp_path / 'spool'}",
    )
    assert run.returncode == 0, run.output[-3000:]
    assert spooled(tmp_path / "spool"), "the undelivered report must wait in the spool"
    written = "\n".join(
        path.read_text(errors="replace")
        for folder in (tmp_path / "out", tmp_path / "spool")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )
    secrets = {
        "api key": APIKEY,
        "token file": keys["token"].read_text().strip(),
        "private key": keys["key"].read_text().splitlines()[1],
        **test_cloud.secrets,
    }
    for name, secret in secrets.items():
        assert secret not in written + run.output, f"{name} leaked"
