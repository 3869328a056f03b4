"""Release series status on a day, from openstack/releases' series_status.yaml."""

import datetime as dt
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.knowledge.series import parse_series_status, shipped_series

DAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("series", "day", "status"),
    [
        # next-phase wins once its date has come: Epoxy's status field still says maintained.
        ("epoxy", DAY, "unmaintained"),
        ("epoxy", dt.date(2026, 10, 1), "maintained"),
        ("epoxy", dt.date(2026, 10, 2), "unmaintained"),
        # Hibiscus was "development" with next-phase maintained from its release day.
        ("hibiscus", DAY, "maintained"),
        ("hibiscus", dt.date(2026, 9, 29), "development"),
        ("gazpacho", DAY, "maintained"),
        ("flamingo", DAY, "maintained"),
        ("flamingo", dt.date(2027, 4, 28), "end of life"),
        ("dalmatian", DAY, "end of life"),
        ("caracal", DAY, "unmaintained"),
        ("wallaby", DAY, "end of life"),
        # Before its eol-date an end-of-life series was maintained or unmaintained: not recorded.
        ("wallaby", dt.date(2025, 1, 1), "unmaintained"),  # the history tells (one file alone could not)
        ("indri", DAY, "development"),
    ],
)
def test_status_on_a_day_honours_next_phase(series: str, day: dt.date, status: str) -> None:
    assert shipped_series()[series].status_on(day) == status


def test_series_are_ordered_by_release_date() -> None:
    names = [series.name for series in shipped_series().ordered]
    assert names[:3] == ["austin", "bexar", "cactus"]
    assert names.index("epoxy") < names.index("flamingo") < names.index("gazpacho") < names.index("hibiscus")
    assert shipped_series().older_than("wallaby")[-1].name == "victoria"


def test_titles_read_like_operators_say_them() -> None:
    assert shipped_series()["epoxy"].title == "Epoxy (2025.1)"


def test_malformed_series_file_names_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "series_status.yaml"
    path.write_text("- name: zed\n  status: maintained\n- name: bad\n  status: resting\n")
    with pytest.raises(InputError) as caught:
        parse_series_status(path)
    assert str(caught.value) == f"{path}: entry 1 (bad): unknown status 'resting'"


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "series_status.yaml"
    path.write_text("- name: zed\n  status: [unclosed\n")
    with pytest.raises(InputError, match=r"series_status.yaml: line \d+: not YAML"):
        parse_series_status(path)
