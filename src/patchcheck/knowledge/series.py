"""OpenStack release series and their status on a given day.

``series_status.yaml`` in openstack/releases holds a current ``status`` and an
optional ``next-phase: {status, date}``. The status in force on a day must
honour ``next-phase``: on 2026-11-23 Epoxy is unmaintained although its
``status`` field still says maintained. One version of the file does not record
when its statuses began, so the index keeps every version of it since 2019 (the
history, with the day each version landed): a series' status on a day is read
from the version in force that day, with that version's planned transitions
that fall before the day. A day the history cannot tell (before it begins, or
before the series appears in it) is "unknown", never guessed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from patchcheck.errors import InputError

MAINTAINED = "maintained"
UNMAINTAINED = "unmaintained"
END_OF_LIFE = "end of life"
DEVELOPMENT = "development"
FUTURE = "future"
UNKNOWN = "unknown"
#: The phase before "unmaintained" (until 2023): stable branches open, but no more releases.
EXTENDED_MAINTENANCE = "extended maintenance"
#: Statuses in which a series no longer gets fixes released (scs-0124 FAIL).
UNSUPPORTED = frozenset({UNMAINTAINED, END_OF_LIFE, EXTENDED_MAINTENANCE})
KNOWN_STATUSES = frozenset({MAINTAINED, UNMAINTAINED, END_OF_LIFE, DEVELOPMENT, FUTURE, EXTENDED_MAINTENANCE})


@dataclass(frozen=True)
class Recorded:
    """One version of series_status.yaml, as it spoke of one series."""

    since: dt.date
    """The day this version landed on the releases repository's main line."""
    status: str
    next_phase_status: str | None
    next_phase_date: dt.date | None

    def on(self, day: dt.date) -> str:
        if self.next_phase_status and self.next_phase_date and day >= self.next_phase_date:
            return self.next_phase_status
        return self.status


@dataclass(frozen=True)
class Series:
    """One release series as openstack/releases describes it."""

    name: str
    release_id: str | None
    status: str
    initial_release: dt.date | None
    next_phase_status: str | None
    next_phase_date: dt.date | None
    eol_date: dt.date | None
    history: tuple[Recorded, ...] = ()
    """Every version of the file that named this series, oldest first."""

    def landed_by(self, day: dt.date) -> list[Recorded]:
        """The versions of the file that had landed by ``day``; the last one is in force."""
        return [recorded for recorded in self.history if recorded.since <= day]

    def status_on(self, day: dt.date) -> str:
        """The status in force on ``day``: from the version of the file in force then."""
        if self.history:
            in_force = self.landed_by(day)
            if not in_force:
                return UNKNOWN  # before the history names the series: it cannot tell
            return in_force[-1].on(day)
        if self.next_phase_status and self.next_phase_date and day >= self.next_phase_date:
            return self.next_phase_status
        if self.initial_release and day < self.initial_release:
            return DEVELOPMENT if self.status in (DEVELOPMENT, FUTURE) else UNKNOWN
        if self.status == END_OF_LIFE and self.eol_date and day < self.eol_date:
            return UNKNOWN
        if self.status in UNSUPPORTED and not (self.next_phase_date or self.eol_date):
            return UNKNOWN  # no history and no date: when this status began is not known
        return self.status

    def upcoming_after(self, day: dt.date) -> tuple[str, dt.date] | None:
        """The next planned transition after ``day`` in the version in force on ``day``."""
        in_force = self.landed_by(day) or [
            Recorded(dt.date.min, self.status, self.next_phase_status, self.next_phase_date)
        ]
        recorded = in_force[-1]
        if recorded.next_phase_status and recorded.next_phase_date and recorded.next_phase_date > day:
            return recorded.next_phase_status, recorded.next_phase_date
        return None

    def status_since(self, day: dt.date) -> tuple[dt.date, bool] | None:
        """When the status in force on ``day`` began, and whether that is exact.

        Inexact means the status was already on record when the history first
        named the series: it began on that day or earlier.
        """
        in_force = self.landed_by(day)
        if not in_force:
            return None
        segments: list[tuple[dt.date, str]] = []
        for position, recorded in enumerate(in_force):
            end = in_force[position + 1].since if position + 1 < len(in_force) else day + dt.timedelta(days=1)
            segments.append((recorded.since, recorded.status))
            change = recorded.next_phase_date
            if recorded.next_phase_status and change and recorded.since < change < end:
                segments.append((change, recorded.next_phase_status))
        status = segments[-1][1]
        start = len(segments) - 1
        while start > 0 and segments[start - 1][1] == status:
            start -= 1
        return segments[start][0], start > 0 or segments[0][0] > in_force[0].since

    def phrase_on(self, day: dt.date) -> str:
        """What is known of the series on ``day``, in words: status, since when, what comes next.

        ``Caracal (2024.1) unmaintained since 2025-10-24, end of life not yet announced``:
        a status alone would hide that its successor has no date yet.
        """
        status = self.status_on(day)
        words = f"{self.title} {status}"
        began = self.status_since(day) if status != UNKNOWN else None
        if began is not None:
            words += (
                f" since {began[0].isoformat()}" if began[1] else f" (on record since {began[0].isoformat()})"
            )
        upcoming = self.upcoming_after(day) if self.history else None
        if upcoming is not None:
            words += f", {upcoming[0]} planned for {upcoming[1].isoformat()}"
        elif status in (UNMAINTAINED, EXTENDED_MAINTENANCE):
            words += ", end of life not yet announced"
        elif status == MAINTAINED:
            words += ", next phase not yet announced"
        return words

    @property
    def title(self) -> str:
        """``Epoxy (2025.1)``: how operators name a series."""
        return f"{self.name.capitalize()} ({self.release_id})" if self.release_id else self.name.capitalize()


class SeriesTable:
    """All series, oldest first."""

    def __init__(self, series: list[Series]) -> None:
        self.ordered = sorted(series, key=lambda s: s.initial_release or dt.date.max)
        self.by_name = {s.name: s for s in self.ordered}

    def __getitem__(self, name: str) -> Series:
        return self.by_name[name]

    def index(self, name: str) -> int:
        return self.ordered.index(self.by_name[name])

    def older_than(self, name: str) -> list[Series]:
        return self.ordered[: self.index(name)]

    def newer_than(self, name: str) -> list[Series]:
        return self.ordered[self.index(name) + 1 :]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "release_id": s.release_id,
                "status": s.status,
                "initial_release": iso(s.initial_release),
                "next_phase": {"status": s.next_phase_status, "date": iso(s.next_phase_date)}
                if s.next_phase_status
                else None,
                "eol_date": iso(s.eol_date),
                "history": [
                    {
                        "since": iso(r.since),
                        "status": r.status,
                        "next_phase": {"status": r.next_phase_status, "date": iso(r.next_phase_date)}
                        if r.next_phase_status
                        else None,
                    }
                    for r in s.history
                ],
            }
            for s in self.ordered
        ]


def iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def parse_day(value: Any, path: Path | str, place: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(path, place, f"not a date: {value!r}") from None


def parse_series_status(path: Path) -> SeriesTable:
    """Read openstack/releases ``data/series_status.yaml``."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark else ""
        raise InputError(path, place, f"not YAML: {exc}") from None
    if not isinstance(entries, list):
        raise InputError(path, "", "expected a list of series")
    series = []
    for number, entry in enumerate(entries):
        place = f"entry {number} ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
        if not isinstance(entry, dict) or "name" not in entry or "status" not in entry:
            raise InputError(path, place, "a series needs name and status")
        if entry["status"] not in KNOWN_STATUSES:
            raise InputError(path, place, f"unknown status {entry['status']!r}")
        next_phase = entry.get("next-phase") or {}
        series.append(
            Series(
                name=entry["name"],
                release_id=str(entry["release-id"]) if entry.get("release-id") is not None else None,
                status=entry["status"],
                initial_release=parse_day(entry.get("initial-release"), path, place),
                next_phase_status=next_phase.get("status"),
                next_phase_date=parse_day(next_phase.get("date"), path, place),
                eol_date=parse_day(entry.get("eol-date"), path, place),
            )
        )
    return SeriesTable(series)


def series_from_json(entries: list[dict[str, Any]]) -> SeriesTable:
    return SeriesTable(
        [
            Series(
                name=e["name"],
                release_id=e["release_id"],
                status=e["status"],
                initial_release=parse_day(e["initial_release"], "series.json", e["name"]),
                next_phase_status=(e["next_phase"] or {}).get("status"),
                next_phase_date=parse_day((e["next_phase"] or {}).get("date"), "series.json", e["name"]),
                eol_date=parse_day(e["eol_date"], "series.json", e["name"]),
                history=tuple(
                    Recorded(
                        since=parse_day(r["since"], "series.json", e["name"]) or dt.date.min,
                        status=r["status"],
                        next_phase_status=(r["next_phase"] or {}).get("status"),
                        next_phase_date=parse_day(
                            (r["next_phase"] or {}).get("date"), "series.json", e["name"]
                        ),
                    )
                    for r in e.get("history") or []
                ),
            )
            for e in entries
        ]
    )


def with_history(table: SeriesTable, versions: list[tuple[dt.date, SeriesTable]]) -> SeriesTable:
    """The table with each series' history from the file's versions (day landed, its table), oldest first."""
    series = []
    for current in table.ordered:
        recorded: list[Recorded] = []
        for since, version in sorted(versions, key=lambda pair: pair[0]):
            entry = version.by_name.get(current.name)
            if entry is None:
                continue
            record = Recorded(since, entry.status, entry.next_phase_status, entry.next_phase_date)
            if not recorded or (record.status, record.next_phase_status, record.next_phase_date) != (
                recorded[-1].status,
                recorded[-1].next_phase_status,
                recorded[-1].next_phase_date,
            ):
                recorded.append(record)
        series.append(dataclasses.replace(current, history=tuple(recorded)))
    return SeriesTable(series)


@cache
def shipped_series() -> SeriesTable:
    """The series table shipped with patchcheck (built by ``patchcheck index build``)."""
    from patchcheck.knowledge.update import knowledge_dir

    folder = knowledge_dir()
    data = folder if folder is not None else resources.files("patchcheck").joinpath("data")
    document = json.loads(data.joinpath("series.json").read_text())
    return series_from_json(document["series"])


def extend_history(table: SeriesTable, previous: SeriesTable, since: dt.date) -> SeriesTable:
    """The previous index's history of each series, and the current file as its newest version.

    An update fetches only the newest commit of openstack/releases; the history the index
    already holds goes on, so the status on any past day stays answerable.
    """
    series = []
    for current in table.ordered:
        before = previous.by_name.get(current.name)
        recorded = list(before.history) if before else []
        record = Recorded(since, current.status, current.next_phase_status, current.next_phase_date)
        last = recorded[-1] if recorded else None
        if last is None or (last.status, last.next_phase_status, last.next_phase_date) != (
            record.status,
            record.next_phase_status,
            record.next_phase_date,
        ):
            recorded.append(record)
        series.append(dataclasses.replace(current, history=tuple(recorded)))
    return SeriesTable(series)
