"""The SCS compliance report: the YAML document the SCS compliance monitor receives.

Same shape as ``create_report`` in SovereignCloudStack/standards
``Tests/scs-compliance-check.py`` (a test delivers it to the real monitor):
``spec{uuid,name,url}``, ``checked_at`` (when the facts were gathered),
``reference_date``, ``subject``, and ``run`` with a fresh ``uuid``, ``argv``,
``assignment``, ``sections``, ``forced_version``, ``forced_tests`` and
``invocations`` keyed by invocation id, and patchcheck's ``run.reported_at``.
The monitor keys reports on
``run.uuid`` (a second upload of the same run is answered 409), so each
report gets a new one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import yaml

from patchcheck.days import MAX_CLOCK_SKEW, collected_moment
from patchcheck.files import atomic_writer
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe
from patchcheck.report.line_protocol import each_log_line, result_lines
from patchcheck.scope import Scope

SIGNALS = ("info", "warning", "error", "critical")
#: libyaml's safe dumper when PyYAML has it: the pure-Python one took 8 s of the report for 1,000 hosts.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: Log lines packed, and dumped to YAML, at a time (one dump per line would cost seconds at 10,000 hosts).
BATCH_LINES = 2000


class LogLines:
    """The invocation's ``stderr``: a few leading lines as they are, the findings' lines packed.

    One line per finding makes 200,000 lines (57 MB) at 10,000 hosts; as a list beside the YAML
    text being dumped they were the report's highest point (issue 26). The lines are kept in
    batches of ``BATCH_LINES``, each a JSON array compressed with zlib (about a tenth of the
    text), counted by signal as they come; ``write_report`` streams them into the YAML.
    Iterating gives the lines in order; ``==`` compares with a list.
    """

    def __init__(self, lines: Iterable[str]) -> None:
        self.head: list[str] = []
        self.batches: list[bytes] = []
        self.counts: Counter[str] = Counter()
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            self.counts[signal_of(line)] += 1
            if len(batch) >= BATCH_LINES:
                self.batches.append(zlib.compress(json.dumps(batch).encode("ascii"), 1))
                batch = []
        if batch:
            self.batches.append(zlib.compress(json.dumps(batch).encode("ascii"), 1))

    def prepend(self, lines: list[str]) -> None:
        self.head[:0] = lines
        for line in lines:
            self.counts[signal_of(line)] += 1

    def __iter__(self) -> Iterator[str]:
        yield from self.head
        for batch in self.batches:
            yield from json.loads(zlib.decompress(batch))

    def __len__(self) -> int:
        return sum(self.counts.values())

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def signal_of(line: str) -> str:
    """The SCS log signal a line counts as (its prefix, as the compliance suite counts), or ''."""
    lowered = line[:8].lower()
    return next((signal for signal in SIGNALS if lowered.startswith(signal)), "")


def invocation(verdicts: Verdicts, rc: int) -> dict[str, Any]:
    stdout = result_lines(verdicts)
    stderr = LogLines(each_log_line(verdicts))
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "cmd": " ".join(verdicts.command),
        "results": {testcase.id: testcase.result.scs_value for testcase in verdicts.testcases},
        "rc": rc,
        "stdout": stdout,
        "stderr": stderr,
    }
    for signal in SIGNALS:
        record[signal] = stderr.counts[signal] + sum(1 for line in stdout if signal_of(line) == signal)
    return record


def gathered_at(verdicts: Verdicts, now: dt.datetime) -> tuple[dt.datetime | None, list[str]]:
    """When the evidence was gathered: the oldest facts file's ``collected_at`` (None if none says).

    A moment after ``now`` (plus the judge's clock skew) is no evidence of anything: it is left
    out with a WARNING, so checked_at never lies in the future (the judge refuses such facts;
    this holds for any verdicts file).
    """
    moments, warnings = [], []
    for source in verdicts.facts:
        moment = collected_moment(str(source.get("collected_at")))
        if moment is None:
            continue
        if moment > now + MAX_CLOCK_SKEW:
            warnings.append(
                f"WARNING: facts {source.get('path')} say they were gathered at "
                f"{source.get('collected_at')}, after this report's time {now.isoformat()}: "
                "not used for checked_at"
            )
            continue
        moments.append(moment)
    oldest = min(moments).astimezone(dt.UTC).replace(microsecond=0) if moments else None
    return oldest, warnings


def valid_until(checked_at: dt.datetime, lifetime: str | None) -> dt.datetime | None:
    """When a result checked at ``checked_at`` stops counting (scs-0004, Regulations 2 and 3).

    A ``day`` result counts until midnight two days later, a ``week`` result until the Monday
    after next, a ``month`` result until the first day of the month after next (UTC here).
    """
    day = checked_at.astimezone(dt.UTC).date()
    if lifetime == "day":
        end = day + dt.timedelta(days=2)
    elif lifetime in (None, "week"):
        end = day + dt.timedelta(days=14 - day.weekday())
    elif lifetime == "month":
        month = day.month + 2
        end = dt.date(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    else:
        return None
    return dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC)


def staleness_lines(scope: Scope, checked_at: dt.datetime, now: dt.datetime) -> list[str]:
    """A WARNING per testcase whose result is already too old to count when it is reported."""
    lines = []
    for testcase in scope.testcases:
        until = valid_until(checked_at, testcase.lifetime)
        if until is not None and now >= until:
            lines.append(
                f"WARNING: {testcase.id}: facts gathered {checked_at.isoformat()} are older than the "
                f"testcase's lifetime ({testcase.lifetime}: valid until {until.isoformat()}); "
                "the monitor will not count this result, gather again"
            )
    return lines


#: Reports up to this long after gathering get distinct fractions of a second (``ordered``).
ORDER_SPAN = dt.timedelta(days=31)


def ordered(gathered: dt.datetime, now: dt.datetime) -> dt.datetime:
    """``gathered`` (whole seconds) plus a fraction of a second that grows with ``now``.

    The monitor shows, per subject and scope, the report with the latest ``checked_at``. Facts
    judged again (the local job re-judges kept facts when the knowledge changed) gave reports
    with equal ``checked_at``, and the monitor then showed either, an older PASS after a newer
    ABORT (issue 29, point 4). The fraction orders them, newest last, and moves ``checked_at`` by
    less than a second: a result still ages from when its facts were gathered. It grows with the
    logarithm of the time since gathering (in milliseconds, up to ``ORDER_SPAN``): reports a few
    milliseconds apart are told apart right after gathering, a second apart a day later, a
    minute apart a week later.
    """
    elapsed_ms = max(0.0, (now - gathered).total_seconds() * 1000)
    span_ms = ORDER_SPAN.total_seconds() * 1000
    fraction = int(999_999 * math.log1p(min(elapsed_ms, span_ms)) / math.log1p(span_ms))
    return gathered + dt.timedelta(microseconds=fraction)


def build_report(
    verdicts: Verdicts,
    scope: Scope,
    subject: str,
    argv: list[str],
    rc: int,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The report; ``checked_at`` is when the facts were gathered (its fraction of a second orders
    reports of the same facts: ``ordered``), ``run.reported_at`` when this ran.

    The monitor judges a result's age by ``checked_at``: stamping the report's own time there
    would make five-day-old facts look checked today.
    """
    precise = now or dt.datetime.now(dt.UTC)
    now = precise.replace(microsecond=0)
    gathered, future = gathered_at(verdicts, now)
    checked_at = ordered(gathered, precise) if gathered else now
    run = invocation(verdicts, rc)
    stale = future + staleness_lines(scope, checked_at, now)
    if not gathered:
        stale.insert(0, "WARNING: no facts file says when it was gathered: checked_at is the report's time")
    knowledge = [f"INFO: {describe(verdicts.knowledge)}"] if verdicts.knowledge else []
    run["stderr"].prepend(knowledge + stale)
    run["warning"] += len(stale)
    run["info"] += len(knowledge)
    return {
        "spec": {"uuid": scope.uuid, "name": scope.name, "url": scope.url},
        "checked_at": checked_at,
        "reference_date": dt.date.fromisoformat(verdicts.reference_date),
        "subject": subject,
        "run": {
            "uuid": str(uuid.uuid4()),
            "argv": argv,
            "assignment": {"subject": subject},
            "sections": None,
            "forced_version": None,
            "forced_tests": verdicts.tests,
            "invocations": {run["id"]: run},
            "reported_at": now,
        },
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """The report as YAML; each invocation's ``LogLines`` streamed in batches, not held as text.

    The document is dumped with a placeholder for each such ``stderr``; the placeholder's line is
    then replaced by the lines, dumped ``BATCH_LINES`` at a time as the block sequence the whole
    dump would have written (same indentation and line width, so the same text:
    ``tests/unit/test_reports.py`` compares it with ``yaml.dump`` of the plain document).
    """
    streamed: dict[str, LogLines] = {}
    for run in report["run"]["invocations"].values():
        if isinstance(run.get("stderr"), LogLines):
            token = f"patchcheck-stderr-{uuid.uuid4().hex}"
            streamed[token] = run["stderr"]
            run["stderr"] = token
    try:
        text = yaml.dump(
            report, Dumper=DUMPER, default_flow_style=False, sort_keys=False, explicit_start=True
        )
    finally:
        for token, lines in streamed.items():
            for run in report["run"]["invocations"].values():
                if run.get("stderr") == token:
                    run["stderr"] = lines
    with atomic_writer(path) as handle:
        pieces = PLACEHOLDER.split(text)  # text, indent, token, text, indent, token, ..., text
        handle.write(pieces[0])
        for number in range(1, len(pieces), 3):
            write_sequence(handle, "stderr", pieces[number], streamed[pieces[number + 1]])
            handle.write(pieces[number + 2])


#: The line ``yaml.dump`` writes for a placeholder (a plain scalar: letters, digits, dashes).
PLACEHOLDER = re.compile(r"(?m)^( *)stderr: (patchcheck-stderr-[0-9a-f]{32})\n")
#: The dumper's line width: a nested sequence is dumped alone at the width left after its indent.
WIDTH = 80


def write_sequence(handle: TextIO, key: str, indent: str, lines: Iterable[str]) -> None:
    """``key:`` and ``lines`` as the block sequence ``yaml.dump`` writes ``len(indent)`` columns in."""
    batch: list[str] = []
    wrote = False

    def flush() -> None:
        dumped = yaml.dump(batch, Dumper=DUMPER, default_flow_style=False, width=WIDTH - len(indent))
        # "\n" only: a line break inside a quoted scalar is written bare, without indentation
        handle.write("".join((indent + line if line else line) + "\n" for line in dumped[:-1].split("\n")))
        batch.clear()

    for line in lines:
        if not wrote:
            handle.write(f"{indent}{key}:\n")
            wrote = True
        batch.append(line)
        if len(batch) >= BATCH_LINES:
            flush()
    if batch:
        flush()
    if not wrote:
        handle.write(f"{indent}{key}: []\n")


def results_of(report: dict[str, Any]) -> dict[str, Result]:
    """Read back the results the monitor would see (all invocations merged)."""
    merged: dict[str, Result] = {}
    values = {1: Result.PASS, 0: Result.ABORT, -1: Result.FAIL}
    for run in report["run"]["invocations"].values():
        for testcase, value in run["results"].items():
            merged[testcase] = values[value]
    return merged
