"""What to do about an open advisory names a version to install, or says the installed line has none.

Ranges come from the shipped index, read in the test (never copied): ceph's OSSN-0108 (no series
knowledge: the range alone tells), nova's OSSN-0101 (series entries that name no fix, a range that
does) and a series fix. The installed versions are the ones Debian ships.
"""

from __future__ import annotations

import datetime as dt

from packaging.version import Version

from patchcheck.facts import HostFacts
from patchcheck.judge.ossa_patched import judge_host_advisories
from patchcheck.knowledge.advisories import AffectedProduct, shipped_index
from patchcheck.knowledge.ranges import era_key, line_of
from tests.helpers import host_facts_document

INDEX = shipped_index()
# the remedy's wordings that name a version to install, or say that none is named
NAMES_A_VERSION = (" or later", "(fixed in ", "names no later one")


def remedies(product: str, version: str, manager: str = "dpkg") -> dict[str, str]:
    """The remedy the judge writes per open advisory of one installed package."""
    package = {
        "manager": manager,
        "name": f"python3-{product}",
        "source": product,
        "product": product,
        "version": version,
        "changelog_cves": [],
        "changelog_refs": {},
    }
    facts = HostFacts.from_document("h.json", host_facts_document("h1", packages=[package]))
    return {
        finding.evidence["advisory"]: finding.evidence["remedy"]
        for finding in judge_host_advisories(facts, INDEX, dt.datetime.now(dt.UTC))
        if "remedy" in finding.evidence
    }


def affected(advisory: str, product: str) -> AffectedProduct:
    (found,) = [p for p in INDEX.by_id[advisory].products if p.key == product]
    return found


def test_ceph_of_an_unfixed_line_is_told_which_lines_have_the_fix() -> None:
    ceph = affected("OSSN-0108", "ceph")
    installed = "16.2.15+ds-0+deb12u2"  # Debian 12's ceph
    assert ceph.range.matches(Version("16.2.15")), "the shipped range no longer holds Debian 12's ceph"
    remedy = remedies("ceph", installed)["OSSN-0108"]
    moves = ", ".join(f"{fixed} or later" for fixed in sorted(ceph.range.fixed_versions, key=era_key))
    assert remedy.startswith(
        f"the 16.x line has no release with the fix (the advisory's ceph range is {ceph.range})"
    )
    assert f"move to a line that has one ({moves})" in remedy
    assert remedy.endswith(", or install a dpkg package whose changelog names OSSN-0108")
    assert "release outside" not in remedy


def test_ceph_inside_a_fixed_line_is_told_the_first_fixed_release_of_that_line() -> None:
    ceph = affected("OSSN-0108", "ceph")
    (line,) = [a for a in ceph.range.alternatives if a.lower_bound is not None and a.upper_bound is not None]
    installed = line.lower_bound.version  # the first release of a line the range says is affected
    remedy = remedies("ceph", f"{installed}-1")["OSSN-0108"]
    fixed = line.upper_bound.version
    assert remedy.startswith(
        f"update to ceph {fixed} or later (the first fixed release of the {line_of(fixed)}.x line)"
    ), remedy


def test_series_entries_without_a_fix_fall_back_to_the_range() -> None:
    """OSSN-0101: every series entry of nova is null, the range names fixed releases."""
    nova = affected("OSSN-0101", "nova")
    assert not any(fix.fixed_in for fix in nova.series)
    first = min(nova.range.fixed_versions, key=era_key)
    below = f"{line_of(first) - 5}.0.0"  # an older series, inside the range's first alternative
    assert nova.range.matches(Version(below))
    remedy = remedies("nova", f"2:{below}-1")["OSSN-0101"]
    series = INDEX.series_of("nova", below)
    assert remedy.startswith(f"{series} has no release with the fix"), remedy
    assert f"({first} or later," in remedy
    in_line = remedies("nova", f"2:{first.major}.0.0-1")["OSSN-0101"]
    assert in_line.startswith(
        f"update to nova {first} or later (the first fixed release of the {first.major}.x line)"
    )


def test_a_series_with_a_fix_names_it_and_one_without_names_the_series_that_have_one() -> None:
    remedy = remedies("nova", "2:26.2.2-1~deb12u5")  # Debian 12's nova, zed
    product = affected("OSSA-2026-002", "nova")
    fixed = [
        fix
        for fix in product.series
        if fix.fixed_in and era_key(Version(fix.fixed_in)) > era_key(Version("26.2.2"))
    ]
    assert fixed
    named = ", ".join(
        f"{fix.series} {fix.fixed_in}" for fix in sorted(fixed, key=lambda f: era_key(Version(f.fixed_in)))
    )
    assert f"upgrade to a maintained series that has one (fixed in {named})" in remedy["OSSA-2026-002"]
    fix = fixed[0]
    first = remedies("nova", f"2:{Version(fix.fixed_in).major}.0.0-1")["OSSA-2026-002"]
    assert first.startswith(
        f"update to nova {fix.fixed_in} or later (the first fixed release of {fix.series})"
    )


def test_no_remedy_of_the_shipped_index_asks_for_a_release_outside_a_range() -> None:
    """The first release of every affected line of every advisory, judged: each remedy names a
    version or says the line has none; a line's fix is of that line and outside the range."""
    judged = 0
    for advisory in INDEX.by_id.values():
        for product in advisory.products:
            for alternative in product.range.alternatives:
                bound = alternative.lower_bound
                if bound is None or bound.operator != ">=":
                    continue
                line = product.range.line_fix(bound.version)
                if line.fixed_in is not None:
                    assert not product.range.matches(line.fixed_in), (advisory.id, product.key)
                    assert line_of(line.fixed_in) == line_of(bound.version), (advisory.id, product.key)
                text = remedies(product.key, f"{bound.version}-1").get(advisory.id)
                if text is not None:  # the product maps to a package the judge knows
                    judged += 1
                    assert "release outside" not in text, (advisory.id, text)
                    assert any(words in text for words in NAMES_A_VERSION), (advisory.id, text)
    assert judged > 100, judged  # the sweep reached the index, not a handful of entries
