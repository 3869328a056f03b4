"""Running the advisory audit over the upstream data, and what it writes.

``run_audit`` reads the OSSA files as upstream wrote them (no overlay: the audit
checks the advisories, and then whether the overlay repairs what it found),
audits every (advisory, product) of the chosen products since the chosen year,
and says for each disagreement whether the overlay repairs it (``fixes``) or
explains it (``audit_explanations``). ``markdown`` is the record kept in the
repository (``docs/advisory-audit.md``); ``proposed_overlay`` is a patch for a
person to review, never applied by itself.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from patchcheck.knowledge.ancestry import Ancestry
from patchcheck.knowledge.ancestry import load as load_ancestry
from patchcheck.knowledge.audit import Identifiers, ProductAudit, State, audit_product
from patchcheck.knowledge.build import OVERLAY, load_overlay
from patchcheck.knowledge.ranges import RangeSyntaxError, parse_range
from patchcheck.knowledge.sdists import DownloadBudgetSpent, SdistSource
from patchcheck.knowledge.sources import load_yaml, product_key, read_deliverable_versions, read_ossa
from patchcheck.knowledge.versions import Match, match_upstream

#: The projects of the issue's audit: OpenStack's IaaS services with sdists on PyPI.
DEFAULT_PRODUCTS = (
    "nova",
    "keystone",
    "glance",
    "cinder",
    "neutron",
    "ironic",
    "manila",
    "octavia",
    "swift",
    "placement",
)


@dataclass
class AuditRun:
    audits: list[ProductAudit] = field(default_factory=list)
    downloads: int = 0
    downloaded_bytes: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    budget_spent: bool = False
    repaired: dict[str, str] = field(default_factory=dict)
    """advisory -> the overlay's repair (range and reason) where it has one."""
    repaired_ranges: dict[tuple[str, str], str] = field(default_factory=dict)
    """(advisory, product) -> the range the overlay's repair puts in force."""
    explained: dict[str, str] = field(default_factory=dict)
    ancestry: Ancestry = field(default_factory=Ancestry)
    """What git ancestry proved (``ancestry.yaml``): it decides where it has audited."""

    def status(self, audit: ProductAudit) -> str:
        if not audit.disagreements:
            return "agrees" if audit.count(State.CONTAINS) or audit.count(State.LACKS) else "not decided"
        if audit.advisory in self.repaired:
            wrong = self.repair_problems(audit)
            return f"UNREVIEWED: the overlay repair {wrong[0]}" if wrong else self.repair_status(audit)
        if audit.advisory in self.explained:
            return "explained"
        corrected = self.git_corrections(audit)
        return f"corrected by git ancestry: {corrected}" if corrected else "UNREVIEWED"

    def git_corrections(self, audit: ProductAudit) -> str | None:
        """The git corrections that settle every disagreement, or None where one is left.

        A release the sdists find lacking while the range calls it not affected is settled only by a
        correction to affected for that very release (and the reverse for a false FAIL); a claim
        about a first fixed release always comes with such a release disagreement.
        """
        proven = self.ancestry.get(audit.advisory, audit.product)
        disagreeing = [release for release in audit.releases if release.disagreement]
        if proven is None or not disagreeing:
            return None
        by_version = {c.version: c.affected for c in proven.corrections}
        for release in disagreeing:
            if by_version.get(release.version) is not (release.state is State.LACKS):
                return None
        return ", ".join(
            f"{release.version} {'affected' if release.state is State.LACKS else 'fixed'}"
            for release in disagreeing
        )

    def repair_status(self, audit: ProductAudit) -> str:
        """How a repair stands: git's corrections on top of it, or the sdists' agreement."""
        proven = self.ancestry.get(audit.advisory, audit.product)
        if proven is None:
            return "repaired by the overlay (repair agrees with the sdists)"
        if not proven.corrections:
            return "repaired by the overlay (repair agrees with git ancestry)"
        corrected = ", ".join(
            f"{c.version} {'affected' if c.affected else 'fixed'}" for c in proven.corrections
        )
        return f"repaired by the overlay, corrected by git ancestry: {corrected}"

    def repair_problems(self, audit: ProductAudit) -> list[str]:
        """Where a repair itself is wrong: an overlay repair counts for nothing by existing.

        Git ancestry decides where it audited the repaired range (its corrections are built into
        the index); elsewhere the repaired range is checked against the releases the sdists decided.
        """
        text = self.repaired_ranges.get((audit.advisory, audit.product))
        if text is None or self.ancestry.get(audit.advisory, audit.product) is not None:
            return []
        try:
            parsed = parse_range(text)
        except RangeSyntaxError as exc:
            return [f"range {text!r} does not parse: {exc}"]
        return [
            f"calls {release.version} not affected, but its sdist lacks the fix ({release.evidence})"
            for release in audit.releases
            if release.state is State.LACKS
            and match_upstream(str(release.version), parsed).match is Match.NOT_AFFECTED
        ]

    def counts_as_reviewed(self, audit: ProductAudit) -> bool:
        return not self.status(audit).startswith("UNREVIEWED")

    @property
    def unreviewed(self) -> list[ProductAudit]:
        return [audit for audit in self.audits if not self.counts_as_reviewed(audit)]


def run_audit(
    data: Path,
    source: SdistSource,
    products: tuple[str, ...] = DEFAULT_PRODUCTS,
    since: int = 2017,
    only: set[str] | None = None,
    overlay: Path = OVERLAY,
) -> AuditRun:
    start = time.monotonic()
    wanted = {product_key(product) for product in products}
    released = read_deliverable_versions(data / "releases", wanted)
    fixes, _rules = load_overlay(overlay)
    overlay_document = load_yaml(overlay) or {}
    run = AuditRun(
        explained={k: str(v).strip() for k, v in (overlay_document.get("audit_explanations") or {}).items()},
        ancestry=load_ancestry(),
    )
    for path in sorted((data / "ossa" / "ossa").glob("OSSA-*.yaml")):
        if only and path.stem not in only:
            continue
        raw = read_ossa(path)
        if not only and int(raw.id.split("-")[1]) < since:
            continue
        fix = fixes.get(raw.id) or {}
        if fix.get("products"):
            ranges = "; ".join(f"{p['product']} {p['version']}" for p in fix["products"])
            run.repaired[raw.id] = f"{ranges} ({' '.join(str(fix['reason']).split())})"
            for repaired in fix["products"]:
                run.repaired_ranges[(raw.id, product_key(repaired["product"]))] = str(repaired["version"])
        for product in raw.products:
            key = product_key(product.name)
            if key not in wanted or key not in released:
                continue
            identifiers = Identifiers(raw.id, tuple(raw.cves), tuple(raw.bugs))
            try:
                audit = audit_product(raw.id, key, product.version, identifiers, released[key], source)
            except DownloadBudgetSpent as exc:
                run.budget_spent = True
                audit = ProductAudit(raw.id, key, product.version, identifiers, problems=[str(exc)])
            run.audits.append(audit)
    run.downloads, run.downloaded_bytes, run.cache_hits = (
        source.downloads,
        source.downloaded_bytes,
        source.cache_hits,
    )
    run.seconds = time.monotonic() - start
    return run


def markdown(run: AuditRun, data: Path, when: dt.datetime) -> str:
    lines = [
        "# Advisory ranges checked against the released code",
        "",
        f"Written by `patchcheck index audit` on {when:%Y-%m-%d %H:%M} UTC from `{data.name}/ossa` as",
        "upstream wrote it (no overlay) and the sdists on PyPI; method: docs/knowledge.md, "
        "section Advisory audit.",
        "",
        f"- advisories x products audited: {len(run.audits)}; releases decided: "
        f"{sum(a.count(State.CONTAINS) + a.count(State.LACKS) for a in run.audits)} "
        f"(cannot tell: {sum(a.count(State.UNKNOWN) for a in run.audits)})",
        f"- sdists: {run.downloads} downloaded ({run.downloaded_bytes / 1e6:.0f} MB), "
        f"{run.cache_hits} from the cache; {run.seconds / 60:.1f} minutes",
        f"- disagreements: {sum(len(a.disagreements) for a in run.audits)} in "
        f"{sum(1 for a in run.audits if a.disagreements)} advisories; unreviewed: {len(run.unreviewed)}",
    ]
    if run.budget_spent:
        lines.append("- the download budget was spent: advisories after it are listed as not checked")
    lines += [
        "",
        "| advisory | product | upstream range | lines | contains | lacks | cannot tell | disagreements "
        "| status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for audit in run.audits:
        series = sorted({release.series for release in audit.releases})
        lines.append(
            f"| {audit.advisory} | {audit.product} | `{audit.range_text}` | {len(series)} | "
            f"{audit.count(State.CONTAINS)} | {audit.count(State.LACKS)} | {audit.count(State.UNKNOWN)} | "
            f"{len(audit.disagreements)} | {run.status(audit)} |"
        )
    for audit in run.audits:
        if not audit.disagreements and not audit.problems:
            continue
        lines += ["", f"## {audit.advisory} {audit.product}: {run.status(audit)}", ""]
        lines.append(f"- upstream range: `{audit.range_text}`")
        if audit.advisory in run.repaired:
            lines.append(f"- overlay repair: {run.repaired[audit.advisory]}")
        if audit.advisory in run.explained:
            lines.append(f"- explanation: {run.explained[audit.advisory]}")
        if audit.proposed_range:
            lines.append(f"- range the released code supports: `{audit.proposed_range}`")
        lines += [f"- fingerprint: {fingerprint}" for fingerprint in audit.fingerprints]
        lines += [f"- disagreement: {text}" for text in audit.disagreements]
        lines += [f"- claim: {text}" for text in audit.claims]
        lines += [f"- note: {text}" for text in audit.problems]
        lines += [f"- sdist read: {text}" for text in audit.sdists]
    return "\n".join(lines) + "\n"


def proposed_overlay(run: AuditRun) -> str:
    """Overlay entries for the unreviewed disagreements, with their evidence: for review, not applied."""
    fixes: dict[str, Any] = {}
    for audit in run.unreviewed:
        entry = fixes.setdefault(
            audit.advisory,
            {
                "reason": "released code disagrees with the range (patchcheck index audit)",
                "products": [],
                "evidence": [],
            },
        )
        entry["products"].append(
            {"product": audit.product, "version": audit.proposed_range or audit.range_text}
        )
        entry["evidence"] += audit.disagreements + [f"sdist {text}" for text in audit.sdists]
    header = "# Proposed by `patchcheck index audit`: review each entry before moving it into overlay.yaml.\n"
    return header + yaml.safe_dump({"fixes": fixes}, sort_keys=False, width=110)
