"""Readers for the upstream inputs of the advisory index.

- openstack/ossa ``ossa/OSSA-*.yaml``: one advisory per file.
- openstack/security-doc ``security-notes/OSSN-*``: e-mail style Markdown; from
  OSSN-0092 on (except 0093 and 0094) the "Affected Services / Software" section
  lists ``- product: <range>`` lines in the OSSA grammar.
- openstack/releases ``deliverables/<series>/<name>.yaml``: which version was
  released in which series.
- ``openstack-cvss.csv``: CVSS per CVE, with its source.

These readers keep facts only (ids, dates, titles, version strings, CVE ids,
links); advisory prose is never copied into the index.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from patchcheck.errors import InputError
from patchcheck.knowledge.ranges import era_key

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - libyaml is in the PyYAML wheels
    from yaml import SafeLoader  # type: ignore[assignment]

#: A CVE id; a placeholder such as "CVE-2026-pending" is not one: it never becomes a CVE of the index
#: (nor a VEX alias or an NVD link), and the advisory's real id replaces it when upstream names it.
CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")
OSSN_NUMBER = re.compile(r"OSSN-(\d{4})$")
#: Notes that carry OSSA-style ranges (see the data README).
STRUCTURED_NOTES_FROM = 95
STRUCTURED_NOTES_ALSO = frozenset({92})


#: Services whose release series the judge must know when an index built before the release data's
#: ``type: service`` was read (``releases.json`` without ``services``) is in force; a new build lists
#: every deliverable of type ``service`` instead (zaqar was missing here).
SERVICES_OF_OLDER_INDEXES = frozenset(
    {
        "aodh",
        "barbican",
        "ceilometer",
        "cinder",
        "designate",
        "glance",
        "heat",
        "horizon",
        "ironic",
        "keystone",
        "magnum",
        "manila",
        "neutron",
        "nova",
        "octavia",
        "placement",
        "skyline-apiserver",
        "skyline-console",
        "swift",
        "trove",
        "zun",
    }
)


def canonical_name(name: str) -> str:
    """PEP 503 name, so that ``glance_store``, ``Glance-Store`` and ``glance-store`` meet."""
    return canonicalize_name(name.strip())


@lru_cache(maxsize=4096)
def product_key(name: str) -> str:
    """A product's key: its PEP 503 name, a Python distribution's name mapped to its deliverable
    (``openstack-heat`` -> ``heat``) as the release data in force says (``distribution_aliases``)."""
    key = canonical_name(name)
    return distribution_aliases().get(key, key)


@cache
def distribution_aliases() -> dict[str, str]:
    """Python distribution name -> deliverable, where they differ, from the index in force's
    ``releases.json`` (built by ``read_deliverable_facts``); empty for an index built before it."""
    from patchcheck.knowledge.update import knowledge_dir

    folder = knowledge_dir()
    data = folder if folder is not None else resources.files("patchcheck").joinpath("data")
    document = json.loads(data.joinpath("releases.json").read_text(encoding="utf-8"))
    return dict(document.get("distributions") or {})


@cache
def pypi_names() -> dict[str, str]:
    """Deliverable -> the name its Python distribution is published under, where they differ."""
    names: dict[str, str] = {}
    for name, deliverable in sorted(distribution_aliases().items()):
        names.setdefault(deliverable, name)
    return names


def pypi_name(product: str) -> str:
    """The name a product's Python distribution has on PyPI and in its metadata (heat: ``openstack-heat``)."""
    return pypi_names().get(product, product)


@dataclass
class RawProduct:
    """A product line as upstream wrote it."""

    name: str
    version: str
    qualifier: str | None = None


@dataclass
class RawAdvisory:
    """An OSSA or OSSN before fix-ups: what the upstream file says."""

    id: str
    kind: str
    title: str
    url: str
    disclosed: dt.date | None
    products: list[RawProduct]
    cves: list[str]
    embedded_scores: dict[str, tuple[float, str, str]] = field(default_factory=dict)
    fix_branches: list[str] = field(default_factory=list)
    revisions: list[str] = field(default_factory=list)
    structured: bool = True
    source_file: str = ""
    bugs: list[str] = field(default_factory=list)
    """Launchpad bug numbers of the advisory (``issues.links``)."""


LAUNCHPAD_BUG = re.compile(r"launchpad\.net/(?:[\w.-]+/\+)?bugs?/(\d+)")


def load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"line {mark.line + 1}" if mark else "", f"not YAML: {exc}") from None


def read_ossa(path: Path) -> RawAdvisory:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, "", "an OSSA file is a mapping")
    for key in ("id", "date", "title", "affected-products", "vulnerabilities"):
        if key not in data:
            raise InputError(path, key, "missing")
    disclosed = data["date"]
    if not isinstance(disclosed, dt.date):
        try:
            disclosed = dt.date.fromisoformat(str(disclosed))
        except ValueError:
            raise InputError(path, "date", f"not a date: {disclosed!r}") from None
    products = []
    for number, entry in enumerate(data["affected-products"] or []):
        if not isinstance(entry, dict) or "product" not in entry or "version" not in entry:
            raise InputError(path, f"affected-products[{number}]", "needs product and version")
        products.append(RawProduct(str(entry["product"]), str(entry["version"])))
    cves: list[str] = []
    scores: dict[str, tuple[float, str, str]] = {}
    for entry in data["vulnerabilities"] or []:
        text = str(entry.get("cve-id", "")) if isinstance(entry, dict) else ""
        found = CVE_ID.findall(text)
        cves.extend(cve for cve in found if cve not in cves)
        assessment = (
            (entry.get("impact-assessment") or {}).get("assessment") if isinstance(entry, dict) else None
        )
        if found and isinstance(assessment, dict) and assessment.get("score") is not None:
            kind = str(assessment.get("type", ""))
            version = "2.0" if kind.upper() == "CVSS2" else kind
            scores[found[0]] = (float(assessment["score"]), version, str(assessment.get("detail", "")))
    links = (data.get("issues") or {}).get("links") if isinstance(data.get("issues"), dict) else None
    bugs = sorted({number for link in links or [] for number in LAUNCHPAD_BUG.findall(str(link))})
    branches = [str(branch).strip() for branch in (data.get("reviews") or {}) if branch]
    revisions = [str(line).strip() for line in (data.get("errata_history") or [])]
    return RawAdvisory(
        id=str(data["id"]),
        kind="ossa",
        title=" ".join(str(data["title"]).split()),
        url=f"https://security.openstack.org/ossa/{data['id']}.html",
        disclosed=disclosed,
        products=products,
        cves=cves,
        embedded_scores=scores,
        fix_branches=branches,
        revisions=revisions,
        source_file=path.name,
        bugs=bugs,
    )


def note_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        heading = re.match(r"^###\s*(.+?)\s*###\s*$", line)
        if heading:
            current = heading.group(1).strip().lower()
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def read_ossn(path: Path) -> RawAdvisory:
    number_match = OSSN_NUMBER.search(path.name)
    if not number_match:
        raise InputError(path, "", "not an OSSN file name (OSSN-NNNN)")
    number = int(number_match.group(1))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "", f"cannot read: {exc}") from None
    first = text.strip().splitlines()[0] if text.strip() else ""
    title = re.sub(r"^[=\s]*(OSSN-\d{4}:\s*)?", "", first).strip(" =")
    structured = number >= STRUCTURED_NOTES_FROM or number in STRUCTURED_NOTES_ALSO
    products: list[RawProduct] = []
    if structured:
        for line in note_sections(text).get("affected services / software", []):
            bullet = re.match(
                r"^- (?P<name>[^:]+?)\s*(?:\((?P<qualifier>[^)]*)\))?\s*:\s*(?P<range>.+)$", line
            )
            if bullet:
                products.append(
                    RawProduct(bullet.group("name"), bullet.group("range").strip(), bullet.group("qualifier"))
                )
    cves = []
    for cve in CVE_ID.findall(text):
        if cve not in cves:
            cves.append(cve)
    note_id = f"OSSN-{number:04d}"
    return RawAdvisory(
        id=note_id,
        kind="ossn",
        title=title,
        url=f"https://wiki.openstack.org/wiki/OSSN/{note_id}",
        disclosed=None,
        products=products,
        cves=cves,
        structured=structured,
        source_file=path.name,
    )


@dataclass(frozen=True)
class CvssRow:
    cve: str
    cvss_version: str
    score: float | None
    vector: str
    source: str
    source_ref: str


def read_cvss(path: Path) -> dict[str, CvssRow]:
    rows: dict[str, CvssRow] = {}
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        expected = {"cve", "cvss_version", "base_score", "vector", "source", "source_ref"}
        if not expected <= set(reader.fieldnames or ()):
            raise InputError(path, "line 1", f"needs columns {', '.join(sorted(expected))}")
        for line_number, row in enumerate(reader, start=2):
            try:
                score = float(row["base_score"]) if row["base_score"].strip() else None
            except ValueError:
                raise InputError(path, f"line {line_number}", f"base_score {row['base_score']!r}") from None
            rows[row["cve"].strip()] = CvssRow(
                row["cve"].strip(),
                row["cvss_version"].strip(),
                score,
                row["vector"].strip(),
                row["source"].strip(),
                row["source_ref"].strip(),
            )
    return rows


def read_deliverable_versions(
    releases: Path, wanted: set[str], present: dict[str, set[str]] | None = None
) -> dict[str, list[tuple[Version, str]]]:
    """product key -> [(version, series)] for the wanted products, from every series' deliverables.

    ``present`` (if given) receives, per product, every series that has a deliverable file for it,
    including a series in development that has released nothing yet. A deliverable's key is its
    file's PEP 503 name (never an alias of the index in force: the build stays deterministic).
    """
    root = releases / "deliverables"
    if not root.is_dir():
        raise InputError(root, "", "missing: point --releases at a checkout of openstack/releases")
    result: dict[str, list[tuple[Version, str]]] = {}
    for series_dir in sorted(root.iterdir()):
        if not series_dir.is_dir() or series_dir.name.startswith("_"):
            continue
        for path in series_dir.glob("*.yaml"):
            key = canonical_name(path.stem)
            if key not in wanted:
                continue
            if present is not None:
                present.setdefault(key, set()).add(series_dir.name)
            data = load_yaml(path) or {}
            for release in data.get("releases") or []:
                try:
                    version = Version(str(release["version"]))
                except (InvalidVersion, KeyError, TypeError):
                    continue
                result.setdefault(key, []).append((version, series_dir.name))
    for versions in result.values():
        versions.sort(key=lambda pair: (era_key(pair[0]), pair[1]))
    return result


@dataclass(frozen=True)
class DeliverableFacts:
    """What openstack/releases says of its deliverables besides their versions."""

    services: frozenset[str]
    """Deliverables of ``type: service`` in any series: what ``scs-0124-maintained-release`` judges."""
    distributions: dict[str, str]
    """Python distribution (PEP 503) -> deliverable, where the names differ (``openstack-heat`` -> heat)."""
    ambiguous: dict[str, tuple[str, ...]]
    """Distribution names that several deliverables claim in as many series: mapped to none."""


#: Text that may make a deliverable file say something ``read_deliverable_facts`` keeps; a file
#: without it is not parsed (2 cores, 2026-12-05: 1.8 s for all 6,026 files, 0.7 s for the 1,441 with it).
FACT_MARKERS = ("tarball-base", "pypi-name", "type: service")


def read_deliverable_facts(releases: Path) -> DeliverableFacts:
    """Services and Python distribution names of every deliverable, as openstack/releases states them.

    The distribution a repository releases is its ``pypi-name``, else its ``tarball-base`` (of the
    repository or of a release's project), else the repository's own name: the rule by which
    openstack/releases' validation compares a release with the sdist built from it. Only a
    deliverable of one repository names its distribution; one of several (packaging, deployment
    roles, the neutron bundle of old series) does not, and a name that is itself a deliverable
    stays that deliverable (``cliff``). A name two deliverables claim goes to the one claiming it
    in more series (python-pankoclient's pike file names ``aodhclient`` once, python-aodhclient in
    22 series); a tie maps to none and is listed (``releases.json`` ``ambiguous_distributions``).
    A deliverable of ``type: service`` in a release series (not ``_independent``) is a service.
    """
    root = releases / "deliverables"
    if not root.is_dir():
        raise InputError(root, "", "missing: point --releases at a checkout of openstack/releases")
    paths = sorted(path for path in root.glob("*/*.yaml") if path.parent.is_dir())
    deliverables = {canonical_name(path.stem) for path in paths}
    services: set[str] = set()
    claims: dict[str, Counter[str]] = {}
    for path in paths:
        key = canonical_name(path.stem)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(path, "", f"cannot read: {exc}") from None
        if not any(marker in text for marker in FACT_MARKERS) and (
            f"/{path.stem}\n" in text or f"/{path.stem}:" in text or "repo" not in text
        ):
            continue  # no service, and only its own repository named: its distribution is its own name
        data = load_yaml(path)
        if not isinstance(data, dict):
            continue
        if data.get("type") == "service" and not path.parent.name.startswith("_"):
            services.add(key)
        for name in distribution_names(data):
            if name != key and name not in deliverables:
                claims.setdefault(name, Counter())[key] += 1
    distributions: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    for name, counts in sorted(claims.items()):
        ranked = counts.most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            ambiguous[name] = tuple(sorted(counts))
        else:
            distributions[name] = ranked[0][0]
    return DeliverableFacts(frozenset(services), distributions, ambiguous)


def distribution_names(data: dict[str, Any]) -> set[str]:
    """The Python distribution names one deliverable file gives its single repository (none for several)."""
    settings = data.get("repository-settings")
    settings = settings if isinstance(settings, dict) else {}
    repositories = {str(name) for name in settings}
    names = set()
    for release in data.get("releases") or []:
        for project in (release.get("projects") or []) if isinstance(release, dict) else []:
            if isinstance(project, dict) and project.get("repo"):
                repositories.add(str(project["repo"]))
                if project.get("tarball-base"):
                    names.add(canonical_name(str(project["tarball-base"])))
    if len(repositories) != 1:
        return set()
    repository = next(iter(repositories))
    own = settings.get(repository)
    own = own if isinstance(own, dict) else {}
    stated = own.get("pypi-name") or own.get("tarball-base") or repository.rsplit("/", 1)[-1]
    return names | {canonical_name(str(stated))}
