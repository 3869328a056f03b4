"""The local test cloud for integration tests: real OpenStack services on 127.0.0.1.

The session fixture brings the test cloud up (``testbed/testbed.py up``, idempotent)
and stops it at the end if it started it. If it cannot come up, the tests fail
when ``CI=true`` and are skipped otherwise: CI never passes without the cloud.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.monitor_receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
TESTBED = REPO / "testbed" / "testbed.py"
STATE = Path(os.environ.get("PATCHCHECK_TESTBED_DIR", REPO / ".testbed"))
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class TestCloud:
    """Where the running test cloud keeps its clouds.yaml, logs and secrets."""

    __test__ = False

    state: Path

    @property
    def clouds_yaml(self) -> Path:
        return self.state / "clouds.yaml"

    @property
    def secrets(self) -> dict[str, str]:
        return json.loads((self.state / "secrets.json").read_text())

    def access_logs(self) -> list[Path]:
        return sorted((self.state / "log").glob("*-access.log"))

    def testbed(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(TESTBED), "--state-dir", str(self.state), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )


def unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the local test cloud is unavailable: {message}")
    pytest.skip(f"local test cloud unavailable: {message}")


@pytest.fixture(scope="session")
def test_cloud() -> Iterator[TestCloud]:
    cloud = TestCloud(STATE)
    was_running = cloud.testbed("status").returncode == 0
    started = cloud.testbed("up")
    if started.returncode != 0:
        unavailable(started.stderr.strip()[-3000:])
    try:
        yield cloud
    finally:
        if not was_running:
            cloud.testbed("down")


@dataclass(frozen=True)
class PlaybookRun:
    returncode: int
    output: str
    out_dir: Path


def run_playbook(playbook: str, out_dir: Path, *args: str, env: dict[str, str] | None = None) -> PlaybookRun:
    """Run one of the project's playbooks as a user would, judged as of 2026-11-23."""
    result = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            f"playbooks/{playbook}",
            "-e",
            f"patchcheck_output_dir={out_dir}",
            "-e",
            "patchcheck_reference_date=2026-11-23",
            *args,
        ],
        cwd=REPO,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return PlaybookRun(result.returncode, result.stdout + result.stderr, out_dir)


def run_tenant_playbook(
    clouds_yaml: Path, out_dir: Path, *extra: str, cloud: str = "testbed", fail_on_noncompliance: bool = False
) -> PlaybookRun:
    """The nightly tenant playbook; by default it does not fail on a non-compliant cloud (the test cloud is
    plain http on 127.0.0.1, which scs-0125 rightly fails), so tests look at the verdicts instead."""
    extra = ("-e", f"patchcheck_fail_on_noncompliance={str(fail_on_noncompliance).lower()}", *extra)
    return run_playbook(
        "tenant_check.yaml",
        out_dir,
        "-e",
        f"patchcheck_cloud={cloud}",
        *extra,
        env={"OS_CLIENT_CONFIG_FILE": str(clouds_yaml), "OS_CLOUD": cloud},
    )


def run_operator_playbook(inventory: Path, out_dir: Path, *extra: str) -> PlaybookRun:
    return run_playbook("operator_check.yaml", out_dir, "-i", str(inventory), *extra)


def local_host(**variables: object) -> dict[str, object]:
    """An inventory host reached over the local connection, with the tool's Python."""
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **variables}


#: The subject and API key of the test receiver (a canary: it must never show in any output).
SUBJECT = "testbed"
APIKEY = "apikey-CANARY-7f3a"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    key = tmp_path / "keys" / "report_ed25519"
    key.parent.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "patchcheck-test", "-f", str(key)],
        check=True,
        timeout=60,
    )
    allowed = tmp_path / "keys" / "allowed_signers"
    allowed.write_text(f'{SUBJECT} namespaces="report" {(key.with_suffix(".pub")).read_text()}')
    token = tmp_path / "keys" / "token"
    token.write_text(base64.b64encode(f"{SUBJECT}:{APIKEY}".encode()).decode() + "\n")
    token.chmod(0o600)
    return {"key": key, "allowed": allowed, "token": token}


@pytest.fixture
def receiver(keys: dict[str, Path]) -> Iterator[Receiver]:
    started = Receiver(keys["allowed"], {SUBJECT: APIKEY}).start()
    yield started
    started.stop()
