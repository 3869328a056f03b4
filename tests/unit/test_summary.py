"""Markdown and HTML summaries: open advisories by service, declared ones apart, changes since last run."""

from __future__ import annotations

import io
from pathlib import Path

from patchcheck.cli import previous_verdicts
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts
from patchcheck.report.summary import PreviousRun, changes, html_page, markdown, write_summaries


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
