"""Advisory ranges decided from git ancestry (knowledge/git_history.py).

Two kinds of history: small repositories made here for each corner case (a
cherry-pick keeping its Change-Id, a release tagged from master before the fix,
a follow-up naming the same bug, a revert, a fix split over two changes), and
openstack/ironic's real history (``../shared/data/git/ironic.bundle``, up to
2026-08-20) for every advisory that names ironic, with the commit ids that
prove each decision (found by hand with ``git log --grep`` and ``git tag
--contains``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from patchcheck.knowledge.git_history import (
    State,
    Wanted,
    audit,
    corrected,
    corrections,
    history,
    mirror,
)
from patchcheck.knowledge.ranges import parse_range
from patchcheck.knowledge.sources import product_key, read_ossa

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
BUG = "1000001"


class Repo:
    """A throwaway git repository with commits made by message, tags and branches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=master")
        self.counter = 0

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        }
        return subprocess.run(
            ["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True, env=env
        ).stdout.strip()

    def commit(self, message: str) -> str:
        self.counter += 1
        (self.path / f"file{self.counter}").write_text(message)  # one file each: picks never conflict
        self.git("add", f"file{self.counter}")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")

    def change(self, subject: str, number: int, trailers: str = f"Closes-Bug: #{BUG}") -> str:
        return self.commit(f"{subject}\n\nWhy it matters.\n\n{trailers}\nChange-Id: I{number:040x}\n")

    def tag(self, name: str) -> None:
        self.git("tag", name)

    def branch(self, name: str, start: str) -> None:
        self.git("checkout", "--quiet", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "--quiet", name)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "project")


def decisions(repository: Path, wanted: Wanted) -> dict[str, State]:
    return {str(v): d.state for v, d in audit(repository / ".git", wanted).decisions.items()}


WANTED = Wanted("OSSA-2099-001", ("CVE-2099-0001",), (BUG,))


def test_a_cherry_pick_with_the_same_change_id_is_the_fix_on_its_line(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    repo.commit("a feature")
    repo.tag("2.0.0")  # tagged from master before the fix merged
    fix = repo.change("Fix the flaw", 1)
    repo.tag("3.0.0")
    repo.branch("stable/1", "1.0.0")
    repo.git("cherry-pick", "-x", fix)
    backport = repo.git("rev-parse", "HEAD")
    repo.tag("1.0.1")

    found = audit(repo.path / ".git", WANTED)

    states = {str(v): d.state for v, d in found.decisions.items()}
    assert states == {
        "1.0.0": State.LACKS,
        "1.0.1": State.CONTAINS,
        "2.0.0": State.LACKS,
        "3.0.0": State.CONTAINS,
    }
    assert found.decisions[Version("1.0.1")].proof == (backport,)
    assert found.decisions[Version("3.0.0")].proof == (fix,)
    # upstream's range forgot the release tagged from master before the fix
    upstream = parse_range("<1.0.1")
    fixes = corrections(upstream, found)
    assert [(str(c.version), c.affected) for c in fixes] == [("2.0.0", True)]
    assert "I" + f"{1:040x}" in fixes[0].reason
    assert corrected(upstream, fixes).matches(Version("2.0.0"))
    assert not corrected(upstream, fixes).matches(Version("3.0.0"))


def test_a_follow_up_naming_the_same_bug_is_not_the_fix(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    repo.change("Fix the flaw", 1)
    repo.tag("2.0.0")
    # a regression of the fix, closing its own bug, relating to ours; and a clean-up linking it
    repo.change("Fix the fix", 2, f"Closes-Bug: #2000002\nRelated-Bug: #{BUG}")
    repo.commit(f"Tidy up\n\nSee https://bugs.launchpad.net/project/+bug/{BUG}\n")
    repo.tag("2.0.1")

    assert decisions(repo.path, WANTED) == {
        "1.0.0": State.LACKS,
        "2.0.0": State.CONTAINS,
        "2.0.1": State.CONTAINS,
    }


def test_an_embargoed_fix_merged_as_related_bug_is_found(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    repo.change("security: block the thing (CVE-2099-0001)", 1, f"Related-Bug: #{BUG}")
    repo.tag("1.1.0")
    assert decisions(repo.path, WANTED) == {"1.0.0": State.LACKS, "1.1.0": State.CONTAINS}


def test_a_revert_undoes_the_fix_in_the_releases_that_carry_it(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    fix = repo.change("Fix the flaw", 1)
    repo.tag("1.0.1")
    repo.commit(f'Revert "Fix the flaw"\n\nThis reverts commit {fix}.\n\nChange-Id: I{9:040x}\n')
    repo.tag("1.0.2")

    assert decisions(repo.path, WANTED) == {
        "1.0.0": State.LACKS,
        "1.0.1": State.CONTAINS,
        "1.0.2": State.LACKS,
    }


def test_a_reland_after_a_revert_is_what_counts(repo: Repo) -> None:
    repo.commit("initial")
    first = repo.change("Fix the flaw", 1)
    repo.tag("1.0.0")
    repo.commit(f'Revert "Fix the flaw"\n\nThis reverts commit {first}.\n')
    repo.tag("1.0.1")
    repo.change("Reland: fix the flaw", 2)
    repo.tag("1.0.2")

    found = audit(repo.path / ".git", WANTED)
    assert {str(v): d.state for v, d in found.decisions.items()} == {
        "1.0.0": State.LACKS,  # the first landing counts no more: it was withdrawn
        "1.0.1": State.LACKS,
        "1.0.2": State.CONTAINS,
    }
    assert found.required_changes == (f"I{2:040x}",)


def test_a_fix_split_over_two_backported_changes_needs_both(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    one = repo.change("Fix the flaw, part 1", 1, f"Partial-Bug: #{BUG}")
    two = repo.change("Fix the flaw, part 2", 2, f"Closes-Bug: #{BUG}")
    repo.tag("2.0.0")
    repo.branch("stable/1", "1.0.0")
    repo.git("cherry-pick", "-x", one)
    repo.tag("1.0.1")  # only half of the fix
    repo.git("cherry-pick", "-x", two)
    repo.tag("1.0.2")

    found = audit(repo.path / ".git", WANTED)
    states = {str(v): d.state for v, d in found.decisions.items()}
    assert states == {
        "1.0.0": State.LACKS,
        "1.0.1": State.LACKS,
        "1.0.2": State.CONTAINS,
        "2.0.0": State.CONTAINS,
    }
    assert "part 2" in " ".join(found.decisions[Version("1.0.1")].proof)


def test_nothing_names_the_advisory_so_nothing_is_decided(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    repo.change("Unrelated", 1, "Closes-Bug: #3000003")
    repo.tag("1.0.1")

    found = audit(repo.path / ".git", WANTED)
    assert not found.decided()
    assert {d.state for d in found.decisions.values()} == {State.UNKNOWN}
    assert corrections(parse_range("<1.0.1"), found) == []


def test_the_range_is_never_corrected_towards_a_pass_below_its_floor(repo: Repo) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")  # older than the flaw (the range starts at 2.0.0): lacking the fix says nothing
    repo.commit("the flaw arrives")
    repo.tag("2.0.0")
    repo.change("Fix the flaw", 1)
    repo.tag("2.0.1")
    found = audit(repo.path / ".git", WANTED)
    assert corrections(parse_range(">=2.0.0 <2.0.1"), found) == []
    # an upstream "affected" is overruled only by proof
    fixes = corrections(parse_range(">=2.0.0 <2.0.2"), found)
    assert [(str(c.version), c.affected) for c in fixes] == [("2.0.1", False)]
    assert not corrected(parse_range(">=2.0.0 <2.0.2"), fixes).matches(Version("2.0.1"))


def test_a_mirror_is_cloned_once_and_then_fetched(repo: Repo, tmp_path: Path) -> None:
    repo.commit("initial")
    repo.tag("1.0.0")
    cache = tmp_path / "cache"
    mirrored = mirror(f"file://{repo.path}", cache, "project")
    assert set(history(mirrored)) == {repo.git("rev-parse", "HEAD")}
    repo.change("Fix the flaw", 1)
    repo.tag("1.0.1")
    assert mirror(f"file://{repo.path}", cache, "project") == mirrored
    assert {str(v): d.state for v, d in audit(mirrored, WANTED).decisions.items()} == {
        "1.0.0": State.LACKS,
        "1.0.1": State.CONTAINS,
    }


# -- openstack/ironic's real history ---------------------------------------------------------

#: For each advisory naming ironic: the fix's Change-Id, and every release where ancestry
#: overrules the range the index uses (upstream's, or the overlay's repair) — True: affected
#: although the range says fixed; False: fixed although the range says affected.
IRONIC = {
    "OSSA-2024-003": ("I7fac5c64f", {}),
    # the overlay's repair ends at <26.1.0, but 26.1.0 lacks the fix (first in 26.1.1)
    "OSSA-2024-004": ("Id6185b317", {"26.1.0": True}),
    "OSSA-2025-001": ("I2fa995439", {}),
    "OSSA-2026-008": ("Ib27f8ee08", {}),
    "OSSA-2026-010": ("I22a476dd3", {}),
    "OSSA-2026-012": ("Ie85357166", {}),  # 36.0.0 repaired by the overlay already
    # four ranges miss 36.0.0, tagged from master before the fixes merged
    "OSSA-2026-013": ("I09fa51801", {"36.0.0": True}),
    "OSSA-2026-017": ("I31ee960f6", {"36.0.0": True}),
    "OSSA-2026-018": ("I09ba308dc", {"36.0.0": True}),
    "OSSA-2026-019": ("I52daa344b", {"36.0.0": True}),
    # 37.0.0 already contains the fix the range dates to 37.0.1
    "OSSA-2026-023": ("I836608873", {"37.0.0": False}),
    "OSSA-2026-025": ("I1f8831534", {}),
    "OSSA-2026-026": ("Iaa512f380", {}),
    "OSSA-2026-033": ("Ie446481a9", {}),
}


@pytest.fixture(scope="module")
def ironic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = SHARED / "git" / "ironic.bundle"
    if not bundle.is_file():
        pytest.fail(f"{bundle} is missing: the reference data of ../shared/data is needed")
    target = tmp_path_factory.mktemp("git") / "ironic.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(target)], check=True)
    return target


def index_range(advisory: str) -> str:
    """The range the index judges with: the overlay's repair where there is one."""
    import yaml

    overlay = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "src/patchcheck/knowledge/overlay.yaml").read_text()
    )
    for product in overlay["fixes"].get(advisory, {}).get("products", []):
        if product_key(product["product"]) == "ironic":
            return product["version"]
    raw = read_ossa(SHARED / "ossa" / "ossa" / f"{advisory}.yaml")
    return next(p.version for p in raw.products if product_key(p.name) == "ironic")


def test_every_ironic_advisory_decided_from_ironic_history(ironic: Path) -> None:
    commits = history(ironic)
    named = sorted(
        raw.id
        for raw in map(read_ossa, sorted((SHARED / "ossa" / "ossa").glob("OSSA-*.yaml")))
        if any(product_key(p.name) == "ironic" for p in raw.products)
    )
    assert named == sorted(IRONIC)
    for advisory, (change, expected) in IRONIC.items():
        raw = read_ossa(SHARED / "ossa" / "ossa" / f"{advisory}.yaml")
        found = audit(ironic, Wanted(raw.id, tuple(raw.cves), tuple(raw.bugs)), commits)
        assert [c[:10] for c in found.required_changes] == [change], advisory
        fixes = corrections(parse_range(index_range(advisory)), found)
        assert {str(c.version): c.affected for c in fixes} == expected, advisory


def test_ossa_2026_012_release_tagged_from_master_before_the_fix(ironic: Path) -> None:
    raw = read_ossa(SHARED / "ossa" / "ossa" / "OSSA-2026-012.yaml")
    found = audit(ironic, Wanted(raw.id, tuple(raw.cves), tuple(raw.bugs)))
    decided = found.decisions
    assert decided[Version("36.0.0")].state is State.LACKS
    # the master commit of the fix, and the cherry-picks on the stable branches (same Change-Id)
    assert decided[Version("37.0.0")].proof == ("a1f9a1e83a3f27d9cb5c796764ddb07ad8cb2616",)
    # 26.1.7, 32.0.2, 35.0.2 were never tagged (unmaintained and bugfix lines: the fix is in git only)
    assert not {"26.1.7", "32.0.2", "35.0.2"} & {str(v) for v in decided}
    for release in ("29.0.6", "37.0.0", "38.0.0"):
        assert decided[Version(release)].state is State.CONTAINS, release
    for release in ("26.1.6", "29.0.5", "32.0.1", "35.0.1"):
        assert decided[Version(release)].state is State.LACKS, release
    # upstream's own range, without the overlay: 36.0.0 is the correction git proves
    fixes = corrections(parse_range(raw.products[0].version), found)
    assert [(str(c.version), c.affected) for c in fixes] == [("36.0.0", True)]
