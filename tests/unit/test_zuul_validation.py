"""The zuul.d validation catches what it must: a wrong type, a missing playbook, an unknown secret."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ZUUL_PYTHON = REPO / ".venv-zuul" / "bin" / "python"


def validate(zuul_dir: Path, repo: Path = REPO) -> subprocess.CompletedProcess[str]:
    if not ZUUL_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and .venv-zuul is missing: scripts/validate-zuul creates it")
        pytest.skip(".venv-zuul missing: run scripts/validate-zuul")
    return subprocess.run(
        [
            str(ZUUL_PYTHON),
            str(REPO / "tests/zuul/validate_zuul.py"),
            "--zuul-dir",
            str(zuul_dir),
            "--repo",
            str(repo),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    copy = tmp_path / "zuul.d"
    shutil.copytree(REPO / "zuul.d", copy)
    return copy


def test_the_project_zuul_configuration_is_valid() -> None:
    result = validate(REPO / "zuul.d")
    assert result.returncode == 0, result.stdout
    assert "0 problem(s)" in result.stderr


def test_a_wrong_type_is_caught(broken: Path) -> None:
    jobs = broken / "jobs.yaml"
    jobs.write_text(jobs.read_text().replace("    timeout: 1800", "    timeout: half an hour"))
    result = validate(broken)
    assert result.returncode == 1
    assert "job patchcheck-tenant-check: expected int for dictionary value @ data['timeout']" in result.stdout


def test_a_missing_playbook_is_caught(broken: Path) -> None:
    jobs = broken / "jobs.yaml"
    jobs.write_text(jobs.read_text().replace("playbooks/zuul/self_test.yaml", "playbooks/zuul/gone.yaml"))
    result = validate(broken)
    assert result.returncode == 1
    assert "job patchcheck-self-test: run playbook playbooks/zuul/gone.yaml does not exist" in result.stdout


def test_an_unknown_secret_and_a_duplicate_key_are_caught(broken: Path) -> None:
    jobs = broken / "jobs.yaml"
    jobs.write_text(jobs.read_text().replace("secret: patchcheck-example-cloud", "secret: no-such-secret"))
    (broken / "extra.yaml").write_text("- job:\n    name: a\n    name: b\n")
    result = validate(broken)
    assert "secret 'no-such-secret' is not defined" in result.stdout
    assert "YAMLDuplicateKeyError" in result.stdout


def test_a_secret_that_reaches_no_playbook_is_caught(broken: Path) -> None:
    """The bug a real Zuul showed: the child inherits every playbook, so its secret needs pass-to-parent."""
    jobs = broken / "jobs.yaml"
    jobs.write_text(jobs.read_text().replace("        pass-to-parent: true\n", ""))
    result = validate(broken)
    assert result.returncode == 1
    assert (
        "job patchcheck-tenant-check-example-cloud: secret 'patchcheck-example-cloud' reaches no playbook"
        in result.stdout
    )


def test_a_collecting_role_before_the_tasks_is_caught(tmp_path: Path, broken: Path) -> None:
    """The other bug: a play's roles run before its tasks, so fetch-output there fetched nothing."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "playbooks", repo / "playbooks")
    shutil.copytree(REPO / "roles", repo / "roles")
    post = repo / "playbooks" / "zuul" / "post.yaml"
    text = post.read_text()
    start = text.index("    # A task, not the play's `roles:`")
    end = text.index("- name: Announce the artifacts")
    post.write_text(text[:start] + "  roles:\n    - role: fetch-output\n\n" + text[end:])
    result = validate(broken, repo)
    assert result.returncode == 1, result.stdout
    assert "role 'fetch-output' (in playbooks/zuul/post.yaml" in result.stdout
    assert "runs before the play's tasks" in result.stdout


def test_a_copied_cloud_job_left_out_of_every_pipeline_is_caught(broken: Path) -> None:
    """Issue 29: copying the per-cloud job without its pipeline entry was accepted silently."""
    jobs = broken / "jobs.yaml"
    text = jobs.read_text()
    start = text.index("- job:\n    name: patchcheck-tenant-check-example-cloud\n")
    end = text.index("- job:", start + 1)
    copy = text[start:end].replace("example-cloud", "second-cloud")
    jobs.write_text(text[:end] + copy + text[end:])
    semaphores = broken / "semaphores.yaml"
    semaphores.write_text(
        semaphores.read_text() + "- semaphore:\n    name: patchcheck-second-cloud\n    max: 1\n"
    )
    secrets = broken / "secrets.yaml"
    secret = (
        secrets.read_text()
        .split("- secret:", 1)[1]
        .replace("patchcheck-example-cloud", "patchcheck-second-cloud")
    )
    secrets.write_text(secrets.read_text() + "- secret:" + secret)
    result = validate(broken)
    assert result.returncode == 1
    assert "job patchcheck-tenant-check-second-cloud runs in no pipeline" in result.stdout
    assert result.stdout.count("\n") == 1, result.stdout


def test_two_cloud_jobs_with_one_subject_are_caught(broken: Path) -> None:
    jobs = broken / "jobs.yaml"
    text = jobs.read_text()
    start = text.index("- job:\n    name: patchcheck-tenant-check-example-cloud\n")
    end = text.index("- job:", start + 1)
    copy = text[start:end].replace(
        "name: patchcheck-tenant-check-example-cloud", "name: patchcheck-tenant-check-twin"
    )
    copy = copy.replace("    semaphores: patchcheck-example-cloud\n", "")
    jobs.write_text(
        (text[:end] + copy + text[end:]).replace(
            "        - patchcheck-tenant-check-example-cloud\n",
            "        - patchcheck-tenant-check-example-cloud\n        - patchcheck-tenant-check-twin\n",
        )
    )
    result = validate(broken)
    assert result.returncode == 1
    assert "job patchcheck-tenant-check-twin: no semaphore" in result.stdout
    assert "job patchcheck-tenant-check-twin: patchcheck_subject 'example-cloud' is also" in result.stdout
