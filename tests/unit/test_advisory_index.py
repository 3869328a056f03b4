"""The shipped advisory index, tested on the real data it was built from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.ancestry import load as load_ancestry
from patchcheck.knowledge.build import OVERLAY, Sources, build_index
from patchcheck.knowledge.git_history import corrected
from patchcheck.knowledge.ranges import parse_range
from patchcheck.knowledge.versions import Match
from tests.helpers import shared_data

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "src" / "patchcheck" / "data"
INDEX = shipped_index()
ANCESTRY = load_ancestry()
OVERLAY_DATA = yaml.safe_load(OVERLAY.read_text())
CHECKABLE = [a for a in INDEX.advisories if a.checkable]
#: The day the notes snapshot was taken (../shared/data/README.md), passed to the build as --notes-as-of.
INDEX_NOTES_AS_OF = dt.date(2026, 8, 20)


def test_every_advisory_and_note_is_in_the_index() -> None:
    ossa = [a for a in INDEX.advisories if a.kind == "ossa"]
    notes = [a for a in INDEX.advisories if a.kind == "ossn"]
    assert len(ossa) == 215  # OSSA-2011-001 … OSSA-2026-044
    assert len(notes) == 96
    structured = {a.id for a in notes if a.machine_readable}
    assert structured == {"OSSN-0092", *(f"OSSN-{n:04d}" for n in range(95, 109))}
    assert all(a.products for a in INDEX.advisories if a.machine_readable)


def test_the_committed_index_is_what_the_build_makes(tmp_path: Path) -> None:
    """The index is current and the build deterministic: rebuilding gives the same bytes."""
    built_at = json.loads((DATA / "advisories.json").read_text())["built_at"]  # the build's own time
    sources = dataclasses.replace(
        Sources.from_shared(shared_data(), notes_as_of=INDEX_NOTES_AS_OF), built_at=built_at
    )
    report = build_index(sources, tmp_path)
    assert report.problems == []
    for name in ("advisories.json", "releases.json", "series.json"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"{name} is stale: run index build"
        )


def test_historic_entries_never_match() -> None:
    historic = [a for a in INDEX.advisories if a.historic]
    assert len(historic) == 115
    assert all(a.disclosed < dt.date(2015, 9, 1) for a in historic)
    assert not any(f.advisory.historic for f in INDEX.affecting("nova", "2012.1"))


def bounds() -> list[tuple[str, str, str, str | None]]:
    """(advisory, product, first fixed version, lower bound) of every bounded alternative."""
    cases = []
    for advisory in CHECKABLE:
        for product in advisory.products:
            for alternative in product.range.alternatives:
                upper = alternative.upper_bound
                if upper is not None and upper.operator == "<":
                    lower = alternative.lower_bound
                    cases.append(
                        (advisory.id, product.key, str(upper.version), str(lower.version) if lower else None)
                    )
    return cases


def just_below(fixed: str, lower: str | None) -> str:
    """The last release before ``fixed`` within the alternative (X.Y.Z-1, or X.Y-1.99, or the lower bound)."""
    release = list(Version(fixed).release)
    while release and release[-1] == 0:
        release.pop()
    if not release:
        raise AssertionError(f"no version below {fixed}")
    release[-1] -= 1
    candidate = ".".join(map(str, release + ([99] if len(release) < len(Version(fixed).release) else [])))
    if lower is not None and Version(candidate) < Version(lower):
        return lower
    return candidate


@pytest.mark.parametrize(
    ("advisory_id", "product", "fixed", "lower"), bounds(), ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in bounds()]
)
def test_just_below_each_fixed_bound_is_affected_and_the_fix_is_not(
    advisory_id: str, product: str, fixed: str, lower: str | None
) -> None:
    affected = INDEX.by_id[advisory_id].product(product)
    assert affected is not None
    below = just_below(fixed, lower)
    if affected.ancestry_proof(below):  # git proves it already fixed (ancestry.yaml)
        assert affected.match(below).match is Match.NOT_AFFECTED
    else:
        assert affected.match(below).match is Match.AFFECTED, f"{below} should be affected by {advisory_id}"
    if affected.ancestry_proof(fixed):  # git proves the bound wrong (ancestry.yaml): it lacks the fix
        assert affected.match(fixed).match is Match.AFFECTED
        assert "git ancestry: tag" in affected.match(fixed).reason
        return
    assert affected.match(fixed).match is Match.NOT_AFFECTED, f"{fixed} should be fixed for {advisory_id}"


def test_there_are_enough_bounds_to_mean_something() -> None:
    assert len(bounds()) > 150


def with_ancestry(text: str, advisory_id: str, product: str) -> object:
    """The range ``text`` with what ancestry.yaml proved for (advisory, product), if anything."""
    entry = ANCESTRY.get(advisory_id, product)
    return corrected(parse_range(text), list(entry.corrections)) if entry else parse_range(text)


@pytest.mark.parametrize("advisory_id", sorted(OVERLAY_DATA["fixes"]))
def test_each_overlay_fix_is_applied(advisory_id: str) -> None:
    advisory = INDEX.by_id[advisory_id]
    fix = OVERLAY_DATA["fixes"][advisory_id]
    assert advisory.overlay, f"{advisory_id}: overlay not recorded"
    if "products" in fix:
        # the overlay's range, with git ancestry's corrections on top (ancestry.yaml)
        assert [(p.key, str(p.range)) for p in advisory.products] == [
            (
                p["product"].lower(),
                str(with_ancestry(p["version"], advisory_id, p["product"].lower())),
            )
            for p in fix["products"]
        ]
    if "disclosed" in fix:
        assert advisory.disclosed == fix["disclosed"]


@pytest.mark.parametrize(
    ("advisory_id", "product", "affected", "not_affected"),
    [
        # the stray comma would have made every later glance/nova release affected
        ("OSSA-2015-019", "glance", ["2014.2.3", "2015.1.1"], ["2015.1.2", "11.0.0", "30.0.0"]),
        ("OSSA-2015-021", "nova", ["2015.1.0"], ["12.0.0", "34.0.0"]),
        ("OSSA-2016-013", "heat", ["5.0.3", "6.1.0", "7.0.0"], ["6.1.1", "7.0.1"]),
        ("OSSA-2019-004", "os-vif", ["1.15.1", "1.16.0"], ["1.15.2", "1.16.1"]),
        ("OSSA-2023-002", "glance", ["24.1.0", "25.0.0"], ["24.1.1", "25.0.1"]),
        ("OSSA-2023-002", "cinder", ["19.1.1"], ["19.1.2"]),
        ("OSSA-2023-002", "nova", ["26.0.0"], ["26.0.1"]),
        # the overlay's repair stops at 26.1.0, which git proves lacks the fix (ancestry.yaml)
        ("OSSA-2024-004", "ironic", ["25.0.0", "26.0.9", "26.1.0"], ["26.1.1", "30.0.0"]),
        # OSSA-2025-001's upstream fixed versions were one release too early
        ("OSSA-2025-001", "ironic", ["24.1.3", "26.1.1", "29.0.1"], ["24.1.4", "26.1.2", "29.0.2", "30.0.0"]),
        ("OSSN-0099", "ironic", ["32.0.0", "36.9.0"], ["37.0.0", "31.0.0"]),
        ("OSSN-0107", "ironic-python-agent", ["11.0.0", "12.0.0"], ["12.0.1", "10.9.0"]),
        ("OSSN-0108", "ceph", ["19.2.5", "20.2.3"], ["19.2.6", "20.2.4"]),
    ],
)
def test_overlay_repairs_mean_what_they_say(
    advisory_id: str, product: str, affected: list[str], not_affected: list[str]
) -> None:
    entry = INDEX.by_id[advisory_id].product(product)
    assert entry is not None
    assert [v for v in affected if entry.match(v).match is not Match.AFFECTED] == []
    assert [v for v in not_affected if entry.match(v).match is not Match.NOT_AFFECTED] == []


def test_ossa_2025_001_is_dated_by_its_evidence() -> None:
    advisory = INDEX.by_id["OSSA-2025-001"]
    assert str(advisory.disclosed) == "2025-05-08"
    assert any(line.startswith("disclosed 2025-05-08:") and "2024-05-08" in line for line in advisory.overlay)


def test_a_repaired_range_shows_the_upstream_range_and_the_audit_evidence() -> None:
    overlay = INDEX.by_id["OSSA-2025-001"].overlay
    assert "upstream range: Ironic '<24.1.3, >=25.0.0 <26.1.1, >=27.0.0, <29.0.1'" in overlay
    evidence = [line for line in overlay if line.startswith("evidence: ")]
    assert len(evidence) == 3 and all("sha256" in line for line in evidence)


def test_series_without_a_fixed_release_are_stated() -> None:
    nova = INDEX.by_id["OSSA-2024-002"].product("nova")
    assert nova is not None
    assert nova.series_fix("caracal").fixed_in == "29.2.0"
    assert nova.series_fix("zed").fixed_in is None  # the open "<27.4.1" covers Zed, which got no release
    assert nova.series_fix("dalmatian") is None  # not affected at all


def test_every_stated_fix_is_a_release_of_its_series_outside_the_range() -> None:
    for advisory in CHECKABLE:
        for product in advisory.products:
            released = dict(INDEX.releases.get(product.key, []))
            for fix in product.series:
                if fix.fixed_in is not None:
                    assert released.get(fix.fixed_in) == fix.series, (advisory.id, fix)
                    assert product.match(fix.fixed_in).match is Match.NOT_AFFECTED, (advisory.id, fix)


def test_severity_is_the_highest_cvss_and_unscored_gets_the_default() -> None:
    assert INDEX.by_id["OSSA-2024-002"].severity.score == 6.5
    unscored = [a for a in CHECKABLE if a.severity is None]
    for advisory in unscored:
        assert advisory.band() == "high"
        assert advisory.band("low") == "low"


def test_notes_without_a_date_are_bounded_by_the_snapshot() -> None:
    note = INDEX.by_id["OSSN-0096"]
    assert note.disclosed is None
    assert str(note.disclosed_by) == "2026-08-20"
    assert note.deadline().isoformat() == "2026-08-23T00:00:00+00:00"  # high: 3 days


def test_what_affects_a_nova_release() -> None:
    ids = {f.advisory.id for f in INDEX.affecting("nova", "29.0.1")}
    # OSSA-2026-022: >=18.0.0 <31.3.1 holds every Caracal release (29.x; no fixed Caracal release exists)
    assert ids == {"OSSA-2024-001", "OSSA-2024-002", "OSSA-2026-002", "OSSA-2026-022", "OSSN-0101"}
    assert INDEX.affecting("nova", "34.0.0") == []


@pytest.mark.parametrize(
    ("product", "version", "series"),
    [
        ("nova", "29.0.1", "caracal"),
        ("nova", "34.0.0", "hibiscus"),
        ("openstack-placement", "16.0.0", "hibiscus"),
        ("keystone", "26.0.0", "dalmatian"),
        ("ironic", "29.0.5", "epoxy"),
        ("nova", "27.4.0.dev12", "antelope"),
        ("nova", "2014.2.3", "juno"),
        ("nova", "99.0.0", None),
    ],
)
def test_series_of_a_version(product: str, version: str, series: str | None) -> None:
    assert INDEX.series_of(product, version) == series
