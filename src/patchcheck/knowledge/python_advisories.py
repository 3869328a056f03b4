"""Python packages' advisories: the PyPA advisory database (OSV format), compiled once, judged by name.

scs-0124 asks for the services' dependencies to be patched too. For Python libraries the public,
structured source is the Python Packaging Authority's advisory database
(https://github.com/pypa/advisory-database, CC BY 4.0): one YAML record per advisory under
``vulns/<package>/``, in the OSV schema (https://ossf.github.io/osv-schema/). What is kept of a
record is facts only: its id, aliases (CVE, GHSA), publication time, the ``ECOSYSTEM`` version
ranges of each PyPI package it names, and its CVSS vector and score. No ``details`` prose.

OSV semantics applied here:

- a version is affected when it lies in a range (``introduced`` .. ``fixed`` exclusive, or ..
  ``last_affected`` inclusive; ``introduced: "0"`` means from the first release) or is listed in
  ``versions``. PyPA enumerates ``versions`` from the ranges, so they are kept only for a
  package with no ``ECOSYSTEM`` range (a record with only ``GIT`` ranges);
- a ``withdrawn`` record is ignored;
- ranges are compared by PEP 440 (``packaging``); an event whose version is not PEP 440 makes
  the record unjudgeable for that package, and the judge says so (ABORT), never "not affected".

Severity: the record's CVSS vector scored with the ``cvss`` library; else the CVE's score from
the CVSS table patchcheck ships (``openstack-cvss.csv``); else the unscored default band.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from patchcheck.errors import InputError
from patchcheck.files import read_input
from patchcheck.knowledge.severity import DEFAULT_UNSCORED_BAND, band_for, deadline
from patchcheck.knowledge.sources import CvssRow

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - libyaml is in the PyYAML wheels
    from yaml import SafeLoader  # type: ignore[assignment]

SCHEMA_VERSION = 1
FILE_NAME = "python-advisories.json"
#: One advisory record: the largest PyPA record is about 60 KB.
MAX_RECORD_BYTES = 1024 * 1024
#: Records read at most (PyPA held 2,661 in 2024): a tree far larger is not the database.
MAX_RECORDS = 200_000
ATTRIBUTION = {
    "name": "PyPA advisory database",
    "url": "https://github.com/pypa/advisory-database",
    "license": "CC BY 4.0",
    "notice": "Advisory facts (ids, aliases, dates, version ranges, CVSS) from the Python Packaging "
    "Authority's advisory database, CC BY 4.0; no advisory text is copied.",
}
RECORD_URL = "https://osv.dev/vulnerability/{id}"


@dataclass
class PythonBuildReport:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    """Records that could not be read (file and reason): left out, each named."""


def scored(vector: str) -> tuple[float, str] | None:
    """A CVSS vector's base score and CVSS version, None for a vector the library cannot score."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    try:
        if vector.startswith("CVSS:4."):
            return float(CVSS4(vector).base_score), "4.0"
        if vector.startswith("CVSS:3."):
            return float(CVSS3(vector).base_score), vector[5:8]
        return float(CVSS2(vector).base_scores()[0]), "2.0"
    except (CVSSError, ValueError, KeyError, IndexError):
        return None


def record_severity(record: dict[str, Any], cvss: dict[str, CvssRow]) -> dict[str, Any] | None:
    """The highest CVSS the record states, else its CVE's score from the CVSS table, else None."""
    best: dict[str, Any] | None = None
    for entry in record.get("severity") or ():
        if not isinstance(entry, dict) or not isinstance(entry.get("score"), str):
            continue
        result = scored(entry["score"])
        if result and (best is None or result[0] > best["score"]):
            best = {
                "score": result[0],
                "cvss_version": result[1],
                "vector": entry["score"],
                "source": "record",
            }
    if best is not None:
        return best
    for alias in record.get("aliases") or ():
        row = cvss.get(str(alias))
        if row is not None and row.score is not None:
            return {
                "score": row.score,
                "cvss_version": row.cvss_version,
                "vector": row.vector,
                "source": f"{row.cve} ({row.source})",
            }
    return None


def compiled_entries(record: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """Package key -> the record's ranges and versions for it (PyPI entries only)."""
    entries: dict[str, dict[str, Any]] = {}
    for place, affected in enumerate(record.get("affected") or ()):
        if not isinstance(affected, dict):
            raise InputError(path, f"affected[{place}]", "not a mapping")
        package = affected.get("package") or {}
        if not isinstance(package, dict) or package.get("ecosystem") != "PyPI" or not package.get("name"):
            continue
        key = canonicalize_name(str(package["name"]))
        entry = entries.setdefault(key, {"ranges": [], "versions": []})
        ecosystem_ranges = [
            r for r in affected.get("ranges") or () if isinstance(r, dict) and r.get("type") == "ECOSYSTEM"
        ]
        for range_ in ecosystem_ranges:
            events = []
            for event in range_.get("events") or ():
                if isinstance(event, dict) and len(event) == 1:
                    kind, version = next(iter(event.items()))
                    if kind in ("introduced", "fixed", "last_affected", "limit"):
                        events.append([kind, str(version)])
            entry["ranges"].append(events)
        if not ecosystem_ranges:
            entry["versions"] += [str(v) for v in affected.get("versions") or ()]
    return entries


def read_record(path: Path) -> dict[str, Any]:
    """One OSV record, bounded; ``InputError`` naming the file for anything but a YAML or JSON mapping."""
    return parse_record(read_input(path, MAX_RECORD_BYTES, "advisory record"), path)


def parse_record(raw: bytes, path: Path) -> dict[str, Any]:
    """A record's bytes (read once, bounded) as a mapping with an id; ``InputError`` otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"byte {exc.start}", "not UTF-8 text") from None
    try:
        record = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"line {mark.line + 1}" if mark else "", "not YAML") from None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise InputError(path, "", "not an OSV record (no id)")
    return record


def record_files(folder: Path) -> list[Path]:
    """``vulns/<package>/*.yaml|json`` under ``folder`` (or ``folder`` itself being ``vulns``), sorted.

    Links are not followed out of the folder: ``os.walk`` does not descend into linked folders,
    and a linked file is read only when it resolves inside the tree.
    """
    root = folder / "vulns" if (folder / "vulns").is_dir() else folder
    if not root.is_dir():
        raise InputError(folder, "", "no vulns/ folder: not a checkout of the PyPA advisory database")
    base = root.resolve()
    found = []
    for where, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith((".yaml", ".yml", ".json")):
                path = Path(where) / name
                if path.resolve().is_relative_to(base):
                    found.append(path)
        if len(found) > MAX_RECORDS:
            raise InputError(folder, "", f"more than {MAX_RECORDS} records: not the advisory database")
    return sorted(found)


def build_python_advisories(
    folder: Path, cvss: dict[str, CvssRow], source: dict[str, Any]
) -> tuple[dict[str, Any], PythonBuildReport]:
    """The compiled document from a checkout of the database; deterministic for the same inputs.

    ``source``: where the records came from (commit and date, or the snapshot's sha256), kept as
    the provenance every verdict cites. A record that cannot be read is a problem, named, and left
    out; the others are still compiled.
    """
    report = PythonBuildReport()
    packages: dict[str, list[dict[str, Any]]] = {}
    digest = hashlib.sha256()
    newest = ""
    for path in record_files(folder):
        try:
            raw = read_input(path, MAX_RECORD_BYTES, "advisory record")
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + raw)
            record = parse_record(raw, path)
            if record.get("withdrawn"):
                report.counts["withdrawn"] += 1
                continue
            entries = compiled_entries(record, path)
        except InputError as exc:
            report.problems.append(str(exc))
            continue
        report.counts["records"] += 1
        newest = max(newest, str(record.get("modified") or ""))
        aliases = sorted(
            {str(a) for a in record.get("aliases") or () if str(a).startswith(("CVE-", "GHSA-"))}
        )
        severity = record_severity(record, cvss)
        report.counts["scored" if severity else "unscored"] += 1
        for key, entry in entries.items():
            packages.setdefault(key, []).append(
                {
                    "id": record["id"],
                    "aliases": aliases,
                    "published": str(record.get("published") or record.get("modified") or "") or None,
                    "ranges": entry["ranges"],
                    "versions": sorted(set(entry["versions"])),
                    "severity": severity,
                }
            )
    for entries in packages.values():
        entries.sort(key=lambda entry: entry["id"])
    report.counts["packages"] = len(packages)
    document = {
        "schema_version": SCHEMA_VERSION,
        # the newest record's modification time: a snapshot is at least that recent, and no more
        "source": {**source, "records_sha256": digest.hexdigest(), "newest_record": newest or None},
        "attribution": ATTRIBUTION,
        "counts": dict(sorted(report.counts.items())),
        "packages": dict(sorted(packages.items())),
    }
    return document, report


def write_python_advisories(document: dict[str, Any], path: Path) -> None:
    from patchcheck.files import atomic_write

    atomic_write(path, json.dumps(document, indent=None, separators=(",", ":"), sort_keys=False) + "\n")


# --- judging -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """One affected stretch of versions: from ``introduced`` (None: the first release) up to
    ``fixed`` (exclusive) or ``last_affected`` (inclusive); both None: no release fixes it."""

    introduced: Version | None
    fixed: Version | None
    last_affected: Version | None

    def holds(self, version: Version) -> bool:
        if self.introduced is not None and version < self.introduced:
            return False
        if self.fixed is not None:
            return version < self.fixed
        if self.last_affected is not None:
            return version <= self.last_affected
        return True

    def __str__(self) -> str:
        low = f">={self.introduced}" if self.introduced is not None else ""
        high = (
            f"<{self.fixed}"
            if self.fixed is not None
            else f"<={self.last_affected}"
            if self.last_affected is not None
            else ""
        )
        return " ".join(part for part in (low, high) if part) or "every version"


def intervals_of(events: list[list[str]]) -> tuple[Interval, ...]:
    """OSV events to intervals, in version order; ``InvalidVersion`` for a non-PEP 440 event.

    The OSV evaluation sorts the events and walks them: each ``introduced`` opens an interval,
    the next ``fixed``/``last_affected``/``limit`` closes it. ``introduced: "0"`` sorts first.
    """
    parsed = sorted(
        ((kind, None if (kind == "introduced" and text == "0") else Version(text)) for kind, text in events),
        key=lambda pair: (pair[1] is not None, pair[1] or Version("0")),
    )
    intervals = []
    start: Version | None = None
    open_ = False
    for kind, version in parsed:
        if kind == "introduced":
            if not open_:
                start, open_ = version, True
        elif open_:
            if kind == "fixed" or kind == "limit":
                intervals.append(Interval(start, version, None))
            else:
                intervals.append(Interval(start, None, version))
            open_ = False
    if open_:
        intervals.append(Interval(start, None, None))
    return tuple(intervals)


@dataclass(frozen=True)
class PythonAdvisory:
    """One advisory as it concerns one package."""

    id: str
    package: str
    aliases: tuple[str, ...]
    published: dt.datetime | None
    intervals: tuple[Interval, ...]
    versions: frozenset[str]
    severity: dict[str, Any] | None
    unjudgeable: str | None
    """Why the ranges cannot be evaluated (a non-PEP 440 event), else None."""

    @property
    def url(self) -> str:
        return RECORD_URL.format(id=self.id)

    def band(self, unscored: str = DEFAULT_UNSCORED_BAND) -> str:
        score = (self.severity or {}).get("score")
        return (band_for(float(score)) if score is not None else None) or unscored

    def deadline(self, unscored: str = DEFAULT_UNSCORED_BAND) -> dt.datetime | None:
        return deadline(self.published.date(), self.band(unscored)) if self.published else None

    def matching(self, version: Version) -> Interval | None:
        """The interval holding ``version`` (or an open interval for a listed version), else None."""
        for interval in self.intervals:
            if interval.holds(version):
                return interval
        if str(version) in self.versions:
            return Interval(None, None, None)
        return None

    def first_fix_after(self, version: Version) -> Version | None:
        """The lowest fixed release above ``version``: what to update to."""
        fixes = [i.fixed for i in self.intervals if i.fixed is not None and i.fixed > version]
        return min(fixes) if fixes else None


def advisory_from_json(package: str, entry: dict[str, Any]) -> PythonAdvisory:
    intervals: list[Interval] = []
    unjudgeable = None
    for events in entry.get("ranges") or ():
        try:
            intervals += intervals_of(events)
        except InvalidVersion as exc:
            unjudgeable = f"a range event is not a PEP 440 version ({exc})"
    published = None
    if entry.get("published"):
        try:
            published = dt.datetime.fromisoformat(str(entry["published"]).replace("Z", "+00:00"))
            published = published if published.tzinfo else published.replace(tzinfo=dt.UTC)
        except ValueError:
            published = None
    return PythonAdvisory(
        id=entry["id"],
        package=package,
        aliases=tuple(entry.get("aliases") or ()),
        published=published,
        intervals=tuple(intervals),
        versions=frozenset(normalized(v) for v in entry.get("versions") or ()),
        severity=entry.get("severity"),
        unjudgeable=unjudgeable,
    )


def normalized(text: str) -> str:
    try:
        return str(Version(text))
    except InvalidVersion:
        return text


@dataclass(frozen=True)
class PythonMatch:
    advisory: PythonAdvisory
    interval: Interval | None
    """None: the advisory's ranges could not be evaluated (``advisory.unjudgeable`` says why)."""


class PythonAdvisoryIndex:
    """Advisories by package key, compiled on first use of each package: a host with thousands of
    distributions compiles only the packages it has, once, and a fleet shares the answers."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._raw: dict[str, list[dict[str, Any]]] = document.get("packages", {})
        self._compiled: dict[str, tuple[PythonAdvisory, ...]] = {}
        self._answers: dict[tuple[str, str], tuple[PythonMatch, ...] | None] = {}

    @property
    def source(self) -> dict[str, Any]:
        return dict(self.document.get("source") or {})

    def advisories(self, key: str) -> tuple[PythonAdvisory, ...]:
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = tuple(advisory_from_json(key, entry) for entry in self._raw.get(key, ()))
            self._compiled[key] = compiled
        return compiled

    def affecting(self, key: str, version_text: str) -> tuple[PythonMatch, ...] | None:
        """Every advisory whose ranges hold the version; None for a version that is not PEP 440."""
        answer_key = (key, version_text)
        if answer_key in self._answers:
            return self._answers[answer_key]
        answer: tuple[PythonMatch, ...] | None
        advisories = self.advisories(key)
        if not advisories:
            answer = ()
        else:
            try:
                version = Version(version_text)
            except InvalidVersion:
                answer = None
            else:
                found = []
                for advisory in advisories:
                    if advisory.unjudgeable:
                        found.append(PythonMatch(advisory, None))
                        continue
                    interval = advisory.matching(version)
                    if interval is not None:
                        found.append(PythonMatch(advisory, interval))
                answer = tuple(found)
        self._answers[answer_key] = answer
        return answer


def load_python_advisories(folder: Path | None) -> PythonAdvisoryIndex | None:
    """The compiled advisories in an index folder (``index update``) or shipped; None when absent."""
    if folder is not None:
        path = folder / FILE_NAME
        if not path.is_file():
            return None
        return PythonAdvisoryIndex(json.loads(path.read_text(encoding="utf-8")))
    data = resources.files("patchcheck").joinpath("data", FILE_NAME)
    if not data.is_file():
        return None
    return PythonAdvisoryIndex(json.loads(data.read_text(encoding="utf-8")))


@cache
def python_advisories_in_force() -> PythonAdvisoryIndex | None:
    """The Python advisory knowledge the judge uses: the same folder as the OpenStack advisories."""
    from patchcheck.knowledge.update import knowledge_dir

    return load_python_advisories(knowledge_dir())
