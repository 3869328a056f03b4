"""OSV records of a distribution, reduced to the same compact document as the Debian tracker.

OSV (https://ossf.github.io/osv-schema/) is how Ubuntu (canonical/ubuntu-security-notices,
``osv/cve``), AlmaLinux (AlmaLinux/osv-database), Rocky Linux and Debian itself publish their
security data; osv.dev serves one ``all.zip`` per ecosystem. What this reader relies on:

- ``affected[].package.ecosystem`` names the release: ``Ubuntu:24.04:LTS``, ``Ubuntu:25.10``
  (interim releases have no ``:LTS``), ``Ubuntu:Pro:18.04:LTS`` (Ubuntu Pro/ESM, a separate
  ecosystem), ``Debian:12``, ``AlmaLinux:9``, ``Rocky Linux:9``;
- ``affected[].package.name`` is the package: the source package for Ubuntu and Debian; for
  AlmaLinux the binary RPMs an erratum updates (the source-named one among them);
- ``ranges[]`` of ``type`` ``ECOSYSTEM`` hold ``introduced``/``fixed`` events in order; a range
  whose last ``introduced`` has no ``fixed`` is open (Ubuntu lists unfixed CVEs so);
- the priority a distribution gives sits in ``affected[].ecosystem_specific`` (Ubuntu:
  ``ubuntu_priority``), in ``database_specific``, or as a ``severity`` of type ``Ubuntu``;
- a record with ``withdrawn`` is no longer a claim and is ignored.

Each (ecosystem, package, record, range) becomes one entry: ``resolved`` with the fixed version,
or ``open``; ``introduced`` is kept when it is not ``0`` (a version before it is not affected).
``last_affected`` and ``limit`` bounds are not understood: such ranges are skipped and counted,
never guessed. A record that is not JSON or not of OSV's shape is skipped and counted too: one
bad file among thousands does not stop a run, and the count is in the document.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.knowledge.distribution_security_reading import (
    CVE,
    FORMAT,
    MAX_SOURCE_BYTES,
    Skips,
    kind_of,
    open_regular,
    read_bounded,
    sorted_releases,
)
from patchcheck.urls import without_userinfo

#: One OSV record larger than this is skipped (the largest Ubuntu kernel records are a few MB).
MAX_RECORD_BYTES = 32 * 1024 * 1024
PRIORITY_KEYS = ("ubuntu_priority", "urgency", "priority", "severity")


def read_osv(
    path: Path,
    *,
    ecosystem: str,
    url: str,
    releases: Collection[str] | None = None,
    limit: int = MAX_SOURCE_BYTES,
    record_limit: int = MAX_RECORD_BYTES,
) -> dict[str, Any]:
    """The compact document of the OSV records in ``path`` (a folder of ``.json`` files or a zip).

    ``ecosystem``: the distribution as osv.dev names its export (``Ubuntu``, ``AlmaLinux``,
    ``Debian``, ``Rocky Linux``); only ``affected`` entries of that distribution are read, and
    the document's source is ``osv:<ecosystem>``. ``releases``: the full ecosystem strings kept
    (default: all of the distribution). ``limit`` bounds the bytes read in all.
    """
    wanted = None if releases is None else frozenset(releases)
    skips = Skips()
    reduced: dict[str, dict[str, list[dict[str, Any]]]] = {}
    records, digest = (_folder_records if path.is_dir() else _zip_records)(path, limit, record_limit, skips)
    for name, data in records:
        record = _record(name, data, skips)
        if record is None:
            continue
        for release, package, entry in _entries(name, record, ecosystem, wanted, skips):
            reduced.setdefault(release, {}).setdefault(package, []).append(entry)
    return {
        "format": FORMAT,
        "source": f"osv:{ecosystem}",
        "url": without_userinfo(url),
        "sha256": digest.hexdigest(),
        "fetched_at": None,
        "first_fetched_at": None,
        "skipped": skips.as_document(),
        "releases": sorted_releases(reduced),
    }


def _zip_records(
    path: Path, limit: int, record_limit: int, skips: Skips
) -> tuple[Iterator[tuple[str, bytes]], Any]:
    """The zip's ``.json`` members, each read to at most ``record_limit`` decompressed bytes."""
    digest = hashlib.sha256()
    with open_regular(path, limit) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(path, "", f"neither a folder nor a zip of OSV records ({exc})") from None

    def members() -> Iterator[tuple[str, bytes]]:
        total = 0
        with archive:
            for member in archive.infolist():
                if member.is_dir() or not member.filename.endswith(".json"):
                    continue
                try:
                    with archive.open(member) as stream:
                        data = stream.read(record_limit + 1)
                except (zipfile.BadZipFile, OSError, ValueError) as exc:
                    skips.add(member.filename, f"cannot be read from the zip ({exc})")
                    continue
                if len(data) > record_limit:
                    skips.add(member.filename, f"larger than {record_limit} bytes: not read")
                    continue
                total += len(data)
                if total > limit:
                    raise InputError(
                        path, member.filename, f"decompresses to more than {limit} bytes: refused"
                    )
                yield member.filename, data

    return members(), digest


def _folder_records(
    path: Path, limit: int, record_limit: int, skips: Skips
) -> tuple[Iterator[tuple[str, bytes]], Any]:
    """The folder's ``.json`` files (recursively, in name order), each a bounded regular file."""
    files = sorted(candidate for candidate in path.rglob("*.json"))
    digest = hashlib.sha256()
    records = []
    total = 0
    for file in files:
        name = file.relative_to(path).as_posix()
        try:
            data, _ = read_bounded(file, record_limit)
        except InputError as exc:
            skips.add(name, exc.problem)
            continue
        total += len(data)
        if total > limit:
            raise InputError(path, name, f"the records hold more than {limit} bytes: refused")
        # the folder's digest covers names and contents: a renamed record changes it
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
        records.append((name, data))
    return iter(records), digest


def _record(name: str, data: bytes, skips: Skips) -> dict[str, Any] | None:
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        skips.add(name, f"not JSON ({exc})")
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        skips.add(name, "an OSV record must be an object with a text 'id'")
        return None
    if record.get("withdrawn"):
        return None
    if not isinstance(record.get("affected", []), list):
        skips.add(name, f"'affected' must be an array, not {kind_of(record.get('affected'))}")
        return None
    return record


def _entries(
    name: str, record: dict[str, Any], ecosystem: str, wanted: frozenset[str] | None, skips: Skips
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    cves = _cves(record)
    for number, affected in enumerate(record.get("affected", [])):
        where = f"{name} affected[{number}]"
        package = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(package, dict) or not all(
            isinstance(package.get(key), str) for key in ("ecosystem", "name")
        ):
            skips.add(where, "'package' must be an object with text 'ecosystem' and 'name'")
            continue
        release = package["ecosystem"]
        if not (release == ecosystem or release.startswith(f"{ecosystem}:")):
            continue
        if wanted is not None and release not in wanted:
            continue
        urgency = _priority(record, affected)
        ranges = affected.get("ranges", [])
        if not isinstance(ranges, list):
            skips.add(where, f"'ranges' must be an array, not {kind_of(ranges)}")
            continue
        for index, version_range in enumerate(ranges):
            spans = _spans(version_range)
            if isinstance(spans, str):
                skips.add(f"{where} ranges[{index}]", spans)
                continue
            for introduced, fixed in spans:
                yield (
                    release,
                    package["name"],
                    {
                        "id": record["id"],
                        "status": "resolved" if fixed else "open",
                        "fixed_version": fixed,
                        "introduced": introduced if introduced != "0" else None,
                        "urgency": urgency,
                        "nodsa": None,
                        "nodsa_reason": None,
                        "cves": cves,
                    },
                )


def _spans(version_range: Any) -> list[tuple[str, str | None]] | str:
    """(introduced, fixed or None) pairs of an ECOSYSTEM range, or why it cannot be read."""
    if not isinstance(version_range, dict) or not isinstance(version_range.get("events"), list):
        return "a range must be an object with an 'events' array"
    if version_range.get("type") != "ECOSYSTEM":
        return f"range type {version_range.get('type')!r} is not ECOSYSTEM"
    spans: list[tuple[str, str | None]] = []
    introduced: str | None = None
    for event in version_range["events"]:
        if not isinstance(event, dict) or len(event) != 1:
            return "an event must be an object with one member"
        ((kind, version),) = event.items()
        if not isinstance(version, str) or not version:
            return f"the {kind} event's version must be text"
        if kind == "introduced":
            introduced = version
        elif kind == "fixed" and introduced is not None:
            spans.append((introduced, version))
            introduced = None
        else:
            return f"a {kind!r} event is not understood here"
    if introduced is not None:
        spans.append((introduced, None))
    return spans


def _priority(record: dict[str, Any], affected: dict[str, Any]) -> str | None:
    """The distribution's own priority of the record for this package, if it gives one."""
    for holder in (
        affected.get("ecosystem_specific"),
        affected.get("database_specific"),
        record.get("database_specific"),
    ):
        if isinstance(holder, dict):
            for key in PRIORITY_KEYS:
                if isinstance(holder.get(key), str) and holder[key]:
                    return holder[key]
    for severity in record.get("severity") or []:
        if (
            isinstance(severity, dict)
            and severity.get("type") == "Ubuntu"
            and isinstance(severity.get("score"), str)
        ):
            return severity["score"]
    return None


def _cves(record: dict[str, Any]) -> list[str]:
    """CVE names the record names (id, aliases, upstream, related), for matching with advisories."""
    names = [record["id"]]
    for key in ("aliases", "upstream", "related"):
        value = record.get(key)
        if isinstance(value, list):
            names.extend(name for name in value if isinstance(name, str))
    return sorted({name for name in names if CVE.match(name)})
