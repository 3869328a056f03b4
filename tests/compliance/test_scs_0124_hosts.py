"""scs-0124 from the operator's hosts: one item per (host, product, advisory) that applies,
per installed service's release series, per configuration requirement, per inventory host.

Item ids read like ``ctl1 nova 29.0.1 OSSA-2024-002``; a failure message like
``ctl1: nova 29.0.1 (dpkg python3-nova) and OSSA-2024-002 (medium, due 2024-08-23 00:00 UTC,
overdue by 822 days): overdue``.
"""

from __future__ import annotations

import pytest

from patchcheck.facts import HostFacts
from patchcheck.judge import inventory_complete, maintained_release, ossa_patched, ossn_config
from patchcheck.judge.pytest_plugin import (
    loaded_facts,
    parametrize_findings,
    reference_date,
    reference_moment,
)
from patchcheck.judge.verdict import Finding
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.series import shipped_series


def hosts(config: pytest.Config) -> list[HostFacts]:
    return [facts for _path, facts in loaded_facts(config) if isinstance(facts, HostFacts)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    index = shipped_index()
    findings: list[Finding] = []
    if "advisory_finding" in metafunc.fixturenames:
        unscored = config.getoption("--unscored-severity")
        for facts in hosts(config):
            findings += ossa_patched.judge_host_advisories(facts, index, reference_moment(config), unscored)
        parametrize_findings(metafunc, "advisory_finding", findings)
    elif "host_release_finding" in metafunc.fixturenames:
        for facts in hosts(config):
            findings += maintained_release.judge_host_release(
                facts, index, shipped_series(), reference_date(config)
            )
        parametrize_findings(metafunc, "host_release_finding", findings)
    elif "config_finding" in metafunc.fixturenames:
        for facts in hosts(config):
            findings += ossn_config.judge_host_config(facts, index)
        parametrize_findings(metafunc, "config_finding", findings)
    elif "inventory_finding" in metafunc.fixturenames:
        parametrize_findings(
            metafunc,
            "inventory_finding",
            [inventory_complete.judge_inventory(facts) for facts in hosts(config)],
        )


@pytest.mark.scs_testcase(ossa_patched.TESTCASE)
def test_no_applicable_advisory_is_overdue(advisory_finding: Finding) -> None:
    advisory_finding.check()


@pytest.mark.scs_testcase(maintained_release.TESTCASE)
def test_installed_service_runs_a_maintained_series(host_release_finding: Finding) -> None:
    host_release_finding.check()


@pytest.mark.scs_testcase(ossn_config.TESTCASE)
def test_security_note_configuration_holds(config_finding: Finding) -> None:
    config_finding.check()


@pytest.mark.scs_testcase(inventory_complete.TESTCASE)
def test_inventory_host_was_gathered(inventory_finding: Finding) -> None:
    inventory_finding.check()
