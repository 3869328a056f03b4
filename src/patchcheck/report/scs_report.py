"""The SCS compliance report: the YAML document the SCS compliance monitor receives.

Same shape as ``create_report`` in SovereignCloudStack/standards
``Tests/scs-compliance-check.py``: ``spec{uuid,name,url}``, ``checked_at``,
``reference_date``, ``subject``, and ``run`` with a fresh ``uuid``, ``argv``,
``assignment``, ``sections``, ``forced_version``, ``forced_tests`` and
``invocations`` keyed by invocation id. The monitor keys reports on
``run.uuid`` (a second upload of the same run is answered 409), so each
report gets a new one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import yaml

from patchcheck.files import atomic_writer
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts
from patchcheck.report.line_protocol import log_lines, result_lines
from patchcheck.scope import Scope

SIGNALS = ("info", "warning", "error", "critical")


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


def build_report(
    verdicts: Verdicts,
    scope: Scope,
    subject: str,
    argv: list[str],
    rc: int,
    checked_at: dt.datetime | None = None,
) -> dict[str, Any]:
    run = invocation(verdicts, rc)
    return {
        "spec": {"uuid": scope.uuid, "name": scope.name, "url": scope.url},
        "checked_at": checked_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
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
        },
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    with atomic_writer(path) as handle:
        yaml.safe_dump(report, handle, default_flow_style=False, sort_keys=False, explicit_start=True)


def results_of(report: dict[str, Any]) -> dict[str, Result]:
    """Read back the results the monitor would see (all invocations merged)."""
    merged: dict[str, Result] = {}
    values = {1: Result.PASS, 0: Result.ABORT, -1: Result.FAIL}
    for run in report["run"]["invocations"].values():
        for testcase, value in run["results"].items():
            merged[testcase] = values[value]
    return merged
