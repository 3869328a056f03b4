"""Advisory ranges checked against the released code: ``patchcheck index audit``.

An advisory's affected range is written by hand; a wrong upper bound turns into
a false PASS for every cloud running the release it wrongly calls fixed. This
audit decides from the released sdists (see ``sdists.py``) which releases carry
the fix, and compares that with what the advisory says, without the overlay.

The method, per advisory and product published on PyPI:

1. **Identifiers**: the advisory id, its CVE ids and its launchpad bug numbers.
2. **Per release line** (a series of openstack/releases), the newest release's
   sdist: its pbr ChangeLog lists every commit of the line under the first tag
   that contained it, its reno notes are the line's notes. A commit subject or a
   note (name or text) that names an identifier is a *fingerprint*.
3. **Fingerprints travel**: a backport keeps its subject and its note's file
   name, so a fingerprint found in one line is looked for, verbatim, in every
   other line too.
4. **Per release**: in a line whose ChangeLog holds fingerprint subjects, a
   release contains the fix from the newest tag among those subjects' tags on
   (every part of a multi-commit fix). A line whose newest release has a
   fingerprint note but no subject is searched release by release for the note
   (bisection). A line whose newest release has neither *lacks* the fix, but only
   where some fingerprint exists at all: with none anywhere, every release is
   *unknown*, never fixed.
5. **Compare** with the advisory's own range: a release the range calls not
   affected that lacks the fix (at or above the range's lowest bound: below it
   the flaw may simply be younger) or one it calls affected that has it is a
   disagreement; so is each "<X" bound whose X lacks the fix, or whose
   predecessor in its line already has it (the claimed first-fixed releases).

The result is evidence for review, not a verdict: disagreements become overlay
repairs only when a person accepts them (``--proposed-overlay`` writes them with
their evidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from packaging.version import Version

from patchcheck.knowledge.build import suspicious
from patchcheck.knowledge.ranges import RangeSyntaxError, VersionRange, era_key, parse_range
from patchcheck.knowledge.sdists import (
    DownloadBudgetSpent,
    ReleaseContents,
    SdistError,
    SdistFile,
    SdistSource,
)
from patchcheck.knowledge.sources import pypi_name
from patchcheck.knowledge.versions import Match, match_upstream


class State(StrEnum):
    CONTAINS = "contains the fix"
    LACKS = "lacks the fix"
    UNKNOWN = "cannot tell"


@dataclass(frozen=True)
class Identifiers:
    advisory: str
    cves: tuple[str, ...]
    bugs: tuple[str, ...]

    def pattern(self) -> re.Pattern[str]:
        number = self.advisory.split("-", 1)[1].replace("-", "[-_ ]?")
        parts = [rf"ossa[-_ ]?{number}(?!\d)"]
        parts += [rf"(?<![\d-]){re.escape(cve)}(?!\d)" for cve in self.cves]
        parts += [rf"(?<!\d){bug}(?!\d)" for bug in self.bugs]
        return re.compile("|".join(parts), re.IGNORECASE)


@dataclass
class ReleaseState:
    version: Version
    series: str
    state: State
    evidence: str
    range_says: str = ""
    disagreement: str | None = None


@dataclass
class LineReading:
    """What the newest release of one line says."""

    series: str
    newest: SdistFile | None
    contents: ReleaseContents | None
    problem: str | None = None


@dataclass
class ProductAudit:
    advisory: str
    product: str
    range_text: str
    identifiers: Identifiers
    fingerprints: list[str] = field(default_factory=list)
    releases: list[ReleaseState] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    """One line per "<X" bound: checked, with its outcome."""
    claim_disagreements: list[str] = field(default_factory=list)
    sdists: list[str] = field(default_factory=list)
    """``filename sha256`` of every sdist read for this product."""
    problems: list[str] = field(default_factory=list)
    proposed_range: str | None = None

    @property
    def disagreements(self) -> list[str]:
        per_release = [f"{r.version} ({r.series}): {r.disagreement}" for r in self.releases if r.disagreement]
        return self.claim_disagreements + per_release

    def count(self, state: State) -> int:
        return sum(1 for release in self.releases if release.state is state)


def audit_product(
    advisory: str,
    product: str,
    range_text: str,
    identifiers: Identifiers,
    released: Iterable[tuple[Version, str]],
    source: SdistSource,
) -> ProductAudit:
    """Audit one (advisory, product) against every released line with sdists."""
    result = ProductAudit(advisory, product, range_text, identifiers)
    try:
        files = source.files(pypi_name(product))
    except SdistError as exc:
        result.problems.append(f"no sdist index: {exc}")
        return result
    lines: dict[str, list[Version]] = {}
    released = list(released)
    known = [version for version, _series in released if not version.is_prerelease]
    for version, series in released:
        if version in files and not version.is_prerelease:
            lines.setdefault(series, []).append(version)
    if not lines:
        result.problems.append(
            f"none of the {len(known)} releases openstack/releases lists has an sdist on PyPI "
            f"(as {pypi_name(product)})"
            if known
            else "openstack/releases lists no release of this product"
        )
        return result
    lines = relevant_lines(lines, range_text, result)
    if not lines:  # relevant_lines said which lines it left and why
        return result
    readings = {
        series: read_line(series, sorted(versions), files, source) for series, versions in lines.items()
    }
    for reading in readings.values():
        if reading.problem:
            result.problems.append(f"{reading.series}: {reading.problem}")
        if reading.newest is not None and reading.contents is not None:
            result.sdists.append(f"{reading.newest.filename} sha256:{reading.newest.sha256}")
    pattern = identifiers.pattern()
    subjects, notes = fingerprints(readings.values(), pattern)
    result.fingerprints = [f"ChangeLog: {subject}" for subject in sorted(subjects)]
    result.fingerprints += [f"note: {note}" for note in sorted(notes)]
    ordered = sorted(lines.items(), key=lambda item: era_key(min(item[1])))
    for series, versions in ordered:
        result.releases += judge_line(
            readings[series], sorted(versions), files, source, subjects, notes, pattern
        )
    inherited_unknown(result, [series for series, _versions in ordered])
    compare(result)
    return result


def inherited_unknown(result: ProductAudit, order: list[str]) -> None:
    """A line newer than every line found with the fix inherits master's code: not "lacks" on no evidence.

    A fix merges to master and is backported; later release lines branch from a master that
    has it, often without the backports' note or the advisory id in any subject. Without a
    fingerprint such a line is "cannot tell", never "lacks" (and never "contains").
    """
    with_fix = [order.index(r.series) for r in result.releases if r.state is State.CONTAINS]
    if not with_fix:
        return
    newest = max(with_fix)
    for release in result.releases:
        if release.state is State.LACKS and order.index(release.series) > newest:
            release.state = State.UNKNOWN
            release.evidence = (
                "newer than every line with a fingerprint of the fix (it may have come from master "
                f"without one); {release.evidence}"
            )


def relevant_lines(
    lines: dict[str, list[Version]], range_text: str, result: ProductAudit
) -> dict[str, list[Version]]:
    """The lines where the range could be wrong in the dangerous direction, and the claimed lines.

    A line whose every release the range calls affected can only be wrong towards a false
    FAIL (old lines get no fix); a line with a release it calls not affected, or holding a
    claimed first-fixed release, is where a wrong bound hides a vulnerable release. With a
    range that does not parse, every line is read.
    """
    try:
        parsed = parse_range(range_text)
    except RangeSyntaxError:
        return lines
    claimed = {Version(text) for text in UPPER.findall(range_text)}
    chosen = {
        series: versions
        for series, versions in lines.items()
        if claimed & set(versions)
        or any(match_upstream(str(v), parsed).match is Match.NOT_AFFECTED for v in versions)
    }
    skipped = sorted(set(lines) - set(chosen))
    if skipped:
        result.problems.append(f"not read (the range calls every release affected): {', '.join(skipped)}")
    return chosen


def read_line(
    series: str, versions: list[Version], files: dict[Version, SdistFile], source: SdistSource
) -> LineReading:
    newest = files[versions[-1]]
    try:
        return LineReading(series, newest, source.contents(newest))
    except SdistError as exc:
        return LineReading(series, newest, None, str(exc))


def fingerprints(readings: Iterable[LineReading], pattern: re.Pattern[str]) -> tuple[set[str], set[str]]:
    """Commit subjects and note file names that name the advisory, over every line."""
    subjects: set[str] = set()
    notes: set[str] = set()
    for reading in readings:
        if reading.contents is None:
            continue
        for section in reading.contents.changelog.values():
            subjects.update(subject for subject in section if pattern.search(subject))
        notes.update(
            name
            for name, text in reading.contents.notes.items()
            if pattern.search(name) or pattern.search(text)
        )
    return subjects, notes


def judge_line(
    reading: LineReading,
    versions: list[Version],
    files: dict[Version, SdistFile],
    source: SdistSource,
    subjects: set[str],
    notes: set[str],
    pattern: re.Pattern[str],
) -> list[ReleaseState]:
    def every(state: State, evidence: str) -> list[ReleaseState]:
        return [ReleaseState(version, reading.series, state, evidence) for version in versions]

    if reading.contents is None:
        return every(State.UNKNOWN, f"newest release not read: {reading.problem}")
    if not subjects and not notes:
        return every(State.UNKNOWN, "no fingerprint: no ChangeLog subject or reno note names the advisory")
    contents = reading.contents
    name = reading.newest.filename if reading.newest else "?"
    found = {
        tag: [subject for subject in section if subject in subjects or pattern.search(subject)]
        for tag, section in contents.changelog.items()
    }
    primary = {
        tag: [subject for subject in hits if names_first(subject, pattern)] for tag, hits in found.items()
    }
    if any(primary.values()):  # "OSSA-2025-001: ..." is the fix; "CI: fix job post OSSA-2025-001" is not
        found = primary
    tags = [tag for tag in contents.tag_order if found.get(tag)]
    released = {str(version): version for version in versions}
    fix_tags = [released[tag] for tag in tags if tag in released]
    if fix_tags:
        first = max(fix_tags)  # every part of the fix is in from the newest tag that brought one
        lines = "; ".join(f"{tag}: * {found[tag][0]}" for tag in tags if tag in released)
        return [
            ReleaseState(
                version,
                reading.series,
                State.CONTAINS if version >= first else State.LACKS,
                f"{name} ChangeLog: {lines}",
            )
            for version in versions
        ]
    if tags:  # fingerprint subjects only under tags that are not releases of this line (master tags)
        return every(State.UNKNOWN, f"{name} ChangeLog names the fix only under {', '.join(tags)}")
    present = sorted(
        (note for note in notes if note in contents.notes), key=lambda n: (not pattern.search(n), n)
    )
    if present:  # a note whose very name names the advisory first
        return bisect_by_note(reading.series, versions, files, source, present[0])
    if not subjects:  # a backport may leave the note out: only a commit subject travels for sure
        return every(
            State.UNKNOWN,
            f"{name} (newest of the line) has no note of the fix, and no commit subject names it",
        )
    what = "fingerprint subject" + (" or note" if notes else "")
    return every(State.LACKS, f"{name} (newest of the line) has no {what} of the fix")


def bisect_by_note(
    series: str, versions: list[Version], files: dict[Version, SdistFile], source: SdistSource, note: str
) -> list[ReleaseState]:
    """The first release of the line whose sdist holds the note; the newest is known to hold it."""
    low, high = 0, len(versions) - 1  # versions[high] holds the note
    problem = None
    while low < high and problem is None:
        middle = (low + high) // 2
        try:
            holds = note in source.contents(files[versions[middle]]).notes
        except (SdistError, DownloadBudgetSpent) as exc:
            problem = str(exc)
            break
        if holds:
            high = middle
        else:
            low = middle + 1
    states = []
    for index, version in enumerate(versions):
        if index >= high:
            states.append(
                ReleaseState(
                    version, series, State.CONTAINS, f"reno note {note} in {files[version].filename}"
                )
            )
        elif problem is None or index < low:
            states.append(
                ReleaseState(version, series, State.LACKS, f"no reno note {note} before {versions[high]}")
            )
        else:
            states.append(ReleaseState(version, series, State.UNKNOWN, f"bisection stopped: {problem}"))
    return states


def names_first(subject: str, pattern: re.Pattern[str]) -> bool:
    """The subject starts with an identifier, after tags such as ``[stable-only]``."""
    return pattern.match(re.sub(r"^(\[[^\]]*\]\s*)+", "", subject)) is not None


UPPER = re.compile(r"<\s*(?P<version>[0-9][0-9A-Za-z.]*)")


def compare(result: ProductAudit) -> None:
    """Disagreements between the released code and the advisory's range and its "<X" bounds."""
    try:
        parsed: VersionRange | None = parse_range(result.range_text)
    except RangeSyntaxError as exc:
        parsed = None
        result.problems.append(f"range {result.range_text!r} does not parse: {exc}")
    if parsed is not None and (doubt := suspicious(parsed)):
        result.problems.append(f"the range parses but cannot mean what it says: {doubt}")
    lowest = lowest_bound(parsed)
    for release in result.releases:
        if parsed is None:
            continue
        match = match_upstream(str(release.version), parsed).match
        release.range_says = "affected" if match is Match.AFFECTED else "not affected"
        at_or_above = lowest is None or era_key(release.version) >= era_key(lowest)
        if release.state is State.LACKS and match is Match.NOT_AFFECTED and at_or_above:
            release.disagreement = "the range calls it not affected, but it lacks the fix"
        elif release.state is State.CONTAINS and match is Match.AFFECTED:
            release.disagreement = "the range calls it affected, but it has the fix"
    by_version = {release.version: release for release in result.releases}
    repaired = result.range_text
    for claimed_text in UPPER.findall(result.range_text):
        claimed = Version(claimed_text)
        release = by_version.get(claimed)
        if release is None:
            result.claims.append(f"<{claimed_text}: not a released version with an sdist; not checked")
            continue
        line = sorted(r.version for r in result.releases if r.series == release.series)
        before = [by_version[v] for v in line if v < claimed]
        first_with_fix = next((v for v in line if by_version[v].state is State.CONTAINS), None)
        if release.state is State.LACKS:
            truth = (
                f"first release with it: {first_with_fix}"
                if first_with_fix
                else "no release of the line has it"
            )
            result.claim_disagreements.append(
                f"<{claimed_text}: claimed first fixed release of {release.series} lacks the fix ({truth}); "
                f"{release.evidence}"
            )
            if first_with_fix and first_with_fix > claimed:
                repaired = re.sub(
                    rf"<\s*{re.escape(claimed_text)}(?![0-9A-Za-z.])", f"<{first_with_fix}", repaired
                )
        elif release.state is State.CONTAINS and before and before[-1].state is State.CONTAINS:
            result.claim_disagreements.append(
                f"<{claimed_text}: {before[-1].version} before it already has the fix; {before[-1].evidence}"
            )
        else:
            result.claims.append(f"<{claimed_text}: {release.state} ({release.series}), as claimed")
    if repaired != result.range_text:
        result.proposed_range = repaired


def lowest_bound(parsed: VersionRange | None) -> Version | None:
    """The range's lowest lower bound; None when the lowest alternative is open below."""
    if parsed is None or not parsed.alternatives:
        return None
    lows: list[Version] = []
    for alternative in parsed.alternatives:
        if alternative.exact is not None:  # "==16.0.3": the flaw exists in that release only
            lows.append(alternative.exact)
        elif alternative.lower_bound is not None:
            lows.append(alternative.lower_bound.version)
        else:
            return None
    return min(lows, key=era_key)
