"""Every installed Python distribution and system package, for scs-0124's dependency clause.

Real inputs only: this machine's dpkg database (copied into a scratch tree, and held with dpkg
itself), checked against ``dpkg-query``; a venv made with ``python -m venv`` into which pip
installs wheels built from the real PyPI ``METADATA`` of ``tests/fixtures/dist-info``, checked
against ``pip list``. Each has a hostile twin: what cannot be read is listed with its reason in
``installed_unread`` or ``system_packages_unread``, never in ``incomplete`` (which would abort every
testcase of the host), and the module still answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import (
    containers,
    host_packages,
)

from patchcheck.facts.load import schema_error
from patchcheck.facts.model import HostFacts, PackageSet
from tests.helpers import host_facts_document, load_module
from tests.unit.test_host_module_installs import DIST_INFO, MODULE_PATH, kolla_venv

STATUS = Path("/var/lib/dpkg/status")
needs_dpkg = pytest.mark.skipif(
    not STATUS.is_file() or not shutil.which("dpkg-query"), reason="needs a Debian host's dpkg"
)
#: The wheels pip installs: real PyPI metadata (heat publishes as openstack-heat).
WHEELS = ("openstack_heat-22.0.1", "zaqar-19.0.0")


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH, "host_facts_installed")


def gather(module: ModuleType, **params: Any) -> dict[str, Any]:
    return module.gather(
        {
            "products": ["nova", "heat", "zaqar"],
            "distributions": {"openstack-heat": "heat"},
            "services": [],
            "venvs": [],
            "config_roots": [],
            "host": "ctl1",
            "sources": ["venvs"],
            "keep_options": [],
            **params,
        }
    )


# -- dpkg


def dpkg_tree(tmp_path: Path) -> Path:
    """A scratch root holding a copy of this machine's dpkg status file."""
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    shutil.copyfile(STATUS, tmp_path / "var/lib/dpkg/status")
    return tmp_path


def dpkg_query(admindir: Path) -> set[tuple[str, str, str, str, str]]:
    """What dpkg itself says is installed (``ii`` or ``hi``): name, version, source, its version, arch."""
    out = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={admindir}",
            "-W",
            "-f",
            "${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return {tuple(row[1:]) for row in rows if row[0].strip() in ("ii", "hi")}  # type: ignore[misc]


@needs_dpkg
def test_every_installed_debian_package_is_read_as_dpkg_query_reads_it(tmp_path: Path) -> None:
    root = dpkg_tree(tmp_path)
    gaps: list[dict[str, str]] = []
    wanted, installed = host_packages.read_dpkg(frozenset(), gaps, root=str(root))
    assert gaps == [] and wanted == []  # nothing wanted: no changelog read
    assert installed is not None and installed["manager"] == "dpkg"
    packages = installed["packages"]
    seen = {(p["name"], p["version"], p["source"], p["source_version"], p["architecture"]) for p in packages}
    assert seen == dpkg_query(root / "var/lib/dpkg")
    assert len(packages) == len(seen) > 100
    by_name = {p["name"]: p for p in packages}
    assert by_name["dpkg"]["source"] == "dpkg"
    assert {"libc6", "tar"} <= set(by_name["dpkg"]["depends"])  # Pre-Depends and Depends
    for package in packages:
        for name in package["depends"] + package["provides"]:
            assert name and not set(name) & set(" ()|,:[]<>"), (package["name"], name)


@needs_dpkg
def test_a_binary_package_of_a_versioned_source_carries_the_source_version(tmp_path: Path) -> None:
    """``Source: bash (5.2.15-2)`` beside ``Version: 5.2.15-2+b8`` (a binNMU): the tracker names the first."""
    stanzas = [dict(host_packages.dict_of_stanza(s)) for s in STATUS.read_text().split("\n\n")]
    versioned = [
        s for s in stanzas if "(" in s.get("Source", "") and s.get("Status") == "install ok installed"
    ]
    if not versioned:
        pytest.skip("no installed package here is built from a source of another version")
    stanza = versioned[0]
    source, _space, version = stanza["Source"].partition(" ")
    _wanted, installed = host_packages.read_dpkg(frozenset(), [], root=str(dpkg_tree(tmp_path)))
    assert installed is not None
    (package,) = [
        p
        for p in installed["packages"]
        if (p["name"], p["architecture"]) == (stanza["Package"], stanza["Architecture"])
    ]
    assert (package["source"], package["source_version"]) == (source, version.strip("()"))
    assert package["version"] == stanza["Version"]


@needs_dpkg
def test_a_held_package_is_installed(tmp_path: Path) -> None:
    """``hold ok installed``, written by dpkg itself: held back from upgrades, still installed."""
    root = dpkg_tree(tmp_path)
    admindir = root / "var/lib/dpkg"
    (admindir / "updates").mkdir()
    subprocess.run(
        ["dpkg", f"--admindir={admindir}", "--set-selections"], input="dpkg hold\n", text=True, check=True
    )
    assert "Status: hold ok installed" in (admindir / "status").read_text()
    wanted, installed = host_packages.read_dpkg({"dpkg"}, [], root=str(root))
    assert installed is not None and "dpkg" in {p["name"] for p in installed["packages"]}
    assert "dpkg" in [p["name"] for p in wanted]  # a held OpenStack package is seen too


@needs_dpkg
def test_the_module_reads_this_machines_packages_once_and_valid(module: ModuleType) -> None:
    facts = gather(module, sources=["packages"])
    assert schema_error("host", 1, facts) is None
    installed = facts["system_packages"]
    assert installed["manager"] == "dpkg"
    assert len(installed["packages"]) == len(dpkg_query(STATUS.parent))
    host = HostFacts.from_document("ctl1.json", facts)
    assert host.package_sets is not None
    (found,) = host.package_sets
    assert found.where == "host" and found.manager == "dpkg" and found.os == facts["os"]
    assert len(found.packages) == len(installed["packages"])
    without = gather(module, sources=["venvs"])
    assert without["system_packages"] is None
    assert HostFacts.from_document("ctl1.json", without).package_sets is None


def test_rpm_query_lines() -> None:
    """Lines of the module's ``rpm -qa --qf`` as RHEL 9 answers them (no rpm on this machine to ask)."""
    assert host_packages.rpm_package(
        "openssl-libs\t1\t3.0.7\t27.el9\tx86_64\topenssl-3.0.7-27.el9.src.rpm"
    ) == {
        "name": "openssl-libs",
        "version": "1:3.0.7-27.el9",
        "source": "openssl",
        "source_version": "1:3.0.7-27.el9",
        "architecture": "x86_64",
        "depends": [],
        "provides": [],
    }
    python = host_packages.rpm_package(
        "python3-oslo-messaging\t0\t14.3.1\t1.el9s\tnoarch\tpython-oslo-messaging-14.3.1-1.el9s.src.rpm"
    )
    assert python is not None and (python["source"], python["version"]) == (
        "python-oslo-messaging",
        "14.3.1-1.el9s",
    )
    pubkey = host_packages.rpm_package("gpg-pubkey\t0\tfd431d51\t4ae0493b\t(none)\t(none)")
    assert pubkey is not None and (pubkey["source"], pubkey["architecture"]) == ("gpg-pubkey", None)
    assert host_packages.rpm_package("an old five-field line\t0\t1\t2\tx.src.rpm") is None


# -- Python


def wheel(folder: Path, dist_info: str) -> Path:
    """A wheel holding a real PyPI ``METADATA`` (and ``pbr.json``), as pip installs it."""
    name = dist_info.rsplit("-", 1)[0]
    path = folder / f"{dist_info}-py3-none-any.whl"
    info = f"{dist_info}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        for member in ("METADATA", "pbr.json"):
            archive.write(DIST_INFO / info / member, f"{info}/{member}")
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{name}_marker.py", "")
        archive.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m venv`` (pip from ensurepip, offline) and ``pip install --no-deps`` of two wheels."""
    root = tmp_path_factory.mktemp("venvs")
    folder = root / "openstack/venvs/heat-22.0.1"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    wheels = [str(wheel(root, name)) for name in WHEELS]
    environment = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    subprocess.run(
        [str(folder / "bin/python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q", *wheels],
        check=True,
        timeout=300,
        env=environment,
    )
    return folder


def pip_list(venv: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [{"name": item["name"], "version": item["version"]} for item in json.loads(out)]


def key(item: dict[str, str]) -> tuple[str, str]:
    return item["name"].lower().replace("_", "-"), item["version"]


def test_a_venv_lists_every_distribution_pip_lists(module: ModuleType, venv: Path) -> None:
    facts = gather(module, venvs=[str(venv)])
    assert facts["incomplete"] == [] and schema_error("host", 1, facts) is None
    (environment,) = facts["python"]
    assert sorted(map(key, environment["installed"])) == sorted(map(key, pip_list(venv)))
    names = [item["name"] for item in environment["installed"]]
    assert {"pip", "openstack-heat", "zaqar"} <= set(names)
    assert names == sorted(names, key=str.lower)
    assert environment["installed_unread"] == []
    assert sorted(d["product"] for d in environment["distributions"]) == ["heat", "zaqar"]  # the same read
    host = HostFacts.from_document("ctl1.json", facts)
    assert host.installed_distributions is not None
    heat = next(d for d in host.installed_distributions if d.key == "openstack-heat")
    assert (heat.name, heat.version, heat.kind, heat.managed_by, heat.container) == (
        "openstack-heat",
        "22.0.1",
        "openstack-ansible",
        None,
        None,
    )
    assert heat.where == f"openstack-ansible {venv}"
    assert host.unread_distributions == ()


def hostile_site(site: Path, outside: Path) -> dict[str, str]:
    """Distribution folders whose metadata cannot be read, and the reason expected for each."""
    fifo = site / "fifo_metadata-1.0.dist-info"
    fifo.mkdir()
    os.mkfifo(fifo / "METADATA")
    linked = site / "linked_out-1.0.dist-info"
    linked.mkdir()
    (outside / "METADATA").write_text("Metadata-Version: 2.1\nName: linked-out\nVersion: 1.0\n\n")
    (linked / "METADATA").symlink_to(outside / "METADATA")
    large = site / "large_metadata-1.0.dist-info"
    large.mkdir()
    (large / "METADATA").write_bytes(
        b"Metadata-Version: 2.1\nName: large-metadata\nVersion: 1.0\n\n" + b"x" * (2 * 1024 * 1024)
    )
    versionless = site / "no_version-1.0.dist-info"
    versionless.mkdir()
    (versionless / "METADATA").write_text("Metadata-Version: 2.1\nName: no-version\n\n")
    return {
        fifo.name: "not a regular file",
        linked.name: "a link out of",
        large.name: "larger than",
        versionless.name: "its metadata has no Version",
    }


def test_unreadable_distributions_are_listed_for_the_judge_never_as_gaps(
    module: ModuleType, venv: Path, tmp_path: Path
) -> None:
    """On the host (the tree is /, so the link is read there) and in a container (the link leaves it)."""
    hostile = tmp_path / "merged/openstack/venvs/heat-22.0.1"
    shutil.copytree(venv, hostile, symlinks=True)
    site = next(hostile.glob("lib/python3*/site-packages"))
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = hostile_site(site, outside)
    facts = gather(module, venvs=[str(hostile)], sources=["venvs"])
    assert facts["incomplete"] == [] and schema_error("host", 1, facts) is None
    (environment,) = facts["python"]
    unread = {item["entry"]: item["reason"] for item in environment["installed_unread"]}
    assert set(unread) == set(expected) - {"linked_out-1.0.dist-info"}
    for entry, reason in unread.items():
        assert expected[entry] in reason, (entry, reason)
    pip_saw = sorted([*map(key, pip_list(venv)), ("linked-out", "1.0")])
    assert sorted(map(key, environment["installed"])) == pip_saw
    host = HostFacts.from_document("ctl1.json", facts)
    assert host.incomplete == ()
    assert {(where, entry) for where, entry, _reason in host.unread_distributions} == {
        (f"openstack-ansible {hostile}", entry) for entry in unread
    }
    gaps: list[dict[str, str]] = []
    inspect = {
        "Name": "heat_api",
        "Config": {},
        "GraphDriver": {"Data": {"MergedDir": str(tmp_path / "merged")}},
    }
    found = containers.container_facts("docker", inspect, {"heat"}, gaps)
    assert gaps == []
    (environment,) = found["python"]
    unread = {item["entry"]: item["reason"] for item in environment["installed_unread"]}
    assert set(unread) == set(expected)
    for entry, reason in expected.items():
        assert reason in unread[entry], (entry, unread[entry])
    assert sorted(map(key, environment["installed"])) == sorted(map(key, pip_list(venv)))


def test_an_unreadable_wanted_distribution_is_both_unread_and_a_gap(
    module: ModuleType, tmp_path: Path
) -> None:
    """nova's own folder unread: the host's OpenStack evidence is incomplete, as before."""
    site = tmp_path / "venv/lib/python3.11/site-packages/nova-29.0.1.dist-info"
    site.mkdir(parents=True)
    os.mkfifo(site / "METADATA")
    facts = gather(module, venvs=[str(tmp_path / "venv")])
    assert [item["entry"] for item in facts["python"][0]["installed_unread"]] == ["nova-29.0.1.dist-info"]
    assert [gap["item"].rsplit(" ", 1)[1] for gap in facts["incomplete"]] == ["nova-29.0.1.dist-info"]


def test_older_facts_say_not_gathered() -> None:
    """Facts of a collector before these fields: None, which the judge reads as "not gathered"."""
    environment = {
        "kind": "venv",
        "path": "/opt/nova",
        "distributions": [{"name": "nova", "product": "nova", "version": "29.0.1"}],
    }
    old = HostFacts.from_document("old.json", host_facts_document(python=[environment]))
    assert (old.installed_distributions, old.package_sets, old.unread_distributions) == (None, None, ())
    new = HostFacts.from_document("new.json", host_facts_document(system_packages=None))
    assert new.installed_distributions == ()  # venvs and packages read, no environment found
    skipped = HostFacts.from_document(
        "new.json", host_facts_document(system_packages=None, sources=["config"])
    )
    assert skipped.installed_distributions is None


# -- containers


@needs_dpkg
def test_a_container_tree_has_its_own_release_packages_and_python(tmp_path: Path) -> None:
    """A merged layer: os-release (an absolute link, read in the tree, not the host's), dpkg, Kolla's venv."""
    merged = tmp_path / "nova_api-merged"
    dpkg_tree(merged)
    (merged / "usr/lib").mkdir(parents=True)
    (merged / "usr/lib/os-release").write_text(
        'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n'
    )
    (merged / "etc").mkdir()
    (merged / "etc/os-release").symlink_to("/usr/lib/os-release")  # absolute: the host's, out of the tree
    kolla_venv(merged, "zaqar-19.0.0")
    inspect = {"Name": "/nova_api", "Config": {}, "GraphDriver": {"Data": {"MergedDir": str(merged)}}}
    gaps: list[dict[str, str]] = []
    found = containers.container_facts("docker", inspect, {"zaqar"}, gaps)
    assert gaps == []
    assert found["os"] == {
        "pretty_name": "Ubuntu 24.04.1 LTS",
        "id": "ubuntu",
        "version_id": "24.04",
        "version_codename": "noble",
    }
    assert found["system_packages"]["manager"] == "dpkg"
    assert len(found["system_packages"]["packages"]) == len(dpkg_query(STATUS.parent))
    assert found["system_packages_unread"] is None
    assert found["python"][0]["installed"] == [{"name": "zaqar", "version": "19.0.0"}]
    document = host_facts_document(containers=[found], system_packages=None, os={"id": "debian"})
    assert schema_error("host", 1, document) is None
    host = HostFacts.from_document("ctl1.json", document)
    assert host.package_sets is not None
    assert [(s.where, s.os.get("id"), s.manager) for s in host.package_sets] == [
        ("container:nova_api", "ubuntu", "dpkg")
    ]
    (zaqar,) = host.installed_distributions or ()
    assert (zaqar.where, zaqar.container) == ("kolla /var/lib/kolla/venv (container:nova_api)", "nova_api")


def test_a_container_packages_not_read_are_said_not_gaps(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo-merged"
    (fifo / "var/lib/dpkg").mkdir(parents=True)
    os.mkfifo(fifo / "var/lib/dpkg/status")
    rpm = tmp_path / "rpm-merged"
    (rpm / "var/lib/rpm").mkdir(parents=True)
    bare = tmp_path / "distroless-merged"
    bare.mkdir()
    answers = {}
    for merged in (fifo, rpm, bare):
        gaps: list[dict[str, str]] = []
        inspect = {"Name": merged.name, "Config": {}, "GraphDriver": {"Data": {"MergedDir": str(merged)}}}
        found = containers.container_facts("podman", inspect, {"nova"}, gaps)
        assert gaps == []
        answers[merged.name] = (found["os"], found["system_packages"], found["system_packages_unread"])
    assert answers == {
        "fifo-merged": ({}, None, "/var/lib/dpkg/status: not a regular file"),
        "rpm-merged": ({}, None, "an rpm database: not queried inside a container"),
        "distroless-merged": ({}, None, None),
    }


def test_package_sets_put_the_host_first() -> None:
    package = {
        "name": "libssl3",
        "version": "3.0.15-1~deb12u1",
        "source": "openssl",
        "source_version": "3.0.15-1~deb12u1",
        "architecture": "amd64",
        "depends": ["libc6"],
        "provides": [],
    }
    container = {
        "engine": "docker",
        "name": "keystone",
        "image": None,
        "labels": {},
        "python": [],
        "readable": True,
    }
    document = host_facts_document(
        os={"id": "debian", "version_codename": "bookworm"},
        system_packages={"manager": "dpkg", "packages": [package]},
        containers=[
            {
                **container,
                "os": {"id": "ubuntu"},
                "system_packages": {"manager": "dpkg", "packages": [package]},
            }
        ],
    )
    assert schema_error("host", 1, document) is None
    sets = HostFacts.from_document("ctl1.json", document).package_sets
    assert sets is not None
    assert [(s.where, s.os.get("id")) for s in sets] == [("host", "debian"), ("container:keystone", "ubuntu")]
    assert sets[0].packages[0] is sets[1].packages[0]  # one object per distinct package: a fleet fits
    assert isinstance(sets[0], PackageSet) and sets[0].packages[0].depends == ("libc6",)
