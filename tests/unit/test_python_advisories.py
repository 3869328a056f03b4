"""The PyPA advisory database compiled and judged: real records from ../shared/data, and hostile ones.

Expectations are written from the records themselves (their ``ranges``, ``published`` and
``severity``), quoted next to each assertion.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from packaging.version import Version

from patchcheck.errors import InputError
from patchcheck.knowledge.python_advisories import (
    FILE_NAME,
    Interval,
    PythonAdvisoryIndex,
    build_python_advisories,
    intervals_of,
    load_python_advisories,
    read_record,
)
from patchcheck.knowledge.sources import read_cvss
from tests.helpers import shared_data

REPO = Path(__file__).resolve().parents[2]
CVSS = read_cvss(REPO / "src/patchcheck/data/openstack-cvss.csv")


@pytest.fixture(scope="module")
def database() -> Path:
    return shared_data() / "pypa-advisory-database"


@pytest.fixture(scope="module")
def index(database: Path) -> PythonAdvisoryIndex:
    document, report = build_python_advisories(database, CVSS, {"kind": "snapshot"})
    assert report.problems == []
    return PythonAdvisoryIndex(json.loads(json.dumps(document)))


def ids(index: PythonAdvisoryIndex, package: str, version: str) -> set[str]:
    return {match.advisory.id for match in index.affecting(package, version) or ()}


def test_the_shipped_file_is_the_build_of_the_shared_snapshot(database: Path) -> None:
    """`patchcheck index build` wrote it; a rebuild from the same records gives the same packages."""
    shipped = json.loads((REPO / "src/patchcheck/data" / FILE_NAME).read_text())
    document, _report = build_python_advisories(database, CVSS, shipped["source"])
    assert document["packages"] == shipped["packages"]
    assert shipped["source"]["newest_record"] >= "2024-10-01"  # the snapshot of 2024-10-10
    assert shipped["attribution"]["license"] == "CC BY 4.0"


def test_real_records_place_old_and_fixed_releases(index: PythonAdvisoryIndex) -> None:
    # jinja2 PYSEC-2019-217: introduced 0, fixed 2.10.1; PYSEC-2021-66: introduced 0, fixed 2.11.3
    assert {"PYSEC-2019-217", "PYSEC-2021-66"} <= ids(index, "jinja2", "2.10")
    assert "PYSEC-2019-217" not in ids(index, "jinja2", "2.10.1")
    assert ids(index, "jinja2", "3.1.4") == set()
    # urllib3 PYSEC-2023-192 fixed 1.26.17 (and 2.0.6); PYSEC-2023-212 fixed 1.26.18 (and 2.0.7)
    assert {"PYSEC-2023-192", "PYSEC-2023-212"} <= ids(index, "urllib3", "1.26.5")
    assert ids(index, "urllib3", "1.26.18") & {"PYSEC-2023-192", "PYSEC-2023-212"} == set()
    # cryptography PYSEC-2023-112: introduced 40.0.0, fixed 41.0.2; 39.0.0 is before it was introduced
    assert "PYSEC-2023-112" in ids(index, "cryptography", "41.0.0")
    assert "PYSEC-2023-112" not in ids(index, "cryptography", "39.0.0")


def test_the_remedy_is_the_first_fixed_release_above_the_installed_one(index: PythonAdvisoryIndex) -> None:
    match = next(m for m in index.affecting("urllib3", "2.0.5") or () if m.advisory.id == "PYSEC-2023-192")
    # the record's ECOSYSTEM ranges: fixed 1.26.17 for the 1.x line and 2.0.6 for the 2.x line
    assert match.advisory.first_fix_after(Version("2.0.5")) == Version("2.0.6")
    assert match.advisory.first_fix_after(Version("1.26.5")) == Version("1.26.17")


def test_severity_from_the_record_vector_else_unscored_default(index: PythonAdvisoryIndex) -> None:
    keys = ("jinja2", "urllib3", "requests", "pip")
    scored = [a for key in keys for a in index.advisories(key) if a.severity]
    unscored = [a for a in index.advisories("jinja2") if not a.severity]
    assert scored and unscored
    for advisory in scored:
        assert advisory.severity is not None and 0 < advisory.severity["score"] <= 10
    assert {a.band() for a in unscored} == {"high"}
    assert {a.band("low") for a in unscored} == {"low"}


def test_deadline_counts_from_the_publication_day(index: PythonAdvisoryIndex) -> None:
    advisory = next(a for a in index.advisories("jinja2") if a.id == "PYSEC-2021-66")
    # published: '2021-02-01T20:15:00Z', unscored -> high: 3 days from 00:00 UTC of that day
    assert advisory.deadline() == dt.datetime(2021, 2, 4, tzinfo=dt.UTC)


def test_withdrawn_records_are_ignored_and_last_affected_is_inclusive(database: Path) -> None:
    document, report = build_python_advisories(database, CVSS, {})
    assert report.counts["withdrawn"] >= 10
    # redis PYSEC-2023-73 was withdrawn on 2023-06-06
    assert all(entry["id"] != "PYSEC-2023-73" for entry in document["packages"].get("redis", []))
    index = PythonAdvisoryIndex(document)
    # py PYSEC-2022-42969: introduced 0, last_affected 1.11.0
    assert "PYSEC-2022-42969" in ids(index, "py", "1.11.0")
    assert "PYSEC-2022-42969" not in ids(index, "py", "1.11.1")


def test_osv_events_become_intervals_in_version_order() -> None:
    events = [["introduced", "2.0"], ["fixed", "2.0.6"], ["introduced", "0"], ["fixed", "1.26.17"]]
    assert intervals_of(events) == (
        Interval(None, Version("1.26.17"), None),
        Interval(Version("2.0"), Version("2.0.6"), None),
    )
    assert intervals_of([["introduced", "1.0"]]) == (Interval(Version("1.0"), None, None),)


def test_a_version_that_is_not_pep440_is_unknown_not_unaffected(index: PythonAdvisoryIndex) -> None:
    assert index.affecting("jinja2", "not-a-version") is None
    assert index.affecting("a-package-with-no-advisories", "not-a-version") == ()


def test_a_record_with_an_unreadable_range_is_unjudgeable(tmp_path: Path) -> None:
    folder = tmp_path / "vulns" / "demo"
    folder.mkdir(parents=True)
    (folder / "PYSEC-0000-1.yaml").write_text(
        "id: PYSEC-0000-1\npublished: '2024-01-02T00:00:00Z'\n"
        "affected:\n- package: {name: demo, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: 'one.two'\n"
    )
    document, _report = build_python_advisories(tmp_path, CVSS, {})
    matches = PythonAdvisoryIndex(document).affecting("demo", "1.0")
    assert matches is not None and len(matches) == 1
    assert matches[0].interval is None and "not a PEP 440 version" in (matches[0].advisory.unjudgeable or "")


def test_hostile_records_are_named_and_the_rest_still_compiles(tmp_path: Path) -> None:
    folder = tmp_path / "vulns" / "demo"
    folder.mkdir(parents=True)
    (folder / "GOOD-1.yaml").write_text(
        "id: GOOD-1\npublished: '2024-01-02T00:00:00Z'\n"
        "affected:\n- package: {name: Demo_Pkg, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: '1.1'\n"
    )
    (folder / "LIST-1.yaml").write_text("- just\n- a list\n")
    (folder / "BAD-1.yaml").write_text("id: [unclosed\n")
    (folder / "HUGE-1.yaml").write_bytes(b"id: HUGE-1\n" + b"#" * (2 * 1024 * 1024))
    os.mkfifo(folder / "FIFO-1.yaml")
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: OUTSIDE-1\n")
    (folder / "LINK-1.yaml").symlink_to(outside)
    document, report = build_python_advisories(tmp_path, CVSS, {})
    assert sorted(Path(problem.split(":")[0]).name for problem in report.problems) == [
        "BAD-1.yaml",
        "FIFO-1.yaml",
        "HUGE-1.yaml",
        "LIST-1.yaml",
    ]
    assert [entry["id"] for entry in document["packages"]["demo-pkg"]] == ["GOOD-1"]
    with pytest.raises(InputError, match="not a regular file"):
        read_record(folder / "FIFO-1.yaml")


def test_a_folder_that_is_not_the_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no vulns/ folder"):
        build_python_advisories(tmp_path / "nothing", CVSS, {})


def test_an_index_folder_without_python_data_has_none(tmp_path: Path) -> None:
    assert load_python_advisories(tmp_path) is None
    assert load_python_advisories(None) is not None  # shipped
