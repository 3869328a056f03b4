"""scs-0124-maintained-release: every OpenStack service runs a maintained release series.

Operator view (``judge_host_release``): the installed version of each service on each
host names its series through openstack/releases' deliverables.

Tenant view (``judge_tenant_release``):

The tenant sees only maximum microversions (see knowledge.api_series). Each
service that reveals its series is judged on its own candidates, narrowed by the
other services of the same region when their candidates overlap: a cloud is
deployed from one release, so nova 2.104 (Hibiscus) narrows cinder 3.71
(Caracal..Hibiscus) to Hibiscus. The finding says when it relied on that.
Services whose API reveals no series (identity, image, network, ...) get no
finding of their own: nothing a tenant sees tells their series, and the
operator run judges them from installed versions. Each finding names them under
``evidence.not_revealing`` (same region), so the report shows what was left
out. Missing or ambiguous evidence is ABORT; never PASS.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from patchcheck.facts import Endpoint, HostFacts, TenantFacts
from patchcheck.judge.inventory_complete import partial_evidence
from patchcheck.judge.verdict import Finding, Result
from patchcheck.knowledge.advisories import AdvisoryIndex
from patchcheck.knowledge.api_series import (
    MAX_MICROVERSION,
    PROJECT_OF,
    SeriesEstimate,
    canonical_type,
    estimate_series,
    parse_microversion,
)
from patchcheck.knowledge.series import MAINTAINED, UNSUPPORTED, SeriesTable

TESTCASE = "scs-0124-maintained-release"


def max_microversion(endpoint: Endpoint) -> str | None:
    """The highest maximum microversion any API version of the endpoint announces."""
    best: tuple[tuple[int, int], str] | None = None
    for version in endpoint.versions:
        if version.max_version is None:
            continue
        parsed = parse_microversion(version.max_version)
        if parsed is not None and (best is None or parsed > best[0]):
            best = (parsed, version.max_version)
    return best[1] if best else None


def service_label(service_type: str, endpoint: Endpoint) -> str:
    project = PROJECT_OF.get(canonical_type(service_type))
    name = f"{service_type} ({project})" if project else service_type
    region = f" in {endpoint.region}" if endpoint.region else ""
    return f"{name}{region} at {endpoint.version_url}"


def describe(names: tuple[str, ...], table: SeriesTable, day: dt.date) -> str:
    return "; ".join(table[name].phrase_on(day) for name in names)


def judge_statuses(candidates: tuple[str, ...], table: SeriesTable, day: dt.date) -> Result:
    statuses = {table[name].status_on(day) for name in candidates}
    if statuses == {MAINTAINED}:
        return Result.PASS
    if statuses and statuses <= UNSUPPORTED:
        return Result.FAIL
    return Result.ABORT


def judge_tenant_release(facts: TenantFacts, table: SeriesTable, day: dt.date) -> list[Finding]:
    """Findings for every series-revealing public API service of one cloud."""
    if not facts.auth_ok:
        return [
            Finding(
                TESTCASE,
                f"cloud {facts.cloud}",
                Result.ABORT,
                f"cloud {facts.cloud}: no token from {facts.auth_url}: {facts.auth_error}",
            )
        ]
    estimates: list[tuple[str, Endpoint, SeriesEstimate | None]] = []
    not_revealing: dict[str | None, list[str]] = defaultdict(list)
    for endpoint in facts.endpoints:
        if endpoint.interface != "public":
            continue
        for service_type in endpoint.service_types:
            if canonical_type(service_type) not in MAX_MICROVERSION:
                not_revealing[endpoint.region].append(service_type)
                continue
            if not endpoint.answered:
                estimates.append((service_type, endpoint, None))
                continue
            maximum = max_microversion(endpoint)
            estimate = estimate_series(service_type, maximum, table) if maximum else None
            estimates.append((service_type, endpoint, estimate))
    if not estimates:
        return [
            Finding(
                TESTCASE,
                f"cloud {facts.cloud}",
                Result.ABORT,
                f"cloud {facts.cloud}: no public service reveals its release series "
                f"(looked for {', '.join(MAX_MICROVERSION)})",
            )
        ]

    by_region: dict[str | None, list[set[str]]] = defaultdict(list)
    for _, endpoint, estimate in estimates:
        if estimate is not None and estimate.known:
            by_region[endpoint.region].append(set(estimate.candidates))
    shared = {region: set.intersection(*sets) for region, sets in by_region.items()}

    findings = []
    for service_type, endpoint, estimate in estimates:
        subject = service_label(service_type, endpoint)
        evidence: dict[str, object] = {
            "version_url": endpoint.version_url,
            "service_type": service_type,
            "not_revealing": sorted(set(not_revealing.get(endpoint.region, []))),
        }
        if estimate is None:
            problem = endpoint.error or (
                f"HTTP {endpoint.http_status}"
                if not endpoint.answered
                else "no maximum microversion in its version document"
            )
            findings.append(
                Finding(
                    TESTCASE, subject, Result.ABORT, f"{subject}: release series unknown: {problem}", evidence
                )
            )
            continue
        evidence.update(max_version=estimate.max_version, own_candidates=list(estimate.candidates))
        if not estimate.known:
            findings.append(
                Finding(
                    TESTCASE,
                    subject,
                    Result.ABORT,
                    f"{subject}: release series unknown: {estimate.basis}",
                    evidence,
                )
            )
            continue
        candidates = estimate.candidates
        narrowed = ""
        common = shared.get(endpoint.region, set())
        if common and not set(candidates) <= common:
            candidates = tuple(name for name in candidates if name in common)
            narrowed = " (narrowed by the other services of the region, assuming one release)"
        evidence["candidates"] = list(candidates)
        result = judge_statuses(candidates, table, day)
        series_text = describe(candidates, table, day)
        verb = {
            Result.PASS: "runs a maintained series",
            Result.FAIL: "runs an unmaintained series",
            Result.ABORT: "may or may not run a maintained series",
        }[result]
        findings.append(
            Finding(
                TESTCASE,
                subject,
                result,
                f"{subject} {verb} on {day.isoformat()}: {estimate.basis} -> {series_text}{narrowed}",
                evidence,
            )
        )
    return findings


def judge_host_release(
    facts: HostFacts, index: AdvisoryIndex, table: SeriesTable, day: dt.date
) -> list[Finding]:
    """Every OpenStack service installed on a host runs a maintained series (from its installed version)."""
    if not facts.reachable:
        return [Finding(TESTCASE, facts.host, Result.ABORT, f"{facts.host}: not gathered ({facts.failure})")]
    findings = []
    seen: set[tuple[str, str, str]] = set()
    for component in facts.components:
        if component.product not in index.services:
            continue
        key = (component.product, component.upstream, component.source)
        if key in seen:
            continue
        seen.add(key)
        subject = f"{facts.host} {component.product} {component.version}"
        series = index.series_of(component.product, component.upstream)
        evidence = {
            "host": facts.host,
            "product": component.product,
            "version": component.version,
            "where": component.where,
            "series": series,
        }
        if series is None or series not in table.by_name:
            findings.append(
                Finding(
                    TESTCASE,
                    subject,
                    Result.ABORT,
                    f"{facts.host}: {component.label}: release series unknown",
                    evidence,
                )
            )
            continue
        result = judge_statuses((series,), table, day)
        findings.append(
            Finding(
                TESTCASE,
                subject,
                result,
                f"{facts.host}: {component.label} is {table[series].phrase_on(day)} (on {day})",
                evidence,
            )
        )
    return findings + partial_evidence(TESTCASE, facts)
