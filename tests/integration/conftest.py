"""The local test cloud and the real SCS compliance monitor for integration tests, on 127.0.0.1.

The session fixture brings the test cloud up (``testbed/testbed.py up``, idempotent)
and stops it at the end if it started it. If it cannot come up, the tests fail
when ``CI=true`` and are skipped otherwise: CI never passes without the cloud.
The ``monitor`` fixture runs SCS's own compliance monitor (``testbed/monitor.py``)
for the session, in a scratch state folder, and removes it afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import load_module, scs_standards
from tests.integration.monitor_receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
TESTBED = REPO / "testbed" / "testbed.py"
STATE = Path(os.environ.get("PATCHCHECK_TESTBED_DIR", REPO / ".testbed"))
VENV_BIN = Path(sys.executable).parent
#: The day the playbooks judge unless a test says otherwise: fixed, so that verdicts that follow the
#: release-series history stay the same on every day the suite runs. A test that makes a date from the
#: real clock (a certificate, a token, facts it gathers) judges on ``today()`` instead, never on this day.
REFERENCE_DAY = "2026-11-23"


def today() -> str:
    """The real day, for tests whose inputs were made with the real clock (e.g. a TLS certificate)."""
    return dt.datetime.now(dt.UTC).date().isoformat()


@dataclass(frozen=True)
class TestCloud:
    """Where the running test cloud keeps its clouds.yaml, logs and secrets."""

    __test__ = False

    state: Path
    series: str = "hibiscus"

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
            [sys.executable, str(TESTBED), "--series", self.series, "--state-dir", str(self.state), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=1200,
        )


def unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the local test cloud is unavailable: {message}")
    pytest.skip(f"local test cloud unavailable: {message}")


def brought_up(cloud: TestCloud) -> Iterator[TestCloud]:
    """The cloud running for the fixture's scope; stopped afterwards (ports free) if it was not running."""
    was_running = cloud.testbed("status").returncode == 0
    started = cloud.testbed("up")
    if started.returncode != 0:
        if not was_running:  # what did start before the failure is stopped too
            cloud.testbed("down")
        unavailable(f"{cloud.series}: {started.stderr.strip()[-3000:]}")
    try:
        yield cloud
    finally:
        if not was_running:
            stopped = cloud.testbed("down")
            assert stopped.returncode == 0, stopped.stderr  # every worker gone, every port free


@pytest.fixture(scope="session")
def test_cloud() -> Iterator[TestCloud]:
    yield from brought_up(TestCloud(STATE))


@dataclass(frozen=True)
class PlaybookRun:
    returncode: int
    output: str
    out_dir: Path


def run_playbook(
    playbook: str, out_dir: Path, *args: str, env: dict[str, str] | None = None, day: str = REFERENCE_DAY
) -> PlaybookRun:
    """Run one of the project's playbooks as a user would, judged as of ``day``."""
    result = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            f"playbooks/{playbook}",
            "-e",
            f"patchcheck_output_dir={out_dir}",
            "-e",
            f"patchcheck_reference_date={day}",
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
    clouds_yaml: Path,
    out_dir: Path,
    *extra: str,
    cloud: str = "testbed",
    fail_on_noncompliance: bool = False,
    day: str = REFERENCE_DAY,
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
        day=day,
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


class Monitor:
    """The running monitor and the accounts made on it."""

    def __init__(self, local: Any) -> None:
        self.local = local

    @property
    def url(self) -> str:
        return str(self.local.url())

    def account(
        self, subject: str, roles: tuple[str, ...] = (), delegates: tuple[str, ...] = ()
    ) -> dict[str, Path]:
        key, token = self.local.add_subject(subject, roles, delegates)
        return {"key": key, "token": token}

    def status(self, subject: str) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310  (127.0.0.1)
            f"{self.url}status?subject={subject}", headers={"Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read()).get(subject, {})

    def page(self, path: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=30)

    def log(self) -> str:
        return (self.local.state / "monitor.log").read_text(errors="replace")


@pytest.fixture(scope="session")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    scs_standards()  # a missing snapshot fails under CI=true, skips elsewhere
    module = load_module(REPO / "testbed" / "monitor.py", "local_monitor")
    local = module.LocalMonitor(
        tmp_path_factory.mktemp("monitor-state"), REPO.parent / "shared" / "scs-standards"
    )
    try:
        local.up()
    except module.MonitorError as exc:
        local.purge()
        if os.environ.get("CI") == "true" or os.geteuid() == 0:
            pytest.fail(f"the SCS compliance monitor did not start: {exc}")
        pytest.skip(f"the SCS compliance monitor cannot start here: {exc}")
    try:
        yield Monitor(local)
    finally:
        local.purge()
        assert not local.running()
