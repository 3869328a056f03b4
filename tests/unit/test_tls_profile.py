"""The TLS evidence: real sslyze scans of real TLS servers, judged against Mozilla's intermediate profile."""

from __future__ import annotations

import copy
import datetime as dt
import ssl
from pathlib import Path
from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.tls_handshake import tls_facts
from ansible_collections.scs.patchcheck.plugins.module_utils.tls_scan import tls_scan

from patchcheck.facts import load_facts
from patchcheck.judge.tenant_visible import judge_tls_profile
from patchcheck.judge.verdict import Finding, Result
from tests.helpers import hibiscus_document, write
from tests.unit.tls_server import INTERMEDIATE_CIPHERS, make_ca_and_server, tls_server

HSTS = {"Strict-Transport-Security": "max-age=63072000"}
NOW = dt.datetime.now(dt.UTC)


def api_findings(findings: list[Finding]) -> list[Finding]:
    """The API endpoints' findings (these facts name no dashboard: its own finding is an ABORT)."""
    return [finding for finding in findings if " dashboard " not in finding.subject]


def modern(context: ssl.SSLContext) -> None:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(INTERMEDIATE_CIPHERS)


def scanned_facts(url: str, ca: Path, tmp_path: Path, headers: dict[str, str]) -> Any:
    """Tenant facts whose compute endpoint is this https server, with the collector's TLS facts and scan."""
    tls = tls_facts(url, str(ca), 10)
    tls["scan"] = tls_scan(url, str(ca), 10)
    document = copy.deepcopy(hibiscus_document())
    for endpoint in document["endpoints"]:
        if endpoint["service_types"] == ["compute"]:
            endpoint.update(version_url=url, tls=tls, headers=headers)
    return load_facts(write(document, tmp_path / "facts.json"))


def test_a_modern_endpoint_passes(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server(tmp_path, NOW + dt.timedelta(days=200))
    with tls_server(cert, key, modern, HSTS) as url:
        facts = scanned_facts(url, ca, tmp_path, HSTS)
    scan = next(e for e in facts.endpoints if e.version_url == url).tls["scan"]
    assert scan["protocols"]["TLS 1.0"] == [] and scan["protocols"]["TLS 1.3"]
    assert scan["certificate"]["trusted"] is True
    (finding,) = api_findings(judge_tls_profile(facts, NOW))
    assert finding.result is Result.PASS, finding.message


def test_an_expired_certificate_fails(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server(tmp_path, NOW - dt.timedelta(days=3))
    with tls_server(cert, key, modern, HSTS) as url:
        facts = scanned_facts(url, ca, tmp_path, HSTS)
    (finding,) = api_findings(judge_tls_profile(facts, NOW))
    assert finding.result is Result.FAIL
    assert "certificate expired" in finding.message


def test_ciphers_outside_the_profile_and_no_hsts_fail(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server(tmp_path, NOW + dt.timedelta(days=200))

    def weak(context: ssl.SSLContext) -> None:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256")

    with tls_server(cert, key, weak) as url:
        facts = scanned_facts(url, ca, tmp_path, {})
    (finding,) = api_findings(judge_tls_profile(facts, NOW))
    assert finding.result is Result.FAIL
    assert "TLS 1.2 offers TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" in finding.message
    assert "no Strict-Transport-Security header" in finding.message


def test_no_scan_is_abort_never_pass(tmp_path: Path) -> None:
    document = copy.deepcopy(hibiscus_document())
    for endpoint in document["endpoints"]:
        if endpoint["service_types"] == ["compute"]:
            endpoint.update(
                version_url="https://127.0.0.1:9/",
                tls={"host": "127.0.0.1", "port": 9, "verified": False, "error": "refused"},
            )
    (finding,) = api_findings(judge_tls_profile(load_facts(write(document, tmp_path / "facts.json")), NOW))
    assert finding.result is Result.ABORT
