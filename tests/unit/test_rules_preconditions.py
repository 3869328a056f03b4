"""Precondition rules from the review of every advisory since 2020 (docs/rule-coverage.md).

Each rule is checked three ways: a configuration where the advisory applies (True), one where it
does not (False: "not affected"), and configuration that was not gathered or was redacted (None:
unknown, which the judge never turns into "not affected"). The swift and keystonemiddleware rules
read paste values; a last test sends a proxy-server.conf through the host collector's own parser and
redaction with the keep list the rules produce, so the values the rules need do leave the host.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import (
    config_allowlist,
    config_parsing,
    service_config,
)

from patchcheck.facts import HostFacts
from patchcheck.judge import ossa_patched
from patchcheck.judge.verdict import Finding
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.rules import evaluate, options_read

REPO = Path(__file__).resolve().parents[2]
INDEX = shipped_index()
REDACTED = {"redacted": True, "empty": False}
S3API_ADVISORIES = ("OSSA-2023-001", "OSSA-2026-014", "OSSA-2026-030")


def value(advisory: str, rule_id: str, config: dict[str, Any], service: str) -> bool | None:
    chosen = next(r for r in INDEX.by_id[advisory].rules if r.id == rule_id)
    assert chosen.kind == "precondition"
    return evaluate(chosen.expr, config, service).value


def oauth2(config: dict[str, Any], service: str = "nova") -> bool | None:
    return value("OSSA-2026-001", "keystonemiddleware-external-oauth2-token-in-paste", config, service)


AUTHTOKEN_ONLY = {
    "pipeline:oscomputeversion_legacy_v2": {"pipeline": "cors http_proxy_to_wsgi authtoken keystonecontext"},
    "filter:authtoken": {"paste.filter_factory": "keystonemiddleware.auth_token:filter_factory"},
}


def test_external_oauth2_token_precondition() -> None:
    by_egg = {"filter:oauth": {"use": "egg:keystonemiddleware#external_oauth2_token"}}
    by_factory = {
        "filter:ext": {"paste.filter_factory": "keystonemiddleware.external_oauth2_token:filter_factory"}
    }
    assert oauth2({"nova": {"api-paste.ini": {**AUTHTOKEN_ONLY, **by_egg}, "nova.conf": {}}}) is True
    assert oauth2({"nova": {"api-paste.ini": by_factory}}) is True
    # a repeated option arrives as a list
    assert oauth2({"nova": {"api-paste.ini": {"filter:o": {"use": ["x", by_egg["filter:oauth"]["use"]]}}}})
    assert (
        oauth2({"nova": {"api-paste.ini": AUTHTOKEN_ONLY, "nova.conf": {"DEFAULT": {"x": REDACTED}}}})
        is False
    )
    assert oauth2({"glance": {"glance-api-paste.ini": AUTHTOKEN_ONLY}}, "glance") is False
    assert oauth2({"swift": {"proxy-server.conf": AUTHTOKEN_ONLY}}, "swift") is False


@pytest.mark.parametrize(
    "config",
    [
        {},  # the service's configuration was not gathered
        {"nova": {"nova.conf": {"DEFAULT": {}}}},  # no paste file gathered: loaded from elsewhere?
        {"nova": {"api-paste.ini": {"filter:authtoken": {"use": REDACTED}}}},  # a value not kept
        {"nova": {"api-paste.ini": {"filter:authtoken": {"paste.filter_factory": [REDACTED]}}}},
    ],
)
def test_external_oauth2_token_unknown_without_the_values(config: dict[str, Any]) -> None:
    assert oauth2(config) is None


def test_ovn_precondition() -> None:
    def ovn(config: dict[str, Any]) -> bool | None:
        return value("OSSN-0095", "neutron-ovn-driver", config, "neutron")

    def ml2(drivers: str) -> dict[str, Any]:
        return {"neutron": {"plugins/ml2/ml2_conf.ini": {"ml2": {"mechanism_drivers": drivers}}}}

    assert ovn(ml2("ovn")) is True
    assert ovn(ml2("sriovnicswitch,ovn")) is True
    assert ovn(ml2("openvswitch,l2population")) is False
    assert ovn({"neutron": {"neutron.conf": {}}}) is None
    assert ovn({"neutron": {"plugins/ml2/ml2_conf.ini": {"ml2": {"mechanism_drivers": REDACTED}}}}) is None


def test_octavia_amphora_provider_precondition() -> None:
    def amphora(config: dict[str, Any]) -> bool | None:
        return value("OSSA-2026-039", "octavia-amphora-provider-enabled", config, "octavia")

    def providers(drivers: Any) -> dict[str, Any]:
        return {"octavia": {"octavia.conf": {"api_settings": {"enabled_provider_drivers": drivers}}}}

    assert amphora({"octavia": {"octavia.conf": {"api_settings": {}}}}) is True  # the default enables it
    assert amphora(providers("amphorav2:The v2 amphora driver.,ovn:OVN provider")) is True
    assert amphora(providers("octavia:alias")) is True
    assert amphora(providers("ovn:The OVN provider")) is False
    assert amphora({"octavia": {}}) is None
    assert amphora(providers(REDACTED)) is None


def proxy(*filters: tuple[str, str], **more: Any) -> dict[str, Any]:
    """A swift proxy-server.conf as gathered: a pipeline and its filters' ``use`` values."""
    sections: dict[str, Any] = {
        "pipeline:main": {
            "pipeline": " ".join(["catch_errors", *(name for name, _ in filters), "proxy-server"])
        },
        "app:proxy-server": {"use": "egg:swift#proxy"},
        "filter:catch_errors": {"use": "egg:swift#catch_errors"},
    }
    sections.update({f"filter:{name}": {"use": use} for name, use in filters})
    return {"swift": {"proxy-server.conf": sections, **more}}


@pytest.mark.parametrize("advisory", S3API_ADVISORIES)
def test_s3api_precondition(advisory: str) -> None:
    def s3(config: dict[str, Any]) -> bool | None:
        return value(advisory, "swift-s3api-middleware", config, "swift")

    assert s3(proxy(("s3api", "egg:swift#s3api"), ("s3token", "egg:swift#s3token"))) is True
    assert s3(proxy(("s3", "egg:swift#s3api"))) is True  # the filter's name is free
    assert s3(proxy(("swift3", "egg:swift3#swift3"))) is True  # before Rocky
    assert s3(proxy(("tempurl", "egg:swift#tempurl"))) is False
    assert s3({"swift": {"swift.conf": {}}}) is None  # proxy-server.conf not gathered
    assert s3(proxy(("s3", REDACTED))) is None
    assert s3(proxy(("tempurl", "egg:swift#tempurl"), **{"proxy-server.conf.d/20-s3.conf": {}})) is None


def test_tempurl_precondition() -> None:
    def tempurl(config: dict[str, Any]) -> bool | None:
        return value("OSSA-2026-041", "swift-tempurl-middleware", config, "swift")

    assert tempurl(proxy(("tempurl", "egg:swift#tempurl"))) is True
    assert tempurl(proxy(("s3api", "egg:swift#s3api"))) is False
    assert tempurl({"swift": {}}) is None
    assert tempurl(proxy(("tempurl", REDACTED))) is None


PROXY_SERVER_CONF = """\
[DEFAULT]
bind_port = 8080

[pipeline:main]
pipeline = catch_errors proxy-logging cache s3api s3token authtoken keystoneauth proxy-server

[app:proxy-server]
use = egg:swift#proxy

[filter:s3api]
use = egg:swift#s3api

[filter:s3token]
use = egg:swift#s3token
auth_uri = http://keystone.example:5000/v3

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
password = not-leaving-the-host
"""


def test_the_values_the_rules_read_leave_the_host() -> None:
    """Through the collector's parser and redaction, with the keep list of the shipped rules."""
    keep = sorted(
        {
            pattern
            for advisory in INDEX.advisories
            for r in advisory.rules
            for pattern in options_read(r.expr, r.service)
        }
    )
    sections = config_allowlist.leave_sections(
        "proxy-server.conf", config_parsing.parse_ini(PROXY_SERVER_CONF), keep
    )
    assert sections["filter:s3api"]["use"] == "egg:swift#s3api"
    assert sections["filter:authtoken"]["password"]["redacted"] is True
    config = {"swift": {"proxy-server.conf": sections}}
    for advisory in S3API_ADVISORIES:
        assert value(advisory, "swift-s3api-middleware", config, "swift") is True
    assert value("OSSA-2026-041", "swift-tempurl-middleware", config, "swift") is False
    assert oauth2(config, "swift") is False


# -- end to end: files on disk, the collector's reading, the judge's verdict -------------------------

NOW = dt.datetime.now(dt.UTC)
NOT_AFFECTED = "not affected (precondition false)"


def affected_version(product: str, advisory: str) -> str:
    """A release of ``product`` inside ``advisory``'s range, found in the index, not hard-coded."""
    for version, _date in sorted(INDEX.releases.get(product, []), reverse=True):
        if any(f.advisory.id == advisory for f in INDEX.affecting_key(product, version)):
            return version
    raise AssertionError(f"no {product} release affected by {advisory} in the index")


def judged(root: Path, service: str, product: str, version: str) -> dict[str, Finding]:
    """scs-0124-ossa-patched findings by advisory for one venv of ``service`` holding ``product``."""
    keep = sorted({p for a in INDEX.advisories for r in a.rules for p in options_read(r.expr, r.service)})
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    config = service_config.configuration(
        [service], [str(root / "etc")], [*config_allowlist.HARMLESS_OPTIONS, *keep], errors, gaps
    )
    assert not gaps and not errors
    document = {
        "schema_version": 1,
        "kind": "host",
        "collected_at": NOW.isoformat(timespec="seconds"),
        "collector": {"name": "patchcheck", "version": "t"},
        "host": "h1",
        "reachable": True,
        "packages": [],
        "python": [
            {
                "kind": "venv",
                "path": f"/opt/{service}",
                "service": service,
                "distributions": [{"name": product, "product": product, "version": version}],
            }
        ],
        "containers": [],
        "config": config,
        "errors": [],
    }
    facts = HostFacts.from_document("h1.json", document)
    findings = ossa_patched.judge_host_advisories(facts, INDEX, NOW)
    return {f.evidence["advisory"]: f for f in findings if "advisory" in f.evidence}


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_proxy_without_s3api_is_not_affected_and_one_with_it_is(tmp_path: Path) -> None:
    swift = affected_version("swift", "OSSA-2026-030")
    with_s3 = tmp_path / "with"
    write(with_s3, "etc/swift/proxy-server.conf", PROXY_SERVER_CONF)
    finding = judged(with_s3, "swift", "swift", swift)["OSSA-2026-030"]
    assert finding.evidence["status"] != NOT_AFFECTED, finding.message
    assert finding.result.value != "PASS", finding.message
    without = tmp_path / "without"
    write(
        without, "etc/swift/proxy-server.conf", PROXY_SERVER_CONF.replace("egg:swift#s3api", "egg:swift#bulk")
    )
    finding = judged(without, "swift", "swift", swift)["OSSA-2026-030"]
    assert finding.evidence["status"] == NOT_AFFECTED, finding.message
    assert "egg:swift#bulk" in str(finding.evidence), "the evidence names the values read"
    missing = tmp_path / "missing"
    write(missing, "etc/swift/swift.conf", "[swift-hash]\n")
    finding = judged(missing, "swift", "swift", swift)["OSSA-2026-030"]
    assert finding.evidence["status"] != NOT_AFFECTED, finding.message


def test_keystonemiddleware_in_a_service_without_external_oauth2_token(tmp_path: Path) -> None:
    middleware = affected_version("keystonemiddleware", "OSSA-2026-001")
    paste = "[filter:authtoken]\npaste.filter_factory = keystonemiddleware.auth_token:filter_factory\n"
    write(tmp_path / "no", "etc/nova/api-paste.ini", paste)
    write(tmp_path / "no", "etc/nova/nova.conf", "[DEFAULT]\n")
    finding = judged(tmp_path / "no", "nova", "keystonemiddleware", middleware)["OSSA-2026-001"]
    assert finding.evidence["status"] == NOT_AFFECTED, finding.message
    oauth = paste + "[filter:oauth2]\nuse = egg:keystonemiddleware#external_oauth2_token\n"
    write(tmp_path / "yes", "etc/nova/api-paste.ini", oauth)
    finding = judged(tmp_path / "yes", "nova", "keystonemiddleware", middleware)["OSSA-2026-001"]
    assert finding.evidence["status"] != NOT_AFFECTED, finding.message
    write(tmp_path / "none", "etc/nova/nova.conf", "[DEFAULT]\n")
    finding = judged(tmp_path / "none", "nova", "keystonemiddleware", middleware)["OSSA-2026-001"]
    assert finding.evidence["status"] != NOT_AFFECTED, finding.message
