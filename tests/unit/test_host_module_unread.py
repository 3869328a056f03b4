"""What the host module could not read is named, never dropped, and never loses the host.

A wanted product's distribution folder whose metadata cannot be read completely becomes an
``incomplete`` entry named from the folder (``nova-29.0.1.dist-info``), so the judge passes no
testcase of that host; a symlink loop, a FIFO, ``realpath`` failing mid-read, JSON nested
100,000 deep or any unforeseen exception costs one item (or one source), never the host.
Real files and real processes; monkeypatching only where root (these tests' user) cannot be
refused by a mode, or where a race has to be made to happen.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import (
    containers,
    host_packages,
    python_environments,
)

from patchcheck.facts.model import HostFacts
from patchcheck.judge import inventory_complete, maintained_release, ossa_patched, ossn_config
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.series import shipped_series
from tests.helpers import host_facts_document, load_module

MODULE_PATH = Path(__file__).resolve().parents[2] / "plugins/modules/host_facts.py"
CANARY = "CANARY-5b90"


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH, "host_facts_unread")


@pytest.fixture
def isolated_host(module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gathering machine's own packages stay out of the facts: no rpm, docker or podman on
    PATH, an empty dpkg database, no system site folders (a test machine may carry python3-nova)."""
    empty = tmp_path / "empty-root"
    (empty / "bin").mkdir(parents=True)
    monkeypatch.setenv("PATH", str(empty / "bin"))
    monkeypatch.setattr(python_environments, "SYSTEM_SITE_PATTERNS", ())
    real = host_packages.read_dpkg
    monkeypatch.setattr(module, "read_dpkg", lambda wanted, gaps: real(wanted, gaps, root=str(empty)))


def gather(module: ModuleType, venv: Path | None = None, etc: Path | None = None) -> dict[str, Any]:
    """Every source, as the role gathers (a source left out would ABORT the host by itself)."""
    return module.gather(
        {
            "products": ["nova", "keystone"],
            "services": ["nova"],
            "venvs": [str(venv)] if venv else [],
            "config_roots": [str(etc)] if etc else [],
            "host": "cmp1",
            "sources": ["packages", "venvs", "containers", "config"],
            "keep_options": [],
        }
    )


def in_time(work: Callable[[], Any], seconds: float = 30) -> Any:
    """``work()``'s result; fails when it does not return in time (a FIFO opened blocking hangs)."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(work()), daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), "the module hung"
    assert result, "the module raised"
    return result[0]


def site_of(venv: Path) -> Path:
    site = venv / "lib/python3.11/site-packages"
    site.mkdir(parents=True, exist_ok=True)
    return site


def good_distribution(site: Path, name: str, version: str) -> None:
    folder = site / f"{name}-{version}.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")


def metadata_link_loop(folder: Path) -> None:
    (folder / "loop-a").symlink_to(folder / "loop-b")
    (folder / "loop-b").symlink_to(folder / "loop-a")
    (folder / "METADATA").symlink_to(folder / "loop-a")


BROKEN_METADATA: dict[str, Callable[[Path], object]] = {
    "missing": lambda folder: None,
    "empty": lambda folder: (folder / "METADATA").write_text(""),
    "blank first line": lambda folder: (folder / "METADATA").write_text("\nName: nova\nVersion: 29.0.1\n"),
    "no name": lambda folder: (folder / "METADATA").write_text("Metadata-Version: 2.1\nVersion: 29.0.1\n"),
    "no version": lambda folder: (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: nova\n"),
    "empty version": lambda folder: (folder / "METADATA").write_text("Name: nova\nVersion:   \n"),
    "another product": lambda folder: (folder / "METADATA").write_text("Name: not-nova\nVersion: 1.0\n"),
    "binary": lambda folder: (folder / "METADATA").write_bytes(os.urandom(512).replace(b"Name", b"")),
    "oversized": lambda folder: (folder / "METADATA").write_bytes(b"Name: nova\n" + b"x" * (1024 * 1024)),
    "fifo": lambda folder: os.mkfifo(folder / "METADATA"),
    "folder": lambda folder: (folder / "METADATA").mkdir(),
    "symlink loop": metadata_link_loop,
    "dangling link": lambda folder: (folder / "METADATA").symlink_to(folder / "gone"),
    "link out of the tree": lambda folder: (folder / "METADATA").symlink_to("/etc/hostname"),
}


@pytest.mark.parametrize("shape", sorted(BROKEN_METADATA))
def test_a_wanted_distribution_that_cannot_be_read_is_named_from_its_folder(
    tmp_path: Path, shape: str
) -> None:
    site = site_of(tmp_path / "venv")
    folder = site / "nova-29.0.1.dist-info"
    folder.mkdir()
    BROKEN_METADATA[shape](folder)
    good_distribution(site, "keystone", "26.0.0")
    gaps: list[dict[str, str]] = []
    environments = in_time(
        lambda: python_environments.python_environments(
            [str(tmp_path / "venv")], {"nova", "keystone"}, gaps, system=False
        )
    )
    assert [d["product"] for d in environments[0]["distributions"]] == ["keystone"]
    assert len(gaps) == 1, gaps
    assert gaps[0]["source"] == "venvs"
    assert gaps[0]["item"].endswith("nova-29.0.1.dist-info")
    assert gaps[0]["reason"].startswith("nova not read: ")


@pytest.mark.parametrize(
    ("entry", "content"),
    [
        ("nova-29.0.1-py3.11.egg-info", None),  # a distutils egg-info is the PKG-INFO file itself
        ("nova-29.0.1-py3.11.egg-info", b""),
        ("nova.egg-info", b""),  # a development install: no version in the folder name
    ],
)
def test_egg_info_files_and_folders_are_read_or_named(
    tmp_path: Path, entry: str, content: bytes | None
) -> None:
    site = site_of(tmp_path / "venv")
    if content is None:
        (site / entry).write_text("Metadata-Version: 1.1\nName: nova\nVersion: 29.0.1\n\n")
    else:
        (site / entry).mkdir()
        (site / entry / "PKG-INFO").write_bytes(content)
    gaps: list[dict[str, str]] = []
    environments = python_environments.python_environments(
        [str(tmp_path / "venv")], {"nova"}, gaps, system=False
    )
    if content is None:
        assert gaps == []
        assert environments[0]["distributions"][0]["version"] == "29.0.1"
    else:
        assert environments[0]["distributions"] == environments[0]["installed"] == []
        assert [unread["entry"] for unread in environments[0]["installed_unread"]] == [entry]
        assert [gap["item"].rsplit(" ", 1)[1] for gap in gaps] == [entry]


def test_a_folder_of_another_product_is_no_gap(tmp_path: Path) -> None:
    """``keystoneauth1`` starts like ``keystone``: its broken metadata says nothing of keystone."""
    site = site_of(tmp_path / "venv")
    (site / "keystoneauth1-5.6.0.dist-info").mkdir()
    (site / "keystoneauth1-5.6.0.dist-info" / "METADATA").write_text("")
    gaps: list[dict[str, str]] = []
    (environment,) = python_environments.python_environments(
        [str(tmp_path / "venv")], {"keystone"}, gaps, system=False
    )
    assert environment["distributions"] == []
    assert environment["installed_unread"] == [
        {"entry": "keystoneauth1-5.6.0.dist-info", "reason": "its metadata has no Name"}
    ]  # for the dependency judge, not a gap of the host
    assert gaps == []


def judged(document: dict[str, Any]) -> dict[str, set[str]]:
    """Each host testcase's results for one host's facts document."""
    facts = HostFacts.from_document("cmp1.json", document)
    now = dt.datetime.now(dt.UTC)
    index = shipped_index()
    return {
        "inventory": {inventory_complete.judge_inventory(facts).result.value},
        "ossa": {f.result.value for f in ossa_patched.judge_host_advisories(facts, index, now)},
        "release": {
            f.result.value
            for f in maintained_release.judge_host_release(facts, index, shipped_series(), now.date())
        },
        "config": {f.result.value for f in ossn_config.judge_host_config(facts, index)},
    }


@pytest.mark.usefixtures("isolated_host")
@pytest.mark.parametrize("shape", ["missing", "empty", "no version", "oversized"])
def test_the_judge_aborts_a_host_whose_nova_metadata_is_unreadable(
    module: ModuleType, tmp_path: Path, shape: str
) -> None:
    site = site_of(tmp_path / "venv")
    good_distribution(site, "keystone", "26.0.0")
    (site / "nova-29.0.1.dist-info").mkdir()
    BROKEN_METADATA[shape](site / "nova-29.0.1.dist-info")
    document = gather(module, venv=tmp_path / "venv")
    assert [gap["item"].rsplit(" ", 1)[1] for gap in document["incomplete"]] == ["nova-29.0.1.dist-info"]
    results = judged(document)
    assert results["inventory"] == {"ABORT"}
    for testcase in ("ossa", "release", "config"):
        assert "ABORT" in results[testcase], testcase  # the host's gap: no testcase passes it
    facts = HostFacts.from_document("cmp1.json", document)
    assert "nova-29.0.1.dist-info" in inventory_complete.judge_inventory(facts).message


def test_facts_naming_a_distribution_without_version_abort_in_the_judge() -> None:
    """Facts from a collector before this change carried nova with version null: no silent drop."""
    document = host_facts_document(
        "cmp1",
        python=[
            {
                "kind": "venv",
                "path": "/opt/nova",
                "service": None,
                "distributions": [
                    {"name": "keystone", "product": "keystone", "version": "26.0.0", "git_sha": None},
                    {"name": "nova", "product": "nova", "version": None, "git_sha": None},
                ],
            }
        ],
    )
    facts = HostFacts.from_document("cmp1.json", document)
    assert [c.product for c in facts.components] == ["keystone"]
    assert facts.incomplete == (("venvs", "/opt/nova nova", "no version in its metadata: not judged"),)
    assert judged(document)["inventory"] == {"ABORT"}


# -- point 15: one file never loses the host -------------------------------------------------------


@pytest.mark.usefixtures("isolated_host")
def test_symlink_loops_and_fifos_are_items_not_crashes(module: ModuleType, tmp_path: Path) -> None:
    nova = tmp_path / "etc/nova"
    nova.mkdir(parents=True)
    (nova / "loop-a.conf").symlink_to(nova / "loop-b.conf")
    (nova / "loop-b.conf").symlink_to(nova / "loop-a.conf")
    (nova / "nova.conf").symlink_to(nova / "loop-a.conf")
    os.mkfifo(nova / "policy.yaml")
    (nova / "api-paste.ini").write_text("[composite:osapi]\nuse = egg:Paste#urlmap\n")
    site = site_of(tmp_path / "venv")
    good_distribution(site, "keystone", "26.0.0")
    (site / "nova-29.0.1.dist-info").mkdir()
    os.mkfifo(site / "nova-29.0.1.dist-info" / "METADATA")
    document = in_time(lambda: gather(module, venv=tmp_path / "venv", etc=tmp_path / "etc"))
    items = {Path(gap["item"].rsplit(" ", 1)[-1]).name for gap in document["incomplete"]}
    assert {"nova.conf", "policy.yaml", "nova-29.0.1.dist-info"} <= items
    assert document["config"]["nova"][str(nova / "api-paste.ini")]["readable"] is True
    assert judged(document)["inventory"] == {"ABORT"}


def raising_realpath(target: str) -> Callable[..., str]:
    """``os.path.realpath`` that fails for ``target`` as it does when a link is swapped mid-resolve."""
    real = os.path.realpath

    def realpath(path: Any, *args: Any, **kwargs: Any) -> str:
        if os.fspath(path) == target:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), target)
        return real(path, *args, **kwargs)

    return realpath


@pytest.mark.usefixtures("isolated_host")
@pytest.mark.parametrize("victim", ["config", "metadata"])
def test_realpath_raising_is_an_item_not_a_crash(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, victim: str
) -> None:
    nova = tmp_path / "etc/nova"
    nova.mkdir(parents=True)
    (nova / "nova.conf").write_text("[DEFAULT]\ndebug = true\n")
    site = site_of(tmp_path / "venv")
    good_distribution(site, "nova", "29.0.1")
    target = str(nova / "nova.conf" if victim == "config" else site / "nova-29.0.1.dist-info" / "METADATA")
    monkeypatch.setattr(os.path, "realpath", raising_realpath(target))  # the one os module every reader uses
    document = gather(module, venv=tmp_path / "venv", etc=tmp_path / "etc")
    monkeypatch.undo()
    (gap,) = document["incomplete"]
    assert target in gap["reason"] and "Too many levels of symbolic links" in gap["reason"]
    assert judged(document)["inventory"] == {"ABORT"}


@pytest.mark.usefixtures("isolated_host")
def test_policy_json_nested_100000_deep_is_not_parseable_not_a_lost_host(
    module: ModuleType, tmp_path: Path
) -> None:
    nova = tmp_path / "etc/nova"
    nova.mkdir(parents=True)
    (nova / "policy.json").write_text("[" * 100_000)
    (nova / "policy.yaml").write_text("{" * 100_000)  # JSON is YAML: read as JSON
    site = site_of(tmp_path / "venv")
    good_distribution(site, "nova", "29.0.1")
    (site / "nova-29.0.1.dist-info" / "pbr.json").write_text("[" * 60_000)
    document = gather(module, venv=tmp_path / "venv", etc=tmp_path / "etc")
    reasons = {Path(gap["item"]).name: gap["reason"] for gap in document["incomplete"]}
    assert reasons == {"policy.json": "not parseable as policy", "policy.yaml": "not parseable as policy"}
    assert document["python"][0]["distributions"][0]["git_sha"] is None
    assert judged(document)["inventory"] == {"ABORT"}


@pytest.mark.usefixtures("isolated_host")
def test_an_unforeseen_exception_costs_one_distribution(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = site_of(tmp_path / "venv")
    good_distribution(site, "keystone", "26.0.0")
    good_distribution(site, "nova", "29.0.1")
    real = python_environments.distribution_metadata

    def failing(folder: str, tree: str = "/") -> tuple[str | None, str | None]:
        if "nova" in folder:
            raise RuntimeError(f"bug quoting {CANARY}")
        return real(folder, tree)  # type: ignore[no-any-return]

    monkeypatch.setattr(python_environments, "distribution_metadata", failing)
    document = gather(module, venv=tmp_path / "venv")
    assert [d["product"] for d in document["python"][0]["distributions"]] == ["keystone"]
    (gap,) = document["incomplete"]
    assert gap["item"].endswith("nova-29.0.1.dist-info") and gap["reason"].endswith("RuntimeError")
    assert CANARY not in json.dumps(document)


@pytest.mark.usefixtures("isolated_host")
@pytest.mark.parametrize("source", ["packages", "containers", "config"])
def test_an_unforeseen_exception_costs_one_source_not_the_host(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    reader = {"packages": "read_dpkg", "containers": "containers", "config": "configuration"}[source]

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise KeyError(CANARY)

    monkeypatch.setattr(module, reader, failing)
    site = site_of(tmp_path / "venv")
    good_distribution(site, "nova", "29.0.1")
    document = gather(module, venv=tmp_path / "venv")
    assert document["python"][0]["distributions"][0]["product"] == "nova"
    assert document["incomplete"] == [
        {"source": source, "item": "(the whole source)", "reason": "stopped by KeyError; the rest not read"}
    ]
    assert CANARY not in json.dumps(document)
    assert judged(document)["inventory"] == {"ABORT"}


@pytest.mark.parametrize(
    "inspected",
    [
        ["not an object"],
        [{"Name": "nova_api", "Config": ["a list"], "GraphDriver": "text"}],
        [{"Name": {"nested": 1}, "Config": {"Labels": None}, "GraphDriver": {"Data": []}}],
    ],
)
def test_containers_of_unexpected_shapes_are_gaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inspected: list[Any]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    podman = bin_dir / "podman"
    podman.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = ps ]; then echo 0123abcd; exit 0; fi\n'
        f"cat <<'EOF'\n{json.dumps(inspected)}\nEOF\n"
    )
    podman.chmod(podman.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/bin{os.pathsep}/usr/bin")
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    found = containers.containers({"nova"}, errors, gaps)
    assert len(found) == 1 and found[0]["readable"] is False
    assert [gap["source"] for gap in gaps] == ["containers"]


def test_a_venv_folder_that_cannot_be_listed_is_a_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a non-root gatherer meets a venv at 0700 (root reads through any mode: the refusal is made)."""
    venvs = tmp_path / "openstack/venvs"
    site_of(venvs / "nova-29.0.1")
    good_distribution(site_of(tmp_path / "kolla"), "nova", "29.0.1")
    refused = {str(venvs), str(tmp_path / "kolla" / "lib")}
    real = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        if os.fspath(path) in refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)  # the one os module every reader uses
    gaps: list[dict[str, str]] = []
    environments = python_environments.python_environments(
        [str(tmp_path / "kolla")], {"nova"}, gaps, prefix="", system=False
    )
    environments += python_environments.python_environments(
        [], {"nova"}, gaps, prefix=str(tmp_path), system=False
    )
    monkeypatch.undo()
    assert environments == []
    assert sorted((gap["item"], gap["reason"]) for gap in gaps) == sorted(
        [
            (str(tmp_path / "kolla"), f"{tmp_path / 'kolla' / 'lib'}: Permission denied"),
            (str(venvs), "venv folder not listable: Permission denied"),
        ]
    )
