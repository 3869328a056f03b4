"""The Debian security tracker's JSON, reduced to what judging an installed package needs.

The input is https://security-tracker.debian.org/tracker/data/json. Its shape, as what this
reader relies on (read from the generator, ``TrackerService._get_json`` in the tracker's
``bin/tracker_service.py``, salsa.debian.org/security-tracker-team/security-tracker, and checked
against public parsers of the file, e.g. anchore/vunnel's Debian provider):

- one object ``{source_package: {issue: {"description", "scope", "debianbug", "releases"}}}``;
  issues are ``CVE-…`` and ``TEMP-…`` names (the generator selects exactly those);
- ``releases`` maps a codename (``bookworm``, ``trixie``, ``sid``) to ``{"status",
  "repositories", "fixed_version", "urgency", "nodsa", "nodsa_reason", "next_point_update"}``;
- ``status`` is ``resolved`` (with ``fixed_version``; ``"0"`` means the release never had the
  vulnerable code), ``open`` or ``undetermined``;
- ``urgency`` is ``low``/``medium``/``high`` (with ``**`` when assigned from NVD data),
  ``unimportant``, ``not yet assigned`` or ``end-of-life``;
- ``nodsa`` is the security team's comment of a ``<no-dsa>`` note (may be empty) and
  ``nodsa_reason`` is ``""``, ``ignored`` or ``postponed``;
- the generator drops every key whose value is null (``clean_dict``), so an absent key means
  "none", never an error.

Descriptions, scopes, bug numbers and repositories are not kept: the judge needs none of them,
the document stays small, and the tracker's prose stays where its licence applies.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from patchcheck.knowledge.distribution_security_reading import (
    CVE,
    FORMAT,
    MAX_SOURCE_BYTES,
    BoundedSource,
    Skips,
    iter_object_members,
    kind_of,
    sorted_releases,
)
from patchcheck.urls import without_userinfo

SOURCE = "debian-security-tracker"
URL = "https://security-tracker.debian.org/tracker/data/json"
STATUSES = frozenset({"resolved", "open", "undetermined"})
NODSA_REASONS = frozenset({"", "ignored", "postponed"})


def read_tracker(
    path: Path,
    *,
    url: str = URL,
    releases: Collection[str] | None = None,
    limit: int = MAX_SOURCE_BYTES,
) -> dict[str, Any]:
    """The compact document of the tracker file at ``path`` (plain or gzip JSON).

    ``releases``: the codenames kept (default: every release in the data). The document has no
    history yet (``fetched_at`` null): ``merge_history`` adds it. Raises ``InputError`` for a file
    that is too large, not a regular file, truncated, not JSON or not one object.
    """
    wanted = None if releases is None else frozenset(releases)
    skips = Skips()
    reduced: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with BoundedSource(path, limit) as source:
        for package, issues, place in iter_object_members(source):
            if not isinstance(issues, dict):
                skips.add(
                    f"{place} ({package})",
                    f"a source package's issues must be an object, not {kind_of(issues)}",
                )
                continue
            for issue, record in issues.items():
                for release, entry in _entries(package, issue, record, wanted, skips, place):
                    reduced.setdefault(release, {}).setdefault(package, []).append(entry)
        digest = source.sha256()
    return {
        "format": FORMAT,
        "source": SOURCE,
        "url": without_userinfo(url),
        "sha256": digest,
        "fetched_at": None,
        "first_fetched_at": None,
        "skipped": skips.as_document(),
        "releases": sorted_releases(reduced),
    }


def _entries(
    package: str, issue: str, record: Any, wanted: frozenset[str] | None, skips: Skips, place: str
) -> list[tuple[str, dict[str, Any]]]:
    where = f"{place} ({package} {issue})"
    if not isinstance(record, dict) or not isinstance(record.get("releases"), dict):
        shown = kind_of(record.get("releases")) if isinstance(record, dict) else kind_of(record)
        skips.add(where, f"an issue must be an object with a 'releases' object, found {shown}")
        return []
    found = []
    for release, status in record["releases"].items():
        if wanted is not None and release not in wanted:
            continue
        entry = _entry(issue, status)
        if isinstance(entry, str):
            skips.add(f"{where} {release}", entry)
        else:
            found.append((release, entry))
    return found


def _entry(issue: str, status: Any) -> dict[str, Any] | str:
    """The compact entry, or what is wrong with the tracker's one."""
    if not isinstance(status, dict):
        return f"a release's status must be an object, not {kind_of(status)}"
    state = status.get("status")
    if state not in STATUSES:
        return f"unknown status {state!r}"
    texts = {key: status.get(key) for key in ("fixed_version", "urgency", "nodsa", "nodsa_reason")}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            return f"{key} must be text, not {kind_of(value)}"
    fixed = texts["fixed_version"] or None
    if state == "resolved" and fixed is None:
        return "resolved without a fixed_version"
    if texts["nodsa_reason"] not in NODSA_REASONS | {None}:
        return f"unknown nodsa_reason {texts['nodsa_reason']!r}"
    return {
        "id": issue,
        "status": state,
        "fixed_version": fixed,
        "introduced": None,
        "urgency": texts["urgency"] or None,
        "nodsa": texts["nodsa"],
        "nodsa_reason": texts["nodsa_reason"] or None,
        "cves": [issue] if CVE.match(issue) else [],
    }
