"""OpenStack release series and their status on a given day.

``series_status.yaml`` in openstack/releases holds a current ``status`` and an
optional ``next-phase: {status, date}``. The status in force on a day must
honour ``next-phase``: on 2026-11-23 Epoxy is unmaintained although its
``status`` field still says maintained. The file does not record when the
current status began (except ``eol-date``), so for a day before that the status
is reported as "unknown" rather than guessed.
"""

from __future__ import annotations

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
#: Statuses in which a series no longer gets fixes released (scs-0124 FAIL).
UNSUPPORTED = frozenset({UNMAINTAINED, END_OF_LIFE})
KNOWN_STATUSES = frozenset({MAINTAINED, UNMAINTAINED, END_OF_LIFE, DEVELOPMENT, FUTURE})


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

    def status_on(self, day: dt.date) -> str:
        if self.next_phase_status and self.next_phase_date and day >= self.next_phase_date:
            return self.next_phase_status
        if self.initial_release and day < self.initial_release:
            return DEVELOPMENT if self.status in (DEVELOPMENT, FUTURE) else UNKNOWN
        if self.status == END_OF_LIFE and self.eol_date and day < self.eol_date:
            return UNKNOWN
        return self.status

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
            )
            for e in entries
        ]
    )


@cache
def shipped_series() -> SeriesTable:
    """The series table shipped with patchcheck (built by ``patchcheck index build``)."""
    from patchcheck.knowledge.update import knowledge_dir

    folder = knowledge_dir()
    data = folder if folder is not None else resources.files("patchcheck").joinpath("data")
    document = json.loads(data.joinpath("series.json").read_text())
    return series_from_json(document["series"])
