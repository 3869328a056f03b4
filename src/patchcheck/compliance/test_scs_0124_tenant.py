"""scs-0124 as a tenant sees it: one test item per API service of each cloud.

Each item's id names the service and endpoint; its failure message is the
finding's sentence, e.g. ``compute (nova) in RegionOne at https://...: runs an
unmaintained series on 2026-11-23: max microversion 2.100 -> Epoxy (2025.1)
unmaintained``. A facts file that could not be loaded is an ABORT item here,
so that its error reaches the report.
"""

from __future__ import annotations

import pytest

from patchcheck.errors import InputError
from patchcheck.facts import TenantFacts
from patchcheck.judge import maintained_release, tenant_visible
from patchcheck.judge.pytest_plugin import (
    loaded_facts,
    parametrize_findings,
    reference_date,
    reference_moment,
    refused_findings,
)
from patchcheck.judge.verdict import Finding, Result
from patchcheck.knowledge.series import shipped_series


def release_findings(config: pytest.Config) -> list[Finding]:
    sources = loaded_facts(config)
    if not sources:
        return [
            Finding(
                maintained_release.TESTCASE,
                "no facts",
                Result.ABORT,
                "no facts file was given: nothing to judge",
            )
        ]
    findings: list[Finding] = []
    for path, facts in sources:
        if isinstance(facts, TenantFacts):
            findings += maintained_release.judge_tenant_release(
                facts, shipped_series(), reference_date(config)
            )
        elif isinstance(facts, InputError) and getattr(facts, "kind", "tenant") == "tenant":
            findings.append(
                Finding(maintained_release.TESTCASE, str(path), Result.ABORT, f"facts unusable: {facts}")
            )
    return findings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "release_finding" in metafunc.fixturenames:
        parametrize_findings(metafunc, "release_finding", release_findings(metafunc.config))
    pytest_generate_tests_visible(metafunc)


@pytest.mark.scs_testcase(maintained_release.TESTCASE)
def test_api_service_runs_a_maintained_release_series(release_finding: Finding) -> None:
    release_finding.check()


def visible_findings(config: pytest.Config, judge: str) -> list[Finding]:
    testcase = {
        "ossn": tenant_visible.OSSN_TESTCASE,
        "https": tenant_visible.HTTPS_TESTCASE,
        "tls": tenant_visible.TLS_TESTCASE,
    }[judge]
    findings: list[Finding] = refused_findings(config, "tenant", testcase)
    for _path, facts in loaded_facts(config):
        if isinstance(facts, TenantFacts):
            if judge == "ossn":
                findings += tenant_visible.judge_ossn_visible(facts)
            elif judge == "https":
                findings += tenant_visible.judge_https_endpoints(facts)
            else:
                findings += tenant_visible.judge_tls_profile(facts, reference_moment(config))
    return findings


def pytest_generate_tests_visible(metafunc: pytest.Metafunc) -> None:
    for fixture, judge in (("visible_finding", "ossn"), ("https_finding", "https"), ("tls_finding", "tls")):
        if fixture in metafunc.fixturenames:
            parametrize_findings(metafunc, fixture, visible_findings(metafunc.config, judge))


@pytest.mark.scs_testcase(tenant_visible.OSSN_TESTCASE)
def test_security_note_configuration_seen_from_outside(visible_finding: Finding) -> None:
    visible_finding.check()


@pytest.mark.scs_testcase(tenant_visible.HTTPS_TESTCASE)
def test_public_endpoints_use_https_on_public_addresses(https_finding: Finding) -> None:
    https_finding.check()


@pytest.mark.scs_testcase(tenant_visible.TLS_TESTCASE)
def test_https_endpoints_follow_the_intermediate_tls_profile(tls_finding: Finding) -> None:
    tls_finding.check()
