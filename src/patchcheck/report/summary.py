"""Human summaries (Markdown and a self-contained HTML page) of a verdicts file.

For the people who must act: every ABORT (a question the run could not answer) with
its reason and what resolves it, in a section of its own; every open advisory
(affected within deadline, overdue, unknown) with severity, deadline and time left,
grouped by service; what operators declared (never shown as verified); violated
configuration (FAILs only: an ABORT is not a violation); and what changed since the
previous run: new, resolved, newly overdue.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from patchcheck.judge.packed_items import result_counts
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts
from patchcheck.report.aborts import aborts_by_resolution
from patchcheck.report.explanations import NotPassed, findings_text, knowledge_line, not_passed, run_warnings

OPEN = ("overdue", "affected, within deadline", "unknown")
ABORTS_BELOW = 'listed under "Not decided" below, each with what resolves it'
ADVISORIES = "scs-0124-ossa-patched"


@dataclass(frozen=True, slots=True)
class Row:
    key: tuple[str, str, str]
    host: str
    product: str
    version: str
    advisory: str
    url: str
    band: str
    deadline: str
    status: str
    message: str
    declared: dict[str, Any] | None
    time_left: str | None
    found_in: str = ""
    remedy: str = ""


def rows_of(verdicts: Verdicts | None) -> list[Row]:
    """The advisories the summaries show: open or declared ones (the others are not listed).

    Only these are kept, and their strings shared (hosts, products, versions and advisories
    repeat): at 10,000 hosts every judged advisory as a row held about 200 MB (issue 26).
    """
    if verdicts is None:
        return []
    table: dict[str, str] = {}
    share = table.setdefault
    rows = []
    for testcase in verdicts.testcases:
        if testcase.id != ADVISORIES:
            continue
        for item in testcase.items:
            evidence = item.evidence
            if "advisory" not in evidence:
                continue
            declared = evidence.get("declared")
            if evidence["status"] not in OPEN and not declared:
                continue
            host, product, advisory = (
                share(evidence[key], evidence[key]) for key in ("host", "product", "advisory")
            )
            found_in = f"{evidence.get('source', '')} {evidence.get('where', '')}".strip()
            rows.append(
                Row(
                    (host, product, advisory),
                    host,
                    product,
                    share(evidence["version"], evidence["version"]),
                    advisory,
                    share(evidence.get("url", ""), evidence.get("url", "")),
                    share(evidence["band"], evidence["band"]),
                    share(deadline := (evidence.get("deadline") or "")[:16].replace("T", " "), deadline),
                    share(evidence["status"], evidence["status"]),
                    item.message,
                    declared,
                    evidence.get("time_left"),
                    share(found_in, found_in),
                    share(remedy := evidence.get("remedy") or "", remedy),
                )
            )
    return rows


def open_rows(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row.status in OPEN and row.declared is None]


@dataclass(frozen=True)
class Changes:
    new: list[Row]
    resolved: list[Row]
    newly_overdue: list[Row]


@dataclass(frozen=True)
class PreviousRun:
    """The previous run as "what changed" reads it: its open advisories, and nothing else.

    ``patchcheck report`` held the whole previous verdicts beside the current ones, which for
    10,000 hosts doubled what the report holds (issue 26, point 12); these rows are a few
    percent of it.
    """

    open: tuple[Row, ...]

    @classmethod
    def of(cls, verdicts: Verdicts) -> PreviousRun:
        return cls(tuple(open_rows(rows_of(verdicts))))


def changes(
    current: Verdicts, previous: Verdicts | PreviousRun | None, rows: list[Row] | None = None
) -> Changes | None:
    """New, resolved and newly overdue advisories; ``rows`` are ``rows_of(current)`` if made already."""
    if previous is None:
        return None
    now = {row.key: row for row in open_rows(rows_of(current) if rows is None else rows)}
    before_rows = previous.open if isinstance(previous, PreviousRun) else open_rows(rows_of(previous))
    before = {row.key: row for row in before_rows}
    return Changes(
        new=[row for key, row in now.items() if key not in before],
        resolved=[row for key, row in before.items() if key not in now],
        newly_overdue=[
            row
            for key, row in now.items()
            if row.status == "overdue" and (key not in before or before[key].status != "overdue")
        ],
    )


def time_left(row: Row) -> str:
    return row.time_left or "-"


def aborts_heading(verdicts: Verdicts) -> tuple[str, dict[str, list[Any]]]:
    grouped = aborts_by_resolution(verdicts)
    return f"Not decided: ABORT ({sum(map(len, grouped.values()))})", grouped


def advisories_unchecked(verdicts: Verdicts) -> str | None:
    """Why no advisory was judged, or None when they were.

    "Open advisories (0) None" after a run that could not look would read as a clean bill.
    """
    if any(testcase.id == ADVISORIES for testcase in verdicts.testcases):
        return None
    if verdicts.facts and all(entry.get("cloud") and not entry.get("host") for entry in verdicts.facts):
        return (
            "Not checked by a tenant run: a tenant sees no installed versions. "
            "The operator run judges advisories on the hosts' facts."
        )
    return f"Not checked in this run ({ADVISORIES} was not judged)."


def markdown_lines(
    verdicts: Verdicts,
    subject: str,
    previous: Verdicts | PreviousRun | None = None,
    rows: list[Row] | None = None,
    failing: list[NotPassed] | None = None,
) -> Iterator[str]:
    """The Markdown summary line by line (a file receives them as they come)."""
    rows = rows_of(verdicts) if rows is None else rows
    yield from [
        f"# scs-0124 summary: {subject}",
        "",
        f"Reference date {verdicts.reference_date}, judged {verdicts.judged_at} by patchcheck "
        f"{verdicts.patchcheck_version}.",
        "",
        *([knowledge, ""] if (knowledge := knowledge_line(verdicts)) else []),
        "| testcase | result | findings |",
        "|---|---|---|",
    ]
    yield from [
        f"| {testcase.id} | {testcase.result.value} | {findings_text(result_counts(testcase.items))} |"
        for testcase in verdicts.testcases
    ]
    failing = not_passed(verdicts) if failing is None else failing
    yield from ["", f"## Why not PASS ({len(failing)})", ""]
    if not failing:
        yield "Every testcase PASSes."
    for entry in failing:
        yield from [f"### {entry.testcase}: {entry.result.value} ({findings_text(entry.counts)})", ""]
        if entry.pointer:
            yield f"- {entry.counts[Result.FAIL]} FAIL: {entry.pointer}"
        yield from [f"- FAIL: {sentence}" for sentence in entry.failures]
        if entry.counts[Result.ABORT]:
            yield f"- {entry.counts[Result.ABORT]} ABORT: {ABORTS_BELOW}"
        if not entry.counts:
            yield '- no finding at all: nothing was judged (see "Not decided")'
        yield ""
    warnings = run_warnings(verdicts)
    yield from [f"## Warnings ({len(warnings)})", ""]
    yield from [f"- {warning}" for warning in warnings] or ["None."]
    heading, aborts = aborts_heading(verdicts)
    yield from ["", f"## {heading}", ""]
    if not aborts:
        yield "None."
    for resolution, group in aborts.items():
        yield from [f"### {resolution} ({len(group)})", ""]
        yield from [f"- {abort.testcase}: {abort.reason}" for abort in group]
        yield ""
    opened = open_rows(rows)
    unchecked = advisories_unchecked(verdicts)
    yield from ["", "## Open advisories" + (f" ({len(opened)})" if unchecked is None else ""), ""]
    if unchecked is not None:
        yield unchecked
    elif not opened:
        yield "None."
    for product in sorted({row.product for row in opened}):
        yield from [
            f"### {product}",
            "",
            "| host | version | found in | advisory | severity | deadline (UTC) | time left | status "
            "| what to do |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in sorted((r for r in opened if r.product == product), key=lambda r: (r.deadline, r.host)):
            yield (
                f"| {row.host} | {row.version} | {row.found_in} | [{row.advisory}]({row.url}) | {row.band} "
                f"| {row.deadline} | {time_left(row)} | {row.status} | {row.remedy} |"
            )
        yield ""
    declared = [row for row in rows if row.declared]
    yield from ["", f"## Declared by the operator, not verified ({len(declared)})", ""]
    yield from [
        f"- {row.host} {row.product} {row.version} {row.advisory}: {row.declared['status']} by "
        f"{row.declared['owner']} until {row.declared['expires']} ({row.declared['justification']})"
        for row in declared
    ] or ["None."]
    delta = changes(verdicts, previous, rows)
    yield from ["", "## Since the previous run", ""]
    if delta is None:
        yield "No previous run to compare with."
    else:
        for title, group in (
            ("New", delta.new),
            ("Resolved", delta.resolved),
            ("Newly overdue", delta.newly_overdue),
        ):
            yield (
                f"- {title} ({len(group)}): "
                + (", ".join(f"{r.host} {r.product} {r.advisory}" for r in group) or "none")
            )


def markdown(verdicts: Verdicts, subject: str, previous: Verdicts | PreviousRun | None = None) -> str:
    return "".join(line + "\n" for line in markdown_lines(verdicts, subject, previous))


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:75em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f3f3f3}.where{font-family:monospace;font-size:.9em}.FAIL,.overdue{color:#a00;font-weight:600}.ABORT,.unknown{color:#a60}.PASS{color:#070}"""


def html_parts(
    verdicts: Verdicts,
    subject: str,
    previous: Verdicts | PreviousRun | None = None,
    rows: list[Row] | None = None,
    failing: list[NotPassed] | None = None,
) -> Iterator[str]:
    """The same content as ``markdown``, as one HTML file with no external resources, part by part."""
    e = html.escape
    rows = rows_of(verdicts) if rows is None else rows
    yield from [
        f"<!doctype html><html lang=en><meta charset=utf-8><title>scs-0124 {e(subject)}</title>",
        f"<style>{STYLE}</style><h1>scs-0124 summary: {e(subject)}</h1>",
        f"<p>Reference date {e(verdicts.reference_date)}, judged {e(verdicts.judged_at)} by patchcheck "
        f"{e(verdicts.patchcheck_version)}.</p>",
        f"<p>{e(knowledge)}</p>" if (knowledge := knowledge_line(verdicts)) else "",
        "<table><tr><th>testcase<th>result<th>findings",
    ]
    yield from [
        f"<tr><td>{e(t.id)}<td class={t.result.value}>{t.result.value}"
        f"<td>{findings_text(result_counts(t.items))}"
        for t in verdicts.testcases
    ]
    failing = not_passed(verdicts) if failing is None else failing
    yield f"</table><h2 id=why>Why not PASS ({len(failing)})</h2>"
    if not failing:
        yield "<p>Every testcase PASSes.</p>"
    for entry in failing:
        yield (
            f"<h3>{e(entry.testcase)}: <span class={entry.result.value}>{entry.result.value}</span> "
            f"({findings_text(entry.counts)})</h3><ul>"
        )
        if entry.pointer:
            yield f"<li>{entry.counts[Result.FAIL]} FAIL: {e(entry.pointer)}"
        yield from [f"<li><span class=FAIL>FAIL</span>: {e(sentence)}" for sentence in entry.failures]
        if entry.counts[Result.ABORT]:
            yield f'<li>{entry.counts[Result.ABORT]} ABORT: <a href="#aborts">{e(ABORTS_BELOW)}</a>'
        if not entry.counts:
            yield '<li>no finding at all: nothing was judged (see <a href="#aborts">Not decided</a>)'
        yield "</ul>"
    warnings = run_warnings(verdicts)
    yield f"<h2>Warnings ({len(warnings)})</h2><ul>"
    yield from [f"<li>{e(warning)}" for warning in warnings] or ["<li>None."]
    heading, aborts = aborts_heading(verdicts)
    yield f"</ul><h2 id=aborts>{e(heading)}</h2>"
    if not aborts:
        yield "<p>None.</p>"
    for resolution, group in aborts.items():
        yield f"<h3>{e(resolution)} ({len(group)})</h3><ul>"
        yield from [f"<li>{e(abort.testcase)}: <span class=ABORT>{e(abort.reason)}</span>" for abort in group]
        yield "</ul>"
    opened = open_rows(rows)
    unchecked = advisories_unchecked(verdicts)
    if unchecked is None:
        yield f"<h2 id=advisories>Open advisories ({len(opened)})</h2>"
    else:
        yield f"<h2 id=advisories>Open advisories</h2><p>{e(unchecked)}</p>"
    for product in sorted({row.product for row in opened}):
        yield (
            f"<h3>{e(product)}</h3><table><tr><th>host<th>version<th>found in<th>advisory<th>severity"
            "<th>deadline (UTC)<th>time left<th>status<th>what to do"
        )
        for row in sorted((r for r in opened if r.product == product), key=lambda r: (r.deadline, r.host)):
            status_class = row.status.split(",")[0].replace(" ", "-")
            yield (
                f"<tr><td>{e(row.host)}<td>{e(row.version)}<td class=where>{e(row.found_in)}"
                f'<td><a href="{e(row.url)}">{e(row.advisory)}'
                f"</a><td>{e(row.band)}<td>{e(row.deadline)}<td>{e(time_left(row))}"
                f"<td class={e(status_class)}>{e(row.status)}<td>{e(row.remedy)}"
            )
        yield "</table>"
    if not opened and unchecked is None:  # "not checked" and "None." at once would read as a clean bill
        yield "<p>None.</p>"
    declared = [row for row in rows if row.declared]
    yield f"<h2>Declared by the operator, not verified ({len(declared)})</h2><ul>"
    yield from [
        f"<li>{e(r.host)} {e(r.product)} {e(r.version)} {e(r.advisory)}: {e(r.declared['status'])} by "
        f"{e(r.declared['owner'])} until {e(r.declared['expires'])}"
        for r in declared
    ]
    yield "</ul><h2>Since the previous run</h2>"
    delta = changes(verdicts, previous, rows)
    if delta is None:
        yield "<p>No previous run to compare with.</p>"
    else:
        yield "<ul>"
        for title, group in (
            ("New", delta.new),
            ("Resolved", delta.resolved),
            ("Newly overdue", delta.newly_overdue),
        ):
            listed = ", ".join(f"{r.host} {r.product} {r.advisory}" for r in group) or "none"
            yield f"<li>{title} ({len(group)}): {e(listed)}"
        yield "</ul>"


def html_page(verdicts: Verdicts, subject: str, previous: Verdicts | PreviousRun | None = None) -> str:
    return "".join(html_parts(verdicts, subject, previous)) + "\n"


def write_summaries(
    verdicts: Verdicts,
    subject: str,
    previous: Verdicts | PreviousRun | None,
    markdown_to: TextIO,
    html_to: TextIO,
) -> None:
    """Both summaries, written as they are made: at 10,000 hosts each whole text and its list of
    lines held about 200 MB (``bench/end_to_end_scale.py``)."""
    rows, failing = rows_of(verdicts), not_passed(verdicts)  # once for both
    for line in markdown_lines(verdicts, subject, previous, rows, failing):
        markdown_to.write(line + "\n")
    for part in html_parts(verdicts, subject, previous, rows, failing):
        html_to.write(part)
    html_to.write("\n")
