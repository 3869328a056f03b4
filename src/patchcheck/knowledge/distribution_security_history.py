"""When patchcheck's data first listed each fix: the dates neither source carries.

The Debian tracker and OSV distribution records say what is fixed, not since when; scs-0124
counts deadlines from disclosure. So each update of the index merges the new document with the
previous one: a fix (release, package, id, fixed_version) keeps the ``listed_since`` of the
first fetch that listed it, and ``absent_at`` is the fetch before that, which did not list it
(the fix was published between the two). ``absent_at`` is null when the fix was there at the
first fetch of its release: how long before is unknown, and the judge must treat it so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def merge_history(
    previous: Mapping[str, Any] | None, new: Mapping[str, Any], fetched_at: dt.datetime
) -> dict[str, Any]:
    """``new`` with ``fetched_at``, ``first_fetched_at`` and each fix's ``listed_since``/``absent_at``.

    A fix is (release, package, id, fixed_version). Listed in ``previous``: its history is kept.
    Not listed, though ``previous`` held the release: it appeared between the two fetches
    (``absent_at`` = the previous fetch). Otherwise (first fetch, or a release new to the data):
    ``listed_since`` = now and ``absent_at`` null, since nobody looked before.
    """
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must carry a time zone")
    now = stamp(fetched_at)
    known: dict[tuple[str, str, str, str], tuple[str, str | None]] = {}
    looked: set[str] = set()
    before: str | None = None
    if previous is not None:
        if previous.get("source") != new.get("source"):
            raise ValueError(
                f"history of {previous.get('source')!r} cannot continue with {new.get('source')!r}"
            )
        before = previous.get("fetched_at")
        earlier = moment(before)
        if earlier is None:
            raise ValueError("the previous document has no fetched_at")
        if earlier > fetched_at:
            raise ValueError(f"fetched_at {now} is before the previous fetch {before}: the clock went back")
        looked = set(previous["releases"])
        for release, packages in previous["releases"].items():
            for package, entries in packages.items():
                for entry in entries:
                    if entry.get("fixed_version") is not None:
                        key = (release, package, entry["id"], entry["fixed_version"])
                        known[key] = (entry.get("listed_since") or before, entry.get("absent_at"))
    releases: dict[str, Any] = {}
    for release, packages in new["releases"].items():
        releases[release] = {}
        for package, entries in packages.items():
            merged = []
            for entry in entries:
                listed: str | None = None
                absent: str | None = None
                if entry.get("fixed_version") is not None:
                    key = (release, package, entry["id"], entry["fixed_version"])
                    listed, absent = known.get(key, (now, before if release in looked else None))
                merged.append({**entry, "listed_since": listed, "absent_at": absent})
            releases[release][package] = merged
    first = previous.get("first_fetched_at") if previous is not None else None
    return {**new, "fetched_at": now, "first_fetched_at": first or now, "releases": releases}


def stamp(when: dt.datetime) -> str:
    """ISO 8601 in UTC with ``Z``, as the document stores moments."""
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def moment(text: Any) -> dt.datetime | None:
    """A stored moment back as an aware datetime; None stays None."""
    if text is None:
        return None
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
