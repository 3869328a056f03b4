"""Distribution security data: is an installed source package behind its distribution's fixes?

scs-0124 asks that dependencies of the IaaS software (qemu, libvirt, openvswitch,
python3-jinja2, ...) get security patches within a reasonable time. The distribution's own
security data answers per (release, source package, installed source version):

- Debian: the security tracker's JSON (``distribution_security_tracker.read_tracker``), keyed by
  codename (``bookworm``); it alone carries the security team's no-dsa/ignored/postponed calls;
- Ubuntu, AlmaLinux, Rocky Linux (and Debian's own export): OSV records
  (``distribution_security_osv.read_osv``), keyed by OSV ecosystem (``Ubuntu:24.04:LTS``).

Both reduce to one compact document (gzip JSON, written by ``DistributionSecurity.write``)::

    {"format": "patchcheck-distribution-security/1",
     "source": "debian-security-tracker" | "osv:<ecosystem>", "url": ..., "sha256": ...,
     "fetched_at": ISO-8601 | null, "first_fetched_at": ISO-8601 | null,
     "skipped": {"count": n, "examples": [...]},
     "releases": {release: {source_package: [
         {"id", "status": "resolved"|"open"|"undetermined", "fixed_version", "introduced",
          "urgency", "nodsa", "nodsa_reason", "cves", "listed_since", "absent_at"}]}}}

Neither source carries dates, yet scs-0124 counts deadlines from disclosure. So
``merge_history`` records when patchcheck's data first listed each fix: ``listed_since`` is the
fetch that first listed it, ``absent_at`` the fetch before, which did not (the fix was
published in between); ``absent_at`` is null when the fix was there at the very first fetch of
its release, i.e. how long before is unknown. The judge builds its deadline on that interval.

``judge`` answers with one ``EntryVerdict`` per issue of the package; ``release_key`` and
``COVERAGE`` say which host a document can judge at all, so that the rest is reported as not
judged instead of passing silently.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.files import current_umask
from patchcheck.knowledge.distribution_security_coverage import COVERAGE, Coverage, coverage_of, release_key
from patchcheck.knowledge.distribution_security_history import merge_history, moment
from patchcheck.knowledge.distribution_security_osv import read_osv
from patchcheck.knowledge.distribution_security_reading import (
    FORMAT,
    MAX_SOURCE_BYTES,
    gzip_bytes,
    read_bounded,
)
from patchcheck.knowledge.distribution_security_tracker import SOURCE as TRACKER_SOURCE
from patchcheck.knowledge.distribution_security_tracker import read_tracker
from patchcheck.knowledge.versions import compare_debian, compare_rpm

__all__ = [
    "COVERAGE",
    "Coverage",
    "DistributionSecurity",
    "Entry",
    "EntryStatus",
    "EntryVerdict",
    "Provenance",
    "UnknownRelease",
    "coverage_of",
    "merge_history",
    "read_osv",
    "read_tracker",
    "release_key",
]


class EntryStatus(StrEnum):
    """How one issue stands for an installed source package, in words an auditor reads."""

    FIXED = "fixed"
    FIX_AVAILABLE = "fix available"
    NOT_AFFECTED = "not affected"
    NO_DSA = "no-dsa"
    IGNORED = "ignored"
    POSTPONED = "postponed"
    OPEN_NO_FIX = "open, no fix"
    UNDETERMINED = "undetermined"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Entry:
    """One issue of one source package in one release, as the compact document holds it."""

    id: str
    status: str
    fixed_version: str | None
    introduced: str | None
    urgency: str | None
    nodsa: str | None
    nodsa_reason: str | None
    cves: tuple[str, ...]
    listed_since: dt.datetime | None
    absent_at: dt.datetime | None


@dataclass(frozen=True)
class EntryVerdict:
    """The answer for one issue; ``reason`` is the sentence a report shows."""

    id: str
    status: EntryStatus
    reason: str
    installed: str
    fixed_version: str | None
    urgency: str | None
    nodsa: str | None
    cves: tuple[str, ...]
    listed_since: dt.datetime | None
    """When patchcheck's data first listed the fix (the fix was published at or before)."""
    absent_at: dt.datetime | None
    """The fetch before, which did not list it (published after); None: unknown how long before."""


@dataclass(frozen=True)
class Provenance:
    source: str
    url: str
    sha256: str
    fetched_at: dt.datetime | None
    first_fetched_at: dt.datetime | None
    skipped: int


class UnknownRelease(LookupError):
    """The data holds no such release: the host is not judged, it does not pass."""


def version_scheme(source: str, release: str) -> str | None:
    """The version order of a release: ``dpkg``, ``rpm``, or None when not known."""
    if source == TRACKER_SOURCE or release.startswith(("Debian:", "Ubuntu:")):
        return "dpkg"
    if release.startswith(("AlmaLinux:", "Rocky Linux:", "Red Hat:")):
        return "rpm"
    return None


@lru_cache(maxsize=262144)
def compare(scheme: str, left: str, right: str) -> int | None:
    """-1, 0 or 1 in the scheme's order; None when either version cannot be read.

    Cached: one host's 2,000 packages meet the same few fixed versions again and again.
    """
    try:
        return compare_debian(left, right) if scheme == "dpkg" else compare_rpm(left, right)
    except (ValueError, TypeError):
        return None


class DistributionSecurity:
    """A loaded compact document, indexed by (release, source package) once."""

    def __init__(self, document: Mapping[str, Any], path: Path | str = "<document>") -> None:
        if not isinstance(document, Mapping) or document.get("format") != FORMAT:
            raise InputError(path, "format", f"not a {FORMAT} document")
        releases = document.get("releases")
        if not isinstance(releases, dict) or not all(
            isinstance(packages, dict) and all(isinstance(entries, list) for entries in packages.values())
            for packages in releases.values()
        ):
            raise InputError(path, "releases", "must map releases to source packages to lists of entries")
        self.document = document
        self.path = str(path)
        self.source = str(document.get("source"))
        self._raw = {
            (release, package): entries
            for release, packages in releases.items()
            for package, entries in packages.items()
        }
        self._entries: dict[tuple[str, str], tuple[Entry, ...]] = {}

    @classmethod
    def load(cls, path: Path, limit: int = MAX_SOURCE_BYTES) -> DistributionSecurity:
        data, _ = read_bounded(path, limit)
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(path, "", f"not JSON ({exc})") from None
        return cls(document, path)

    def write(self, path: Path) -> None:
        """The document as gzip JSON, replacing ``path`` only when complete (never half a file)."""
        data = gzip_bytes(json.dumps(self.document, separators=(",", ":")).encode("utf-8"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # files.atomic_writer writes text; the same temporary-file-and-rename, in bytes
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
            temporary.chmod(0o644 & ~current_umask())
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    @property
    def releases(self) -> tuple[str, ...]:
        return tuple(sorted(self.document["releases"]))

    @property
    def provenance(self) -> Provenance:
        document = self.document
        return Provenance(
            source=self.source,
            url=str(document.get("url", "")),
            sha256=str(document.get("sha256", "")),
            fetched_at=moment(document.get("fetched_at")),
            first_fetched_at=moment(document.get("first_fetched_at")),
            skipped=int((document.get("skipped") or {}).get("count", 0)),
        )

    def entries(self, release: str, source: str) -> tuple[Entry, ...]:
        """The issues of ``source`` in ``release``; empty when the data lists none."""
        key = (release, source)
        found = self._entries.get(key)
        if found is None:
            found = tuple(
                self._entry(release, source, number, raw) for number, raw in enumerate(self._raw.get(key, ()))
            )
            self._entries[key] = found
        return found

    def _entry(self, release: str, source: str, number: int, raw: Any) -> Entry:
        try:
            return Entry(
                id=raw["id"],
                status=raw["status"],
                fixed_version=raw.get("fixed_version"),
                introduced=raw.get("introduced"),
                urgency=raw.get("urgency"),
                nodsa=raw.get("nodsa"),
                nodsa_reason=raw.get("nodsa_reason"),
                cves=tuple(raw.get("cves") or ()),
                listed_since=moment(raw.get("listed_since")),
                absent_at=moment(raw.get("absent_at")),
            )
        except (TypeError, KeyError, ValueError) as exc:
            raise InputError(
                self.path, f"releases.{release}.{source}[{number}]", f"not an entry ({exc})"
            ) from None

    def judge(self, release: str, source: str, installed_source_version: str) -> list[EntryVerdict]:
        """One verdict per issue the data lists for ``source`` in ``release``.

        A release the data does not hold raises ``UnknownRelease``: "no issues" and "not
        covered" must never look alike.
        """
        if release not in self.document["releases"]:
            raise UnknownRelease(f"{self.source} holds no release {release!r}")
        scheme = version_scheme(self.source, release)
        installed = installed_source_version
        return [_verdict(entry, release, scheme, installed) for entry in self.entries(release, source)]


def _verdict(entry: Entry, release: str, scheme: str | None, installed: str) -> EntryVerdict:
    status, reason = _status(entry, release, scheme, installed)
    return EntryVerdict(
        id=entry.id,
        status=status,
        reason=reason,
        installed=installed,
        fixed_version=entry.fixed_version,
        urgency=entry.urgency,
        nodsa=entry.nodsa,
        cves=entry.cves,
        listed_since=entry.listed_since,
        absent_at=entry.absent_at,
    )


def _status(entry: Entry, release: str, scheme: str | None, installed: str) -> tuple[EntryStatus, str]:
    if entry.status == "undetermined":
        return EntryStatus.UNDETERMINED, f"{release}: not yet determined whether the package is affected"
    if entry.status == "resolved" and entry.fixed_version == "0":
        return EntryStatus.NOT_AFFECTED, f"{release} never had the vulnerable code (fixed_version 0)"
    if entry.introduced is not None or entry.status == "resolved":
        if scheme is None:
            return EntryStatus.UNKNOWN, f"no version order is known for {release}"
        for bound in (entry.introduced, entry.fixed_version):
            if bound is not None and compare(scheme, installed, bound) is None:
                return (
                    EntryStatus.UNKNOWN,
                    f"{installed!r} and {bound!r} cannot be compared in {scheme} order",
                )
        if entry.introduced is not None and compare(scheme, installed, entry.introduced) == -1:
            return (
                EntryStatus.NOT_AFFECTED,
                f"{installed} is older than {entry.introduced}, where the issue begins",
            )
    if entry.status == "resolved":
        assert scheme is not None and entry.fixed_version is not None
        if compare(scheme, installed, entry.fixed_version) != -1:
            return EntryStatus.FIXED, f"{installed} is at or after the fix {entry.fixed_version}"
        return (
            EntryStatus.FIX_AVAILABLE,
            f"{installed} is older than {entry.fixed_version}, the fix {release} publishes",
        )
    comment = f": {entry.nodsa}" if entry.nodsa else ""
    if entry.nodsa_reason == "ignored":
        return EntryStatus.IGNORED, f"open; Debian will not fix it in {release} (ignored{comment})"
    if entry.nodsa_reason == "postponed":
        return (
            EntryStatus.POSTPONED,
            f"open; Debian postponed the fix in {release} to a later update{comment}",
        )
    if entry.nodsa is not None:
        return EntryStatus.NO_DSA, f"open; Debian issues no security advisory for it in {release}{comment}"
    return EntryStatus.OPEN_NO_FIX, f"open in {release}; no fixed version is published yet"
