"""A series' status on any day, read from the version of series_status.yaml in force that day.

The shipped index keeps every version of the file since 2019 (``../shared/data/releases/
series_status_history``). For every version and every series it names: on the day it landed the
index answers what that version says (with its planned transitions due by then), on the day before
what the previous version said; before the history begins, "unknown" (ABORT).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patchcheck.judge.maintained_release import judge_statuses
from patchcheck.judge.verdict import Result
from patchcheck.knowledge.series import UNKNOWN, parse_series_status, shipped_series
from tests.helpers import shared_data


def versions() -> list[tuple[dt.date, Path]]:
    folder = shared_data() / "releases" / "series_status_history"
    return [(dt.date.fromisoformat(path.name[:10]), path) for path in sorted(folder.glob("*.yaml"))]


def test_each_version_decides_the_days_it_was_in_force() -> None:
    table = shipped_series()
    history = versions()
    days = [landed for landed, _path in history]
    checked = 0
    for number, (landed, path) in enumerate(history):
        if days.count(landed) > 1:
            continue  # two versions landed the same day: their order within it is not recorded
        version = parse_series_status(path)
        for entry in version.ordered:
            if entry.name not in table.by_name:
                continue
            expected = (
                entry.status
                if not (entry.next_phase_date and landed >= entry.next_phase_date)
                else entry.next_phase_status
            )
            assert table[entry.name].status_on(landed) == expected, (entry.name, landed)
            if number:  # the day before it landed, the previous version spoke
                before = landed - dt.timedelta(days=1)
                previous_landed, previous_path = history[number - 1]
                older = parse_series_status(previous_path).by_name.get(entry.name)
                if older is not None and previous_landed <= before and days.count(previous_landed) == 1:
                    due = older.next_phase_date and before >= older.next_phase_date
                    assert table[entry.name].status_on(before) == (
                        older.next_phase_status if due else older.status
                    )
            checked += 1
    assert checked > 1000


def test_before_the_history_begins_nothing_is_known() -> None:
    table = shipped_series()
    first = versions()[0][0]
    day = first - dt.timedelta(days=1)
    assert table["stein"].status_on(day) == UNKNOWN
    assert judge_statuses(("stein",), table, day) is Result.ABORT


@pytest.mark.parametrize(
    ("day", "status", "result"),
    [
        ("2024-06-01", "maintained", Result.PASS),  # the example: Caracal was maintained then
        ("2025-06-01", "maintained", Result.PASS),
        ("2025-10-25", "unmaintained", Result.FAIL),  # the planned transition of the version in force
        ("2026-11-25", "unmaintained", Result.FAIL),
    ],
)
def test_caracal_over_its_life(day: str, status: str, result: Result) -> None:
    table = shipped_series()
    when = dt.date.fromisoformat(day)
    assert table["caracal"].status_on(when) == status
    assert judge_statuses(("caracal",), table, when) is result


def test_every_series_is_known_on_its_first_release_day() -> None:
    table = shipped_series()
    first = versions()[0][0]
    for series in table.ordered:
        if series.initial_release and series.initial_release >= first and series.history:
            assert series.status_on(series.initial_release) != UNKNOWN, series.name


CARACAL = "Caracal (2024.1)"


@pytest.mark.parametrize(
    ("series", "day", "words"),
    [
        # the sentence: unmaintained since the planned day, its successor not yet dated
        (
            "caracal",
            "2027-06-01",
            "Caracal (2024.1) unmaintained since 2025-10-24, end of life not yet announced",
        ),
        (
            "caracal",
            "2024-06-01",
            "Caracal (2024.1) maintained since 2024-04-03, unmaintained planned for 2025-10-03",
        ),
        # the end of life landed on 2026-05-07, but the version in force had planned it for 2026-04-29
        ("dalmatian", "2027-06-01", "Dalmatian (2024.2) end of life since 2026-04-29"),
        ("caracal", "2019-01-01", f"{CARACAL} unknown"),
    ],
)
def test_a_status_is_said_with_its_beginning_and_what_comes_next(series: str, day: str, words: str) -> None:
    assert shipped_series()[series].phrase_on(dt.date.fromisoformat(day)) == words


def test_a_status_already_on_record_when_the_history_begins_is_not_dated() -> None:
    table = shipped_series()
    first = versions()[0][0]
    old = next(
        s
        for s in table.ordered
        if s.history and s.history[0].since == first and s.status_on(first) != UNKNOWN
    )
    assert f"(on record since {first.isoformat()})" in old.phrase_on(first)


def test_each_planned_transition_takes_effect_on_its_day_not_before() -> None:
    """A version's ``next-phase`` decides the day it names and after, while that version is in force."""
    table = shipped_series()
    history = versions()
    checked = 0
    for number, (landed, path) in enumerate(history):
        until = history[number + 1][0] if number + 1 < len(history) else dt.date.max
        if [day for day, _ in history].count(landed) > 1:
            continue
        for entry in parse_series_status(path).ordered:
            change = entry.next_phase_date
            if entry.name not in table.by_name or not change or not landed < change < until:
                continue
            series = table[entry.name]
            assert series.status_on(change - dt.timedelta(days=1)) == entry.status, (entry.name, change)
            assert series.status_on(change) == entry.next_phase_status, (entry.name, change)
            if change + dt.timedelta(days=1) < until:
                assert series.status_on(change + dt.timedelta(days=1)) == entry.next_phase_status
            checked += 1
    assert checked >= 19  # planned transitions that fell due while their version was in force
