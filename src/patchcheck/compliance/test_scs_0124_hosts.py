"""scs-0124 from the operator's hosts: one item per host and testcase, carrying every finding.

Item ids name the host (``test_no_applicable_advisory_is_overdue[ctl1]``); the verdicts file
keeps each finding of it, e.g. ``ctl1 nova 29.0.1 OSSA-2024-002`` with the sentence
``ctl1: nova 29.0.1 (dpkg python3-nova) and OSSA-2024-002 (medium, due 2024-08-23 00:00 UTC,
overdue by 822 days): overdue``. A host with nothing to judge for a testcase has no item there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from patchcheck.facts import HostFacts
from patchcheck.judge import (
    dependencies_patched,
    inventory_complete,
    maintained_release,
    ossa_patched,
    ossn_config,
)
from patchcheck.judge.pytest_plugin import (
    loaded_facts,
    parametrize_groups,
    reference_date,
    reference_moment,
    refused_findings,
)
from patchcheck.judge.verdict import Finding, FindingGroup
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.dependency_knowledge import dependency_knowledge_in_force, shipped_cvss
from patchcheck.knowledge.series import shipped_series
from patchcheck.knowledge.update import stale_reason


def hosts(config: pytest.Config) -> list[HostFacts]:
    return [facts for _path, facts in loaded_facts(config) if isinstance(facts, HostFacts)]


def refused(config: pytest.Config, testcase: str) -> list[tuple[str, Callable[[], list[Finding]]]]:
    """An ABORT group per host whose facts were refused (gathered in the future)."""
    return [
        (finding.subject, partial(list, [finding])) for finding in refused_findings(config, "host", testcase)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each host's findings are judged when its item runs (``functools.partial``), not here."""
    config = metafunc.config
    index = shipped_index()
    if "advisory_findings" in metafunc.fixturenames:
        unscored = config.getoption("--unscored-severity")
        moment = reference_moment(config)
        judge = ossa_patched.judge_host_advisories
        shared = ossa_patched.SharedVerdicts()  # hosts that run the same component share its verdicts
        stale = stale_reason(moment, config.getoption("--max-knowledge-age"))
        parametrize_groups(
            metafunc,
            "advisory_findings",
            [(f.host, partial(judge, f, index, moment, unscored, shared, stale)) for f in hosts(config)]
            + refused(config, ossa_patched.TESTCASE),
        )
    elif "host_release_findings" in metafunc.fixturenames:
        day = reference_date(config)
        judge = maintained_release.judge_host_release
        parametrize_groups(
            metafunc,
            "host_release_findings",
            [(f.host, partial(judge, f, index, shipped_series(), day)) for f in hosts(config)]
            + refused(config, maintained_release.TESTCASE),
        )
    elif "config_findings" in metafunc.fixturenames:
        judge = ossn_config.judge_host_config
        parametrize_groups(
            metafunc,
            "config_findings",
            [(f.host, partial(judge, f, index)) for f in hosts(config)]
            + refused(config, ossn_config.TESTCASE),
        )
    elif "dependency_findings" in metafunc.fixturenames:
        knowledge = dependency_knowledge_in_force()
        moment = reference_moment(config)
        deliverables = frozenset(index.releases) | frozenset(index.projects)
        judge_dependencies = partial(
            dependencies_patched.judge_host_dependencies,
            knowledge=knowledge,
            deliverables=deliverables,
            now=moment,
            unscored=config.getoption("--unscored-severity"),
            shared=dependencies_patched.SharedDependencyVerdicts(),
            stale=knowledge.stale(moment, config.getoption("--max-knowledge-age")),
            cvss_band=dependencies_patched.cvss_band_of(shipped_cvss()),
        )
        parametrize_groups(
            metafunc,
            "dependency_findings",
            [(f.host, partial(judge_dependencies, f)) for f in hosts(config)]
            + refused(config, dependencies_patched.TESTCASE),
        )
    elif "inventory_findings" in metafunc.fixturenames:
        parametrize_groups(
            metafunc,
            "inventory_findings",
            [(f.host, partial(inventory_complete.judge_inventory_findings, f)) for f in hosts(config)]
            + refused(config, inventory_complete.TESTCASE),
        )


@pytest.mark.scs_testcase(ossa_patched.TESTCASE)
def test_no_applicable_advisory_is_overdue(advisory_findings: FindingGroup) -> None:
    advisory_findings.check()


@pytest.mark.scs_testcase(maintained_release.TESTCASE)
def test_installed_service_runs_a_maintained_series(host_release_findings: FindingGroup) -> None:
    host_release_findings.check()


@pytest.mark.scs_testcase(ossn_config.TESTCASE)
def test_security_note_configuration_holds(config_findings: FindingGroup) -> None:
    config_findings.check()


@pytest.mark.scs_testcase(dependencies_patched.TESTCASE)
def test_dependencies_carry_their_security_fixes(dependency_findings: FindingGroup) -> None:
    dependency_findings.check()


@pytest.mark.scs_testcase(inventory_complete.TESTCASE)
def test_inventory_host_was_gathered(inventory_findings: FindingGroup) -> None:
    inventory_findings.check()
