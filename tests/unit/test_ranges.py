"""The OSSA range grammar: "," is OR, spaces are AND; never PEP 440's reading."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from patchcheck.knowledge.ranges import (
    Alternative,
    Comparator,
    RangeSyntaxError,
    VersionRange,
    parse_range,
)


def matches(text: str, version: str) -> bool:
    return parse_range(text).matches(Version(version))


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        (
            "<27.4.1, >=28.0.0 <28.2.1, >=29.0.0 <29.1.1",
            ["27.4.0", "28.2.0", "29.1.0", "1.0"],
            ["27.4.1", "28.2.1", "29.1.1", "28.0.0.dev0", "30.0.0"],
        ),
        # free spacing, as in OSSA-2019-003
        ("<17.0.12,>=18.0.0<18.2.2,>=19.0.0<19.0.2", ["17.0.11", "18.2.1", "19.0.1"], ["17.0.12", "18.2.2"]),
        # a lone "=" means "==", as in OSSA-2021-001
        ("<16.3.3, >=17.0.0 <17.1.3, =18.0.0", ["18.0.0"], ["18.0.1", "17.1.3"]),
        # leading space, as in OSSA-2020-008
        (" <15.3.2, >=16.0.0 <16.2.1", ["15.3.1"], ["15.3.2"]),
        ("<=22.0.0", ["22.0.0"], ["22.0.1"]),
        (">=6.2.0", ["6.2.0", "99.0.0"], ["6.1.9"]),
        (">1.0 <=2.0", ["1.0.1", "2.0"], ["1.0", "2.0.1"]),
    ],
)
def test_alternatives_are_or_comparators_are_and(text: str, inside: list[str], outside: list[str]) -> None:
    for version in inside:
        assert matches(text, version), f"{version} should be in {text}"
    for version in outside:
        assert not matches(text, version), f"{version} should not be in {text}"


def test_date_based_versions_are_older_than_semantic_ones() -> None:
    # Kilo was 2015.1.x; Liberty's nova was 12.0.0. "<=2015.1.2" must not match nova 29.
    assert not matches("<=2015.1.2, ==12.0.0", "29.0.1")
    assert matches("<=2015.1.2, ==12.0.0", "2014.2.3")
    assert matches(">=2014.2 <=2015.1.2", "2015.1.1")
    assert matches("<12.0.1", "2015.1.4")


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        (">=1.15.0<1.15.2, 1.16.0", 17, "version '1.16.0' has no operator"),
        ("<1.0,", 5, "empty alternative (a stray comma?)"),
        ("<1.0, <", 7, "operator '<' has no version"),
        ("<=abc", 2, "'abc' is not a version"),
        ("", 0, "empty range"),
        ("   ", 0, "empty range"),
        ("Essex, Folsom", 0, "version 'Essex' has no operator"),
    ],
)
def test_syntax_errors_name_the_position(text: str, position: int, problem: str) -> None:
    with pytest.raises(RangeSyntaxError) as caught:
        parse_range(text)
    assert caught.value.problem == problem
    assert caught.value.position == position


def test_fixed_versions_are_the_strict_upper_bounds() -> None:
    assert parse_range("<24.1.4, >=25.0.0 <26.1.2, ==27.0.0, >=28.0.0 <=28.1.0").fixed_versions == (
        Version("24.1.4"),
        Version("26.1.2"),
    )


@given(st.text(max_size=60))
@settings(max_examples=1500, deadline=None)
def test_arbitrary_text_parses_or_raises_the_grammar_error(text: str) -> None:
    try:
        parsed = parse_range(text)
    except RangeSyntaxError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert parse_range(str(parsed)) == parsed


versions = st.builds(
    lambda parts, dev: ".".join(map(str, parts)) + (f".dev{dev}" if dev is not None else ""),
    st.lists(st.integers(0, 3000), min_size=1, max_size=4),
    st.none() | st.integers(0, 9),
)
comparators = st.builds(
    lambda op, v: Comparator(op, Version(v)), st.sampled_from(["<", "<=", ">", ">=", "=="]), versions
)
ranges = st.builds(
    lambda alts: VersionRange(tuple(Alternative(tuple(a)) for a in alts)),
    st.lists(st.lists(comparators, min_size=1, max_size=3), min_size=1, max_size=4),
)


@given(ranges, st.sampled_from([", ", ",", " , "]), st.sampled_from([" ", "  ", "\t"]))
@settings(max_examples=1500, deadline=None)
def test_print_then_parse_round_trips_with_any_spacing(value: VersionRange, comma: str, space: str) -> None:
    text = comma.join(
        space.join(str(c) for c in alternative.comparators) for alternative in value.alternatives
    )
    assert parse_range(text) == value
    assert parse_range(str(value)) == value


@given(ranges, versions)
@settings(max_examples=1500, deadline=None)
def test_or_of_ands(value: VersionRange, version: str) -> None:
    candidate = Version(version)
    expected = any(all(c.matches(candidate) for c in alt.comparators) for alt in value.alternatives)
    assert value.matches(candidate) is expected
