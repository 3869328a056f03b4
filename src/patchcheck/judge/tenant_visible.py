"""What a member can see of a cloud's security configuration, judged.

scs-0124-ossn-tenant-visible (security notes seen from outside):
- image records must not show storage locations (OSSN-0065, OSSN-0090); a
  tenant that owns no image cannot tell: ABORT, not PASS;
- Server and X-Powered-By headers must not reveal software versions (a version
  in a banner tells attackers which advisories apply);
- keystone's token lifetime must not exceed ``MAX_TOKEN_LIFETIME_S`` (24 h;
  keystone's default is 1 h): a stolen token stays useful for that long.

scs-0125 (secure connections), kept under their own ids:
- scs-0125-https-endpoints: public endpoints use https, on public addresses, and answer;
- scs-0125-tls-profile: each https endpoint offers only what Mozilla's
  "intermediate" profile allows (TLS 1.2/1.3 and its cipher suites), with a
  trusted, unexpired certificate and HSTS. The profile is the one sslyze ships
  (``sslyze/mozilla_tls_profile/5.7.json``), which SCS's own checker uses.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from patchcheck.facts import TenantFacts
from patchcheck.judge import dashboard
from patchcheck.judge.addresses import HostKind, url_host
from patchcheck.judge.verdict import Finding, Result
from patchcheck.urls import scheme_of

OSSN_TESTCASE = "scs-0124-ossn-tenant-visible"
HTTPS_TESTCASE = "scs-0125-https-endpoints"
TLS_TESTCASE = "scs-0125-tls-profile"
MAX_TOKEN_LIFETIME_S = 24 * 3600
VERSION_IN_BANNER = re.compile(r"\d+\.\d+")
#: sslyze's protocol labels -> the profile's names.
PROTOCOL_NAMES = {
    "SSL 2.0": "SSLv2",
    "SSL 3.0": "SSLv3",
    "TLS 1.0": "TLSv1",
    "TLS 1.1": "TLSv1.1",
    "TLS 1.2": "TLSv1.2",
    "TLS 1.3": "TLSv1.3",
}


@cache
def intermediate_profile() -> dict[str, Any]:
    text = resources.files("sslyze.mozilla_tls_profile").joinpath("5.7.json").read_text()
    return json.loads(text)["configurations"]["intermediate"]


def public_endpoints(facts: TenantFacts) -> list[Any]:
    return [endpoint for endpoint in facts.endpoints if endpoint.interface == "public"]


def judge_ossn_visible(facts: TenantFacts) -> list[Finding]:
    """The API's view (images, banners, token) and the dashboard's login page (judge/dashboard.py)."""
    return api_ossn_visible(facts) + dashboard.judge_dashboard_ossn(facts)


def api_ossn_visible(facts: TenantFacts) -> list[Finding]:
    if not facts.auth_ok:
        return [
            Finding(
                OSSN_TESTCASE,
                f"cloud {facts.cloud}",
                Result.ABORT,
                f"cloud {facts.cloud}: no token from {facts.auth_url}: {facts.auth_error}",
            )
        ]
    findings = [image_locations(facts), token_lifetime(facts)]
    for endpoint in public_endpoints(facts):
        headers = facts_headers(facts, endpoint.version_url)
        banners = {name: value for name, value in headers.items() if name in ("Server", "X-Powered-By")}
        leaking = {name: value for name, value in banners.items() if VERSION_IN_BANNER.search(value)}
        subject = f"{facts.cloud} banner {endpoint.version_url}"
        if not endpoint.answered:
            findings.append(
                Finding(
                    OSSN_TESTCASE,
                    subject,
                    Result.ABORT,
                    f"{endpoint.version_url}: no answer, banners unknown",
                )
            )
        elif leaking:
            shown = ", ".join(f"{name}: {value}" for name, value in leaking.items())
            findings.append(
                Finding(
                    OSSN_TESTCASE,
                    subject,
                    Result.FAIL,
                    f"{endpoint.version_url} reveals software versions ({shown}); expected no version",
                )
            )
        else:
            shown = ", ".join(f"{name}: {value}" for name, value in banners.items()) or "no banner"
            findings.append(
                Finding(
                    OSSN_TESTCASE,
                    subject,
                    Result.PASS,
                    f"{endpoint.version_url}: no version in its banners ({shown})",
                )
            )
    return findings


def facts_headers(facts: TenantFacts, version_url: str) -> dict[str, str]:
    for entry in facts.raw["endpoints"]:
        if entry["version_url"] == version_url:
            return entry.get("headers") or (
                {"Server": entry["server_header"]} if entry.get("server_header") else {}
            )
    return {}


def image_locations(facts: TenantFacts) -> Finding:
    images = facts.raw.get("images")
    subject = f"{facts.cloud} image locations"
    if not images or images.get("error") or (images.get("http_status") or 0) >= 400:
        problem = (
            (images.get("error") or f"HTTP {images.get('http_status')}")
            if images
            else "no image service was read"
        )
        return Finding(
            OSSN_TESTCASE, subject, Result.ABORT, f"OSSN-0065/0090: image list unreadable: {problem}"
        )
    if images["with_locations"] or images["with_direct_url"]:
        return Finding(
            OSSN_TESTCASE,
            subject,
            Result.FAIL,
            f"OSSN-0065/0090: {images['with_locations']} of {images['listed']} image records show "
            f"'locations' and {images['with_direct_url']} show 'direct_url' to a tenant; expected none "
            "(show_multiple_locations and show_image_direct_url off on public glance-api)",
            {"images": images},
        )
    if not images["owned"]:
        return Finding(
            OSSN_TESTCASE,
            subject,
            Result.ABORT,
            f"OSSN-0065/0090: the tenant owns none of the {images['listed']} images it can see, so "
            "whether owners are shown locations is unknown (own one image to decide)",
            {"images": images},
        )
    return Finding(
        OSSN_TESTCASE,
        subject,
        Result.PASS,
        f"OSSN-0065/0090: none of {images['listed']} image records ({images['owned']} owned) show "
        "locations or direct_url",
        {"images": images},
    )


def token_lifetime(facts: TenantFacts) -> Finding:
    lifetime = (facts.raw.get("token") or {}).get("lifetime_s")
    subject = f"{facts.cloud} token lifetime"
    if lifetime is None:
        return Finding(OSSN_TESTCASE, subject, Result.ABORT, "keystone token lifetime unknown")
    result = Result.PASS if lifetime <= MAX_TOKEN_LIFETIME_S else Result.FAIL
    return Finding(
        OSSN_TESTCASE,
        subject,
        result,
        f"keystone issues tokens valid for {lifetime / 3600:g} h (at most "
        f"{MAX_TOKEN_LIFETIME_S // 3600} h expected)",
        {"lifetime_s": lifetime},
    )


def judge_https_endpoints(facts: TenantFacts) -> list[Finding]:
    return api_https_endpoints(facts) + dashboard.judge_dashboard_https(facts)


def api_https_endpoints(facts: TenantFacts) -> list[Finding]:
    if not facts.auth_ok:
        return [
            Finding(
                HTTPS_TESTCASE,
                f"cloud {facts.cloud}",
                Result.ABORT,
                f"cloud {facts.cloud}: no token from {facts.auth_url}: catalog unknown",
            )
        ]
    findings = []
    seen: dict[str, str] = {}
    for entry in facts.raw["catalog"]:
        if entry["interface"] != "public":
            continue
        findings.append(catalog_https(facts, entry, seen))
        seen.setdefault(entry["url"], entry["service_type"])
    for endpoint in public_endpoints(facts):
        if not endpoint.answered:
            findings.append(
                Finding(
                    HTTPS_TESTCASE,
                    f"{facts.cloud} reachable {endpoint.version_url}",
                    Result.ABORT,
                    f"{endpoint.version_url} did not answer ({endpoint.error or endpoint.http_status})",
                )
            )
    return findings


def catalog_https(facts: TenantFacts, entry: dict[str, Any], seen: dict[str, str]) -> Finding:
    """One public catalog URL: https, on a public host, its own; a host that does not parse is ABORT.

    The scheme as urllib.parse reads it (``HTTPS://`` is https) and the host as a resolver reads
    it (``127.1`` is loopback): a pattern on the text would pass both.
    """
    url = entry["url"]
    subject = f"{facts.cloud} {entry['service_type']} {url}"
    _host, host = url_host(url or "")
    if host.kind is HostKind.INVALID:
        return Finding(
            HTTPS_TESTCASE,
            subject,
            Result.ABORT,
            f"public endpoint {url} ({entry['service_type']}): {host.reason}; whether it uses https "
            "on a public address is unknown",
        )
    problems = []
    scheme = scheme_of(url)
    if scheme != "https":
        problems.append("plain http" if scheme == "http" else f"scheme {scheme or 'missing'}")
    if host.kind is HostKind.INTERNAL:
        problems.append(host.reason)
    if url in seen and seen[url] != entry["service_type"]:
        problems.append(f"same URL as {seen[url]}")
    if problems:
        return Finding(
            HTTPS_TESTCASE,
            subject,
            Result.FAIL,
            f"public endpoint {url} ({entry['service_type']}): {', '.join(problems)}; "
            "expected https on a public address",
        )
    return Finding(HTTPS_TESTCASE, subject, Result.PASS, f"public endpoint {url} uses https")


def judge_tls_profile(facts: TenantFacts, now: dt.datetime) -> list[Finding]:
    findings = unreadable_https(facts)
    scanned: set[str] = set()
    for endpoint in public_endpoints(facts):
        tls = endpoint.tls
        if scheme_of(endpoint.version_url) != "https":
            continue
        if tls is None and url_host(endpoint.version_url)[1].kind is HostKind.INVALID:
            continue  # its catalog URL's ABORT (unreadable_https) says why
        if tls is None:  # a port of 99999, a collector that stopped: reported, never skipped
            findings.append(
                Finding(
                    TLS_TESTCASE,
                    f"{facts.cloud} tls {endpoint.version_url}",
                    Result.ABORT,
                    f"{endpoint.version_url}: no TLS facts ({endpoint.error or 'not read'}); "
                    "its TLS profile is unknown",
                )
            )
            continue
        where = f"{tls['host']}:{tls['port']}"
        if where in scanned:
            continue
        scanned.add(where)
        hsts = facts_headers(facts, endpoint.version_url).get("Strict-Transport-Security")
        findings.append(tls_finding(f"{facts.cloud} tls {where}", where, tls, hsts, now))
    served = dashboard.dashboard_tls(facts)
    if served is not None:
        where, tls, hsts = served
        findings.append(
            tls_finding(f"{facts.cloud} dashboard tls {where}", f"dashboard {where}", tls, hsts, now)
        )
    elif dashboard.unusable(facts) and not dashboard.declared_absent(facts):
        findings.append(
            Finding(
                TLS_TESTCASE,
                f"{facts.cloud} dashboard tls",
                Result.ABORT,
                f"{dashboard.unusable(facts)}; its TLS unknown",
            )
        )
    if not findings:
        findings.append(
            Finding(
                TLS_TESTCASE,
                f"{facts.cloud} tls",
                Result.ABORT,
                f"cloud {facts.cloud}: no public https endpoint to judge",
            )
        )
    return findings


def unreadable_https(facts: TenantFacts) -> list[Finding]:
    """An ABORT per public https catalog URL that does not parse: the collector read no TLS there."""
    findings = []
    for entry in facts.raw["catalog"]:
        url = entry["url"] or ""
        if entry["interface"] != "public" or scheme_of(url) != "https":
            continue
        _host, host = url_host(url)
        if host.kind is HostKind.INVALID:
            findings.append(
                Finding(
                    TLS_TESTCASE,
                    f"{facts.cloud} tls {url}",
                    Result.ABORT,
                    f"{url} ({entry['service_type']}): {host.reason}; its TLS profile is unknown",
                )
            )
    return findings


def tls_finding(subject: str, where: str, tls: dict[str, Any], hsts: str | None, now: dt.datetime) -> Finding:
    """One https host:port against Mozilla's intermediate profile, with HSTS on its answer (OSSN-0035)."""
    profile = intermediate_profile()
    allowed_protocols = set(profile["tls_versions"])
    allowed_suites = set(profile["ciphersuites"]) | set(profile["ciphers"]["iana"])
    scan = tls.get("scan") or {}
    if not scan or scan.get("error"):
        return Finding(
            TLS_TESTCASE,
            subject,
            Result.ABORT,
            f"{where}: TLS not scanned ({scan.get('error') or tls.get('error') or 'no scan'})",
        )
    problems = []
    offered = {label: suites for label, suites in scan["protocols"].items() if suites}
    for label, suites in offered.items():
        if PROTOCOL_NAMES.get(label) not in allowed_protocols:
            problems.append(f"offers {label}")
        else:
            extra = sorted(set(suites) - allowed_suites)
            if extra:
                problems.append(f"{label} offers {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}")
    if not offered:
        problems.append("no protocol accepted")
    certificate = scan.get("certificate")
    if certificate is None:
        problems.append("no certificate read")
    else:
        if not certificate["trusted"]:
            problems.append("certificate chain not trusted")
        if dt.datetime.fromisoformat(certificate["not_after"]) < now:
            problems.append(f"certificate expired {certificate['not_after'][:10]}")
    if not hsts:
        problems.append("no Strict-Transport-Security header (OSSN-0035)")
    result = Result.FAIL if problems else Result.PASS
    message = (
        f"{where}: {'; '.join(problems)} (Mozilla intermediate expected)"
        if problems
        else f"{where}: {', '.join(offered)} with intermediate cipher suites, trusted certificate, HSTS"
    )
    return Finding(TLS_TESTCASE, subject, result, message, {"scan": scan})
