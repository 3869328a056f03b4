"""Which releases contain an advisory's fix, decided from the product's git history.

An advisory's range is written by hand and can be wrong in both directions: a
release tagged from master before the fix merged is missing from it (a false
PASS for every cloud running it), or a release that already carries the fix is
called affected. The released code decides, and git says what a release tag
contains without reading a single source file:

1. **Candidates**: the commits whose trailers name one of the advisory's
   Launchpad bugs (``Closes-Bug:``, ``Partial-Bug:`` or ``Related-Bug:``:
   embargoed security fixes are often merged with ``Related-Bug:``, so the
   trailer's kind says little). Only when there are none, the commits whose
   whole message names the advisory otherwise (its OSSA or CVE id, a bug
   link): such mentions are mostly follow-ups ("CI: fix job post
   OSSA-2025-001", "Calculate missing checksum ..." linking the bug). A
   ``Revert "..."`` is never a fix.
2. **Changes, not commits**: a fix travels to the stable branches as
   cherry-picks that keep the Gerrit ``Change-Id``; every commit carrying a
   candidate's Change-Id is the same change.
3. **A follow-up is not the fix**: a commit that names the advisory's bug
   only as ``Related-Bug:`` while it closes another bug (a regression fixed
   later, work nearby) is left out, unless it names the OSSA or CVE id.
4. **The fix is what was backported**: the Vulnerability Management Team
   backports the fix, not the clean-ups that follow it (a follow-up that names
   the same bug, e.g. removing the deprecated feature on master only). When
   some candidate change reached more than one branch, the fix is every such
   change (a fix split over several changes needs all of them); when none did,
   every candidate is (a fix that exists on one branch only).
5. **Reverts**: a commit that says ``This reverts commit <sha>`` undoes that
   commit in every release that contains both. A change whose every commit was
   reverted and that was landed again under a new Change-Id (a "reland") is
   withdrawn: only the reland is required.
6. **Per release tag**: a release contains the fix when every required change
   has a commit that is an ancestor of the tag and not undone there; it lacks
   it otherwise. With no fix commit found at all, every release is
   "cannot tell" — never "contains".

Ancestry is read with ``git tag --contains`` once per fix or revert commit,
not once per (commit, tag) pair. Repositories are cached as bare partial
clones (``--filter=blob:none``: commits and trees, no file contents) and
fetched incrementally; every git call has a time limit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from packaging.version import InvalidVersion, Version

from patchcheck.knowledge.ranges import Alternative, Comparator, VersionRange, era_key

#: How long one git call may take (a first partial clone of nova is the slowest).
GIT_TIMEOUT_S = 600

#: Record and field separators of the commit log read below: bytes no commit message holds.
RECORD, FIELD = "\x1e", "\x1f"

CHANGE_ID = re.compile(r"^Change-Id:\s*(I[0-9a-f]{40})\s*$", re.MULTILINE)
REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
BUG_TRAILER = re.compile(r"^(Closes|Partial|Related)-Bug:[ \t]*([^\n]*)$", re.MULTILINE | re.IGNORECASE)
BUG_LINK = re.compile(r"launchpad\.net/(?:[\w.-]+/\+)?bugs?/(\d+)|\bbug #?(\d{5,})", re.IGNORECASE)
NUMBER = re.compile(r"\d+")


class GitError(RuntimeError):
    """A git call failed or took too long; the message is one line, without credentials."""


class State(StrEnum):
    CONTAINS = "contains the fix"
    LACKS = "lacks the fix"
    UNKNOWN = "cannot tell"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    change_id: str | None
    reverts: tuple[str, ...]
    bugs: frozenset[str]
    """Launchpad bug numbers the message names (trailers of any kind, bug links)."""
    trailer_bugs: frozenset[str]
    """Bug numbers in ``*-Bug:`` trailers of any kind."""
    closes: frozenset[str]
    """Bug numbers in ``Closes-Bug:``/``Partial-Bug:`` trailers: what the commit says it fixes."""
    message: str = field(repr=False, compare=False)

    @property
    def change(self) -> str:
        """The change this commit belongs to: its Change-Id, or itself when it has none."""
        return self.change_id or self.sha

    @property
    def is_revert(self) -> bool:
        return bool(self.reverts) or self.subject.startswith('Revert "')


@dataclass(frozen=True)
class Wanted:
    """What names the fix of one advisory in a commit message."""

    advisory: str
    cves: tuple[str, ...]
    bugs: tuple[str, ...]

    def strength(self, commit: Commit) -> int:
        """How a commit names the advisory: 2 in a bug trailer of its own (the fix, or part of it),
        1 only in the text (a bug link, the OSSA or CVE id: often a follow-up or a CI repair),
        0 not at all. A revert, and a commit that closes another bug while it names ours only as
        related (a regression fixed later), are 0 unless they name the OSSA or CVE id."""
        if commit.is_revert:
            return 0
        text = commit.message.lower()
        named = any(identifier.lower() in text for identifier in (self.advisory, *self.cves))
        if commit.trailer_bugs & set(self.bugs):
            if not commit.closes or commit.closes & set(self.bugs):
                return 2
            return 1 if named else 0
        return 1 if named or commit.bugs & set(self.bugs) else 0


@dataclass(frozen=True)
class Decision:
    state: State
    proof: tuple[str, ...]
    """Commit ids that prove CONTAINS, or the missing changes (Change-Id and subject) for LACKS."""


@dataclass(frozen=True)
class AncestryAudit:
    """Every release tag of one product decided for one advisory."""

    advisory: str
    fix_commits: tuple[Commit, ...]
    required_changes: tuple[str, ...]
    decisions: dict[Version, Decision]
    tags: dict[Version, str]

    def decided(self) -> bool:
        return bool(self.required_changes)


def git(repository: Path | None, *args: str, timeout: float = GIT_TIMEOUT_S) -> str:
    """Run git; a failure or timeout is a :class:`GitError` with git's last line."""
    command = ["git", *(["--git-dir", str(repository)] if repository else []), *args]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]}: no result within {timeout:.0f} s") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"git {args[0]}: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout


def mirror(url: str, cache: Path, name: str) -> Path:
    """A bare partial clone of ``url`` in ``cache/name.git``, brought up to date (branches and tags).

    Blobless: the audit reads commits and their ancestry, never file contents, so nova's history
    costs tens of megabytes instead of hundreds. A clone interrupted half-way is started again.
    """
    target = cache / f"{name}.git"
    if not (target / "HEAD").is_file():
        shutil.rmtree(target, ignore_errors=True)
        cache.mkdir(parents=True, exist_ok=True)
        git(None, "clone", "--quiet", "--bare", "--filter=blob:none", url, str(target))
        return target
    git(target, "remote", "set-url", "origin", url)
    git(
        target,
        "fetch",
        "--quiet",
        "--prune",
        "--tags",
        "origin",
        "+refs/heads/*:refs/heads/*",
    )
    return target


def parse_log(text: str) -> dict[str, Commit]:
    """Commits of ``git log --all --format=%H<FIELD>%B<RECORD>`` by sha."""
    commits: dict[str, Commit] = {}
    for record in text.split(RECORD):
        sha, _, message = record.strip("\n").partition(FIELD)
        if not sha:
            continue
        trailers = BUG_TRAILER.findall(message)
        trailer_bugs = {number for _, numbers in trailers for number in NUMBER.findall(numbers)}
        bugs = set(trailer_bugs)
        closes = {
            number
            for kind, numbers in trailers
            if kind.lower() != "related"
            for number in NUMBER.findall(numbers)
        }
        bugs |= {link or number for link, number in BUG_LINK.findall(message)}
        change = CHANGE_ID.findall(message)
        commits[sha] = Commit(
            sha=sha,
            subject=message.split("\n", 1)[0].strip(),
            change_id=change[-1] if change else None,
            reverts=tuple(REVERTS.findall(message)),
            bugs=frozenset(bugs),
            trailer_bugs=frozenset(trailer_bugs),
            closes=frozenset(closes),
            message=message,
        )
    return commits


def history(repository: Path) -> dict[str, Commit]:
    """Every commit reachable from a branch or tag, with its whole message."""
    return parse_log(git(repository, "log", "--all", f"--format=%H{FIELD}%B{RECORD}"))


def release_tags(repository: Path) -> dict[Version, str]:
    """Release tags as versions; tags that are no version (``xena-eol``) and pre-releases are left out."""
    tags: dict[Version, str] = {}
    for tag in git(repository, "tag", "--list").split():
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            tags[version] = tag
    return tags


def containing_tags(repository: Path, sha: str) -> set[str]:
    return set(git(repository, "tag", "--contains", sha).split())


def audit(repository: Path, wanted: Wanted, commits: dict[str, Commit] | None = None) -> AncestryAudit:
    """Decide every release tag of ``repository`` for the advisory ``wanted`` names."""
    commits = commits if commits is not None else history(repository)
    tags = release_tags(repository)
    strength = {commit.sha: wanted.strength(commit) for commit in commits.values()}
    strongest = max(strength.values(), default=0)
    candidates = {c.change for c in commits.values() if strongest and strength[c.sha] == strongest}
    by_change: dict[str, list[Commit]] = {}
    for commit in commits.values():
        if commit.change in candidates:
            by_change.setdefault(commit.change, []).append(commit)
    backported = {change: members for change, members in by_change.items() if len(members) > 1}
    by_change = backported or by_change
    members = [commit for group in by_change.values() for commit in group]
    fixes = members
    reverts = revert_map(commits.values(), {commit.sha for commit in members})
    required = withdrawn_removed(by_change, reverts)
    if not required:
        return AncestryAudit(
            wanted.advisory, tuple(fixes), (), {v: Decision(State.UNKNOWN, ()) for v in tags}, tags
        )
    reach = {
        sha: containing_tags(repository, sha)
        for sha in {c.sha for c in members} | set().union(*reverts.values())
    }
    decisions = {
        version: decide(tag, {change: by_change[change] for change in required}, reverts, reach)
        for version, tag in tags.items()
    }
    return AncestryAudit(wanted.advisory, tuple(fixes), tuple(sorted(required)), decisions, tags)


def revert_map(commits: Iterable[Commit], targets: set[str]) -> dict[str, set[str]]:
    """For each commit in ``targets``: the commits that revert it (abbreviated ids resolved by prefix)."""
    found: dict[str, set[str]] = {}
    for commit in commits:
        for reverted in commit.reverts:
            for target in targets:
                if target.startswith(reverted):
                    found.setdefault(target, set()).add(commit.sha)
    return found


def withdrawn_removed(by_change: dict[str, list[Commit]], reverts: dict[str, set[str]]) -> list[str]:
    """The changes a release needs: a change whose every commit was reverted is withdrawn, when
    another change remains (a reland); if every change was withdrawn, all stay required."""
    standing = [change for change, members in by_change.items() if not all(c.sha in reverts for c in members)]
    return standing or list(by_change)


def decide(
    tag: str, required: dict[str, list[Commit]], reverts: dict[str, set[str]], reach: dict[str, set[str]]
) -> Decision:
    proof: list[str] = []
    missing: list[str] = []
    for change, members in sorted(required.items()):
        present = [
            c.sha
            for c in members
            if tag in reach[c.sha] and not any(tag in reach[r] for r in reverts.get(c.sha, ()))
        ]
        if present:
            proof.append(min(present))
        else:
            missing.append(f"{change} ({members[0].subject})")
    if missing:
        return Decision(State.LACKS, tuple(missing))
    return Decision(State.CONTAINS, tuple(proof))


@dataclass(frozen=True)
class Correction:
    """One release whose status git decides differently from the range, with the proof."""

    version: Version
    affected: bool
    reason: str


def floor_of(parsed: VersionRange) -> Version | None:
    """The range's lowest bound; None when an alternative is open below (every older release)."""
    lows = [alternative.lower_bound or alternative.exact for alternative in parsed.alternatives]
    lowest = [low.version if isinstance(low, Comparator) else low for low in lows]
    if any(low is None for low in lowest):
        return None
    return min((low for low in lowest if low is not None), key=era_key)


def corrections(parsed: VersionRange, ancestry: AncestryAudit) -> list[Correction]:
    """Where ancestry overrules the range, never towards a false PASS.

    A release the range calls fixed but whose tag lacks the fix is affected, at or above the
    range's lowest bound (below it the flaw may be younger than the release). A release the range
    calls affected is fixed only when every required change is an ancestor of its tag.
    Undecided releases keep the range's word.
    """
    floor = floor_of(parsed)
    found = []
    for version, decision in sorted(ancestry.decisions.items(), key=lambda item: era_key(item[0])):
        claimed = parsed.matches(version)
        tag = ancestry.tags[version]
        if (
            not claimed
            and decision.state is State.LACKS
            and (floor is None or era_key(version) >= era_key(floor))
        ):
            found.append(Correction(version, True, f"tag {tag} lacks {'; '.join(decision.proof)}"))
        elif claimed and decision.state is State.CONTAINS:
            found.append(
                Correction(version, False, f"tag {tag} contains the fix: commit {', '.join(decision.proof)}")
            )
    return found


def corrected(parsed: VersionRange, found: list[Correction]) -> VersionRange:
    """The range with each correction applied: ``==v`` added for a release proven affected,
    ``!=v`` added to the alternative that matched a release proven fixed."""
    alternatives = list(parsed.alternatives)
    for correction in found:
        if correction.affected:
            alternatives.append(Alternative((Comparator("==", correction.version),)))
            continue
        alternatives = [
            Alternative((*alternative.comparators, Comparator("!=", correction.version)))
            if alternative.matches(correction.version)
            else alternative
            for alternative in alternatives
        ]
    return VersionRange(tuple(alternatives))
