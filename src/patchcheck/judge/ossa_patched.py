"""scs-0124-ossa-patched: no applicable advisory is overdue on any host.

For every component (product at a version, where it was found) and every
advisory whose range contains the version, the verdict is one of:

- not affected (precondition false): the configuration shows the vulnerable
  feature is off, with the configuration as evidence;
- mitigated: a configuration workaround named by the advisory or its note is in place;
- fixed (backport): a distribution package whose changelog names every CVE of the advisory;
- affected within deadline: not fixed yet, time left until disclosure + window;
- overdue: not fixed, the deadline has passed;
- unknown: the version cannot be placed (a pbr development build of the first
  fixed release without commit evidence, an unparsable version).

Overdue is FAIL, unknown is ABORT, everything else PASS, each with evidence.
Components whose version is outside every range produce no item.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from patchcheck.facts import Component, HostFacts
from patchcheck.judge.effective_config import service_views
from patchcheck.judge.inventory_complete import partial_evidence
from patchcheck.judge.verdict import Finding, Result
from patchcheck.knowledge.advisories import Advisory, AdvisoryIndex
from patchcheck.knowledge.advisories import Finding as AffectedBy
from patchcheck.knowledge.ranges import era_key, line_of
from patchcheck.knowledge.rules import Evaluation, Rule, evaluate, files_of
from patchcheck.knowledge.severity import DEFAULT_UNSCORED_BAND
from patchcheck.knowledge.sources import product_key
from patchcheck.knowledge.versions import Match, parse_version

TESTCASE = "scs-0124-ossa-patched"


class Status(StrEnum):
    NOT_AFFECTED_PRECONDITION = "not affected (precondition false)"
    MITIGATED = "mitigated"
    FIXED_BACKPORT = "fixed (backport)"
    AFFECTED_IN_DEADLINE = "affected, within deadline"
    OVERDUE = "overdue"
    UNKNOWN = "unknown"


RESULT_OF = {
    Status.NOT_AFFECTED_PRECONDITION: Result.PASS,
    Status.MITIGATED: Result.PASS,
    Status.FIXED_BACKPORT: Result.PASS,
    Status.AFFECTED_IN_DEADLINE: Result.PASS,
    Status.OVERDUE: Result.FAIL,
    Status.UNKNOWN: Result.ABORT,
}


@dataclass(frozen=True)
class RuleOutcome:
    value: bool | None
    evidence: list[str]


#: Combinations of views judged per rule at most (services x folders x programs); beyond it unknown.
MAX_VIEW_COMBINATIONS = 4096


def evaluate_rule(rule: Rule, facts: HostFacts, component: Component, any_folder: bool) -> RuleOutcome:
    """Evaluate a rule on every view of the configuration it reads; combine worst case.

    A view is one program's configuration in one folder as oslo.config merges it
    (``effective_config``): every Kolla container folder, per-program file and keystone domain
    is one. A rule reading another service (OSSA-2023-003 reads nova from a cinder rule) is
    judged on every combination of both services' views. ``any_folder`` (preconditions): the
    advisory applies if it applies in any view. Otherwise (mitigations, requirements): it
    holds only if it holds in every view.
    """
    outcomes = []
    for service in rule_services(rule, facts, component):
        needed = files_of(rule.expr, service)
        owners = sorted({owner for owner, _name in needed} | {service})
        choices = [
            service_views(facts, owner, {name for other, name in needed if other == owner})
            for owner in owners
        ]
        if math.prod(len(views) for views in choices) > MAX_VIEW_COMBINATIONS:
            outcomes.append(
                Evaluation(None, [f"{service}: more than {MAX_VIEW_COMBINATIONS} configuration views"])
            )
            continue
        several = any(len(views) > 1 or any(view.unread for view in views) for views in choices)
        for combination in itertools.product(*choices):
            config = {owner: view.files for owner, view in zip(owners, combination, strict=True)}
            outcome = evaluate(rule.expr, config, service)
            if several:
                where = "; ".join(view.label for view in combination)
                outcome = Evaluation(outcome.value, [f"{line} (in {where})" for line in outcome.evidence])
            outcomes.append(outcome)
    values = [outcome.value for outcome in outcomes]
    evidence = [line for outcome in outcomes for line in outcome.evidence]
    if any_folder:
        value = True if True in values else (None if None in values else False)
    else:
        value = False if False in values else (None if None in values else True)
    return RuleOutcome(value, evidence)


def rule_services(rule: Rule, facts: HostFacts, component: Component) -> list[str]:
    """Whose configuration a rule reads: its service; for ``*``, the component's own service, or,
    for a library (oslo.messaging has no configuration of its own), every service configured on
    the host, since each loads the library with its own options."""
    if rule.service != "*":
        return [rule.service]
    own = component.service or component.product
    if component.service or facts.config_folders(own):
        return [own]
    configured = sorted({config_file.service for config_file in facts.config})
    return configured or [own]


def judge_component(
    facts: HostFacts,
    component: Component,
    advisory: Advisory,
    match: Match,
    reason: str,
    now: dt.datetime,
    due: dt.datetime | None,
) -> tuple[Status, list[str]]:
    evidence = [f"{component.label}: {reason}"]
    if match is Match.UNKNOWN:
        return Status.UNKNOWN, evidence
    for rule in advisory.rules_of("precondition", component.product):
        outcome = evaluate_rule(rule, facts, component, any_folder=True)
        evidence += [f"precondition {rule.id}: {line}" for line in outcome.evidence]
        if outcome.value is False:
            return Status.NOT_AFFECTED_PRECONDITION, evidence
    for rule in advisory.rules_of("mitigation", component.product):
        outcome = evaluate_rule(rule, facts, component, any_folder=False)
        evidence += [f"mitigation {rule.id}: {line}" for line in outcome.evidence]
        if outcome.value is True:
            return Status.MITIGATED, evidence
    backport = backport_evidence(component, advisory)
    if backport is not None:
        named, lines = backport
        evidence += lines
        if named:
            required = [
                (rule, evaluate_rule(rule, facts, component, any_folder=False))
                for rule in advisory.rules_of("fix-requires", component.product)
            ]
            unmet = [(rule, outcome) for rule, outcome in required if outcome.value is not True]
            if not unmet:
                evidence += [f"fix requires {rule.id}: {line}" for rule, o in required for line in o.evidence]
                return Status.FIXED_BACKPORT, evidence
            evidence += [
                f"the backport protects only when {rule.id} holds ({rule.reason}): "
                + ("; ".join(outcome.evidence) or "not evaluated")
                for rule, outcome in unmet
            ]
    if due is None:
        evidence.append("disclosure date unknown")
        return Status.UNKNOWN, evidence
    return (Status.OVERDUE if now > due else Status.AFFECTED_IN_DEADLINE), evidence


def backport_evidence(component: Component, advisory: Advisory) -> tuple[bool, list[str]] | None:
    """Whether the package changelog names the fix, with the quoted lines; None without a changelog.

    The advisory's own id (distributions often write "OSSN-0101: ... Applied upstream patch")
    or every one of its CVE ids counts; a changelog naming some of its CVEs but not all does not.
    """
    if component.changelog_refs is not None:
        quoted = component.changelog_line(advisory.id)
        if quoted is not None:
            package, version, line = quoted
            return True, [f'{package} {version} changelog names {advisory.id}: "{line}"']
        named = [cve for cve in advisory.cves if component.changelog_line(cve)]
        if named and len(named) == len(advisory.cves):
            lines = []
            for cve in named:
                package, version, line = component.changelog_line(cve) or ("", "", "")
                lines.append(f'{package} {version} changelog names {cve}: "{line}"')
            return True, lines
        missing = [cve for cve in advisory.cves if cve not in named]
        cves = ", ".join(missing) or "any CVE of it"
        return False, [f"{component.where} changelog names neither {advisory.id} nor {cves}"]
    if component.changelog_cves is not None and advisory.cves:  # facts from before changelog_refs
        missing = [cve for cve in advisory.cves if cve not in component.changelog_cves]
        if not missing:
            return True, [f"{component.where} changelog names {', '.join(advisory.cves)}"]
        return False, [f"{component.where} changelog does not name {', '.join(missing)}"]
    return None


def remedy(component: Component, found: AffectedBy, index: AdvisoryIndex | None) -> str:
    """What the operator can do, as a version to install: the first fixed release of the installed
    series or line, or that it has none and which series or lines do; for a distribution package,
    one whose changelog names the advisory; and any configuration that mitigates.

    Never "a release outside <range>": no one can act on that (issue 27, ceph's OSSN-0108).
    """
    advisory = found.advisory
    series = index.series_of(component.product, component.upstream) if index else None
    fix = found.product.series_fix(series) if series else None
    later = later_fixes(component, found) if fix and not fix.fixed_in else []
    if fix and fix.fixed_in:
        text = f"update to {component.product} {fix.fixed_in} or later (the first fixed release of {series})"
    elif later:
        named = ", ".join(f"{other.series} {other.fixed_in}" for other in later)
        text = (
            f"{series} has no release with the fix: upgrade to a maintained series that has one "
            f"(fixed in {named})"
        )
    else:  # no series knowledge, or none names a fix: the range itself tells
        text = range_remedy(component, found, series)
    if component.source in ("dpkg", "rpm"):
        text += f", or install a {component.source} package whose changelog names {advisory.id}"
    mitigations = advisory.rules_of("mitigation", component.product)
    if mitigations:
        text += "; or mitigate: " + "; ".join(rule.reason for rule in mitigations)
    return text


def later_fixes(component: Component, found: AffectedBy) -> list[Any]:
    """The series whose first fixed release is newer than the installed version, oldest first."""
    installed = parse_version(component.upstream)
    fixes = [(parse_version(fix.fixed_in), fix) for fix in found.product.series if fix.fixed_in]
    newer = [
        (v, fix)
        for v, fix in fixes
        if v is not None and (installed is None or era_key(v) > era_key(installed))
    ]
    return [fix for _, fix in sorted(newer, key=lambda pair: era_key(pair[0]))]


def range_remedy(component: Component, found: AffectedBy, series: str | None) -> str:
    """The remedy from the advisory's range (``VersionRange.line_fix``): for products without
    series knowledge (ceph, a library) or whose series entries name no fix.

    A distribution's own fixed package version is not in the knowledge; what proves one is its
    changelog naming the advisory, which the caller asks for.
    """
    product, affected = component.product, found.product.range
    version = parse_version(component.upstream)
    line = affected.line_fix(version) if version is not None else None
    if line is not None and line.fixed_in is not None:
        return (
            f"update to {product} {line.fixed_in} or later "
            f"(the first fixed release of the {line_of(line.fixed_in)}.x line)"
        )
    installed = series or (f"the {line_of(version)}.x line" if version is not None else "the installed line")
    if line is not None and line.later_lines:
        moves = ", ".join(f"{fixed} or later" for fixed in line.later_lines)
        return (
            f"{installed} has no release with the fix (the advisory's {product} range is {affected}): "
            f"move to a line that has one ({moves})"
        )
    return (
        f"{installed} has no release with the fix, and the advisory names no later one "
        f"(its {product} range is {affected}; see {found.advisory.url})"
    )


def describe_time(due: dt.datetime, now: dt.datetime) -> str:
    delta = abs(now - due)
    amount = f"{delta.days} days" if delta.days else f"{delta.seconds // 3600} hours"
    return f"overdue by {amount}" if now > due else f"{amount} left"


class SharedVerdicts:
    """What a (component, advisory) verdict is when no host's configuration enters it.

    Most advisories have no precondition or mitigation rule: their verdict depends
    only on the component (product, version, where, changelog) and the moment, and
    a fleet repeats the same components on thousands of hosts. One instance is
    shared by every host of a judge run; each host still gets findings of its own.
    """

    def __init__(self) -> None:
        self.entries: dict[tuple[Component, str], tuple[Result, str, str, dict[str, Any]]] = {}


def judge_host_advisories(
    facts: HostFacts,
    index: AdvisoryIndex,
    now: dt.datetime,
    unscored: str = DEFAULT_UNSCORED_BAND,
    shared: SharedVerdicts | None = None,
    stale: str | None = None,
) -> list[Finding]:
    """Every applicable advisory of every component of the host; ``stale``: why the knowledge
    cannot prove anything today (then the host's testcase cannot PASS)."""
    if not facts.reachable:
        return [
            Finding(
                TESTCASE,
                f"{facts.host}",
                Result.ABORT,
                f"{facts.host}: not gathered ({facts.failure}); its advisories cannot be judged",
            )
        ]
    shared = shared if shared is not None else SharedVerdicts()
    host = facts.host
    findings = []
    for component in facts.components:
        for found in index.affecting_key(product_key(component.product), component.upstream):
            key = (component, found.advisory.id)
            verdict = shared.entries.get(key)
            if verdict is None:
                verdict = judge_found(facts, component, found, now, unscored, index)
                if not has_config_rules(found.advisory, component.product):
                    shared.entries[key] = verdict
            result, subject, message, details = verdict
            findings.append(
                Finding(
                    TESTCASE, f"{host} {subject}", result, f"{host}: {message}", {"host": host, **details}
                )
            )
    if not facts.components:
        return [
            Finding(
                TESTCASE,
                facts.host,
                Result.ABORT,
                f"{facts.host}: no OpenStack component found; nothing proves this host patched",
                {"host": facts.host},
            ),
            *partial_evidence(TESTCASE, facts),
        ]
    if not findings:
        products = sorted({f"{c.product} {c.version}" for c in facts.components})
        findings.append(
            Finding(
                TESTCASE,
                f"{facts.host} (no applicable advisory)",
                Result.PASS,
                f"{facts.host}: no advisory applies to {', '.join(products)}",
                {"host": facts.host, "components": products},
            )
        )
    too_old = (
        [
            Finding(
                TESTCASE,
                f"{host} (advisory knowledge too old)",
                Result.ABORT,
                f"{host}: {stale}",
                {"host": host},
            )
        ]
        if stale
        else []
    )
    unreadable = unreadable_advisories(facts, index)
    return (
        findings + unreadable + knowledge_behind(facts, index) + too_old + partial_evidence(TESTCASE, facts)
    )


def unreadable_advisories(facts: HostFacts, index: AdvisoryIndex) -> list[Finding]:
    """An ABORT per component named by an advisory whose range could not be read: exposure unknown."""
    return [
        Finding(
            TESTCASE,
            f"{facts.host} {component.product} {component.version} {advisory.id}",
            Result.ABORT,
            f"{facts.host}: {component.label} and {advisory.id}: the advisory's range for "
            f"{component.product} cannot be read ({reason}); its exposure is unknown until the overlay "
            "repairs it",
            {
                "host": facts.host,
                "product": component.product,
                "version": component.version,
                "advisory": advisory.id,
                "url": advisory.url,
                "status": "unknown",
                "band": advisory.band(),
                "deadline": None,
                "time_left": None,
                "cves": list(advisory.cves),
                "evidence": [reason],
                "source": component.source,
                "where": component.where,
            },
        )
        for component in facts.components
        for advisory, reason in index.unparsable.get(product_key(component.product), [])
    ]


def knowledge_behind(facts: HostFacts, index: AdvisoryIndex) -> list[Finding]:
    """An ABORT per advisory id a package changelog names that the index does not know.

    The host itself proves the knowledge is behind: judging it with that knowledge could pass
    an advisory nobody here has heard of. The fix is ``patchcheck index update``.
    """
    unknown: dict[str, tuple[str, str]] = {}
    for component in facts.components:
        for reference, package, version, _line in component.changelog_refs or ():
            if reference.startswith(("OSSA-", "OSSN-")) and reference not in index.by_id:
                unknown.setdefault(reference, (package, version))
    return [
        Finding(
            TESTCASE,
            f"{facts.host} {reference} (unknown to the index)",
            Result.ABORT,
            f"{facts.host}: {package} {version} names {reference} in its changelog, which this advisory "
            f"knowledge does not know: it is behind; run `patchcheck index update` and judge again",
            {"host": facts.host, "unknown_advisory": reference, "package": package, "version": version},
        )
        for reference, (package, version) in sorted(unknown.items())
    ]


def has_config_rules(advisory: Advisory, product: str) -> bool:
    """Whether the host's configuration can change this advisory's verdict for the product."""
    return any(advisory.rules_of(kind, product) for kind in ("precondition", "mitigation", "fix-requires"))


def judge_found(
    facts: HostFacts,
    component: Component,
    found: AffectedBy,
    now: dt.datetime,
    unscored: str,
    index: AdvisoryIndex | None = None,
) -> tuple[Result, str, str, dict[str, Any]]:
    """One (component, advisory) verdict: result, subject and sentence after the host's name, details."""
    advisory = found.advisory
    due = advisory.deadline(unscored)
    status, evidence = judge_component(
        facts, component, advisory, found.match.match, found.match.reason, now, due
    )
    band = advisory.band(unscored)
    timing = f"due {due:%Y-%m-%d %H:%M} UTC, {describe_time(due, now)}" if due else "due date unknown"
    details: dict[str, Any] = {
        "product": component.product,
        "version": component.version,
        "source": component.source,
        "where": component.where,
        "advisory": advisory.id,
        "url": advisory.url,
        "status": status.value,
        "band": band,
        "deadline": due.isoformat() if due else None,
        "time_left": describe_time(due, now) if due else None,
        "cves": list(advisory.cves),
        "evidence": evidence,
    }
    if RESULT_OF[status] is not Result.PASS:
        details["remedy"] = remedy(component, found, index)
    return (
        RESULT_OF[status],
        f"{component.product} {component.version} {advisory.id}",
        f"{component.label} and {advisory.id} ({band}, {timing}): {status.value}",
        details,
    )
