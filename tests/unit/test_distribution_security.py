"""Distribution security data: the Debian tracker and OSV records, reduced, merged and judged.

Expectations are read off the fixture records (tests/fixtures/distribution-security, written
from the documented formats). No date is "today": every moment derives from ``REFERENCE``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from patchcheck.errors import InputError
from patchcheck.knowledge import distribution_security_reading
from patchcheck.knowledge.distribution_security import (
    DistributionSecurity,
    EntryStatus,
    UnknownRelease,
    coverage_of,
    merge_history,
    read_osv,
    read_tracker,
    release_key,
)
from tests.helpers import FIXTURES

DATA = FIXTURES / "distribution-security"
TRACKER = DATA / "tracker.json"
REFERENCE = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def tracker_index(**releases: Any) -> DistributionSecurity:
    return DistributionSecurity(merge_history(None, read_tracker(TRACKER, **releases), REFERENCE))


def statuses(
    index: DistributionSecurity, release: str, source: str, installed: str
) -> dict[str, EntryStatus]:
    return {verdict.id: verdict.status for verdict in index.judge(release, source, installed)}


# -- the tracker, judged -----------------------------------------------------------------------


def test_qemu_on_bookworm_is_judged_entry_by_entry() -> None:
    # installed deb12u5: deb12u2 is behind it, deb12u6 ahead of it
    assert statuses(tracker_index(), "bookworm", "qemu", "1:7.2+dfsg-7+deb12u5") == {
        "CVE-2023-1386": EntryStatus.IGNORED,
        "CVE-2023-3180": EntryStatus.FIXED,
        "CVE-2024-3446": EntryStatus.FIX_AVAILABLE,
        "CVE-2024-6505": EntryStatus.OPEN_NO_FIX,
        "TEMP-0000000-1A2B3C": EntryStatus.OPEN_NO_FIX,
    }


def test_a_fix_available_carries_what_the_deadline_needs() -> None:
    (verdict,) = [
        v
        for v in tracker_index().judge("bookworm", "qemu", "1:7.2+dfsg-7+deb12u5")
        if v.id == "CVE-2024-3446"
    ]
    assert verdict.fixed_version == "1:7.2+dfsg-7+deb12u6"
    assert verdict.urgency == "not yet assigned"
    assert verdict.listed_since == REFERENCE
    assert verdict.absent_at is None  # there at the first fetch: unknown how long before
    assert verdict.cves == ("CVE-2024-3446",)
    assert "older than 1:7.2+dfsg-7+deb12u6" in verdict.reason


def test_jinja2_fixed_not_affected_and_fix_available() -> None:
    assert statuses(tracker_index(), "bookworm", "jinja2", "3.1.2-1+deb12u1") == {
        "CVE-2016-10745": EntryStatus.NOT_AFFECTED,  # fixed_version "0"
        "CVE-2024-22195": EntryStatus.FIXED,  # equal to the fixed version
        "CVE-2024-56201": EntryStatus.FIX_AVAILABLE,  # deb12u2 > deb12u1
    }
    assert set(statuses(tracker_index(), "bookworm", "jinja2", "3.1.2-1+deb12u2").values()) == {
        EntryStatus.NOT_AFFECTED,
        EntryStatus.FIXED,
    }


def test_urllib3_no_dsa_and_postponed_are_reported_as_what_they_are() -> None:
    verdicts = {v.id: v for v in tracker_index().judge("bookworm", "python-urllib3", "1.26.12-1+deb12u1")}
    assert verdicts["CVE-2023-43804"].status is EntryStatus.FIXED
    assert verdicts["CVE-2024-37891"].status is EntryStatus.NO_DSA
    assert verdicts["CVE-2024-37891"].nodsa == "Minor issue"
    assert verdicts["CVE-2025-50181"].status is EntryStatus.POSTPONED
    assert "postponed" in verdicts["CVE-2025-50181"].reason


def test_openvswitch_undetermined_and_an_unreadable_version() -> None:
    assert statuses(tracker_index(), "bookworm", "openvswitch", "3.1.0-2+deb12u1") == {
        "CVE-2023-3966": EntryStatus.FIXED,
        "CVE-2024-2182": EntryStatus.UNDETERMINED,
    }
    assert (
        statuses(tracker_index(), "bookworm", "openvswitch", "not a version")["CVE-2023-3966"]
        is EntryStatus.UNKNOWN
    )


def test_statuses_read_as_an_auditor_reads_them() -> None:
    assert [status.value for status in EntryStatus] == [
        "fixed",
        "fix available",
        "not affected",
        "no-dsa",
        "ignored",
        "postponed",
        "open, no fix",
        "undetermined",
        "unknown",
    ]


def test_release_filter_and_unknown_release() -> None:
    index = tracker_index(releases=["trixie"])
    assert index.releases == ("trixie",)
    assert statuses(index, "trixie", "jinja2", "3.1.6-1") == {
        "CVE-2016-10745": EntryStatus.NOT_AFFECTED,
        "CVE-2024-22195": EntryStatus.FIXED,
    }
    assert index.judge("trixie", "no-such-package", "1.0-1") == []
    with pytest.raises(UnknownRelease):
        index.judge("bookworm", "jinja2", "3.1.2-1")


def test_the_document_keeps_no_descriptions_and_names_its_provenance() -> None:
    document = read_tracker(TRACKER, url="https://user:secret@security-tracker.debian.org/tracker/data/json")
    text = json.dumps(document)
    assert "sandbox escape" not in text and "description" not in text
    assert "secret" not in document["url"]
    assert document["source"] == "debian-security-tracker"
    assert len(document["sha256"]) == 64
    assert document["skipped"]["count"] == 0
    entry = document["releases"]["bookworm"]["python-urllib3"][2]
    assert entry == {
        "id": "CVE-2025-50181",
        "status": "open",
        "fixed_version": None,
        "introduced": None,
        "urgency": "not yet assigned",
        "nodsa": "Minor issue; can be fixed via point release",
        "nodsa_reason": "postponed",
        "cves": ["CVE-2025-50181"],
    }


def test_gzip_input_and_a_tiny_stream_window_give_the_same_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = read_tracker(TRACKER)
    packed = tmp_path / "json.gz"
    packed.write_bytes(gzip.compress(TRACKER.read_bytes()))
    monkeypatch.setattr(distribution_security_reading, "CHUNK_BYTES", 7)  # every member spans windows
    streamed = read_tracker(packed)
    assert streamed["releases"] == plain["releases"]
    assert streamed["sha256"] != plain["sha256"]  # the digest is of the bytes as stored


def test_write_and_load_round_trip(tmp_path: Path) -> None:
    index = tracker_index()
    path = tmp_path / "index" / "debian.json.gz"
    index.write(path)
    loaded = DistributionSecurity.load(path)
    assert loaded.document == index.document
    assert loaded.provenance.fetched_at == REFERENCE
    assert loaded.provenance.source == "debian-security-tracker"
    assert [p.name for p in path.parent.iterdir()] == ["debian.json.gz"]  # no temporary left


# -- hostile input -------------------------------------------------------------------------------


def test_truncated_json_is_refused_with_its_place(tmp_path: Path) -> None:
    text = TRACKER.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match=r"cut\.json: character \d+: .*truncated"):
        read_tracker(cut)


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(TRACKER.read_bytes())
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_tracker(cut)


def test_sparse_file_beyond_the_limit_is_not_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GiB of holes: refused by its size, never read
    started = time.monotonic()
    with pytest.raises(InputError, match="larger than"):
        read_tracker(huge)
    assert time.monotonic() - started < 1


def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_tracker(fifo)


def test_gzip_bomb_is_refused_by_decompressed_size(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"{" + b" " * (64 * 1024 * 1024) + b"}"))
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(InputError, match="decompresses to more than"):
        read_tracker(bomb, limit=8 * 1024 * 1024)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[{"jinja2": {}}]', "expected a JSON object at the top level, found '\\['"),
        ("", "found an empty file"),
        ("<html>Service Unavailable</html>", "expected a JSON object at the top level"),
        ('{"jinja2": {}} trailing', "text after the top-level object"),
        ('{"jinja2": {} "qemu": {}}', "expected ',' or '}'"),
    ],
)
def test_other_shapes_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "json"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        read_tracker(path)


def test_entries_of_a_wrong_shape_are_skipped_and_counted(tmp_path: Path) -> None:
    data = json.loads(TRACKER.read_text())
    data["qemu"]["CVE-2024-0000"] = {"releases": "bookworm"}
    data["qemu"]["CVE-2024-0001"] = {"releases": {"bookworm": {"status": "fixed?"}}}
    data["qemu"]["CVE-2024-0002"] = {"releases": {"bookworm": {"status": "resolved", "fixed_version": 12}}}
    data["broken"] = ["not", "an", "object"]
    path = tmp_path / "json"
    path.write_text(json.dumps(data))
    document = read_tracker(path)
    assert document["skipped"]["count"] == 4
    assert any("CVE-2024-0000" in example for example in document["skipped"]["examples"])
    assert [entry["id"] for entry in document["releases"]["bookworm"]["qemu"]] == [
        "CVE-2023-1386",
        "CVE-2023-3180",
        "CVE-2024-3446",
        "CVE-2024-6505",
        "TEMP-0000000-1A2B3C",
    ]


def test_a_document_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "index.json.gz"
    path.write_bytes(gzip.compress(b'{"releases": {}}'))
    with pytest.raises(InputError, match="not a patchcheck-distribution-security/1 document"):
        DistributionSecurity.load(path)


# -- history ---------------------------------------------------------------------------------------


def _without(document: dict[str, Any], release: str, package: str, issue: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    entries = copy["releases"][release][package]
    copy["releases"][release][package] = [entry for entry in entries if entry["id"] != issue]
    return copy


def test_history_over_three_fetches() -> None:
    full = read_tracker(TRACKER)
    first_fetch, second_fetch, third_fetch = REFERENCE, REFERENCE + DAY, REFERENCE + 2 * DAY
    first = merge_history(None, _without(full, "bookworm", "qemu", "CVE-2024-3446"), first_fetch)
    second = merge_history(first, full, second_fetch)
    third = merge_history(second, full, third_fetch)
    index = DistributionSecurity(third)
    verdicts = {v.id: v for v in index.judge("bookworm", "qemu", "1:7.2+dfsg-7+deb12u5")}
    appeared = verdicts["CVE-2024-3446"]
    assert (appeared.listed_since, appeared.absent_at) == (second_fetch, first_fetch)
    always = verdicts["CVE-2023-3180"]
    assert (always.listed_since, always.absent_at) == (first_fetch, None)
    assert verdicts["CVE-2024-6505"].listed_since is None  # no fix, nothing to date
    assert index.provenance.fetched_at == third_fetch
    assert index.provenance.first_fetched_at == first_fetch


def test_a_release_new_to_the_data_has_no_absent_at() -> None:
    first = merge_history(None, read_tracker(TRACKER, releases=["bookworm"]), REFERENCE)
    second = merge_history(first, read_tracker(TRACKER), REFERENCE + DAY)
    trixie = DistributionSecurity(second).judge("trixie", "jinja2", "3.1.6-1")
    assert {(v.listed_since, v.absent_at) for v in trixie} == {(REFERENCE + DAY, None)}


def test_history_refuses_a_clock_that_went_back_naive_time_and_another_source() -> None:
    first = merge_history(None, read_tracker(TRACKER), REFERENCE)
    with pytest.raises(ValueError, match="clock went back"):
        merge_history(first, read_tracker(TRACKER), REFERENCE - DAY)
    with pytest.raises(ValueError, match="time zone"):
        merge_history(None, read_tracker(TRACKER), REFERENCE.replace(tzinfo=None))
    ubuntu = read_osv(DATA / "osv-ubuntu", ecosystem="Ubuntu", url="https://osv.dev")
    with pytest.raises(ValueError, match="cannot continue"):
        merge_history(first, ubuntu, REFERENCE + DAY)


# -- OSV -----------------------------------------------------------------------------------------------


def ubuntu_index() -> DistributionSecurity:
    document = read_osv(DATA / "osv-ubuntu", ecosystem="Ubuntu", url="https://example.org/osv/Ubuntu/all.zip")
    return DistributionSecurity(merge_history(None, document, REFERENCE))


def test_ubuntu_records_judged_in_dpkg_order() -> None:
    index = ubuntu_index()
    assert index.source == "osv:Ubuntu"
    assert index.releases == ("Ubuntu:24.04:LTS", "Ubuntu:Pro:24.04:LTS")
    # no epoch is epoch 0: older than 1:8.2.2+ds-0ubuntu1.1 whatever follows
    assert statuses(index, "Ubuntu:24.04:LTS", "qemu", "8.2.2+ds-0ubuntu1.9") == {
        "UBUNTU-CVE-2024-3446": EntryStatus.FIX_AVAILABLE,
        "UBUNTU-CVE-2024-8354": EntryStatus.OPEN_NO_FIX,
    }  # the withdrawn record is not read
    assert statuses(index, "Ubuntu:24.04:LTS", "qemu", "1:8.2.2+ds-0ubuntu1.1")["UBUNTU-CVE-2024-3446"] is (
        EntryStatus.FIXED
    )
    # ~ sorts before the end: a cloud-archive rebuild of the fixed version is older than it
    assert statuses(index, "Ubuntu:24.04:LTS", "libvirt", "10.0.0-2ubuntu8.3~cloud0") == {
        "UBUNTU-CVE-2024-1441": EntryStatus.FIX_AVAILABLE
    }
    assert statuses(index, "Ubuntu:24.04:LTS", "libvirt", "9.0.0-1ubuntu1") == {
        "UBUNTU-CVE-2024-1441": EntryStatus.NOT_AFFECTED  # before "introduced"
    }


def test_ubuntu_priority_and_cves_are_kept() -> None:
    verdicts = {v.id: v for v in ubuntu_index().judge("Ubuntu:24.04:LTS", "qemu", "1:8.2.2+ds-0ubuntu1")}
    assert verdicts["UBUNTU-CVE-2024-3446"].urgency == "medium"
    assert verdicts["UBUNTU-CVE-2024-3446"].cves == ("CVE-2024-3446",)
    assert verdicts["UBUNTU-CVE-2024-8354"].urgency == "low"


def test_almalinux_zip_judged_in_rpm_order(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for record in sorted((DATA / "osv-almalinux").glob("*.json")):
            zipped.write(record, record.name)
    document = read_osv(
        archive,
        ecosystem="AlmaLinux",
        url="https://osv-vulnerabilities.storage.googleapis.com/AlmaLinux/all.zip",
    )
    index = DistributionSecurity(merge_history(None, document, REFERENCE))
    assert index.releases == ("AlmaLinux:9",)
    assert statuses(index, "AlmaLinux:9", "qemu-kvm", "17:8.2.0-11.el9_4.3") == {
        "ALSA-2024:4276": EntryStatus.FIX_AVAILABLE
    }
    # el9_4.10 is after el9_4.4 in rpm order (numbers, not characters)
    assert statuses(index, "AlmaLinux:9", "qemu-kvm", "17:8.2.0-11.el9_4.10") == {
        "ALSA-2024:4276": EntryStatus.FIXED
    }
    # without the epoch the installed build is older, whatever its version
    assert statuses(index, "AlmaLinux:9", "qemu-kvm", "9.0.0-1.el9") == {
        "ALSA-2024:4276": EntryStatus.FIX_AVAILABLE
    }
    (verdict,) = index.judge("AlmaLinux:9", "libvirt", "10.0.0-6.2.el9_4")
    assert verdict.status is EntryStatus.FIXED
    assert verdict.cves == ("CVE-2024-1441", "CVE-2024-2494")


def test_osv_records_of_a_wrong_shape_are_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "not-json.json").write_text("{")
    (folder / "array.json").write_text("[]")
    (folder / "git.json").write_text(
        json.dumps(
            {
                "id": "X-1",
                "affected": [
                    {
                        "package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "qemu"},
                        "ranges": [{"type": "GIT", "events": [{"introduced": "abc"}]}],
                    }
                ],
            }
        )
    )
    os.mkfifo(folder / "fifo.json")
    document = read_osv(folder, ecosystem="Ubuntu", url="https://example.org")
    assert document["skipped"]["count"] == 4
    assert document["releases"] == {}


# -- hosts and coverage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_release", "key"),
    [
        ({"id": "debian", "version_codename": "bookworm", "version_id": "12"}, "bookworm"),
        ({"ID": "debian", "VERSION_ID": "13"}, "trixie"),
        ({"id": "ubuntu", "version_id": "24.04"}, "Ubuntu:24.04:LTS"),
        (
            {"id": "ubuntu", "version_id": "22.04", "version": "22.04.5 LTS (Jammy Jellyfish)"},
            "Ubuntu:22.04:LTS",
        ),
        ({"id": "ubuntu", "version_id": "24.10"}, "Ubuntu:24.10"),
        ({"id": "ubuntu", "version_id": "23.04"}, "Ubuntu:23.04"),
        ({"id": "almalinux", "version_id": "9.4"}, "AlmaLinux:9"),
        ({"id": "rocky", "version_id": "9.3"}, "Rocky Linux:9"),
        ({"id": "rhel", "version_id": "9.4"}, None),
        ({}, None),
    ],
)
def test_release_key_of_a_host(os_release: dict[str, str], key: str | None) -> None:
    assert release_key(os_release) == key


def test_coverage_names_the_source_and_leaves_others_unjudged() -> None:
    debian = coverage_of({"id": "debian"})
    assert debian is not None and debian.source == "debian-security-tracker" and "no-dsa" in debian.reason
    ubuntu = coverage_of({"id": "ubuntu"})
    assert ubuntu is not None and ubuntu.source == "osv:Ubuntu"
    assert coverage_of({"id": "rhel"}) is None


# -- speed -----------------------------------------------------------------------------------------------


def test_judging_two_thousand_packages_takes_milliseconds(tmp_path: Path) -> None:
    """A host's ~2,000 source packages, five issues each, judged after one load."""
    document = read_tracker(TRACKER)
    entries = document["releases"]["bookworm"]["qemu"]
    document["releases"]["bookworm"] = {f"package{number}": entries for number in range(2000)}
    path = tmp_path / "index.json.gz"
    DistributionSecurity(merge_history(None, document, REFERENCE)).write(path)
    index = DistributionSecurity.load(path)
    index.judge("bookworm", "package0", "1:7.2+dfsg-7+deb12u5")  # the version cache, warm once
    started = time.perf_counter()
    verdicts = [index.judge("bookworm", f"package{n}", "1:7.2+dfsg-7+deb12u5") for n in range(2000)]
    elapsed = time.perf_counter() - started
    assert sum(len(found) for found in verdicts) == 10000
    assert elapsed < 0.5, f"judging 2,000 packages took {elapsed * 1000:.0f} ms"
