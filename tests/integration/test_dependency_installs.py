"""scs-0124's dependency clause on real installs: libraries OpenStack uses, installed with pip from PyPI
at an old and at a fixed version, gathered by the real operator playbook and judged against the real
PyPA records shipped (built from ../shared/data/pypa-advisory-database).

Expectations come from the records: jinja2 PYSEC-2019-217 (fixed 2.10.1) and PYSEC-2021-66 (fixed
2.11.3); urllib3 PYSEC-2023-192 (fixed 1.26.17) and PYSEC-2023-212 (fixed 1.26.18); paramiko
PYSEC-2022-166 (fixed 2.9.3). All were published years before the reference day: overdue.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import STATE, local_host, run_operator_playbook, unavailable

OLD = {"jinja2": "2.10", "urllib3": "1.26.5", "paramiko": "2.4.0"}
FIXED = {"jinja2": "3.1.4", "urllib3": "1.26.18", "paramiko": "3.4.0"}
EXPECTED_OLD = {
    ("jinja2", "PYSEC-2019-217"): "2.10.1",
    ("jinja2", "PYSEC-2021-66"): "2.11.3",
    ("urllib3", "PYSEC-2023-192"): "1.26.17",
    ("urllib3", "PYSEC-2023-212"): "1.26.18",
    ("paramiko", "PYSEC-2022-166"): "2.9.3",
}


def venv_with(name: str, pins: dict[str, str]) -> Path:
    """A venv with the pinned distributions installed from PyPI (without their dependencies, which
    the collector does not need: it reads each installed distribution's metadata)."""
    venv = STATE / f"dependencies-{name}"
    wanted = [f"{package}=={version}" for package, version in pins.items()]
    marker = venv / "installed.txt"
    if marker.is_file() and marker.read_text() == "\n".join(wanted):
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", *wanted],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        unavailable(f"pip install {' '.join(wanted)}: {done.stderr[-1000:]}")
    marker.write_text("\n".join(wanted))
    return venv


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("dependencies")
    inventory = folder / "hosts.yaml"
    hosts = {
        name: local_host(
            patchcheck_extra_venvs=[str(venv_with(name, pins))],
            collect_host_facts_config_roots=[str(folder / "no-config")],
            collect_host_facts_sources=["venvs", "config"],
        )
        for name, pins in (("old1", OLD), ("fixed1", FIXED))
    }
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    run = run_operator_playbook(inventory, folder / "out")
    assert (folder / "out" / "verdicts.json").is_file(), run.output[-3000:]
    document = json.loads((folder / "out" / "verdicts.json").read_text())
    testcase = next(t for t in document["testcases"] if t["id"] == "scs-0124-dependencies-patched")
    return {item["subject"]: item for item in testcase["items"]}


def test_old_libraries_are_overdue_with_the_first_fixed_release_as_remedy(judged: dict) -> None:
    found = {
        (item["evidence"]["package"], item["evidence"]["advisory"]): item
        for subject, item in judged.items()
        if subject.startswith("old1 ")
        and item["evidence"].get("kind") == "python"
        and item["evidence"]["package"] in OLD
    }
    assert set(found) == set(EXPECTED_OLD)
    for (package, _advisory), item in found.items():
        assert item["result"] == "FAIL" and item["evidence"]["status"] == "overdue"
        assert item["evidence"]["version"] == OLD[package]
    # the remedy is the first fixed release above the installed one, from the record's ranges
    assert {key: item["evidence"]["remedy"] for key, item in found.items()} == {
        key: f"update {key[0]} to {fixed} or later" for key, fixed in EXPECTED_OLD.items()
    }


def test_fixed_libraries_have_none_of_those_advisories(judged: dict) -> None:
    fixed = [
        subject
        for subject, item in judged.items()
        if subject.startswith("fixed1 ") and item["evidence"].get("package") in FIXED
    ]
    assert fixed == []
    # packages were not read on either host: the distribution side says so, never passes by silence
    assert judged["fixed1 (distribution packages not listed)"]["result"] == "ABORT"
