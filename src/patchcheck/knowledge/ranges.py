"""The OSSA version-range grammar, which is not PEP 440's.

In an OSSA ``affected-products[].version``, ``,`` separates *alternatives*
(OR) and space-separated comparators inside one alternative are AND:
``<27.4.1, >=28.0.0 <28.2.1`` means "below 27.4.1, or from 28.0.0 up to
28.2.1". PEP 440's ``SpecifierSet`` reads the same comma as AND, which would
turn every such range into nonsense, so the grammar is implemented here.

Grammar (free spacing everywhere)::

    range       := alternative ("," alternative)*
    alternative := comparator+
    comparator  := ("<" | "<=" | ">" | ">=" | "==" | "=") version

A lone ``=`` means ``==``. A bare version without operator, an empty
alternative (a stray comma) or an invalid version is a syntax error: such
upstream entries are repaired in the reviewed overlay, never guessed.

Versions compare in two eras: until Kilo (2015) services used date-based
versions (``2014.2.3``, ``2015.1.1``); from Liberty on, semantic versions
(nova 12.0.0). Numerically 2015.1.1 > 29.0.1, but it is eleven years older, so
every comparison orders a date-based version (first component >= 2000) before
any semantic one. Without this, ``<=2015.1.2`` would match every modern release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from packaging.version import InvalidVersion, Version

OPERATORS = ("<=", ">=", "==", "<", ">", "=")
TOKEN = re.compile(r"\s*(<=|>=|==|!=|<|>|=)?\s*([^\s<>=,]+)?")


class RangeSyntaxError(ValueError):
    """The text is not an OSSA range; ``position`` is the 0-based character offset."""

    def __init__(self, text: str, position: int, problem: str) -> None:
        self.text = text
        self.position = position
        self.problem = problem
        super().__init__(f"{problem} at character {position + 1} of {text!r}")


DATE_BASED_FROM = 2000


def era_key(version: Version) -> tuple[int, Version]:
    """Sort key: date-based versions (2014.2.3) before semantic ones (12.0.0)."""
    return (0 if version.release[0] >= DATE_BASED_FROM else 1, version)


@dataclass(frozen=True)
class Comparator:
    operator: str
    version: Version

    def matches(self, version: Version) -> bool:
        left, right = era_key(version), era_key(self.version)
        if self.operator == "<":
            return left < right
        if self.operator == "<=":
            return left <= right
        if self.operator == ">":
            return left > right
        if self.operator == ">=":
            return left >= right
        if self.operator == "!=":  # never upstream's: how a release proven fixed by git is taken out
            return left != right
        return left == right

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"


@dataclass(frozen=True)
class Alternative:
    """Comparators that must all hold (AND)."""

    comparators: tuple[Comparator, ...]

    def matches(self, version: Version) -> bool:
        return all(comparator.matches(version) for comparator in self.comparators)

    @property
    def upper_bound(self) -> Comparator | None:
        """The ``<`` or ``<=`` comparator: where the fix is (``<X`` means X is fixed)."""
        bounds = [c for c in self.comparators if c.operator in ("<", "<=")]
        return min(bounds, key=lambda c: era_key(c.version)) if bounds else None

    @property
    def lower_bound(self) -> Comparator | None:
        bounds = [c for c in self.comparators if c.operator in (">", ">=")]
        return max(bounds, key=lambda c: era_key(c.version)) if bounds else None

    @property
    def exact(self) -> Version | None:
        equal = [c.version for c in self.comparators if c.operator == "=="]
        return equal[0] if equal else None

    def __str__(self) -> str:
        return " ".join(str(comparator) for comparator in self.comparators)


def line_of(version: Version) -> int:
    """The release line of a version: its first component (ceph 19.2.x, nova 29.x, 2015.1.x)."""
    return version.release[0]


@dataclass(frozen=True)
class LineFix:
    """Where the fix is for one installed version, as a range tells it."""

    fixed_in: Version | None
    """The first fixed release of the installed line; None: the range names none for that line."""
    later_lines: tuple[Version, ...]
    """Without one: the first fixed release of each later line the range names (oldest first)."""


@dataclass(frozen=True)
class VersionRange:
    """Alternatives of which any may hold (OR)."""

    alternatives: tuple[Alternative, ...]

    def matches(self, version: Version) -> bool:
        return any(alternative.matches(version) for alternative in self.alternatives)

    def matching_alternative(self, version: Version) -> Alternative | None:
        return next((a for a in self.alternatives if a.matches(version)), None)

    @property
    def fixed_versions(self) -> tuple[Version, ...]:
        """Versions named as the first fixed release of a line (the ``<X`` bounds)."""
        return tuple(
            a.upper_bound.version
            for a in self.alternatives
            if a.upper_bound and a.upper_bound.operator == "<"
        )

    def line_fix(self, version: Version) -> LineFix:
        """The first fixed release of ``version``'s line, or the lines that have one, from the range alone.

        For products without release-series knowledge (ceph, libvirt, a library): an operator needs
        a version to install, not "a release outside <19.2.6, >=20.0.0 <20.2.4". A line is the
        major version (ceph 19 is squid; a service's major is its series). The ``<X`` bound of the
        alternative holding ``version`` is the fix of its line only when X is of the same major:
        ``<19.2.6`` says nothing fixed 16.2.15, whose line the advisory leaves without a fix.
        """
        alternative = self.matching_alternative(version)
        bound = alternative.upper_bound if alternative else None
        if (
            bound is not None
            and bound.operator == "<"
            and line_of(bound.version) == line_of(version)
            and not self.matches(bound.version)
        ):
            return LineFix(bound.version, ())
        later = sorted(
            {
                fixed
                for fixed in self.fixed_versions
                if era_key(fixed) > era_key(version) and not self.matches(fixed)
            },
            key=era_key,
        )
        return LineFix(None, tuple(later))

    @cached_property
    def text(self) -> str:
        """The canonical text, computed once (reasons quote it for every matching host)."""
        return ", ".join(str(alternative) for alternative in self.alternatives)

    def __str__(self) -> str:
        return self.text


def parse_range(text: str) -> VersionRange:
    """Parse an OSSA range; raises ``RangeSyntaxError`` naming the position."""
    if not isinstance(text, str) or not text.strip():
        raise RangeSyntaxError(str(text), 0, "empty range")
    alternatives = []
    offset = 0
    for part in text.split(","):
        alternatives.append(parse_alternative(text, part, offset))
        offset += len(part) + 1
    return VersionRange(tuple(alternatives))


def parse_alternative(text: str, part: str, offset: int) -> Alternative:
    comparators = []
    position = 0
    while position < len(part):
        if part[position:].strip() == "":
            break
        match = TOKEN.match(part, position)
        assert match is not None  # every component of TOKEN is optional
        operator, version_text = match.group(1), match.group(2)
        if operator is None:
            raise RangeSyntaxError(text, offset + match.start(2), f"version {version_text!r} has no operator")
        where = offset + (match.start(2) if version_text else match.end(1))
        if not version_text:
            raise RangeSyntaxError(text, where, f"operator {operator!r} has no version")
        try:
            version = Version(version_text)
        except InvalidVersion:
            raise RangeSyntaxError(text, where, f"{version_text!r} is not a version") from None
        comparators.append(Comparator("==" if operator == "=" else operator, version))
        position = match.end()
    if not comparators:
        raise RangeSyntaxError(text, offset, "empty alternative (a stray comma?)")
    return Alternative(tuple(comparators))
