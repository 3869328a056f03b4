"""Markdown and HTML summaries: every ABORT with what resolves it, open advisories by service, changes."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pytest

from patchcheck.cli.report import previous_verdicts
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.report import aborts as aborts_module
from patchcheck.report.aborts import aborts_by_resolution
from patchcheck.report.summary import PreviousRun, changes, html_page, markdown, write_summaries
from tests.helpers import host_facts_document, run_patchcheck, write


def item(host: str, product: str, advisory: str, status: str, declared: dict | None = None) -> Item:
    result = {"overdue": Result.FAIL, "unknown": Result.ABORT}.get(status, Result.PASS)
    evidence = {
        "host": host,
        "product": product,
        "version": "1.0",
        "advisory": advisory,
        "url": f"https://security.openstack.org/ossa/{advisory}.html",
        "band": "high",
        "deadline": "2026-11-01T00:00:00+00:00",
        "status": status,
        "time_left": "22 days",
        "declared": declared,
    }
    if declared is None:
        del evidence["declared"]
    return Item(
        f"t::{host}", f"{host} {product} {advisory}", result, f"{host}: {product} <b>{status}</b>", evidence
    )


def verdicts(*items: Item) -> Verdicts:
    return Verdicts(
        "2026-11-23T00:00:00+00:00",
        "2026-11-23",
        "0.1.0",
        [],
        [TestcaseVerdict("scs-0124-ossa-patched", "", list(items))],
        ["patchcheck"],
    )


PREVIOUS = verdicts(
    item("ctl1", "nova", "OSSA-2024-001", "overdue"),
    item("ctl1", "keystone", "OSSA-2025-002", "affected, within deadline"),
)
CURRENT = verdicts(
    item("ctl1", "keystone", "OSSA-2025-002", "overdue"),
    item("cmp1", "nova", "OSSA-2026-002", "unknown"),
    item("cmp2", "nova", "OSSA-2024-002", "fixed (backport)"),
    item(
        "ctl2",
        "keystone",
        "OSSA-2026-005",
        "overdue",
        declared={
            "status": "mitigated",
            "owner": "ops@example.net",
            "expires": "2027-01-31",
            "justification": "WAF rule blocks the endpoint",
        },
    ),
)


def test_changes_since_the_previous_run() -> None:
    delta = changes(CURRENT, PREVIOUS)
    assert delta is not None
    assert [r.key for r in delta.new] == [("cmp1", "nova", "OSSA-2026-002")]
    assert [r.key for r in delta.resolved] == [("ctl1", "nova", "OSSA-2024-001")]
    assert [r.key for r in delta.newly_overdue] == [("ctl1", "keystone", "OSSA-2025-002")]
    assert changes(CURRENT, None) is None


def test_the_report_keeps_only_the_previous_run_s_open_advisories(tmp_path: Path) -> None:
    """What changed reads the same from the open rows as from the whole previous verdicts."""
    path = tmp_path / "verdicts.previous.json"
    PREVIOUS.write(path)
    kept = previous_verdicts(path)
    assert isinstance(kept, PreviousRun)
    assert [row.key for row in kept.open] == [
        ("ctl1", "nova", "OSSA-2024-001"),
        ("ctl1", "keystone", "OSSA-2025-002"),
    ]
    assert changes(CURRENT, kept) == changes(CURRENT, PREVIOUS)
    assert markdown(CURRENT, "mycloud", kept) == markdown(CURRENT, "mycloud", PREVIOUS)
    assert html_page(CURRENT, "mycloud", kept) == html_page(CURRENT, "mycloud", PREVIOUS)
    assert previous_verdicts(tmp_path / "none.json") is None


def test_markdown_groups_open_advisories_by_service_and_keeps_declarations_apart() -> None:
    text = markdown(CURRENT, "mycloud", PREVIOUS)
    assert "## Open advisories (2)" in text
    assert "### keystone" in text and "### nova" in text
    assert (
        "| ctl1 | 1.0 |  | [OSSA-2025-002](https://security.openstack.org/ossa/OSSA-2025-002.html) | high |"
        in text
    )
    assert "OSSA-2024-002" not in text.split("## Declared")[0]  # fixed is not open
    assert "- ctl2 keystone 1.0 OSSA-2026-005: mitigated by ops@example.net until 2027-01-31" in text
    assert "- Newly overdue (1): ctl1 keystone OSSA-2025-002" in text


def test_html_is_self_contained_and_escaped() -> None:
    page = html_page(CURRENT, "<cloud>", PREVIOUS)
    assert page.startswith("<!doctype html>")
    assert "&lt;cloud&gt;" in page and "<cloud>" not in page
    assert "<script" not in page and "<link" not in page and "src=" not in page  # no external resources
    assert "<b>" not in page  # messages are text, not markup


def test_a_tenant_run_says_advisories_were_not_checked_rather_than_none() -> None:
    tenant = Verdicts(
        "2026-11-23T00:00:00+00:00",
        "2026-11-23",
        "0.1.0",
        [{"path": "tenant.json", "cloud": "mycloud", "host": None, "collected_at": None, "error": None}],
        [TestcaseVerdict("scs-0124-maintained-release", "", [])],
        ["patchcheck"],
    )
    text = markdown(tenant, "mycloud")
    assert "Not checked by a tenant run" in text
    assert "## Open advisories (0)" not in text and "## Open advisories\n\nNone." not in text
    assert "Not checked by a tenant run" in html_page(tenant, "mycloud")
    # an operator run with no advisory testcase (chosen away) says so, without blaming the tenant
    operator = Verdicts(**{**tenant.__dict__, "facts": [{"path": "h.json", "cloud": None, "host": "ctl1"}]})
    assert "Not checked in this run" in markdown(operator, "mycloud")
    assert "None." in markdown(verdicts(), "mycloud").split("## Open advisories (0)")[1].split("##")[0]


def test_summaries_written_as_made_are_the_whole_texts() -> None:
    markdown_to, html_to = io.StringIO(), io.StringIO()
    write_summaries(CURRENT, "mycloud", PREVIOUS, markdown_to, html_to)
    assert markdown_to.getvalue() == markdown(CURRENT, "mycloud", PREVIOUS)
    assert html_to.getvalue() == html_page(CURRENT, "mycloud", PREVIOUS)


def unknown_note_id() -> str:
    """A note id one past the newest the shipped index knows: a changelog may name it, the index cannot."""
    newest = max(int(key.split("-")[1]) for key in shipped_index().by_id if key.startswith("OSSN-"))
    return f"OSSN-{newest + 1:04d}"


def test_every_abort_of_a_real_judge_run_is_in_both_summaries_with_what_resolves_it(tmp_path: Path) -> None:
    """Stale knowledge, an advisory id the index does not know and a live check Ansible cannot run."""
    unknown = unknown_note_id()
    package = {
        "manager": "dpkg",
        "name": "python3-nova",
        "source": "nova",
        "product": "nova",
        "version": "2:26.2.2-1~deb12u5",
        "architecture": "all",
        "changelog_cves": [],
        "changelog_refs": {unknown: {"version": "2:26.2.2-1~deb12u6", "line": f"  * {unknown}: a new note."}},
    }
    facts = write(host_facts_document("ctl1", packages=[package]), tmp_path / "host-ctl1.json")
    # a connection plugin nothing provides: testinfra hands the host to the ansible command, which fails
    inventory = write(
        {"all": {"hosts": {"ctl1": {"ansible_connection": "nosuch.plugins.conn"}}}}, tmp_path / "h.yaml"
    )
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", tmp_path / "verdicts.json", "--max-knowledge-age", "0",
        "--hosts", "ansible://all", "--ansible-inventory", inventory,
    )  # fmt: skip
    assert judged.returncode in (1, 3), judged.stdout + judged.stderr
    reported = run_patchcheck(
        "report", "--verdicts", tmp_path / "verdicts.json", "--subject", "<cloud>", "--out-dir", tmp_path
    )
    assert reported.returncode in (1, 3), reported.stdout + reported.stderr
    aborts = [
        (testcase["id"], item["message"])
        for testcase in json.loads((tmp_path / "verdicts.json").read_text())["testcases"]
        for item in testcase["items"]
        if item["result"] == "ABORT"
    ]
    kinds = {
        "stale": [m for _, m in aborts if "the advisory knowledge was" in m],
        "unknown id": [m for _, m in aborts if f"names {unknown} in its changelog" in m],
        "live": [m for _, m in aborts if "OSSN-0007 not looked at live" in m],
    }
    assert all(len(found) == 1 for found in kinds.values()), kinds
    text = (tmp_path / "summary.md").read_text()
    page = (tmp_path / "summary.html").read_text()
    section = text.split("## Not decided: ABORT")[1].split("\n## ")[0]
    assert section.startswith(f" ({len(aborts)})\n"), section[:80]
    for testcase, message in aborts:
        assert f"- {testcase}: {message}" in section
        assert html.escape(message) in page
    # the advisory knowledge too old, the unknown advisory id, and the dependency data too old
    dependency_stale = [m for _, m in aborts if "PyPA advisory data is as of" in m]
    assert len(dependency_stale) == 1, aborts
    update = section.split(f"### {aborts_module.UPDATE_KNOWLEDGE} (3)")[1].split("###")[0]
    assert kinds["stale"][0] in update and kinds["unknown id"][0] in update
    assert dependency_stale[0] in update
    live = section.split(f"### {aborts_module.LIVE_CONFIG} (1)")[1].split("###")[0]
    assert kinds["live"][0] in live and "nosuch.plugins.conn" in live
    # an ABORT is no violation: "Why not PASS" lists FAILs, and counts the ABORTs listed here
    why = text.split("## Why not PASS")[1].split("\n## ")[0]
    assert "not looked at live" not in why and 'ABORT: listed under "Not decided" below' in why
    # the knowledge's age against the limit the run judged with (0 days here)
    assert "days old when judged: older than the limit of 0 days" in text
    assert "days old when judged: older than the limit of 0 days" in page
    assert f"Not decided: ABORT ({len(aborts)})" in page and html.escape(aborts_module.LIVE_CONFIG) in page
    assert "'nosuch.plugins.conn'" not in page  # quoted text in a message is escaped


def test_a_testcase_with_no_item_is_an_abort_of_its_own() -> None:
    empty = Verdicts(**{**CURRENT.__dict__, "testcases": [TestcaseVerdict("scs-0124-ossn-config", "", [])]})
    grouped = aborts_by_resolution(empty)
    assert [(a.testcase, a.reason) for a in grouped[aborts_module.NOTHING_JUDGED]] == [
        ("scs-0124-ossn-config", "scs-0124-ossn-config: no item was judged, so this testcase proves nothing")
    ]
    assert "## Not decided: ABORT (1)" in markdown(empty, "mycloud")
    assert "## Not decided: ABORT (1)" in markdown(CURRENT, "mycloud")  # cmp1's unknown advisory


@pytest.mark.parametrize(
    ("subject", "message", "evidence", "resolution"),
    [
        (
            "ctl1",
            "ctl1: not gathered (timed out after 600 s); its advisories cannot be judged",
            {},
            "GATHER_AGAIN",
        ),
        (
            "ctl1 (incomplete evidence)",
            "ctl1: 1 item(s) not read, so this host cannot pass: /etc/nova: permission denied",
            {"incomplete": ["/etc/nova: permission denied"]},
            "READ_EVERYTHING",
        ),
        ("h.json", "h.json: facts refused: too large", {}, "REFUSED"),
        ("t[x]", "t[x]: the check itself broke: ZeroDivisionError: division by zero", {}, "FAULT"),
        ("x", "x: something else entirely", {}, "OTHERWISE"),
    ],
)
def test_what_resolves_each_kind_of_abort(
    subject: str, message: str, evidence: dict, resolution: str
) -> None:
    item = Item("t::x", subject, Result.ABORT, message, evidence)
    assert aborts_module.resolves(item) == getattr(aborts_module, resolution)
