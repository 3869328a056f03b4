"""Ancestry knowledge: the git audit's corrections, kept beside the overlay and applied by the build.

``patchcheck index ancestry`` audits, for every advisory naming a product whose repository it
is given, the range the index would use (upstream's, or the overlay's repair: an overlay repair
is audited like any other range and counts for nothing by existing) against the product's git
history (``git_history.py``), and writes what it found to ``ancestry.yaml``:

.. code-block:: yaml

    repositories:
      ironic: {url: https://opendev.org/openstack/ironic, head: <sha>, head_date: <ISO date>}
    advisories:
      OSSA-2026-013:
        ironic:
          audited_range: ">=23.0.4 <29.0.6, ..."
          fix: [I09fa51801cf40da6f7be31014cca63ad1c253a5a]
          corrections:
            - {version: 36.0.0, affected: true, proof: "tag 36.0.0 lacks I09fa... (subject)"}

An advisory audited with no fix commit found has ``fix: []``: audited, undecided, the range
stands. The build (``build.py``) applies the corrections: a release proven affected is added
(``==v``) whatever range is in force now, since adding an affected release can never make a
false PASS; a release proven fixed is taken out (``!=v``) only while the range is the one that
was audited — a range upstream changed since needs a new audit first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

from patchcheck.errors import InputError
from patchcheck.knowledge.git_history import (
    AncestryAudit,
    Correction,
    GitError,
    Wanted,
    audit,
    corrected,
    corrections,
    git,
    history,
    mirror,
)
from patchcheck.knowledge.ranges import RangeSyntaxError, VersionRange, parse_range
from patchcheck.knowledge.sources import RawAdvisory

ANCESTRY = Path(__file__).resolve().parent / "ancestry.yaml"

#: Where ``index update`` finds a product's repository: {repository} is the deliverable's name.
DEFAULT_GIT_URL = "https://opendev.org/openstack/{repository}"

#: product key -> repository name, where they differ.
REPOSITORY_NAMES = {"oslo-messaging": "oslo.messaging", "oslo-config": "oslo.config"}


class _LintCleanDumper(yaml.SafeDumper):
    """Indents list items under their key, so the committed file passes ``yamllint --strict``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


@dataclass(frozen=True)
class ProductAncestry:
    audited_range: str
    fix: tuple[str, ...]
    corrections: tuple[Correction, ...]


@dataclass
class Ancestry:
    """What ``ancestry.yaml`` holds: per (advisory, product key), the audit's corrections."""

    repositories: dict[str, dict[str, str]] = field(default_factory=dict)
    entries: dict[tuple[str, str], ProductAncestry] = field(default_factory=dict)

    def get(self, advisory: str, product: str) -> ProductAncestry | None:
        return self.entries.get((advisory, product))

    def to_yaml(self) -> str:
        advisories: dict[str, dict[str, Any]] = {}
        for (advisory, product), entry in sorted(self.entries.items()):
            advisories.setdefault(advisory, {})[product] = {
                "audited_range": entry.audited_range,
                "fix": list(entry.fix),
                "corrections": [
                    {"version": str(c.version), "affected": c.affected, "proof": c.reason}
                    for c in entry.corrections
                ],
            }
        header = (
            "# Written by `patchcheck index ancestry` (knowledge/ancestry.py): which releases git\n"
            "# ancestry proves affected or fixed where the advisory's range (or the overlay's repair)\n"
            "# says otherwise. Regenerate it; do not edit by hand. Method: knowledge/git_history.py.\n"
        )
        body = {"repositories": dict(sorted(self.repositories.items())), "advisories": advisories}
        text = yaml.dump(body, Dumper=_LintCleanDumper, sort_keys=False, width=110, allow_unicode=True)
        return header + "---\n" + text


def load(path: Path = ANCESTRY) -> Ancestry:
    """Read ``ancestry.yaml``; a missing file is an empty ancestry (nothing audited yet)."""
    if not path.exists():
        return Ancestry()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, "", f"not readable as YAML: {exc}") from None
    found = Ancestry(repositories=dict(data.get("repositories") or {}))
    for advisory, products in (data.get("advisories") or {}).items():
        for product, entry in (products or {}).items():
            where = f"advisories.{advisory}.{product}"
            try:
                found.entries[(str(advisory), str(product))] = ProductAncestry(
                    audited_range=str(entry["audited_range"]),
                    fix=tuple(str(change) for change in entry.get("fix") or ()),
                    corrections=tuple(
                        Correction(Version(str(c["version"])), bool(c["affected"]), str(c["proof"]))
                        for c in entry.get("corrections") or ()
                    ),
                )
            except (KeyError, TypeError, InvalidVersion) as exc:
                raise InputError(path, where, f"malformed entry ({exc})") from None
    return found


def apply(
    parsed: VersionRange, entry: ProductAncestry, warn: Callable[[str], None], where: str
) -> tuple[VersionRange, list[dict[str, Any]]]:
    """The range with the entry's corrections, and what was applied (for the index and reasons)."""
    same = str(parsed) == str(canonical_range(entry.audited_range))
    kept = [c for c in entry.corrections if c.affected or same]
    if not same and len(kept) < len(entry.corrections):
        warn(
            f"ancestry: {where}: audited for the range {entry.audited_range!r}, now {str(parsed)!r}: "
            "releases it proved fixed stay affected until it is audited again"
        )
    if not kept:
        return parsed, []
    applied = [{"version": str(c.version), "affected": c.affected, "proof": c.reason} for c in kept]
    return corrected(parsed, kept), applied


def canonical_range(text: str) -> VersionRange | str:
    """A range as the index prints it, so an audited range and the one in force compare as text."""
    try:
        return parse_range(text)
    except RangeSyntaxError:
        return text


def repository_of(product: str) -> str:
    return REPOSITORY_NAMES.get(product, product)


@dataclass
class AuditRun:
    """One ``index ancestry`` (or the audit inside ``index update``): results and what was left."""

    ancestry: Ancestry
    audited: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def audit_advisories(
    raws: Iterable[RawAdvisory],
    ranges: dict[tuple[str, str], str],
    urls: dict[str, str],
    cache: Path,
    previous: Ancestry | None = None,
    budget_s: float = 1800.0,
    progress: Callable[[str], None] = lambda line: None,
) -> AuditRun:
    """Audit every (advisory, product) of ``ranges`` whose product has a URL in ``urls``.

    ``ranges`` holds the range in force per (advisory id, product key). Entries of ``previous``
    for advisories not audited now are kept. A repository that cannot be fetched, and whatever the
    time budget leaves, is reported (``skipped``): its advisories keep their range, unproven.
    """
    started = time.monotonic()
    before = previous or Ancestry()
    run = AuditRun(Ancestry(dict(before.repositories), dict(before.entries)))
    by_id = {raw.id: raw for raw in raws}
    histories: dict[str, tuple[Path, dict[str, Any]] | None] = {}
    for (advisory, product), text in sorted(ranges.items()):
        if product not in urls:
            continue
        label = f"{advisory} {product}"
        if time.monotonic() - started > budget_s:
            run.skipped.append(f"{label}: the time budget of {budget_s:.0f} s was spent")
            continue
        if product not in histories:
            histories[product] = fetch_history(product, urls[product], cache, run, progress)
        fetched = histories[product]
        if fetched is None:
            run.skipped.append(f"{label}: repository {product} could not be fetched")
            continue
        repository, commits = fetched
        raw = by_id[advisory]
        progress(f"auditing {label}")
        found: AncestryAudit = audit(repository, Wanted(raw.id, tuple(raw.cves), tuple(raw.bugs)), commits)
        parsed = parse_range(text)
        run.ancestry.entries[(advisory, product)] = ProductAncestry(
            audited_range=str(parsed),
            fix=found.required_changes,
            corrections=tuple(corrections(parsed, found)),
        )
        (run.audited if found.decided() else run.undecided).append(label)
    run.seconds = time.monotonic() - started
    return run


def fetch_history(
    product: str, url: str, cache: Path, run: AuditRun, progress: Callable[[str], None]
) -> tuple[Path, dict[str, Any]] | None:
    from patchcheck.urls import without_userinfo

    shown = without_userinfo(url)
    progress(f"fetching {product} from {shown}")
    try:
        repository = mirror(url, cache, repository_of(product))
        commits = history(repository)
        head = git(repository, "rev-parse", "HEAD").strip()
        date = git(repository, "log", "-1", "--format=%cI", "HEAD").strip()
    except GitError as exc:
        run.skipped.append(f"{product}: {shown}: {exc}")
        return None
    run.ancestry.repositories[product] = {"url": shown, "head": head, "head_date": date}
    return repository, commits
