"""The advisory index: every OSSA and OSSN as checkable facts.

Built by ``patchcheck index build`` (knowledge/build.py) into
``data/advisories.json``; read here. Each advisory has its products with a
parsed range, the first fixed release per release series (or the explicit
statement that a series has no fixed release), its CVEs and severity, its
disclosure date, and the configuration rules from the overlay.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from patchcheck.knowledge.ranges import VersionRange, parse_range
from patchcheck.knowledge.rules import Rule, files_of
from patchcheck.knowledge.severity import DEFAULT_UNSCORED_BAND, Severity, deadline
from patchcheck.knowledge.sources import SERVICES_OF_OLDER_INDEXES, product_key
from patchcheck.knowledge.versions import Match, RangeMatch, match_upstream


@dataclass(frozen=True)
class SeriesFix:
    """How one release series stands with respect to an advisory's product."""

    series: str
    fixed_in: str | None
    """First release of the series outside the range; None: no fixed release exists (git only)."""


@dataclass(frozen=True)
class AffectedProduct:
    key: str
    name: str
    qualifier: str | None
    range: VersionRange
    series: tuple[SeriesFix, ...]
    ancestry: tuple[tuple[str, bool, str], ...] = ()
    """(version, affected, proof) where git ancestry overruled the advisory's range (ancestry.py)."""

    def ancestry_proof(self, version: str) -> str | None:
        """Why git decided this release against the advisory's own range, if it did."""
        try:
            wanted = Version(version)
        except InvalidVersion:
            return None
        return next(
            (proof for release, _affected, proof in self.ancestry if Version(release) == wanted), None
        )

    def match(self, version: str) -> RangeMatch:
        found = match_upstream(version, self.range)
        proof = self.ancestry_proof(version) if self.ancestry else None
        if proof and found.match is not Match.NOT_AFFECTED:  # the advisory's own range says otherwise
            return RangeMatch(found.match, f"{found.reason} (git ancestry: {proof})")
        return found

    def series_fix(self, series: str) -> SeriesFix | None:
        return next((fix for fix in self.series if fix.series == series), None)


@dataclass(frozen=True)
class Advisory:
    id: str
    kind: str
    title: str
    url: str
    disclosed: dt.date | None
    disclosed_by: dt.date | None
    historic: bool
    machine_readable: bool
    cves: tuple[str, ...]
    severity: Severity | None
    products: tuple[AffectedProduct, ...]
    fix_branches: tuple[str, ...]
    overlay: tuple[str, ...]
    rules: tuple[Rule, ...]
    unparsable: tuple[tuple[str, str], ...] = ()
    """(product key, why) of products whose range could not be read: their exposure is unknown."""

    @property
    def checkable(self) -> bool:
        return self.machine_readable and not self.historic and bool(self.products)

    def band(self, unscored: str = DEFAULT_UNSCORED_BAND) -> str:
        return self.severity.band if self.severity else unscored

    @property
    def disclosure(self) -> dt.date | None:
        """The disclosure day, or for a note without one the latest day it can have been."""
        return self.disclosed or self.disclosed_by

    def deadline(self, unscored: str = DEFAULT_UNSCORED_BAND) -> dt.datetime | None:
        day = self.disclosure
        return deadline(day, self.band(unscored)) if day else None

    def product(self, key: str) -> AffectedProduct | None:
        key = product_key(key)
        return next((product for product in self.products if product.key == key), None)

    def rules_of(self, kind: str, product: str | None = None) -> list[Rule]:
        if not self.rules:
            return []
        return [
            rule for rule in self.rules if rule.kind == kind and (product is None or rule.concerns(product))
        ]


@dataclass(frozen=True)
class Finding:
    """One advisory that matches a product version, with the reason."""

    advisory: Advisory
    product: AffectedProduct
    match: RangeMatch


class AdvisoryIndex:
    def __init__(
        self,
        advisories: list[Advisory],
        releases: dict[str, list[tuple[str, str]]],
        attribution: dict[str, Any],
        next_major: dict[str, tuple[str, str]] | None = None,
        projects: list[str] | None = None,
        services: frozenset[str] | None = None,
    ) -> None:
        self.projects = projects or []
        self.services = SERVICES_OF_OLDER_INDEXES if services is None else services
        """Deliverables of ``type: service``: each has a maintained-release check on every host."""
        self.advisories = advisories
        self.by_id = {advisory.id: advisory for advisory in advisories}
        self.releases = releases
        self.next_major = next_major or {}
        self.attribution = attribution
        self.by_product: dict[str, list[Advisory]] = {}
        self.unparsable: dict[str, list[tuple[Advisory, str]]] = {}
        for advisory in advisories:
            for key, reason in advisory.unparsable:
                self.unparsable.setdefault(key, []).append((advisory, reason))
        for advisory in advisories:
            if advisory.checkable:
                for product in advisory.products:
                    self.by_product.setdefault(product.key, []).append(advisory)

    def affecting(self, product: str, version: str) -> list[Finding]:
        """Advisories whose range contains (or may contain) this upstream version."""
        return list(self.affecting_key(product_key(product), version))

    @lru_cache(maxsize=65536)  # noqa: B019  (one index per process; a fleet repeats a few hundred versions)
    def affecting_key(self, key: str, version: str) -> tuple[Finding, ...]:
        """``affecting`` for a normalised product key, matched once per distinct (product, version)."""
        findings = []
        for advisory in self.by_product.get(key, []):
            affected = advisory.product(key)
            assert affected is not None
            result = affected.match(version)
            if result.match is not Match.NOT_AFFECTED:
                findings.append(Finding(advisory, affected, result))
        return tuple(findings)

    @lru_cache(maxsize=1)  # noqa: B019  (computed once per index)
    def requirements(self) -> tuple[tuple[Advisory, Rule, frozenset[tuple[str, str]]], ...]:
        """Every requirement rule with its advisory and the (service, file) pairs it reads."""
        return tuple(
            (advisory, rule, frozenset(files_of(rule.expr, rule.service)))
            for advisory in self.advisories
            for rule in advisory.rules_of("requirement")
        )

    def series_of(self, product: str, version: str) -> str | None:
        """The series a release belongs to; for an unreleased version, that of the nearest release below."""
        return self._series_of(product_key(product), version)

    @lru_cache(maxsize=65536)  # noqa: B019  (the index lives as long as the process; hosts repeat versions)
    def _series_of(self, key: str, version: str) -> str | None:
        try:
            wanted = Version(version)
        except InvalidVersion:
            return None
        best: tuple[Version, str] | None = None
        for released, series in self._parsed_releases(key):
            if released == wanted:
                return series
            if (
                released <= wanted
                and released.release[:1] == wanted.release[:1]
                and (best is None or released > best[0])
            ):
                best = (released, series)
        if best:
            return best[1]
        inferred = self.next_major.get(key)
        if inferred and str(wanted.release[0]) == inferred[0]:
            return inferred[1]
        return None

    @lru_cache(maxsize=1024)  # noqa: B019
    def _parsed_releases(self, key: str) -> tuple[tuple[Version, str], ...]:
        return tuple((Version(text), series) for text, series in self.releases.get(key, []))


def advisory_from_json(entry: dict[str, Any]) -> Advisory:
    severity = entry.get("severity")
    return Advisory(
        id=entry["id"],
        kind=entry["kind"],
        title=entry["title"],
        url=entry["url"],
        disclosed=dt.date.fromisoformat(entry["disclosed"]) if entry.get("disclosed") else None,
        disclosed_by=dt.date.fromisoformat(entry["disclosed_by"]) if entry.get("disclosed_by") else None,
        historic=entry["historic"],
        machine_readable=entry["machine_readable"],
        cves=tuple(entry["cves"]),
        severity=Severity(**severity) if severity else None,
        products=tuple(
            AffectedProduct(
                key=product["product"],
                name=product["name"],
                qualifier=product.get("qualifier"),
                range=parse_range(product["range"]),
                series=tuple(SeriesFix(series, fixed) for series, fixed in product["series"].items()),
                ancestry=tuple(
                    (str(c["version"]), bool(c["affected"]), str(c["proof"]))
                    for c in product.get("ancestry") or ()
                ),
            )
            for product in entry["products"]
            if not product.get("unparsable")
        ),
        unparsable=tuple(
            (product["product"], product["unparsable"])
            for product in entry["products"]
            if product.get("unparsable")
        ),
        fix_branches=tuple(entry.get("fix_branches", ())),
        overlay=tuple(entry.get("overlay", ())),
        rules=tuple(Rule.from_json(entry["id"], rule) for rule in entry.get("rules", ())),
    )


@cache
def shipped_index() -> AdvisoryIndex:
    """The advisory index in force: an updated one (``patchcheck index update``), else the shipped one."""
    from patchcheck.knowledge.update import knowledge_dir

    return load_index(knowledge_dir())


def load_index(folder: Path | None) -> AdvisoryIndex:
    """The advisory index in ``folder`` (an ``index update`` folder), or the one shipped in the package."""
    data = folder if folder is not None else resources.files("patchcheck").joinpath("data")
    document = json.loads(data.joinpath("advisories.json").read_text(encoding="utf-8"))
    releases = json.loads(data.joinpath("releases.json").read_text(encoding="utf-8"))
    return AdvisoryIndex(
        [advisory_from_json(entry) for entry in document["advisories"]],
        {key: [(pair[0], pair[1]) for pair in pairs] for key, pairs in releases["products"].items()},
        document["attribution"],
        {key: (pair[0], pair[1]) for key, pair in releases.get("next_major", {}).items()},
        releases.get("projects", []),
        frozenset(releases["services"]) if "services" in releases else None,
    )
