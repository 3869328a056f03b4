"""Python installs found: PyPI names that differ from the deliverable, and one install per real path.

The layouts are built in a scratch folder the way OpenStack-Ansible and Kolla build them (an
OSA venv per service; Kolla's ``/var/lib/kolla/venv`` with the ``lib/python3 -> python3.11``
link), holding the real ``METADATA`` and ``pbr.json`` of PyPI wheels (``tests/fixtures/dist-info``).
The product names the controller passes are what ``patchcheck advisories products`` and
``patchcheck advisories distributions`` print, as the operator playbook passes them.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import containers, python_environments
from ansible_collections.scs.patchcheck.plugins.module_utils.products import Wanted

from patchcheck.cli import main
from patchcheck.facts.model import HostFacts
from patchcheck.judge import maintained_release
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.series import shipped_series
from tests.helpers import load_module

REPO = Path(__file__).resolve().parents[2]
MODULE_PATH = REPO / "plugins/modules/host_facts.py"
DIST_INFO = REPO / "tests/fixtures/dist-info"


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH, "host_facts")


@pytest.fixture(scope="module")
def controller() -> tuple[list[str], dict[str, str]]:
    """What the operator playbook asks the index for: the products and the distribution names."""
    import contextlib
    import io

    answers = []
    for action in ("products", "distributions"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["advisories", action]) == 0
        answers.append(out.getvalue())
    return answers[0].split(), json.loads(answers[1])


def install(site: Path, *wheels: str) -> None:
    """Copy real dist-info folders into a site folder, as pip leaves them."""
    site.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        shutil.copytree(DIST_INFO / f"{wheel}.dist-info", site / f"{wheel}.dist-info")


def kolla_venv(tree: Path, *wheels: str) -> None:
    """``/var/lib/kolla/venv`` as Kolla builds it: lib/python3.11 and the ``lib/python3`` link to it."""
    lib = tree / "var/lib/kolla/venv/lib"
    install(lib / "python3.11/site-packages", *wheels)
    (lib / "python3").symlink_to("python3.11")


def gathered(module: ModuleType, controller: tuple[list[str], dict[str, str]], **params: object) -> dict:
    products, distributions = controller
    return module.gather(
        {
            "products": products,
            "distributions": distributions,
            "services": [],
            "venvs": [],
            "config_roots": [],
            "host": "osa1",
            "sources": ["venvs"],
            "keep_options": [],
            **params,
        }
    )


def test_the_release_data_says_heat_is_openstack_heat(controller: tuple[list[str], dict[str, str]]) -> None:
    products, distributions = controller
    assert distributions["openstack-heat"] == "heat"
    assert distributions["openstack-placement"] == "placement"
    # the others of the Debian 13 host publish under their own names (their wheels' METADATA say so)
    for name in ("designate", "zaqar", "trove", "aodh", "magnum", "barbican", "neutron"):
        assert name not in distributions and name in products
    assert "openstack-heat" not in products  # a name, not a product


def test_heat_from_pypi_is_seen_in_an_openstack_ansible_venv(
    module: ModuleType, controller: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    venv = tmp_path / "openstack/venvs/heat-29.2.4"
    install(venv / "lib/python3.11/site-packages", "openstack_heat-22.0.1")
    document = gathered(module, controller, venvs=[str(venv)])
    assert document["incomplete"] == []
    assert document["python"][0]["kind"] == "openstack-ansible"
    assert document["python"][0]["service"] == "heat"
    assert document["python"][0]["distributions"] == [
        {"name": "openstack-heat", "product": "heat", "version": "22.0.1", "git_sha": "512052a05"}
    ]
    # without the release data's names, heat goes unseen: the map is what finds it
    unmapped = gathered(module, controller, venvs=[str(venv)], distributions={})
    assert unmapped["python"][0]["distributions"] == []
    assert unmapped["python"][0]["installed"] == [{"name": "openstack-heat", "version": "22.0.1"}]


def test_heat_in_system_site_packages_and_in_a_container(
    controller: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    products, distributions = controller
    wanted = Wanted(products, distributions)
    install(tmp_path / "usr/lib/python3/dist-packages", "openstack_heat-22.0.1")
    gaps: list[dict[str, str]] = []
    environments = python_environments.python_environments(
        [], wanted, gaps, prefix=str(tmp_path), system=True
    )
    assert gaps == []
    assert [(e["kind"], e["path"], e["managed_by"]) for e in environments] == [
        ("system", "/usr/lib/python3/dist-packages", "dpkg")
    ]
    assert environments[0]["distributions"][0]["product"] == "heat"
    merged = tmp_path / "heat_api-merged"
    kolla_venv(merged, "openstack_heat-22.0.1")
    inspect = {"Name": "heat_api", "Config": {}, "GraphDriver": {"Data": {"MergedDir": str(merged)}}}
    facts = containers.container_facts("podman", inspect, wanted, gaps)
    assert gaps == []
    assert [d["product"] for env in facts["python"] for d in env["distributions"]] == ["heat"]


def test_a_kolla_venv_is_one_install_per_real_path(
    controller: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    """lib/python3 -> python3.11 is the same site folder: each distribution once, not twice."""
    products, distributions = controller
    merged = tmp_path / "barbican_api-merged"
    kolla_venv(merged, "barbican-19.0.0", "neutron-25.0.0")
    install(merged / "usr/lib/python3/dist-packages", "designate-18.1.0")  # --system-site-packages
    inspect = {"Name": "barbican_api", "Config": {}, "GraphDriver": {"Data": {"MergedDir": str(merged)}}}
    gaps: list[dict[str, str]] = []
    facts = containers.container_facts("podman", inspect, Wanted(products, distributions), gaps)
    assert gaps == []
    assert sorted((env["kind"], env["path"]) for env in facts["python"]) == [
        ("kolla", "/var/lib/kolla/venv"),
        ("system", "/usr/lib/python3/dist-packages"),
    ]
    found = sorted(d["product"] for env in facts["python"] for d in env["distributions"])
    assert found == ["barbican", "designate", "neutron"]
    host = HostFacts.from_document(
        "kolla1.json",
        {
            "host": "kolla1",
            "collected_at": "2026-12-05T00:00:00+00:00",
            "reachable": True,
            "packages": [],
            "python": [],
            "containers": [facts],
            "config": {},
            "errors": [],
        },
    )
    assert sorted((c.product, c.version) for c in host.components) == [
        ("barbican", "19.0.0"),
        ("designate", "18.1.0"),
        ("neutron", "25.0.0"),
    ]


def test_facts_of_an_older_collector_count_each_install_once(
    controller: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    """Collectors before the fix listed Kolla's venv twice (python3 and python3.11): one component each."""
    products, distributions = controller
    merged = tmp_path / "neutron_server-merged"
    install(merged / "var/lib/kolla/venv/lib/python3.11/site-packages", "neutron-25.0.0")
    inspect = {"Name": "neutron_server", "Config": {}, "GraphDriver": {"Data": {"MergedDir": str(merged)}}}
    facts = containers.container_facts("podman", inspect, Wanted(products, distributions), [])
    assert len(facts["python"]) == 1
    facts["python"] = facts["python"] * 2  # what the older collector wrote for the linked folder
    document = {
        "host": "kolla1",
        "collected_at": "2026-12-05T00:00:00+00:00",
        "reachable": True,
        "packages": [],
        "python": [],
        "containers": [facts],
        "config": {},
        "errors": [],
    }
    components = HostFacts.from_document("kolla1.json", document).components
    assert [(c.product, c.version, c.source) for c in components] == [
        ("neutron", "25.0.0", "container:neutron_server")
    ]


def test_a_site_link_out_of_the_scanned_tree_is_not_followed(
    controller: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    """A container's lib/python3.12 pointing at the host's folders: not read, and said so."""
    products, _distributions = controller
    outside = tmp_path / "host-python"
    install(outside / "site-packages", "neutron-25.0.0")
    merged = tmp_path / "neutron_server-merged"
    kolla_venv(merged, "barbican-19.0.0")
    (merged / "var/lib/kolla/venv/lib/python3.12").symlink_to(outside)
    gaps: list[dict[str, str]] = []
    environments = python_environments.python_environments(
        [], set(products), gaps, prefix=str(merged), system=False
    )
    assert [d["product"] for env in environments for d in env["distributions"]] == ["barbican"]
    assert len(gaps) == 1
    assert gaps[0]["source"] == "venvs"
    assert gaps[0]["item"] == "/var/lib/kolla/venv"
    assert "a link out of" in gaps[0]["reason"] and "not followed" in gaps[0]["reason"]


def test_zaqar_gets_its_release_check(
    module: ModuleType, controller: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    """zaqar is a service of openstack/releases: its installed version names a series and is judged."""
    venv = tmp_path / "openstack/venvs/zaqar-29.2.4"
    install(venv / "lib/python3.11/site-packages", "zaqar-19.0.0", "openstack_heat-22.0.1")
    document = gathered(module, controller, venvs=[str(venv)])
    facts = HostFacts.from_document("osa1.json", document)
    index = shipped_index()
    assert "zaqar" in index.services and "heat" in index.services
    findings = maintained_release.judge_host_release(facts, index, shipped_series(), dt.date.today())
    by_product = {finding.evidence["product"]: finding for finding in findings if finding.evidence}
    assert set(by_product) == {"heat", "zaqar"}
    assert by_product["zaqar"].evidence["series"] == "dalmatian"  # zaqar 19.0.0 is Dalmatian's
    assert by_product["heat"].evidence["series"] == "caracal"  # openstack-heat 22.0.1 is Caracal's
