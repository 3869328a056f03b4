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
import uuid
from pathlib import Path
from typing import Any

import yaml

from patchcheck.days import MAX_CLOCK_SKEW, collected_moment
from patchcheck.files import atomic_writer
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe
from patchcheck.report.line_protocol import log_lines, result_lines
from patchcheck.scope import Scope

SIGNALS = ("info", "warning", "error", "critical")
#: libyaml's safe dumper when PyYAML has it: the pure-Python one took 8 s of the report for 1,000 hosts.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def invocation(verdicts: Verdicts, rc: int) -> dict[str, Any]:
    stdout = result_lines(verdicts)
    stderr = log_lines(verdicts)
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "cmd": " ".join(verdicts.command),
        "results": {testcase.id: testcase.result.scs_value for testcase in verdicts.testcases},
        "rc": rc,
        "stdout": stdout,
        "stderr": stderr,
    }
    for signal in SIGNALS:
        record[signal] = sum(1 for line in [*stderr, *stdout] if line.lower().startswith(signal))
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


def build_report(
    verdicts: Verdicts,
    scope: Scope,
    subject: str,
    argv: list[str],
    rc: int,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The report; ``checked_at`` is when the facts were gathered, ``run.reported_at`` when this ran.

    The monitor judges a result's age by ``checked_at``: stamping the report's own time there
    would make five-day-old facts look checked today.
    """
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    gathered, future = gathered_at(verdicts, now)
    checked_at = gathered or now
    run = invocation(verdicts, rc)
    stale = future + staleness_lines(scope, checked_at, now)
    if not gathered:
        stale.insert(0, "WARNING: no facts file says when it was gathered: checked_at is the report's time")
    knowledge = [f"INFO: {describe(verdicts.knowledge)}"] if verdicts.knowledge else []
    run["stderr"] = knowledge + stale + run["stderr"]
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
    with atomic_writer(path) as handle:
        yaml.dump(
            report, handle, Dumper=DUMPER, default_flow_style=False, sort_keys=False, explicit_start=True
        )


def results_of(report: dict[str, Any]) -> dict[str, Result]:
    """Read back the results the monitor would see (all invocations merged)."""
    merged: dict[str, Result] = {}
    values = {1: Result.PASS, 0: Result.ABORT, -1: Result.FAIL}
    for run in report["run"]["invocations"].values():
        for testcase, value in run["results"].items():
            merged[testcase] = values[value]
    return merged
