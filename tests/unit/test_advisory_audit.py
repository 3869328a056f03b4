"""The advisory audit's method on small sdists made here, served by a local PEP 691 index.

Each case is a product with two release lines whose sdists carry a pbr-style ChangeLog
and reno notes; the audit reads them through the same client it uses against PyPI.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from patchcheck.knowledge.ancestry import Ancestry, ProductAncestry
from patchcheck.knowledge.audit import Identifiers, ProductAudit, ReleaseState, State, audit_product
from patchcheck.knowledge.audit_report import AuditRun
from patchcheck.knowledge.git_history import Correction
from patchcheck.knowledge.sdists import DownloadBudgetSpent, SdistSource, parse_changelog

IDS = Identifiers("OSSA-2099-001", ("CVE-2099-1234",), ("2100001",))
NOTE = "ossa-2099-001-fix-image-paths-0123456789abcdef.yaml"
FIX = "OSSA-2099-001: Refuse unsafe image paths"


def sdist(name: str, version: str, tags: dict[str, list[str]], notes: dict[str, str]) -> bytes:
    """A pbr-style sdist: ChangeLog sections newest first, and reno notes."""
    changelog = "CHANGES\n=======\n\n" + "".join(
        f"{tag}\n{'-' * len(tag)}\n\n" + "".join(f"* {subject}\n" for subject in subjects) + "\n"
        for tag, subjects in tags.items()
    )
    members = {f"{name}-{version}/ChangeLog": changelog}
    members.update({f"{name}-{version}/releasenotes/notes/{note}": text for note, text in notes.items()})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"{name}-{version}/releasenotes/notes/evil.yaml")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)  # hostile twin: a link is never followed
    return buffer.getvalue()


class Index:
    """PEP 691 JSON and the files, on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, list[dict[str, object]]] = {}
        self.hits: list[str] = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index.hits.append(self.path)
                parts = self.path.strip("/").split("/")
                if parts[0] == "simple" and len(parts) == 2 and parts[1] in index.files:
                    body = json.dumps(
                        {"meta": {"api-version": "1.0"}, "files": index.files[parts[1]]}
                    ).encode()
                elif parts[0] == "files" and (index.root / parts[1]).is_file():
                    body = (index.root / parts[1]).read_bytes()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish(self, name: str, version: str, data: bytes) -> None:
        filename = f"{name}-{version}.tar.gz"
        (self.root / filename).write_bytes(data)
        self.files.setdefault(name, []).append(
            {
                "filename": filename,
                "url": f"{self.url}/files/{filename}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                "size": len(data),
            }
        )


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    root = tmp_path / "served"
    root.mkdir()
    served = Index(root)
    yield served
    served.server.shutdown()
    served.server.server_close()


RELEASED = [
    (Version(v), s)
    for v, s in [("1.0.0", "a"), ("1.0.1", "a"), ("1.0.2", "a"), ("2.0.0", "b"), ("2.0.1", "b")]
]


def publish_line_a(index: Index, fixed_in: str | None, subject: str = FIX, note: str | None = NOTE) -> None:
    tags = {"1.0.2": ["Unrelated"], "1.0.1": ["Other fix"], "1.0.0": ["Start"]}
    if fixed_in:
        tags[fixed_in] = [subject, *tags[fixed_in]]
    for version in ("1.0.0", "1.0.1", "1.0.2"):
        has_note = fixed_in is not None and Version(version) >= Version(fixed_in) and note is not None
        notes = {note: "security:\n  - Fixes CVE-2099-1234.\n"} if has_note and note else {}
        shown = {tag: subjects for tag, subjects in tags.items() if Version(tag) <= Version(version)}
        index.publish(
            "demo", version, sdist("demo", version, shown, {"other-aaaa.yaml": "fixes: [x]\n", **notes})
        )


def publish_line_b(index: Index, note: str | None = NOTE, subject: str | None = FIX) -> None:
    tags = {"2.0.1": [subject] if subject else ["Unrelated"], "2.0.0": ["Start"]}
    notes = {note: "security:\n  - Fixes a path problem.\n"} if note else {}
    index.publish("demo", "2.0.0", sdist("demo", "2.0.0", {"2.0.0": ["Start"]}, {}))
    index.publish("demo", "2.0.1", sdist("demo", "2.0.1", tags, notes))


def audit(index: Index, tmp_path: Path, range_text: str, budget: int = 10):
    source = SdistSource(tmp_path / "cache", budget, index=f"{index.url}/simple")
    return audit_product("OSSA-2099-001", "demo", range_text, IDS, RELEASED, source), source


def states(result) -> dict[str, State]:
    return {str(release.version): release.state for release in result.releases}


def test_fix_present_and_claimed_right(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1")
    publish_line_b(index)
    result, source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert states(result) == {
        "1.0.0": State.LACKS,
        "1.0.1": State.CONTAINS,
        "1.0.2": State.CONTAINS,
        "2.0.0": State.LACKS,
        "2.0.1": State.CONTAINS,
    }
    assert result.disagreements == []
    assert f"ChangeLog: {FIX}" in result.fingerprints and f"note: {NOTE}" in result.fingerprints
    assert source.downloads == 2  # the newest release of each line tells about the whole line


def test_a_wrong_first_fixed_release_is_a_disagreement_with_the_true_one(
    index: Index, tmp_path: Path
) -> None:
    publish_line_a(index, "1.0.2")
    publish_line_b(index)
    result, _source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert states(result)["1.0.1"] is State.LACKS
    (claim,) = result.claim_disagreements
    assert claim.startswith(
        "<1.0.1: claimed first fixed release of a lacks the fix (first release with it: 1.0.2)"
    )
    assert "demo-1.0.2.tar.gz ChangeLog: 1.0.2: * OSSA-2099-001" in claim
    assert "1.0.1 (a): the range calls it not affected, but it lacks the fix" in result.disagreements
    assert result.proposed_range == "<1.0.2, >=2.0.0 <2.0.1"


def test_fix_absent_from_a_line(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, None)
    publish_line_b(index)
    result, _source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert {v: s for v, s in states(result).items() if v.startswith("1.")} == dict.fromkeys(
        ("1.0.0", "1.0.1", "1.0.2"), State.LACKS
    )
    assert any(
        text.startswith("<1.0.1: claimed first fixed release of a lacks the fix (no release")
        for text in result.claim_disagreements
    )


def test_a_renamed_note_still_finds_the_fix_through_the_changelog(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1", note="renamed-in-backport-fedcba9876543210.yaml")
    publish_line_b(index)
    result, _source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert states(result)["1.0.1"] is State.CONTAINS and states(result)["1.0.0"] is State.LACKS
    assert result.disagreements == []


def test_fix_only_in_a_note_is_found_by_bisection(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1", subject="Refuse unsafe image paths")  # subject names nothing
    publish_line_b(index)
    result, source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert states(result)["1.0.0"] is State.LACKS and states(result)["1.0.1"] is State.CONTAINS
    assert any(
        "reno note" in release.evidence for release in result.releases if str(release.version) == "1.0.1"
    )
    assert source.downloads > 2  # the line's older releases were read


def test_fix_only_in_the_changelog(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1", note=None)
    publish_line_b(index, note=None)
    result, _source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert states(result)["1.0.1"] is State.CONTAINS and states(result)["2.0.1"] is State.CONTAINS
    assert result.fingerprints == [f"ChangeLog: {FIX}"]


def test_no_fingerprint_at_all_is_unknown_never_fixed(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1", subject="Refuse unsafe image paths", note=None)
    publish_line_b(index, note=None, subject=None)
    result, _source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert set(states(result).values()) == {State.UNKNOWN}
    assert result.disagreements == []
    assert result.fingerprints == []


def test_downloads_are_cached_by_hash_and_bounded(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1")
    publish_line_b(index)
    _first, source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert source.downloads == 2
    again, cached = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert (cached.downloads, cached.cache_hits) == (0, 2)
    assert states(again)["1.0.1"] is State.CONTAINS
    bounded = SdistSource(tmp_path / "empty-cache", 1, index=f"{index.url}/simple")
    files = bounded.files("demo")
    bounded.contents(files[Version("1.0.0")])
    with pytest.raises(DownloadBudgetSpent):
        bounded.contents(files[Version("1.0.1")])


def test_a_file_whose_hash_differs_from_the_index_is_refused(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1")
    (index.root / "demo-1.0.0.tar.gz").write_bytes(b"not what the index promised")
    source = SdistSource(tmp_path / "cache", 5, index=f"{index.url}/simple")
    with pytest.raises(Exception, match="sha256"):
        source.contents(source.files("demo")[Version("1.0.0")])
    assert not list((tmp_path / "cache" / "sdists").rglob("*.tar.gz"))  # nothing unverified is cached


def test_pbr_changelog_parsing_unescapes_and_keeps_tag_order() -> None:
    order, sections = parse_changelog(
        "CHANGES\n=======\n\n1.1.0\n-----\n\n* Set TARGET\\_BRANCH\n\n1.0.0\n-----\n\n* Start\n"
    )
    assert order == ["1.1.0", "1.0.0"]
    assert sections["1.1.0"] == ["Set TARGET_BRANCH"]


def test_a_missing_note_alone_does_not_prove_a_line_lacks_the_fix(index: Index, tmp_path: Path) -> None:
    """Backports may leave the note out: without a commit subject naming the fix, "cannot tell"."""
    publish_line_a(index, "1.0.1", subject="Refuse unsafe image paths")  # the note names it, no subject does
    publish_line_b(index, note=None, subject="Refuse unsafe image paths")
    result, _source = audit(index, tmp_path, "<1.0.1, >=2.0.0 <2.0.1")
    assert states(result)["1.0.1"] is State.CONTAINS
    assert {states(result)["2.0.0"], states(result)["2.0.1"]} == {State.UNKNOWN}
    assert not [text for text in result.disagreements if text.startswith("2.0")]


def test_a_line_newer_than_the_fix_is_not_called_lacking_on_no_evidence(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, "1.0.1")
    publish_line_b(index, note=None, subject=None)  # a newer line that inherited the code silently
    result, _source = audit(index, tmp_path, "<1.0.1")
    assert states(result)["2.0.1"] is State.UNKNOWN
    assert "newer than every line with a fingerprint" in next(
        r.evidence for r in result.releases if str(r.version) == "2.0.1"
    )


def test_an_exact_range_is_not_contradicted_by_older_lines(index: Index, tmp_path: Path) -> None:
    publish_line_a(index, None)
    publish_line_b(index)
    result, _source = audit(index, tmp_path, "==2.0.0")  # a regression in 2.0.0 only
    assert states(result)["1.0.2"] is State.LACKS
    assert result.disagreements == []


def test_a_range_calling_every_release_affected_is_not_called_missing_from_pypi(
    index: Index, tmp_path: Path
) -> None:
    """Issue 28 point 5: the sdists exist; the lines were left because every release is affected."""
    publish_line_a(index, None)
    publish_line_b(index)
    result, source = audit(index, tmp_path, "<3.0.0")
    assert result.problems == ["not read (the range calls every release affected): a, b"]
    assert source.downloads == 0


def test_a_product_without_sdists_is_named_with_its_pypi_name(index: Index, tmp_path: Path) -> None:
    index.publish("demo", "0.1.0", sdist("demo", "0.1.0", {"0.1.0": ["Start"]}, {}))  # not a release
    result, _source = audit(index, tmp_path, "<1.0.1")
    assert result.problems == [
        "none of the 5 releases openstack/releases lists has an sdist on PyPI (as demo)"
    ]


def _repaired_audit() -> ProductAudit:
    """A disagreement the overlay claims to repair: 2.0.0 lacks the fix, 2.0.1 has it."""
    audit = ProductAudit("OSSA-2099-001", "demo", "<2.0.0", Identifiers("OSSA-2099-001", (), ()))
    audit.releases = [
        ReleaseState(Version("2.0.0"), "b", State.LACKS, "ChangeLog lacks 'Fix demo'", disagreement="x"),
        ReleaseState(Version("2.0.1"), "b", State.CONTAINS, "ChangeLog has 'Fix demo'"),
    ]
    return audit


def test_an_overlay_repair_that_still_misses_a_lacking_release_is_unreviewed() -> None:
    audit = _repaired_audit()
    run = AuditRun(
        repaired={"OSSA-2099-001": "demo <2.0.0 (wrong)"},
        repaired_ranges={("OSSA-2099-001", "demo"): "<2.0.0"},
    )
    assert run.status(audit).startswith("UNREVIEWED: the overlay repair calls 2.0.0 not affected")
    run.audits = [audit]
    assert run.unreviewed == [audit] and not run.counts_as_reviewed(audit)


def test_an_overlay_repair_is_reviewed_only_when_the_sdists_or_git_agree() -> None:
    audit = _repaired_audit()
    right = AuditRun(
        repaired={"OSSA-2099-001": "demo <2.0.1"}, repaired_ranges={("OSSA-2099-001", "demo"): "<2.0.1"}
    )
    assert right.status(audit) == "repaired by the overlay (repair agrees with the sdists)"
    proven = Ancestry(
        entries={
            ("OSSA-2099-001", "demo"): ProductAncestry(
                "<2.0.0", ("abc123",), (Correction(Version("2.0.0"), True, "abc123 not in 2.0.0"),)
            )
        }
    )
    wrong_but_corrected = AuditRun(
        repaired={"OSSA-2099-001": "demo <2.0.0"},
        repaired_ranges={("OSSA-2099-001", "demo"): "<2.0.0"},
        ancestry=proven,
    )
    assert (
        wrong_but_corrected.status(audit)
        == "repaired by the overlay, corrected by git ancestry: 2.0.0 affected"
    )


def test_a_disagreement_git_ancestry_settles_is_reviewed_and_one_it_does_not_is_not() -> None:
    audit = ProductAudit("OSSA-2099-002", "demo", "<2.0.0", Identifiers("OSSA-2099-002", (), ()))
    audit.releases = [
        ReleaseState(Version("2.0.0"), "b", State.LACKS, "ChangeLog lacks 'Fix demo'", disagreement="x"),
    ]
    settled = Ancestry(
        entries={
            ("OSSA-2099-002", "demo"): ProductAncestry(
                "<2.0.0", ("abc123",), (Correction(Version("2.0.0"), True, "abc123 not in 2.0.0"),)
            )
        }
    )
    assert AuditRun(ancestry=settled).status(audit) == "corrected by git ancestry: 2.0.0 affected"
    towards_fixed = Ancestry(
        entries={
            ("OSSA-2099-002", "demo"): ProductAncestry(
                "<2.0.0", ("abc123",), (Correction(Version("2.0.0"), False, "abc123 in 2.0.0"),)
            )
        }
    )
    assert AuditRun(ancestry=towards_fixed).status(audit) == "UNREVIEWED"
    assert AuditRun().status(audit) == "UNREVIEWED"
