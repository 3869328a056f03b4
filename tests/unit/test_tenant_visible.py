"""Tenant-visible checks on facts shaped like the collector's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from patchcheck.facts import load_facts
from patchcheck.judge.tenant_visible import judge_https_endpoints, judge_ossn_visible
from patchcheck.judge.verdict import Result
from tests.helpers import hibiscus_document, write


def judged(document: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    facts = load_facts(write(document, tmp_path / "facts.json"))
    return {finding.subject: finding for finding in judge_ossn_visible(facts)}


def test_a_version_in_a_banner_is_a_finding_of_its_own(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["endpoints"][1]["headers"] = {"Server": "Apache/2.4.57 (Debian)", "X-Powered-By": "mod_wsgi/4.9"}
    findings = judged(document, tmp_path)
    leak = findings[f"testbed banner {document['endpoints'][1]['version_url']}"]
    assert leak.result is Result.FAIL
    assert "Server: Apache/2.4.57 (Debian)" in leak.message
    quiet = findings[f"testbed banner {document['endpoints'][0]['version_url']}"]
    assert quiet.result is Result.PASS


def test_token_lifetime(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["token"] = {"issued_at": None, "expires_at": None, "lifetime_s": 3600}
    assert judged(document, tmp_path)["testbed token lifetime"].result is Result.PASS
    document["token"]["lifetime_s"] = 7 * 24 * 3600
    assert judged(document, tmp_path)["testbed token lifetime"].result is Result.FAIL
    del document["token"]
    assert judged(document, tmp_path)["testbed token lifetime"].result is Result.ABORT


def test_image_list_missing_is_abort(tmp_path: Path) -> None:
    assert judged(hibiscus_document(), tmp_path)["testbed image locations"].result is Result.ABORT


def test_http_private_and_duplicate_public_endpoints(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["catalog"] = [
        {
            "service_type": "compute",
            "service_name": "nova",
            "interface": "public",
            "region": "R",
            "url": "https://compute.example.net/v2.1",
        },
        {
            "service_type": "image",
            "service_name": "glance",
            "interface": "public",
            "region": "R",
            "url": "http://image.example.net",
        },
        {
            "service_type": "network",
            "service_name": "neutron",
            "interface": "public",
            "region": "R",
            "url": "https://10.0.0.5:9696",
        },
        {
            "service_type": "block-storage",
            "service_name": "cinder",
            "interface": "public",
            "region": "R",
            "url": "https://compute.example.net/v2.1",
        },
        {
            "service_type": "identity",
            "service_name": "keystone",
            "interface": "internal",
            "region": "R",
            "url": "http://10.0.0.1:5000/v3",
        },
    ]
    findings = judge_https_endpoints(load_facts(write(document, tmp_path / "facts.json")))
    results = {f.subject.split()[1]: (f.result, f.message) for f in findings if "reachable" not in f.subject}
    assert results["compute"][0] is Result.PASS
    assert results["image"][0] is Result.FAIL and "plain http" in results["image"][1]
    assert results["network"][0] is Result.FAIL and "private address 10.0.0.5" in results["network"][1]
    assert results["block-storage"][0] is Result.FAIL and "same URL as compute" in results["block-storage"][1]
    assert "identity" not in results  # internal endpoints are not judged
