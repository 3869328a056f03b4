"""scs-0124-dependencies-patched judged from facts: PyPA records and Debian tracker data.

The Python side uses the real PyPA records shipped (built from ../shared/data); the Debian side
the tracker fixture (tests/fixtures/distribution-security/tracker.json, written from the
tracker's documented format). Every moment is derived from ``NOW``, the judging moment.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from patchcheck.facts.model import HostFacts
from patchcheck.judge.dependencies_patched import judge_host_dependencies
from patchcheck.judge.verdict import Result
from patchcheck.knowledge.dependency_knowledge import DependencyKnowledge
from patchcheck.knowledge.distribution_security import DistributionSecurity, merge_history, read_tracker
from patchcheck.knowledge.python_advisories import load_python_advisories
from tests.helpers import host_facts_document

TRACKER = Path(__file__).resolve().parents[1] / "fixtures" / "distribution-security" / "tracker.json"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
BOOKWORM = {"id": "debian", "version_id": "12", "version_codename": "bookworm", "pretty_name": "Debian 12"}
DELIVERABLES = frozenset({"nova"})


def package(name: str, source: str, version: str, depends: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "source": source,
        "source_version": version,
        "architecture": "all",
        "depends": list(depends),
        "provides": [],
    }


def facts(**changes: Any) -> HostFacts:
    """A bookworm host: nova from Debian (depending on python3-jinja2), qemu, an unrelated package,
    and a venv with an old jinja2 and a patched urllib3."""
    document = host_facts_document(
        "cmp1",
        os=BOOKWORM,
        packages=[
            {
                "manager": "dpkg",
                "name": "python3-nova",
                "source": "nova",
                "product": "nova",
                "version": "2:26.2.2-1~deb12u3",
                "changelog_cves": [],
                "architecture": "all",
            }
        ],
        python=[
            {
                "kind": "venv",
                "path": "/opt/tools",
                "distributions": [],
                "installed": [
                    {"name": "Jinja2", "version": "2.10"},
                    {"name": "urllib3", "version": "1.26.18"},
                    {"name": "nova", "version": "29.0.1"},
                ],
            },
            {
                "kind": "system",
                "path": "/usr/lib/python3/dist-packages",
                "managed_by": "dpkg",
                "distributions": [],
                "installed": [{"name": "Jinja2", "version": "3.1.2"}],
            },
        ],
        system_packages={
            "manager": "dpkg",
            "packages": [
                package("python3-nova", "nova", "2:26.2.2-1~deb12u3", ("python3-jinja2",)),
                package("python3-jinja2", "jinja2", "3.1.2-1"),
                package("qemu-system-x86", "qemu", "1:7.2+dfsg-7+deb12u7"),
                package("python3-urllib3", "python-urllib3", "1.26.12-1"),
            ],
        },
    )
    document.update(changes)
    return HostFacts.from_document("host-cmp1.json", document)


def knowledge(*fetches: dt.datetime) -> DependencyKnowledge:
    """The shipped PyPA data and the tracker fixture as fetched at each moment in turn."""
    document = None
    for moment in fetches:
        document = merge_history(document, read_tracker(TRACKER), moment)
    distributions = {"debian-security-tracker": DistributionSecurity(document)} if document else {}
    return DependencyKnowledge(load_python_advisories(None), distributions)


def by_subject(findings: list[Any]) -> dict[str, Any]:
    return {finding.subject: finding for finding in findings}


def test_an_old_library_in_a_venv_is_overdue_with_the_fixed_release_as_remedy() -> None:
    findings = by_subject(
        judge_host_dependencies(facts(), knowledge(NOW - dt.timedelta(days=30)), DELIVERABLES, NOW)
    )
    # PYSEC-2019-217: jinja2 introduced 0, fixed 2.10.1, published 2019-04-07 (unscored: high, 3 days)
    old = findings["cmp1 jinja2 2.10 PYSEC-2019-217"]
    assert old.result is Result.FAIL
    assert old.evidence["status"] == "overdue"
    assert old.evidence["remedy"] == "update jinja2 to 2.10.1 or later"
    assert old.evidence["where"] == ["venv /opt/tools"]
    # urllib3 1.26.18 is the fixed release of PYSEC-2023-212; nova is left to scs-0124-ossa-patched;
    # Debian's own jinja2 in dist-packages is judged as the Debian package, not against PyPI's ranges
    assert not [s for s in findings if s.startswith(("cmp1 urllib3", "cmp1 nova")) and "PYSEC" in s]
    assert not [s for s in findings if s.startswith("cmp1 jinja2 3.1.2")]


def test_a_debian_fix_listed_long_ago_and_not_installed_is_overdue() -> None:
    findings = by_subject(
        judge_host_dependencies(facts(), knowledge(NOW - dt.timedelta(days=30)), DELIVERABLES, NOW)
    )
    jinja2 = findings["cmp1 host jinja2 3.1.2-1"]
    # CVE-2024-22195 fixed in bookworm 3.1.2-1+deb12u1, CVE-2024-56201 in 3.1.2-1+deb12u2
    assert jinja2.result is Result.FAIL
    assert {entry["id"] for entry in jinja2.evidence["open"]} == {"CVE-2024-22195", "CVE-2024-56201"}
    assert (
        jinja2.evidence["remedy"]
        == "install jinja2 3.1.2-1+deb12u2 or later from the bookworm security updates"
    )
    assert jinja2.evidence["not_actionable"] == {"not affected": ["CVE-2016-10745"]}
    assert jinja2.evidence["why"] == ["a dependency of python3-nova"]
    # qemu is a platform component: its open entries are reported as what they are
    qemu = findings["cmp1 host qemu 1:7.2+dfsg-7+deb12u7"]
    assert qemu.result is Result.PASS
    assert qemu.evidence["not_actionable"]["ignored"] == ["CVE-2023-1386"]
    assert "open, no fix" in qemu.evidence["not_actionable"]
    assert qemu.evidence["why"][0].startswith("platform component: the hypervisor")
    # python3-urllib3 is no dependency of an OpenStack package here, nor a platform component
    assert not [s for s in findings if "python-urllib3" in s]


def test_a_fix_that_appeared_between_two_recent_fetches_is_within_its_deadline() -> None:
    fetches = knowledge(NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=1))
    # the fixture's fixes were in both fetches: absent_at unknown, listed one hour ago -> undecided
    undecided = by_subject(judge_host_dependencies(facts(), fetches, DELIVERABLES, NOW))[
        "cmp1 host jinja2 3.1.2-1"
    ]
    assert undecided.result is Result.ABORT
    assert "deadline undecided" in undecided.message
    # a first fetch that knew bookworm's jinja2 but none of its fixes yet
    known = json.loads(TRACKER.read_text())["jinja2"]["CVE-2016-10745"]
    before = {"jinja2": {"CVE-2016-10745": known}}
    document = merge_history(None, read_tracker(write_json(before)), NOW - dt.timedelta(hours=2))
    document = merge_history(document, read_tracker(TRACKER), NOW - dt.timedelta(hours=1))
    data = DependencyKnowledge(
        load_python_advisories(None), {"debian-security-tracker": DistributionSecurity(document)}
    )
    recent = by_subject(judge_host_dependencies(facts(), data, DELIVERABLES, NOW))["cmp1 host jinja2 3.1.2-1"]
    assert recent.result is Result.PASS
    assert "within deadline" in recent.message


def write_json(document: dict[str, Any]) -> Path:
    import tempfile

    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    with handle:
        json.dump(document, handle)
    return Path(handle.name)


def test_a_release_no_data_covers_is_not_judged_never_passed() -> None:
    trixie = {**BOOKWORM, "version_codename": "trixie", "version_id": "13"}
    ubuntu = {"id": "ubuntu", "version_id": "24.04", "pretty_name": "Ubuntu 24.04 LTS"}
    for os_release in (ubuntu, {**trixie, "version_codename": "sid"}):
        findings = judge_host_dependencies(facts(os=os_release), knowledge(NOW), DELIVERABLES, NOW)
        host_set = by_subject(findings)["cmp1 host (not judged)"]
        assert host_set.result is Result.ABORT
        assert "patchcheck index update" in host_set.message
    without = judge_host_dependencies(facts(), knowledge(), DELIVERABLES, NOW)
    assert by_subject(without)["cmp1 host (not judged)"].result is Result.ABORT


def test_missing_or_old_data_and_old_facts_abort_with_what_fixes_them() -> None:
    nothing = DependencyKnowledge(None, {})
    findings = by_subject(judge_host_dependencies(facts(), nothing, DELIVERABLES, NOW))
    assert findings["cmp1 (no Python advisory data)"].result is Result.ABORT
    assert "patchcheck index update" in findings["cmp1 (no Python advisory data)"].message
    data = knowledge(NOW - dt.timedelta(days=30))
    stale = data.stale(NOW, 2)
    assert any("PyPA advisory data is as of 2024" in reason for reason in stale)
    assert any("debian-security-tracker security data" in reason for reason in stale)
    old = by_subject(judge_host_dependencies(facts(), data, DELIVERABLES, NOW, stale=stale))
    assert old["cmp1 (dependency data too old)"].result is Result.ABORT
    document = host_facts_document("cmp1", os=BOOKWORM)  # a collector before the dependency clause
    before = by_subject(
        judge_host_dependencies(HostFacts.from_document("old.json", document), data, DELIVERABLES, NOW)
    )
    assert before["cmp1 (distribution packages not listed)"].result is Result.ABORT
