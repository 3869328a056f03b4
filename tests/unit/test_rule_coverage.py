"""docs/rule-coverage.md is what scripts/rule_coverage.py makes from the shipped index and the reviews."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import load_module

REPO = Path(__file__).resolve().parents[2]
COVERAGE = load_module(REPO / "scripts/rule_coverage.py", "rule_coverage")


def test_the_committed_table_is_what_the_script_writes() -> None:
    expected = COVERAGE.render(COVERAGE.load_reviews())
    assert (REPO / "docs/rule-coverage.md").read_text(encoding="utf-8") == expected, (
        "docs/rule-coverage.md is stale: run .venv/bin/python scripts/rule_coverage.py"
    )


def test_every_advisory_in_scope_is_a_row_and_none_is_left_unreviewed() -> None:
    table = COVERAGE.render(COVERAGE.load_reviews())
    rows = [line for line in table.splitlines() if line.startswith("| [")]
    index = COVERAGE.load_index(None)
    scoped = [a.id for a in index.advisories if COVERAGE.in_scope(a)]
    assert len(rows) == len(scoped) == 90  # OSSA-2020-001 … OSSA-2026-044 (68), OSSN-0086 … OSSN-0108 (22)
    assert [row.split("]")[0].removeprefix("| [") for row in rows] == sorted(
        scoped, key=lambda i: (i.startswith("OSSN"), i)
    )
    assert not [row for row in rows if row.endswith(f"| {COVERAGE.NOT_REVIEWED} |")]


def test_an_advisory_without_rule_or_sentence_is_not_yet_reviewed() -> None:
    reviews = COVERAGE.load_reviews()
    reviews.pop("OSSA-2026-022")
    row = next(line for line in COVERAGE.render(reviews).splitlines() if "[OSSA-2026-022]" in line)
    assert row.endswith(f"| {COVERAGE.NOT_REVIEWED} |")


def test_a_sentence_for_an_id_out_of_scope_is_refused() -> None:
    with pytest.raises(SystemExit, match="OSSA-2019-001"):
        COVERAGE.render({**COVERAGE.load_reviews(), "OSSA-2019-001": "a typo or an old advisory"})


def test_the_new_preconditions_are_in_the_table() -> None:
    table = COVERAGE.render(COVERAGE.load_reviews())
    for advisory, rule in (
        ("OSSA-2026-001", "keystonemiddleware-external-oauth2-token-in-paste"),
        ("OSSN-0095", "neutron-ovn-driver"),
        ("OSSA-2023-001", "swift-s3api-middleware"),
        ("OSSA-2026-041", "swift-tempurl-middleware"),
    ):
        row = next(line for line in table.splitlines() if f"[{advisory}]" in line)
        assert f"precondition `{rule}`" in row
