"""scs-0124-maintained-release from the tenant's view, on facts shaped like the collector's."""

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from patchcheck.facts import TenantFacts, load_facts
from patchcheck.judge.maintained_release import judge_tenant_release
from patchcheck.judge.verdict import Result, combine
from patchcheck.knowledge.series import shipped_series
from tests.helpers import hibiscus_document, with_max_versions, write

DAY = dt.date(2026, 11, 23)


def judged(document: dict[str, Any], tmp_path: Path, day: dt.date = DAY) -> dict[str, Result]:
    facts: TenantFacts = load_facts(write(document, tmp_path / "facts.json"))
    return {
        finding.subject.split(" ")[0]: finding.result
        for finding in judge_tenant_release(facts, shipped_series(), day)
    }


def test_current_release_passes(tmp_path: Path) -> None:
    assert judged(hibiscus_document(), tmp_path) == {
        "compute": Result.PASS,
        "block-storage": Result.PASS,
        "placement": Result.PASS,
    }


def test_narrowing_is_stated_in_the_finding(tmp_path: Path) -> None:
    facts = load_facts(write(hibiscus_document(), tmp_path / "facts.json"))
    cinder = next(f for f in judge_tenant_release(facts, shipped_series(), DAY) if "cinder" in f.subject)
    assert "assuming one release" in cinder.message
    assert cinder.evidence["own_candidates"][0] == "caracal"
    assert cinder.evidence["candidates"] == ["hibiscus"]


def test_unmaintained_series_fails_with_the_series_named(tmp_path: Path) -> None:
    document = with_max_versions(hibiscus_document(), compute="2.90", block_storage="3.66", placement="1.38")
    facts = load_facts(write(document, tmp_path / "facts.json"))
    findings = judge_tenant_release(facts, shipped_series(), DAY)
    assert {f.result for f in findings} == {Result.FAIL}
    assert "Xena" in findings[0].message and "end of life" in findings[0].message


def test_epoxy_or_flamingo_is_undecidable_on_the_reference_day(tmp_path: Path) -> None:
    # nova 2.100 is Epoxy (unmaintained since 2026-10-02) or Flamingo (maintained): not PASS.
    document = with_max_versions(hibiscus_document(), compute="2.100", block_storage="3.71", placement="1.39")
    assert combine(list(judged(document, tmp_path).values())) is Result.ABORT


def test_epoxy_or_flamingo_fails_once_both_are_unsupported(tmp_path: Path) -> None:
    document = with_max_versions(hibiscus_document(), compute="2.100", block_storage="3.71", placement="1.39")
    assert set(judged(document, tmp_path, dt.date(2027, 5, 1)).values()) == {Result.FAIL}


def test_failed_authentication_aborts(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["auth"] = {"ok": False, "auth_url": "http://127.0.0.1:1/v3", "error": "ConnectFailure: refused"}
    document["endpoints"] = []
    assert judged(document, tmp_path) == {"cloud": Result.ABORT}


def test_unreachable_endpoint_aborts_only_its_service(tmp_path: Path) -> None:
    document = hibiscus_document()
    for endpoint in document["endpoints"]:
        if "block-storage" in endpoint["service_types"]:
            endpoint.update(http_status=None, error="ConnectFailure: connection refused", versions=[])
    results = judged(document, tmp_path)
    assert results["block-storage"] is Result.ABORT
    assert results["compute"] is Result.PASS


def test_http_error_aborts(tmp_path: Path) -> None:
    document = hibiscus_document()
    for endpoint in document["endpoints"]:
        if "compute" in endpoint["service_types"]:
            endpoint.update(http_status=503, versions=[])
    assert judged(document, tmp_path)["compute"] is Result.ABORT


def test_no_series_revealing_service_aborts(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["endpoints"] = [
        e for e in document["endpoints"] if e["service_types"] in (["identity"], ["image"])
    ]
    assert judged(document, tmp_path) == {"cloud": Result.ABORT}


def test_internal_endpoints_are_not_judged(tmp_path: Path) -> None:
    document = hibiscus_document()
    internal = copy.deepcopy(document["endpoints"])
    for endpoint in internal:
        endpoint["interface"] = "internal"
        endpoint["versions"] = []
        endpoint["http_status"] = None
        endpoint["error"] = "unreachable from outside"
    document["endpoints"] += internal
    assert set(judged(document, tmp_path).values()) == {Result.PASS}


@pytest.mark.parametrize("maximum", ["2.97", "2.1", ""])
def test_never_pass_on_an_unexplained_microversion(tmp_path: Path, maximum: str) -> None:
    document = with_max_versions(hibiscus_document(), compute=maximum)
    assert judged(document, tmp_path)["compute"] is not Result.PASS


def test_services_that_reveal_no_series_are_named_not_judged(tmp_path: Path) -> None:
    facts = load_facts(write(hibiscus_document(), tmp_path / "facts.json"))
    findings = judge_tenant_release(facts, shipped_series(), DAY)
    assert not any(f.subject.startswith(("identity", "image", "network")) for f in findings)
    assert {"identity", "image", "network"} <= set(findings[0].evidence["not_revealing"])
