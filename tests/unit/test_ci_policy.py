"""With CI=true a missing test cloud fails the integration tests; elsewhere it skips them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ONE_INTEGRATION_TEST = "tests/integration/test_tenant_check.py::test_check_mode_still_produces_the_report"


def run_without_cloud(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("the test cloud cannot put its state here\n")
    env = {**os.environ, "PATCHCHECK_TESTBED_DIR": str(blocked)}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_INTEGRATION_TEST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_ci_fails_when_the_test_cloud_is_missing(tmp_path: Path) -> None:
    result = run_without_cloud(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "CI=true and the local test cloud is unavailable" in result.stdout


def test_a_developer_machine_skips_instead(tmp_path: Path) -> None:
    result = run_without_cloud(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
