"""``patchcheck index build``: derive the shipped knowledge from upstream snapshots.

Inputs are checkouts (or snapshots) of openstack/ossa, openstack/security-doc
and openstack/releases, the CVSS table, and the reviewed overlay
(``knowledge/overlay.yaml``). Outputs are JSON files of facts with their
attribution, committed under ``src/patchcheck/data``:

- ``series.json``: release series and their lifecycle;
- ``advisories.json``: every OSSA and OSSN: ids, dates, titles, links, products
  with parsed ranges, first fixed release per series, CVEs, severity, rules;
- ``releases.json``: version -> series of every product the advisories name.

The build never drops an advisory: what it cannot parse is a problem, listed
one per line, and the build exits non-zero until the overlay repairs it. It is
deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from patchcheck.errors import InputError
from patchcheck.knowledge.ancestry import Ancestry
from patchcheck.knowledge.ancestry import apply as apply_ancestry
from patchcheck.knowledge.ancestry import load as load_ancestry
from patchcheck.knowledge.ranges import RangeSyntaxError, VersionRange, era_key, parse_range
from patchcheck.knowledge.rules import Rule, RuleError
from patchcheck.knowledge.series import extend_history, parse_series_status, with_history
from patchcheck.knowledge.severity import band_for
from patchcheck.knowledge.sources import (
    CvssRow,
    RawAdvisory,
    RawProduct,
    canonical_name,
    load_yaml,
    product_key,
    read_cvss,
    read_deliverable_facts,
    read_deliverable_versions,
    read_ossa,
    read_ossn,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
OVERLAY = Path(__file__).resolve().parent / "overlay.yaml"
#: OSSA entries before this day describe affected versions in prose and concern end-of-life releases only.
MACHINE_READABLE_SINCE = dt.date(2015, 9, 1)
NVD_NOTICE = "This product uses data from the NVD API but is not endorsed or certified by the NVD."


@dataclass(frozen=True)
class Sources:
    """Where each upstream input is."""

    releases: Path
    ossa: Path
    notes: Path
    cvss: Path
    notes_as_of: dt.date | None = None
    """The day the notes snapshot was taken: every note was published by then."""
    built_at: str | None = None
    """When this index is built (ISO time): the shipped index's knowledge ages from then."""
    previous_series: Any = None
    """``index update``: the series table in force, whose history the new index carries on."""
    status_since: dt.date | None = None
    """``index update``: the day the fetched series_status.yaml landed (its commit date)."""
    pypa: Path | None = None
    """A checkout of the PyPA advisory database (the Python dependencies' advisories), or None."""
    pypa_source: dict[str, Any] | None = None
    """Where ``pypa`` came from (``index update``: URL, commit and its date), cited by every verdict."""

    @classmethod
    def from_shared(cls, data: Path, notes_as_of: dt.date | None = None) -> Sources:
        """The layout of the shared snapshot folder (``../shared/data``)."""
        return cls(
            releases=data / "releases",
            ossa=data / "ossa" / "ossa",
            notes=data / "security-notes",
            cvss=data / "cvss" / "openstack-cvss.csv",
            notes_as_of=notes_as_of,
            pypa=data / "pypa-advisory-database",
        )


@dataclass
class BuildReport:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What a tolerant build (``index update``) indexed as unparsable instead of stopping."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build_series(sources: Sources, out_dir: Path, report: BuildReport) -> None:
    status_file = sources.releases / "data" / "series_status.yaml"
    if not status_file.exists():
        raise InputError(status_file, "", "missing: point --releases at a checkout of openstack/releases")
    table = parse_series_status(status_file)
    history = sources.releases / "series_status_history"
    if history.is_dir():  # every version of the file since 2019, named <day landed>_<commit>.yaml
        versions = [
            (dt.date.fromisoformat(path.name[:10]), parse_series_status(path))
            for path in sorted(history.glob("*.yaml"))
        ]
        table = with_history(table, versions)
        report.counts["series versions"] = len(versions)
    elif sources.previous_series is not None and sources.status_since is not None:
        table = extend_history(table, sources.previous_series, sources.status_since)
    write_json(
        out_dir / "series.json",
        {
            "attribution": {
                "source": "openstack/releases data/series_status.yaml",
                "url": "https://opendev.org/openstack/releases",
                "license": "Apache-2.0",
                "input_sha256": sha256(status_file),
            },
            "series": table.to_json(),
        },
    )
    report.counts["series"] = len(table.ordered)


def load_overlay(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    data = load_yaml(path) or {}
    fixes = data.get("fixes") or {}
    rules = data.get("rules") or {}
    for advisory_id, fix in fixes.items():
        if not isinstance(fix, dict) or not fix.get("reason"):
            raise InputError(path, f"fixes.{advisory_id}", "every fix needs a reason")
    for advisory_id, entries in rules.items():
        for entry in entries:
            if not entry.get("reason"):
                raise InputError(
                    path, f"rules.{advisory_id}.{entry.get('id', '?')}", "every rule needs a reason"
                )
    return fixes, rules


def apply_fix(raw: RawAdvisory, fix: dict[str, Any]) -> list[str]:
    applied = []
    if "products" in fix:
        upstream = "; ".join(f"{p.name} {p.version!r}" for p in raw.products) or "(prose)"
        raw.products = [
            RawProduct(str(p["product"]), str(p["version"]), p.get("qualifier")) for p in fix["products"]
        ]
        raw.structured = True
        applied.append(" ".join(str(fix["reason"]).split()))
        applied.append(f"upstream range: {upstream}")
        applied += [f"evidence: {' '.join(str(line).split())}" for line in fix.get("evidence") or []]
    if "disclosed" in fix:
        raw.disclosed = (
            fix["disclosed"]
            if isinstance(fix["disclosed"], dt.date)
            else dt.date.fromisoformat(str(fix["disclosed"]))
        )
        applied.append(f"disclosed {raw.disclosed}: {str(fix['disclosed_reason']).strip()}")
    return applied


def suspicious(parsed: VersionRange) -> str | None:
    """Ranges that parse but cannot mean what they say: a stray comma split an alternative."""
    alternatives = parsed.alternatives
    for index, alternative in enumerate(alternatives):
        open_above = alternative.upper_bound is None and alternative.exact is None
        if open_above and index < len(alternatives) - 1:
            return (
                f"alternative {index + 1} ({alternative}) is open above yet followed by others (stray comma?)"
            )
        open_below = alternative.lower_bound is None and alternative.exact is None
        if open_below and index > 0:
            return f"alternative {index + 1} ({alternative}) is open below yet not the first (stray comma?)"
    return None


def series_fixes(parsed: VersionRange, released: list[tuple[Version, str]]) -> dict[str, str | None]:
    """Per series that shipped an affected release: its first fixed release, or None (no fixed release)."""
    by_series: dict[str, list[Version]] = {}
    for version, series in released:
        by_series.setdefault(series, []).append(version)
    result: dict[str, str | None] = {}
    for series, versions in by_series.items():
        affected = [v for v in versions if parsed.matches(v)]
        if not affected:
            continue
        newest = max(affected, key=era_key)
        later = sorted(
            (
                v
                for v in versions
                if era_key(v) > era_key(newest) and not v.is_prerelease and not parsed.matches(v)
            ),
            key=era_key,
        )
        result[series] = str(later[0]) if later else None
    return result


def severity_of(raw: RawAdvisory, cvss: dict[str, CvssRow]) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for cve in raw.cves:
        row = cvss.get(cve)
        candidate: dict[str, Any] | None = None
        if row is not None and row.score is not None:
            candidate = {
                "score": row.score,
                "cve": cve,
                "cvss_version": row.cvss_version,
                "vector": row.vector,
                "source": row.source,
            }
        elif cve in raw.embedded_scores:
            score, version, vector = raw.embedded_scores[cve]
            candidate = {
                "score": score,
                "cve": cve,
                "cvss_version": version,
                "vector": vector,
                "source": "ossa (Red Hat Product Security)",
            }
        if (
            candidate
            and band_for(candidate["score"])
            and (best is None or candidate["score"] > best["score"])
        ):
            best = candidate
    if best is None:
        return None
    return {"band": band_for(best["score"]), **best}


def is_historic(raw: RawAdvisory, fixes: dict[str, Any]) -> bool:
    """An OSSA from before machine-readable ranges, which no overlay entry repaired."""
    return (
        raw.kind == "ossa"
        and raw.disclosed is not None
        and raw.disclosed < MACHINE_READABLE_SINCE
        and raw.id not in fixes
    )


def ranges_in_force(
    sources: Sources, overlay: Path = OVERLAY
) -> tuple[list[RawAdvisory], dict[tuple[str, str], str]]:
    """Every OSSA's range per product key as the index would judge with it, after the overlay's
    repairs and before ancestry: what ``index ancestry`` audits."""
    raws = [read_ossa(path) for path in sorted(sources.ossa.glob("OSSA-*.yaml"))]
    fixes, _rules = load_overlay(overlay)
    ranges: dict[tuple[str, str], str] = {}
    for raw in raws:
        if raw.id in fixes:
            apply_fix(raw, fixes[raw.id])
        if not raw.structured or is_historic(raw, fixes):
            continue
        for product in raw.products:
            try:
                parsed = parse_range(product.version)
            except RangeSyntaxError:
                continue
            if not suspicious(parsed):
                ranges[(raw.id, product_key(product.name))] = str(parsed)
    return raws, ranges


def build_advisories(
    sources: Sources,
    out_dir: Path,
    report: BuildReport,
    overlay: Path = OVERLAY,
    tolerant: bool = False,
    ancestry: Ancestry | None = None,
) -> None:
    """The advisory index. ``tolerant`` (``index update``): an advisory whose range cannot be read, or
    whose overlay repair was made for another version of its text, is indexed with its products
    "unparsable" (judged unknown, ABORT) and reported as a warning, instead of stopping the build."""
    ossa_files = sorted(sources.ossa.glob("OSSA-*.yaml"))
    note_files = sorted(path for path in sources.notes.glob("OSSN-*") if path.name[5:].isdigit())
    if not ossa_files:
        raise InputError(
            sources.ossa, "", "no OSSA-*.yaml files: point --ossa at openstack/ossa's ossa/ folder"
        )
    if not note_files:
        raise InputError(
            sources.notes, "", "no OSSN-NNNN files: point --notes at security-doc's security-notes/"
        )
    raws = [read_ossa(path) for path in ossa_files] + [read_ossn(path) for path in note_files]
    cvss = read_cvss(sources.cvss)
    ancestry = ancestry if ancestry is not None else load_ancestry()
    fixes, rules = load_overlay(overlay)
    known = {raw.id for raw in raws}
    for advisory_id in sorted((set(fixes) | set(rules)) - known):
        report.problems.append(
            f"{overlay.name}: {advisory_id}: no such advisory in the inputs (stale overlay entry)"
        )
    for advisory_id in sorted({advisory for advisory, _product in ancestry.entries} - known):
        report.problems.append(f"ancestry.yaml: {advisory_id}: no such advisory in the inputs (stale entry)")

    deliverables = read_deliverable_facts(sources.releases)
    report.counts["services"] = len(deliverables.services)
    report.counts["distribution names"] = len(deliverables.distributions)

    def key_of(name: str) -> str:
        """The product key of an advisory's product name, by this build's own release data."""
        key = canonical_name(name)
        return deliverables.distributions.get(key, key)

    entries = []
    wanted_products: set[str] = set()
    origin = {path.name: path for path in [*ossa_files, *note_files]}

    def trouble(message: str) -> None:
        (report.warnings if tolerant else report.problems).append(message)

    for raw in raws:
        fix = fixes.get(raw.id)
        unparsable: list[tuple[str, str]] = []
        expected = (fix or {}).get("upstream_sha256")
        if fix and expected and raw.source_file in origin and sha256(origin[raw.source_file]) != expected:
            trouble(
                f"{overlay.name}: {raw.id}: the repair was made for another text of {raw.source_file} "
                f"(sha256 {str(expected)[:12]}..., now {sha256(origin[raw.source_file])[:12]}...): review it"
            )
            unparsable += [
                (product.name, "its overlay repair needs a review: upstream changed it")
                for product in raw.products
            ]
            fix = None if tolerant else fix
        applied = apply_fix(raw, fix) if fix else []
        report.counts["fixed up"] += bool(applied)
        historic = is_historic(raw, fixes)
        machine_readable = raw.structured and not historic
        products = []
        for product in raw.products if machine_readable and not unparsable else []:
            try:
                parsed = parse_range(product.version)
            except RangeSyntaxError as exc:
                trouble(f"{raw.source_file}: {product.name}: {exc}")
                unparsable.append((product.name, str(exc)))
                continue
            problem = suspicious(parsed)
            if problem:
                trouble(f"{raw.source_file}: {product.name}: {problem}; repair it in the overlay")
                unparsable.append((product.name, problem))
                continue
            key = key_of(product.name)
            wanted_products.add(key)
            proven = ancestry.get(raw.id, key)
            applied_ancestry: list[dict[str, Any]] = []
            if proven is not None:
                parsed, applied_ancestry = apply_ancestry(parsed, proven, trouble, f"{raw.id} {key}")
                report.counts["corrected by git ancestry"] += bool(applied_ancestry)
            products.append((key, product, parsed, applied_ancestry))
        entries.append((raw, applied, historic, machine_readable, products, unparsable))
        report.counts[raw.kind] += 1
        report.counts["historic"] += historic
        report.counts["machine-readable"] += machine_readable and bool(products)
        report.counts["prose notes"] += raw.kind == "ossn" and not machine_readable

    present: dict[str, set[str]] = {}
    released = read_deliverable_versions(sources.releases, wanted_products | deliverables.services, present)
    series_order = [
        series.name
        for series in parse_series_status(sources.releases / "data" / "series_status.yaml").ordered
    ]
    advisories = []
    for raw, applied, historic, machine_readable, products, unparsable in entries:
        severity = severity_of(raw, cvss)
        report.counts["scored" if severity else "unscored"] += 1
        advisory_rules = []
        for rule in rules.get(raw.id, []):
            if "same_as" in rule:
                original = next((r for r in rules.get(rule["same_as"], []) if r["id"] == rule["id"]), None)
                if original is None:
                    report.problems.append(
                        f"{overlay.name}: {raw.id}: same_as {rule['same_as']} has no rule {rule['id']}"
                    )
                    continue
                rule = {**original, **{k: v for k, v in rule.items() if k != "same_as"}}
            try:
                advisory_rules.append(Rule.from_json(raw.id, rule).to_json())
            except (RuleError, KeyError) as exc:
                report.problems.append(f"{overlay.name}: {raw.id}: {exc}")
        report.counts["rules"] += len(advisory_rules)
        advisories.append(
            {
                "id": raw.id,
                "kind": raw.kind,
                "title": raw.title,
                "url": raw.url,
                "disclosed": raw.disclosed.isoformat() if raw.disclosed else None,
                "disclosed_by": None
                if raw.disclosed or not sources.notes_as_of
                else sources.notes_as_of.isoformat(),
                "historic": historic,
                "machine_readable": machine_readable,
                "cves": raw.cves,
                "severity": severity,
                "products": [
                    {
                        "product": key,
                        "name": product.name,
                        "qualifier": product.qualifier,
                        "range": str(parsed),
                        "series": series_fixes(parsed, released.get(key, [])),
                        **({"ancestry": proven} if proven else {}),
                    }
                    for key, product, parsed, proven in products
                ]
                + [
                    {
                        "product": key_of(name),
                        "name": name,
                        "qualifier": None,
                        "range": None,
                        "series": {},
                        "unparsable": reason,
                    }
                    for name, reason in unparsable
                ],
                "fix_branches": raw.fix_branches,
                "revisions": raw.revisions,
                "overlay": applied,
                "rules": advisory_rules,
            }
        )
    advisories.sort(key=lambda entry: (entry["kind"], entry["id"]))
    write_json(
        out_dir / "advisories.json",
        {
            "built_at": sources.built_at,
            "attribution": {
                "ossa": {
                    "source": "openstack/ossa",
                    "url": "https://security.openstack.org",
                    "license": "CC BY 3.0",
                    "credit": "OpenStack Vulnerability Management Team; facts only, see each advisory's url",
                    "input_sha256": tree_sha256(ossa_files),
                },
                "ossn": {
                    "source": "openstack/security-doc security-notes",
                    "url": "https://wiki.openstack.org/wiki/Security_Notes",
                    "license": "Apache-2.0 / CC BY 3.0",
                    "input_sha256": tree_sha256(note_files),
                    "published_by": sources.notes_as_of.isoformat() if sources.notes_as_of else None,
                },
                "cvss": {
                    "source": "openstack-cvss.csv (NVD, CVE records, CISA ADP; see its source_ref per CVE)",
                    "notice": NVD_NOTICE,
                    "input_sha256": sha256(sources.cvss),
                },
                "overlay": {
                    "source": "src/patchcheck/knowledge/overlay.yaml",
                    "input_sha256": sha256(overlay),
                },
                "ancestry": {
                    "source": "src/patchcheck/knowledge/ancestry.yaml (patchcheck index ancestry)",
                    "repositories": ancestry.repositories,
                },
            },
            "advisories": advisories,
        },
    )
    write_json(
        out_dir / "releases.json",
        {
            "attribution": {
                "source": "openstack/releases deliverables/<series>/<name>.yaml",
                "url": "https://opendev.org/openstack/releases",
                "license": "Apache-2.0",
            },
            "products": {
                key: [[str(version), series] for version, series in versions]
                for key, versions in sorted(released.items())
            },
            "next_major": {
                key: inferred
                for key, versions in sorted(released.items())
                if (inferred := next_major(versions, present.get(key, set()), series_order))
            },
            "projects": every_project(sources.releases),
            "services": sorted(deliverables.services),
            "distributions": deliverables.distributions,
            "ambiguous_distributions": {name: list(by) for name, by in deliverables.ambiguous.items()},
        },
    )


def every_project(releases: Path) -> list[str]:
    """Every deliverable of openstack/releases (product keys): what a host inventory may hold.

    The host collector reports these whether or not an advisory names them today (tomorrow's
    may), so the SBOM lists the whole OpenStack installation, python-keystoneclient included.
    """
    root = releases / "deliverables"
    return sorted(
        {canonical_name(path.stem) for path in root.glob("*/*.yaml") if not path.parent.name.startswith("_")}
    )


def next_major(versions: list[tuple[Version, str]], present: set[str], order: list[str]) -> list[str] | None:
    """For a service with one major version per series (nova 33 = gazpacho), the series of the next major.

    Releases after the snapshot (nova 34.0.0, Hibiscus) are then still placed: only when the last
    four series each released exactly one major, one above the previous, and the next series already
    has a deliverable file for the product. Returns ``[major, series]`` or None.
    """
    majors: dict[str, set[int]] = {}
    for version, series in versions:
        if version.release[0] < 2000:
            majors.setdefault(series, set()).add(version.release[0])
    known = [name for name in order if name in majors]
    recent = known[-4:]
    if len(recent) < 4 or any(len(majors[name]) != 1 for name in recent):
        return None
    numbers = [next(iter(majors[name])) for name in recent]
    if any(b != a + 1 for a, b in itertools.pairwise(numbers)):
        return None
    following = order[order.index(recent[-1]) + 1] if order.index(recent[-1]) + 1 < len(order) else None
    if following is None or following not in present:
        return None
    return [str(numbers[-1] + 1), following]


def build_index(
    sources: Sources,
    out_dir: Path = DATA_DIR,
    overlay: Path = OVERLAY,
    tolerant: bool = False,
    ancestry: Ancestry | None = None,
) -> BuildReport:
    """Build every shipped knowledge file; the report has counts and the problems found.

    ``ancestry``: the git audit's corrections; by default the committed ``ancestry.yaml``."""
    report = BuildReport()
    build_series(sources, out_dir, report)
    build_advisories(sources, out_dir, report, overlay, tolerant, ancestry)
    if sources.pypa is not None:
        build_python(sources, out_dir, report, tolerant)
    return report


def build_python(sources: Sources, out_dir: Path, report: BuildReport, tolerant: bool) -> None:
    """``python-advisories.json``: the Python dependencies' advisories (``python_advisories.py``).

    A record that cannot be read is a problem of the build (a warning for ``index update``,
    which must not lose the OpenStack advisories over one broken upstream file).
    """
    from patchcheck.knowledge.python_advisories import (
        FILE_NAME,
        build_python_advisories,
        write_python_advisories,
    )

    assert sources.pypa is not None
    source = sources.pypa_source or {"kind": "snapshot", "input": "pypa-advisory-database"}
    document, python_report = build_python_advisories(sources.pypa, read_cvss(sources.cvss), source)
    write_python_advisories(document, out_dir / FILE_NAME)
    report.counts["python advisories"] = python_report.counts["records"]
    report.counts["python packages"] = python_report.counts["packages"]
    for problem in python_report.problems:
        (report.warnings if tolerant else report.problems).append(f"PyPA record: {problem}")
