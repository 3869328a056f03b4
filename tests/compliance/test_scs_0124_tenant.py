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
from patchcheck.judge import maintained_release
from patchcheck.judge.pytest_plugin import loaded_facts, parametrize_findings, reference_date
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
        elif isinstance(facts, InputError):
            findings.append(
                Finding(maintained_release.TESTCASE, str(path), Result.ABORT, f"facts unusable: {facts}")
            )
    return findings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "release_finding" in metafunc.fixturenames:
        parametrize_findings(metafunc, "release_finding", release_findings(metafunc.config))


@pytest.mark.scs_testcase(maintained_release.TESTCASE)
def test_api_service_runs_a_maintained_release_series(release_finding: Finding) -> None:
    release_finding.check()
