"""scs-0124-dependencies-patched: the services' dependencies carry their security fixes in time.

scs-0124: "If a deployment uses a dependency of the IaaS service software which is affected by
a security issue, this software also MUST be updated with security patches within a reasonable
timeframe", with the same severity bands as the advisories. Two kinds of dependency, each judged
against the data that speaks for it:

- **Python distributions** a service runs with (OpenStack-Ansible venvs, Kolla container venvs,
  extra venvs, pip-installed system folders), against the PyPA advisory database: affected = the
  version is in a record's range; deadline = the record's publication + the band of its CVSS (the
  unscored default where it has none); remedy = the first fixed release. OpenStack deliverables
  are left to scs-0124-ossa-patched, and a system site folder a package manager owns is judged
  through its distribution package (distributions fix by backport under an unchanged version).
- **Distribution packages**, by source package, against the distribution's security data for the
  release the host (or container) runs: a published fix whose version is newer than the installed
  one is open. Which packages count: a container's every package; on a host the dependency closure
  of its OpenStack packages and of the platform components (``platform_components.py``). The
  tracker carries no dates, so the window is counted from when patchcheck's data first listed the
  fix: past ``listed_since`` + band it is certainly overdue (FAIL); before ``absent_at`` + band
  certainly in time (PASS); in between it cannot be told (ABORT, with the moment it will be).
  ``no-dsa``, ``ignored``, ``postponed``, ``open, no fix``, ``undetermined`` and ``not affected``
  are reported as what they are, counted in each package's finding.

What no data covers (an rpm host without data, an Ubuntu container without Ubuntu data, facts
from a collector that did not list every install) is ABORT, never PASS by silence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from patchcheck.facts import HostFacts
from patchcheck.judge.inventory_complete import partial_evidence
from patchcheck.judge.ossa_patched import describe_time
from patchcheck.judge.verdict import Finding, Result
from patchcheck.knowledge.dependency_knowledge import REFRESH, DependencyKnowledge
from patchcheck.knowledge.distribution_security import compare, release_key, version_scheme
from patchcheck.knowledge.platform_components import platform_reason
from patchcheck.knowledge.python_advisories import PythonMatch
from patchcheck.knowledge.severity import DEFAULT_UNSCORED_BAND, band_for, deadline

TESTCASE = "scs-0124-dependencies-patched"
#: Statuses of distribution data that are not a fix the host lacks: reported, counted, not failed.
NOT_ACTIONABLE = ("not affected", "no-dsa", "ignored", "postponed", "open, no fix", "undetermined")


@dataclass(frozen=True)
class Judged:
    result: Result
    status: str
    message: str
    details: dict[str, Any]


class SharedDependencyVerdicts:
    """Verdicts that depend on the package and version only, shared by every host of a run."""

    def __init__(self) -> None:
        self.python: dict[tuple[str, str], list[Judged] | None] = {}
        self.distribution: dict[tuple[str, str, str, str], list[Any]] = {}


def window(start: dt.datetime | None, band: str, now: dt.datetime) -> tuple[dt.datetime | None, str | None]:
    """The deadline counted from ``start`` (a day's 00:00 UTC, the strictest reading), and its text."""
    if start is None:
        return None, None
    due = deadline(start.date(), band)
    return due, f"due {due:%Y-%m-%d %H:%M} UTC, {describe_time(due, now)}"


def judge_python_match(key: str, version: str, match: PythonMatch, now: dt.datetime, unscored: str) -> Judged:
    """One (distribution, advisory) verdict; the caller names the host and the places."""
    advisory = match.advisory
    band = advisory.band(unscored)
    details: dict[str, Any] = {
        "kind": "python",
        "package": key,
        "version": version,
        "advisory": advisory.id,
        "aliases": list(advisory.aliases),
        "url": advisory.url,
        "band": band,
        "severity": advisory.severity,
        "published": advisory.published.isoformat() if advisory.published else None,
    }
    if match.interval is None:
        details["status"] = "unknown"
        return Judged(
            Result.ABORT,
            "unknown",
            f"{key} {version} and {advisory.id}: the record's ranges cannot be evaluated "
            f"({advisory.unjudgeable}); its exposure is unknown",
            details,
        )
    due, timing = window(advisory.published, band, now)
    fix = advisory.first_fix_after(Version(version))
    details["range"] = str(match.interval)
    details["deadline"] = due.isoformat() if due else None
    details["remedy"] = (
        f"update {key} to {fix} or later"
        if fix
        else f"no release of {key} fixes {advisory.id} yet: remove or replace it, or mitigate"
    )
    if due is None:
        details["status"] = "unknown"
        return Judged(
            Result.ABORT,
            "unknown",
            f"{key} {version} and {advisory.id} ({band}): affected ({match.interval}), "
            "publication date unknown",
            details,
        )
    status = "overdue" if now > due else "affected, within deadline"
    details["status"] = status
    return Judged(
        Result.FAIL if status == "overdue" else Result.PASS,
        status,
        f"{key} {version} and {advisory.id} ({band}, {timing}): {status} (affected: {match.interval}; "
        f"{details['remedy']})",
        details,
    )


def python_findings(
    facts: HostFacts,
    knowledge: DependencyKnowledge,
    deliverables: frozenset[str],
    now: dt.datetime,
    unscored: str,
    shared: SharedDependencyVerdicts,
) -> tuple[list[Finding], int]:
    """Findings for the host's Python distributions, and how many were judged."""
    host = facts.host
    installed = facts.installed_distributions
    if installed is None:
        return [
            Finding(
                TESTCASE,
                f"{host} (Python distributions not listed)",
                Result.ABORT,
                f"{host}: the facts do not list every installed Python distribution (a collector before "
                "the dependency clause, or venvs and packages not read): gather again",
                {"host": host},
            )
        ], 0
    if knowledge.python is None:
        return [
            Finding(
                TESTCASE,
                f"{host} (no Python advisory data)",
                Result.ABORT,
                f"{host}: no PyPA advisory data in the knowledge in force; {REFRESH}",
                {"host": host},
            )
        ], 0
    places: dict[tuple[str, str], list[str]] = defaultdict(list)
    for distribution in installed:
        if distribution.managed_by in ("dpkg", "rpm") or distribution.key in deliverables:
            continue
        places[(distribution.key, distribution.version)].append(distribution.where)
    findings = []
    for (key, version), where in sorted(places.items()):
        if (key, version) not in shared.python:
            matches = knowledge.python.affecting(key, version)
            shared.python[(key, version)] = (
                None
                if matches is None
                else [judge_python_match(key, version, match, now, unscored) for match in matches]
            )
        verdicts = shared.python[(key, version)]
        if verdicts is None:
            findings.append(
                Finding(
                    TESTCASE,
                    f"{host} {key} {version}",
                    Result.ABORT,
                    f"{host}: {key} {version!r} is not a PEP 440 version; its advisories cannot be placed",
                    {"host": host, "package": key, "version": version, "where": where, "status": "unknown"},
                )
            )
            continue
        shown = where[0] + (f" and {len(where) - 1} more" if len(where) > 1 else "")
        findings += [
            Finding(
                TESTCASE,
                f"{host} {key} {version} {verdict.details['advisory']}",
                verdict.result,
                f"{host}: {verdict.message} [{shown}]",
                {"host": host, **verdict.details, "where": where},
            )
            for verdict in verdicts
        ]
    for where, entry, reason in facts.unread_distributions:
        findings.append(
            Finding(
                TESTCASE,
                f"{host} {where} {entry} (unread)",
                Result.ABORT,
                f"{host}: {entry} in {where} could not be read ({reason}); its advisories cannot be judged",
                {"host": host, "where": where, "entry": entry, "reason": reason, "status": "unknown"},
            )
        )
    return findings, len(places)


def counted_packages(package_set: Any, openstack_names: set[str]) -> dict[str, str]:
    """Package name -> why it counts: a container's every package; on a host the dependency closure
    of its OpenStack packages and of the platform components."""
    by_name = {package.name: package for package in package_set.packages}
    if package_set.where != "host":
        return {name: "in the service's container image" for name in by_name}
    providers: dict[str, list[str]] = defaultdict(list)
    for package in package_set.packages:
        for provided in package.provides:
            providers[provided].append(package.name)
    reasons: dict[str, str] = {}
    queue: list[str] = []
    for package in package_set.packages:
        platform = platform_reason(package.source)
        if package.name in openstack_names:
            reasons[package.name] = "an OpenStack package"
            queue.append(package.name)
        elif platform:
            reasons[package.name] = f"platform component: {platform}"
            queue.append(package.name)
    while queue:
        name = queue.pop()
        for dependency in by_name[name].depends:
            for target in [dependency] if dependency in by_name else providers.get(dependency, []):
                if target not in reasons:
                    reasons[target] = f"a dependency of {name}"
                    queue.append(target)
    return reasons


def covering(
    knowledge: DependencyKnowledge, os_release: dict[str, str]
) -> tuple[str | None, Any, str | None]:
    """(release key, data set, name) for a host's distribution release; data None when nothing covers it."""
    key = release_key(os_release)
    if key is None:
        return None, None, None
    for name, data in sorted(knowledge.distributions.items()):
        if key in data.releases:
            return key, data, name
    return key, None, None


def distribution_findings(
    facts: HostFacts,
    knowledge: DependencyKnowledge,
    now: dt.datetime,
    unscored: str,
    shared: SharedDependencyVerdicts,
    cvss_band: Any,
) -> list[Finding]:
    host = facts.host
    sets = facts.package_sets
    if sets is None:
        return [
            Finding(
                TESTCASE,
                f"{host} (distribution packages not listed)",
                Result.ABORT,
                f"{host}: the facts do not list the installed distribution packages (a collector before the "
                "dependency clause, or packages not read): gather again",
                {"host": host},
            )
        ]
    openstack_names = {
        name for component in facts.components if component.source == "dpkg" for name, _ in component.packages
    }
    findings = []
    for package_set in sets:
        where = package_set.where
        label = package_set.os.get("pretty_name") or package_set.os.get("id") or "an unknown distribution"
        release, data, name = covering(knowledge, package_set.os)
        if data is None:
            have = ", ".join(sorted(knowledge.distributions)) or "none"
            findings.append(
                Finding(
                    TESTCASE,
                    f"{host} {where} (not judged)",
                    Result.ABORT,
                    f"{host}: the {package_set.manager} packages of {where} ({label}, release "
                    f"{release or 'unknown'}) are not judged: no security data covers that release "
                    f"(data in force: {have}); {REFRESH} with data for it",
                    {
                        "host": host,
                        "where": where,
                        "os": package_set.os,
                        "release": release,
                        "status": "not judged",
                    },
                )
            )
            continue
        reasons = counted_packages(package_set, openstack_names)
        scheme = version_scheme(data.provenance.source, release)
        sources: dict[tuple[str, str], list[str]] = defaultdict(list)
        for package in package_set.packages:
            if package.name in reasons:
                sources[(package.source, package.source_version)].append(package.name)
        lagging = 0
        for (source, version), binaries in sorted(sources.items()):
            cache_key = (name, release, source, version)
            verdicts = shared.distribution.get(cache_key)
            if verdicts is None:
                verdicts = list(data.judge(release, source, version))
                shared.distribution[cache_key] = verdicts
            finding = source_finding(
                host,
                where,
                (name, scheme),
                release,
                source,
                version,
                binaries,
                reasons,
                verdicts,
                now,
                unscored,
                cvss_band,
            )
            if finding is not None:
                lagging += finding.result is not Result.PASS
                findings.append(finding)
        findings.append(
            Finding(
                TESTCASE,
                f"{host} {where} ({name} {release})",
                Result.PASS,
                f"{host}: {len(sources)} source packages of {where} ({label}; {len(reasons)} binary packages "
                f"that count) judged against {name} data for {release}: {lagging} with a published fix "
                "not installed in time or undecided",
                {"host": host, "where": where, "release": release, "data": name, "counted": len(reasons)},
            )
        )
    return findings


def source_finding(
    host: str,
    where: str,
    data: tuple[str, str | None],
    release: str,
    source: str,
    version: str,
    binaries: list[str],
    reasons: dict[str, str],
    verdicts: Iterable[Any],
    now: dt.datetime,
    unscored: str,
    cvss_band: Any,
) -> Finding | None:
    """One finding per source package with anything to say: fixes not installed (each with its
    window), and the entries that are not fixes the host lacks, counted by status.

    ``data``: the data set's name and its version order (dpkg, rpm), which orders the fixed versions.
    """
    name, scheme = data
    open_fixes: list[dict[str, Any]] = []
    others: dict[str, list[str]] = defaultdict(list)
    for verdict in verdicts:
        status = str(verdict.status)
        if status == "fixed":
            continue
        if status in NOT_ACTIONABLE:
            others[status].append(verdict.id)
            continue
        if status != "fix available":
            open_fixes.append({"id": verdict.id, "status": "unknown", "result": Result.ABORT, "text": status})
            continue
        band = cvss_band(verdict.id) or unscored
        latest, _ = window(verdict.listed_since, band, now)
        earliest, _ = window(verdict.absent_at, band, now)
        if latest is not None and now > latest:
            result, state = Result.FAIL, f"{describe_time(latest, now)} at least"
        elif earliest is not None and now <= earliest:
            result, state = Result.PASS, f"within deadline ({describe_time(earliest, now)} at least)"
        else:
            result = Result.ABORT
            state = (
                "deadline undecided: published before patchcheck's data first listed it "
                f"({verdict.listed_since:%Y-%m-%d %H:%M} UTC)"
                + (f"; certainly overdue after {latest:%Y-%m-%d %H:%M} UTC" if latest else "")
            )
        open_fixes.append(
            {
                "id": verdict.id,
                "status": "fix available",
                "fixed_version": verdict.fixed_version,
                "urgency": getattr(verdict, "urgency", None),
                "band": band,
                "result": result,
                "text": f"{verdict.id} fixed in {verdict.fixed_version} ({band}"
                + (f", urgency {verdict.urgency}" if getattr(verdict, "urgency", None) else "")
                + f"): {state}",
                "listed_since": verdict.listed_since.isoformat() if verdict.listed_since else None,
                "absent_at": verdict.absent_at.isoformat() if verdict.absent_at else None,
            }
        )
    if not open_fixes and not others:
        return None
    results = [entry["result"] for entry in open_fixes]
    result = (
        Result.FAIL if Result.FAIL in results else Result.ABORT if Result.ABORT in results else Result.PASS
    )
    counted = "; ".join(f"{status} {len(ids)}" for status, ids in sorted(others.items()))
    parts = [entry["text"] for entry in open_fixes]
    if counted:
        parts.append(f"not a fix this host lacks: {counted}")
    fixes = [entry["fixed_version"] for entry in open_fixes if entry.get("fixed_version")]
    details: dict[str, Any] = {
        "kind": "distribution",
        "host": host,
        "where": where,
        "data": name,
        "release": release,
        "source_package": source,
        "version": version,
        "packages": sorted(binaries),
        "why": sorted({reasons[binary] for binary in binaries}),
        "open": [
            {k: (str(v) if k == "result" else v) for k, v in entry.items() if k != "text"}
            for entry in open_fixes
        ],
        "not_actionable": {status: sorted(ids) for status, ids in sorted(others.items())},
        "status": "overdue" if result is Result.FAIL else "open" if open_fixes else "no fix to install",
    }
    if fixes:
        details["remedy"] = (
            f"install {source} {max_version(fixes, scheme)} or later from the {release} security updates"
        )
    return Finding(
        TESTCASE,
        f"{host} {where} {source} {version}",
        result,
        f"{host}: {where} {source} {version} ({', '.join(sorted(binaries)[:3])}"
        + (f" and {len(binaries) - 3} more" if len(binaries) > 3 else "")
        + f"): {' | '.join(parts)}",
        details,
    )


def max_version(versions: list[str], scheme: str | None) -> str:
    """The highest of the fixed versions in the release's own order (dpkg or rpm); the last listed
    when the order is unknown or a version cannot be read."""
    from functools import cmp_to_key

    if scheme is None:
        return versions[-1]
    order = cmp_to_key(lambda left, right: compare(scheme, left, right) or 0)
    return max(versions, key=order)


def cvss_band_of(cvss: dict[str, Any]) -> Any:
    """A function CVE id -> band from the shipped CVSS table (None for an unscored id)."""

    def band(cve: str) -> str | None:
        row = cvss.get(cve)
        return band_for(row.score) if row is not None and row.score is not None else None

    return band


def judge_host_dependencies(
    facts: HostFacts,
    knowledge: DependencyKnowledge,
    deliverables: frozenset[str],
    now: dt.datetime,
    unscored: str = DEFAULT_UNSCORED_BAND,
    shared: SharedDependencyVerdicts | None = None,
    stale: list[str] | None = None,
    cvss_band: Any = lambda cve: None,
) -> list[Finding]:
    """Every dependency finding of one host; ``stale``: why the data cannot prove anything today."""
    host = facts.host
    if not facts.reachable:
        return [
            Finding(
                TESTCASE,
                host,
                Result.ABORT,
                f"{host}: not gathered ({facts.failure}); its dependencies cannot be judged",
                {"host": host},
            )
        ]
    shared = shared if shared is not None else SharedDependencyVerdicts()
    findings, judged = python_findings(facts, knowledge, deliverables, now, unscored, shared)
    if judged and not any(finding.evidence.get("kind") == "python" for finding in findings):
        findings.append(
            Finding(
                TESTCASE,
                f"{host} (Python distributions)",
                Result.PASS,
                f"{host}: {judged} Python distributions (name and version) judged against the PyPA advisory "
                "data: none affected",
                {"host": host, "judged": judged},
            )
        )
    findings += distribution_findings(facts, knowledge, now, unscored, shared, cvss_band)
    findings += [
        Finding(
            TESTCASE,
            f"{host} (dependency data unreadable)",
            Result.ABORT,
            f"{host}: {problem}; {REFRESH}",
            {"host": host},
        )
        for problem in knowledge.problems
    ]
    if stale:
        findings.append(
            Finding(
                TESTCASE,
                f"{host} (dependency data too old)",
                Result.ABORT,
                f"{host}: {' | '.join(stale)}",
                {"host": host, "stale": list(stale)},
            )
        )
    return findings + partial_evidence(TESTCASE, facts)
