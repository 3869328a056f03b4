"""patchcheck installed the way its users install things, used outside the checkout (issue 31).

The wheel and the sdist are built with ``python -m build``, the collection with ``ansible-galaxy
collection build``; the wheel goes into a fresh virtual environment made with the machine's own
``python3``, the collection into a scratch collections folder, both outside this checkout. From a
folder that is not the checkout (no ansible.cfg, no PYTHONPATH, PATH without the checkout's venv)
the installed tools then judge the fixture facts, run the operator playbook by its collection
name against this machine, and run the tenant playbook by its collection name against the test
cloud. Each output is compared with the checkout's run of the same thing: they must be the same
apart from times, run ids and the folders they were written to.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import HIBISCUS_FACTS, run_patchcheck
from tests.integration.conftest import REFERENCE_DAY, TestCloud, run_operator_playbook, run_tenant_playbook

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = str(REPO / "constraints.txt")
SANITY_IGNORES = {f"tests/sanity/{path.name}" for path in (REPO / "tests" / "sanity").glob("ignore-*.txt")}
#: What a user's machine has: its own python3, not this checkout's venv.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
#: The collection holds its content and nothing of the checkout's development side.
COLLECTION_TOP = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "meta",
    "plugins",
    "roles",
    "playbooks",
    "docs",
    "tests",
}
VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"[0-9.]+ days old when judged"), "<age> days old when judged"),
    (re.compile(r" in [0-9.]+s\b"), " in <s>"),
]


@dataclass(frozen=True)
class Installed:
    """A virtual environment with the wheel, a collections folder with the collection, a work folder."""

    venv: Path
    collections: Path
    work: Path
    wheel: Path
    sdist: Path
    collection: Path

    @property
    def env(self) -> dict[str, str]:
        kept = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV")) and key != "PATH"
        }
        return {
            **kept,
            "PATH": f"{self.venv / 'bin'}:{SYSTEM_PATH}",
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_NOCOLOR": "1",
        }

    def run(self, *argv: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        command = [str(self.venv / "bin" / str(argv[0])), *map(str, argv[1:])]
        return subprocess.run(
            command,
            cwd=self.work,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )


def system_python() -> str:
    found = shutil.which("python3", path=SYSTEM_PATH)
    assert found, "no python3 on this machine outside the checkout's venv"
    return found


def build(tmp: Path) -> tuple[Path, Path, Path]:
    dist = tmp / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    collection = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-galaxy")),
            "collection",
            "build",
            "--output-path",
            str(dist),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collection.returncode == 0, collection.stderr
    (wheel,) = dist.glob("patchcheck-*.whl")
    (sdist,) = dist.glob("patchcheck-*.tar.gz")
    (archive,) = dist.glob("scs-patchcheck-*.tar.gz")
    return wheel, sdist, archive


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("installed")
    wheel, sdist, archive = build(tmp)
    venv, collections, work = tmp / "venv", tmp / "collections", tmp / "work"
    work.mkdir()
    subprocess.run([system_python(), "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            CONSTRAINTS,
            wheel,
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    place = Installed(venv, collections, work, wheel, sdist, archive)
    galaxy = place.run("ansible-galaxy", "collection", "install", "-p", collections, archive)
    assert galaxy.returncode == 0, galaxy.stderr
    yield place


def test_the_wheel_holds_the_package_with_its_compliance_layer_and_licences(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"patchcheck", installed.wheel.name.split("-py3")[0] + ".dist-info"}
    assert {
        "patchcheck/compliance/pytest.ini",
        "patchcheck/compliance/test_scs_0124_tenant.py",
        "patchcheck/compliance/test_scs_0124_hosts.py",
        "patchcheck/compliance/test_scs_0124_live.py",
        "patchcheck/data/advisories.json",
        "patchcheck/data/patchcheck-scs-judge",
        "patchcheck/data/NOTICE",
        "patchcheck/facts/schema/host-facts-v1.schema.json",
    } <= set(names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert not [name for name in names if "/tests/" in name or name.startswith("tests/")]
    with tarfile.open(installed.sdist) as archive:
        sdist = archive.getnames()
    assert not [name for name in sdist if "/tests/" in name], "the sdist holds the project's tests"
    assert any(name.endswith("src/patchcheck/compliance/pytest.ini") for name in sdist)


def test_the_collection_holds_its_content_only(installed: Installed) -> None:
    with tarfile.open(installed.collection) as archive:
        names = [name for name in archive.getnames() if name != "."]
    assert {name.split("/")[0] for name in names} <= COLLECTION_TOP
    assert {"plugins/modules/host_facts.py", "plugins/modules/tenant_facts.py", "meta/runtime.yml"} <= {
        *names
    }
    assert {name for name in names if name.startswith("tests/")} <= {"tests/sanity", *SANITY_IGNORES}
    assert not [name for name in names if name.startswith(("playbooks/zuul", "src", "zuul.d"))]
    assert "roles/judge_facts/tasks/main.yaml" in names and "playbooks/operator_check.yaml" in names


def test_the_installed_package_is_the_one_that_runs(installed: Installed) -> None:
    where = installed.run("python", "-c", "import patchcheck; print(patchcheck.__file__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(installed.venv)), where.stdout
    listed = installed.run("ansible-galaxy", "collection", "list", "scs.patchcheck")
    assert str(installed.collections) in listed.stdout, listed.stdout + listed.stderr


def comparable(text: str, *folders: Path) -> str:
    for folder in folders:
        text = text.replace(str(folder), "<out>")
    text = text.replace(str(REPO), "<repo>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def verdicts_of(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    for volatile in ("judged_at", "command", "patchcheck_version"):
        document.pop(volatile, None)
    return json.loads(comparable(json.dumps(document, sort_keys=True), path.parent))


def report_of(folder: Path) -> dict[str, Any]:
    report = yaml.safe_load((folder / "report.yaml").read_text())
    report.get("run", {}).pop("argv", None)  # the command line names the folders
    for invocation in report.get("run", {}).get("invocations", {}).values():
        invocation.pop("cmd", None)
    return json.loads(comparable(json.dumps(report, default=str, sort_keys=True), folder))


def test_the_installed_judge_judges_the_fixture_as_the_checkout_does(
    installed: Installed, tmp_path: Path
) -> None:
    ours, theirs = tmp_path / "checkout", installed.work / "judged"
    for folder in (ours, theirs):
        folder.mkdir()
    args = ("--facts", HIBISCUS_FACTS, "--reference-date", REFERENCE_DAY)
    checkout = run_patchcheck("judge", *args, "--verdicts", ours / "verdicts.json")
    installed_run = installed.run("patchcheck", "judge", *args, "--verdicts", theirs / "verdicts.json")
    assert installed_run.returncode == checkout.returncode, installed_run.stderr
    assert comparable(installed_run.stdout) == comparable(checkout.stdout)
    assert verdicts_of(theirs / "verdicts.json") == verdicts_of(ours / "verdicts.json")
    for folder, run in ((ours, run_patchcheck), (theirs, None)):
        argv = ("report", "--verdicts", folder / "verdicts.json", "--subject", "s", "--out-dir", folder)
        done = run(*argv) if run else installed.run("patchcheck", *argv)
        assert done.returncode in (0, 1), done.stderr
    assert report_of(theirs) == report_of(ours)
    for name in ("junit.xml", "summary.md"):
        assert comparable((theirs / name).read_text(), theirs) == comparable((ours / name).read_text(), ours)


def facts_of(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    document.pop("collected_at", None)
    return json.loads(comparable(json.dumps(document, sort_keys=True)))


def local_inventory(folder: Path) -> Path:
    inventory = folder / "inventory.yaml"
    host = {"ansible_connection": "local", "ansible_python_interpreter": system_python()}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"ctl1": host}}}))
    return inventory


def test_the_operator_playbook_runs_by_its_collection_name(installed: Installed, tmp_path: Path) -> None:
    inventory = local_inventory(tmp_path)
    extra = (
        "-e",
        f"patchcheck_reference_date={REFERENCE_DAY}",
        "-e",
        "patchcheck_fail_on_noncompliance=false",
    )
    # no output folder given: an installed collection writes to ./out of the folder it was started in
    run = installed.run("ansible-playbook", "-i", inventory, "scs.patchcheck.operator_check", *extra)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    theirs = installed.work / "out" / "operator"
    assert (theirs / "report.yaml").is_file(), run.stdout[-2000:]
    assert not list(installed.collections.rglob("out")), "the collection's own folder was written to"
    checkout = run_operator_playbook(inventory, tmp_path / "checkout", *extra[2:])
    assert checkout.returncode == 0, checkout.output[-3000:]
    ours = checkout.out_dir
    assert facts_of(theirs / "facts" / "host-ctl1.json") == facts_of(ours / "facts" / "host-ctl1.json")
    assert verdicts_of(theirs / "verdicts.json") == verdicts_of(ours / "verdicts.json")
    assert report_of(theirs) == report_of(ours)


def test_the_tenant_playbook_runs_by_its_collection_name(
    installed: Installed, test_cloud: TestCloud, tmp_path: Path
) -> None:
    theirs = installed.work / "tenant"
    run = installed.run(
        "ansible-playbook",
        "scs.patchcheck.tenant_check",
        "-e",
        f"patchcheck_output_dir={theirs}",
        "-e",
        f"patchcheck_reference_date={REFERENCE_DAY}",
        "-e",
        "patchcheck_fail_on_noncompliance=false",
        env={"OS_CLIENT_CONFIG_FILE": str(test_cloud.clouds_yaml), "OS_CLOUD": "testbed"},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    checkout = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path / "checkout")
    assert checkout.returncode == 0, checkout.output[-3000:]
    ours = checkout.out_dir
    assert verdicts_of(theirs / "verdicts.json") == verdicts_of(ours / "verdicts.json")
    assert report_of(theirs) == report_of(ours)
