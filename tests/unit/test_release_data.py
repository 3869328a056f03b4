"""What openstack/releases says besides versions: which deliverables are services, and their PyPI names.

Read from the real snapshot of openstack/releases (``../shared/data/releases``) and from copies of
its own files; nothing here is a hand-written deliverable.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from patchcheck.knowledge import sources
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.sources import (
    SERVICES_OF_OLDER_INDEXES,
    DeliverableFacts,
    product_key,
    read_deliverable_facts,
)
from tests.helpers import shared_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def facts() -> DeliverableFacts:
    return read_deliverable_facts(shared_data() / "releases")


def test_distribution_names_come_from_the_deliverable_files(facts: DeliverableFacts) -> None:
    # repository-settings tarball-base (gazpacho/heat.yaml) and pypi-name (pike/heat.yaml) agree
    assert facts.distributions["openstack-heat"] == "heat"
    assert facts.distributions["openstack-placement"] == "placement"
    assert facts.distributions["keystoneauth1"] == "keystoneauth"
    assert facts.distributions["python-watcher"] == "watcher"
    # python-pankoclient's pike file names aodhclient once, python-aodhclient's files since mitaka all do
    assert facts.distributions["aodhclient"] == "python-aodhclient"
    # a name that is a deliverable of its own stays it, though an old bundle listed its repository
    assert "cliff" not in facts.distributions and "neutron-fwaas" not in facts.distributions
    # the names PyPI serves them under are their own (checked with pip download, 2026-12-05)
    for name in ("designate", "zaqar", "trove", "aodh", "magnum", "barbican", "nova", "neutron"):
        assert name not in facts.distributions
    assert facts.ambiguous == {}


def test_services_are_the_deliverables_of_type_service(facts: DeliverableFacts) -> None:
    assert "zaqar" in facts.services
    assert facts.services > SERVICES_OF_OLDER_INDEXES  # nothing judged before is lost
    assert not {"os-brick", "oslo-messaging", "python-novaclient", "kolla-ansible"} & facts.services


def test_the_text_filter_skips_only_files_that_say_nothing(
    facts: DeliverableFacts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing every one of the 6,000 files gives the same answer as parsing the few that may tell."""
    monkeypatch.setattr(sources, "FACT_MARKERS", ("",))
    assert read_deliverable_facts(shared_data() / "releases") == facts


def test_a_name_claimed_alike_maps_to_none(tmp_path: Path) -> None:
    """Pike alone: python-aodhclient and python-pankoclient each name aodhclient once."""
    pike = tmp_path / "deliverables" / "pike"
    pike.mkdir(parents=True)
    for name in ("python-aodhclient", "python-pankoclient"):
        shutil.copy(shared_data() / "releases/deliverables/pike" / f"{name}.yaml", pike)
    facts = read_deliverable_facts(tmp_path)
    assert "aodhclient" not in facts.distributions
    assert facts.ambiguous == {"aodhclient": ("python-aodhclient", "python-pankoclient")}


def test_the_index_in_force_maps_distribution_names() -> None:
    index = shipped_index()
    assert product_key("openstack_heat") == product_key("OpenStack-Heat") == "heat"
    assert index.series_of("openstack-heat", "22.0.1") == "caracal"
    assert index.series_of("zaqar", "19.0.0") == "dalmatian"
    assert "zaqar" in index.services


def test_the_operator_playbook_reads_the_configuration_of_every_service(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 27: trove's and zaqar's /etc went unread (a hand list); the playbook now asks the index."""
    from patchcheck.cli import main

    assert main(["advisories", "services"]) == 0
    services = capsys.readouterr().out.split()
    assert {"trove", "zaqar", "nova", "heat"} <= set(services)
    playbook = yaml.safe_load((ROOT / "playbooks" / "operator_check.yaml").read_text(encoding="utf-8"))
    gathering = next(play for play in playbook if play.get("roles"))
    passed = gathering["roles"][0]["vars"]["collect_host_facts_services"]
    assert "patchcheck_services.stdout_lines" in passed
    asked = [
        task
        for play in playbook
        for task in play.get("tasks", [])
        if task.get("register") == "patchcheck_services"
    ]
    assert asked and asked[0]["ansible.builtin.command"]["argv"][1:] == ["advisories", "services"]
