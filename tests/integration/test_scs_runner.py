"""SCS's own nightly model, end to end: ``scs-test-runner.py`` (unmodified) with a patchcheck preset.

SCS's Zuul job runs ``scs-test-runner.py run --preset <p> --section <s>``: for each subject of the
preset it runs ``scs-compliance-check.py`` with ``-a os_cloud=<subject>``, concatenates the reports,
signs the file once with the ``zuul_ci`` key and uploads it with ``zuul_ci``'s token; the monitor
takes it because ``zuul_ci`` may append for any subject that names it in ``delegates``.

Here: two subjects (both the test cloud's member, under two names in clouds.yaml), a delegate
account with ``append_any``, SCS's runner and suite from the shared snapshot in a venv with the
versions SCS pins, patchcheck's tenant scope and script in the runner's folder, and the real
monitor. With and without ``--section .auto`` (SCS's nightly choice), both subjects' results and
their evidence reach the monitor; the published lines name no project id and no internal address.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from patchcheck.scope import SHIPPED_SCOPES, shipped_scope
from tests.helpers import scs_standards
from tests.integration.conftest import REPO, Monitor, TestCloud

SCOPE = shipped_scope(SHIPPED_SCOPES["tenant"])
DATA = REPO / "src" / "patchcheck" / "data"
RUNNER_VENV = REPO / ".venv-scs-runner"
#: What scs-test-runner.py and scs-compliance-check.py import, at the versions SCS pins.
RUNNER_PACKAGES = ("click", "tomli", "pyyaml")
SUBJECTS = ("runner-a", "runner-b")
DELEGATE = "ci-runner"


@pytest.fixture(scope="module")
def runner_python() -> Path:
    """A venv with the runner's packages, pinned as SCS's Tests/requirements.txt pins them."""
    pins = (scs_standards() / "Tests" / "requirements.txt").read_text().splitlines()
    wanted = [line.split()[0] for line in pins if line.split("==")[0] in RUNNER_PACKAGES]
    assert len(wanted) == len(RUNNER_PACKAGES), wanted
    python = RUNNER_VENV / "bin" / "python"
    stamp = RUNNER_VENV / ".patchcheck-lock"
    if not (stamp.is_file() and stamp.read_text() == " ".join(wanted)):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(RUNNER_VENV)], check=True, timeout=300)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted],
            check=True,
            timeout=600,
        )
        stamp.write_text(" ".join(wanted))
    return python


@pytest.fixture
def runner_folder(tmp_path: Path, monitor: Monitor, test_cloud: TestCloud) -> Iterator[Path]:
    """SCS's layout: config.toml, the scope and its script, the delegate's key and token; clouds.yaml."""
    folder = tmp_path / "Tests"
    folder.mkdir()
    for name in (SHIPPED_SCOPES["tenant"], "patchcheck-scs-judge"):
        shutil.copy2(DATA / name, folder / name)
    delegate = monitor.account(DELEGATE, roles=("append_any",))
    for subject in SUBJECTS:
        monitor.account(subject, delegates=(DELEGATE,))
    secret = folder / ".secret"
    secret.mkdir(mode=0o700)
    shutil.copy2(delegate["key"], secret / "keyfile")
    shutil.copy2(delegate["token"], secret / "tokenfile")
    subjects = ", ".join(f'"{subject}"' for subject in SUBJECTS)
    (folder / "config.toml").write_text(
        f"""[secrets]
keyfile = ".secret/keyfile"
tokenfile = ".secret/tokenfile"

[presets.patchcheck]
scopes = ["patchcheck-tenant"]
subjects = [{subjects}]
workers = 2

[scopes.patchcheck-tenant]
spec = "./{SHIPPED_SCOPES["tenant"]}"

[subjects._.mapping]
os_cloud = "{{subject}}"
subject_root = "{{subject}}"
"""
    )
    clouds = yaml.safe_load(test_cloud.clouds_yaml.read_text())["clouds"]["testbed"]
    (tmp_path / "clouds.yaml").write_text(yaml.safe_dump({"clouds": dict.fromkeys(SUBJECTS, clouds)}))
    yield folder


def run_runner(python: Path, folder: Path, monitor: Monitor, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # patchcheck, ansible
        "OS_CLIENT_CONFIG_FILE": str(folder.parent / "clouds.yaml"),
    }
    return subprocess.run(
        [
            str(python),
            str(scs_standards() / "Tests" / "scs-test-runner.py"),
            "--config",
            str(folder / "config.toml"),
            "--debug",
            "run",
            "--preset",
            "patchcheck",
            "--monitor-url",
            monitor.url,
            "--output",
            str(folder.parent / "report.yaml"),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
    )


@pytest.mark.parametrize("sections", [(), ("--section", ".auto")], ids=["all-sections", "auto-sections"])
def test_scs_runner_checks_two_subjects_and_uploads_once_as_their_delegate(
    runner_python: Path, runner_folder: Path, monitor: Monitor, sections: tuple[str, ...]
) -> None:
    done = run_runner(runner_python, runner_folder, monitor, *sections)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    documents = list(yaml.safe_load_all((runner_folder.parent / "report.yaml").read_text()))
    assert [document["subject"] for document in documents] == list(SUBJECTS)
    for document in documents:
        (invocation,) = document["run"]["invocations"].values()
        # every testcase judged: none missing (which SCS would show as a tentative pass)
        assert sorted(invocation["results"]) == sorted(SCOPE.testcase_ids), invocation["stderr"]
        assert invocation["results"]["scs-0124-maintained-release"] == 1
        assert invocation["results"]["scs-0125-https-endpoints"] == -1  # the test cloud is plain http
        evidence = [
            line for line in invocation["stderr"] if line.startswith("ERROR: scs-0125-https-endpoints:")
        ]
        assert evidence, invocation["stderr"]
        published = "\n".join(invocation["stderr"])
        assert "(internal address)" in published and "127.0.0.1" not in published
        assert not re.search(r"/(AUTH_)?[0-9a-f]{32}\b", published), published
        status = monitor.status(document["subject"])[SCOPE.uuid]
        shown = {testcase: entry["result"] for testcase, entry in status["results"].items()}
        assert shown == invocation["results"]
        page = monitor.page(f"page/report/{document['run']['uuid']}")
        assert page.status_code == 200 and "scs-0125-https-endpoints" in page.text
        assert "(internal address)" in page.text  # the evidence is on the public page, without the address
