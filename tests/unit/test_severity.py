"""scs-0124's bands and deadlines, counted from disclosure (00:00 UTC of the disclosure day)."""

import datetime as dt

import pytest

from patchcheck.knowledge.severity import add_months, band_for, deadline

DAY = dt.date(2026, 1, 31)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (10.0, "critical"),
        (9.0, "critical"),
        (8.9, "high"),
        (7.0, "high"),
        (6.9, "medium"),
        (4.0, "medium"),
        (3.9, "low"),
        (0.1, "low"),
        (0.0, None),
    ],
)
def test_bands(score: float, band: str | None) -> None:
    assert band_for(score) == band


@pytest.mark.parametrize(
    ("band", "due"),
    [
        ("critical", dt.datetime(2026, 1, 31, 3, 0, tzinfo=dt.UTC)),
        ("high", dt.datetime(2026, 2, 3, 0, 0, tzinfo=dt.UTC)),
        ("medium", dt.datetime(2026, 2, 28, 0, 0, tzinfo=dt.UTC)),  # Jan 31 + 1 month, clamped
        ("low", dt.datetime(2026, 4, 30, 0, 0, tzinfo=dt.UTC)),
    ],
)
def test_deadlines(band: str, due: dt.datetime) -> None:
    assert deadline(DAY, band) == due


def test_critical_window_is_three_hours_not_a_day() -> None:
    due = deadline(dt.date(2026, 5, 11), "critical")
    assert due - dt.datetime(2026, 5, 11, tzinfo=dt.UTC) == dt.timedelta(hours=3)


def test_months_cross_the_year() -> None:
    assert add_months(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), 3) == dt.datetime(2027, 2, 28, tzinfo=dt.UTC)


def test_unknown_band_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown severity band"):
        deadline(DAY, "moderate")
