"""The git audit inside ``index update``: new and changed advisories are checked before the switch.

An advisory's text can be wrong (issue 28: four new ironic ranges stop below a release tagged
from master before the fix landed). ``index update`` therefore audits, before it switches to a
new index, every (advisory, product) of the advisories that are new or changed whose range in
force has not been audited as it stands, against the product's git history
(``git_history.py``), and builds again with the corrections (``ancestry.py``): a release the
ancestry proves affected is added whatever the text says; a release the text calls affected is
taken out only with ancestry proof. What cannot be audited (repository unreachable, time
budget spent) keeps its upstream range, is named in the output and in the provenance, and is
tried again by the next update.

Repositories come from the same git host as openstack/ossa: the OSSA URL with its last path
element replaced by the deliverable's repository (``…/openstack/ossa`` ->
``…/openstack/ironic``; ``…/ossa.git`` -> ``…/ironic.git``), or from ``--repo PRODUCT=URL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from patchcheck.knowledge.ancestry import Ancestry, AuditRun, audit_advisories, canonical_range, repository_of
from patchcheck.knowledge.build import Sources, ranges_in_force
from patchcheck.knowledge.changes import IndexChange

#: Seconds the audit inside one ``index update`` may take before the rest waits for the next one.
DEFAULT_AUDIT_BUDGET_S = 600.0


def repository_url(product: str, ossa_url: str, explicit: dict[str, str]) -> str:
    """Where ``product``'s git history is: ``explicit`` first, else beside openstack/ossa."""
    if product in explicit:
        return explicit[product]
    base, _, last = ossa_url.rstrip("/").rpartition("/")
    suffix = ".git" if last.endswith(".git") else ""
    return f"{base}/{repository_of(product)}{suffix}"


def audited(ancestry: Ancestry, advisory: str, product: str, text: str) -> bool:
    """Whether ``ancestry`` holds an audit of exactly the range ``text``."""
    entry = ancestry.get(advisory, product)
    return entry is not None and str(canonical_range(entry.audited_range)) == text


def pending_audits(
    changed: Iterable[str], ranges: dict[tuple[str, str], str], ancestry: Ancestry
) -> dict[tuple[str, str], str]:
    """(advisory, product) -> range of the changed advisories whose range in force is not audited."""
    wanted = set(changed)
    pending = {}
    for (advisory, product), text in ranges.items():
        if advisory not in wanted:
            continue
        if not audited(ancestry, advisory, product, text):
            pending[(advisory, product)] = text
    return pending


@dataclass
class UpdateAudit:
    """What the audit inside one update did."""

    ancestry: Ancestry
    run: AuditRun | None = None
    pending: int = 0
    messages: list[str] = field(default_factory=list)

    unaudited: list[str] = field(default_factory=list)
    """Advisories with a pair left unaudited: the next update tries them again."""


def audit_update(
    sources: Sources,
    overlay: Path,
    changes: list[IndexChange],
    ancestry: Ancestry,
    ossa_url: str,
    explicit_urls: dict[str, str],
    cache: Path,
    budget_s: float = DEFAULT_AUDIT_BUDGET_S,
    progress: Callable[[str], None] = lambda line: None,
    retry: Iterable[str] = (),
) -> UpdateAudit:
    """Audit the changed advisories (and ``retry``: those an earlier update could not audit)."""
    raws, ranges = ranges_in_force(sources, overlay)
    pending = pending_audits([c.advisory for c in changes] + list(retry), ranges, ancestry)
    result = UpdateAudit(ancestry=ancestry, pending=len(pending))
    if not pending:
        return result
    products = {product for _advisory, product in pending}
    urls = {product: repository_url(product, ossa_url, explicit_urls) for product in products}
    run = audit_advisories(
        raws, pending, urls, cache, previous=ancestry, budget_s=budget_s, progress=progress
    )
    result.ancestry, result.run = run.ancestry, run
    result.unaudited = sorted(
        {
            advisory
            for (advisory, product), text in pending.items()
            if not audited(run.ancestry, advisory, product, text)
        }
    )
    for (advisory, product), entry in sorted(run.ancestry.entries.items()):
        if (advisory, product) not in pending:
            continue
        for correction in entry.corrections:
            verdict = "affected" if correction.affected else "fixed"
            result.messages.append(
                f"git ancestry: {advisory} {product} {correction.version} {verdict}, "
                f"against its range: {correction.reason}"
            )
    result.messages += [f"not audited (its range stands, unproven): {line}" for line in run.skipped]
    result.messages += [f"no fix commit found in git (the range stands): {label}" for label in run.undecided]
    result.messages.append(
        f"audit: {len(pending)} (advisory, product) pair(s) of new or changed advisories against git "
        f"in {run.seconds:.1f} s (budget {budget_s:.0f} s): {len(run.audited)} decided, "
        f"{len(run.undecided)} undecided, {len(run.skipped)} not audited"
    )
    return result
