"""The clock guard (``scripts/clock-guard``, run by the test command) catches a test that mixes clocks.

Issue 25: a test made a certificate that expired two days before the real today and judged it on a
fixed day; it passed the day it was written and failed from the fourth day on. The guard runs the
unit tests with the clock a year ahead, so such a test fails the day it is written. Here a test of
exactly that shape is written with the day "it was written" (today) as its fixed day, and the guard
must fail it while the plain run passes it; its twin that takes both dates from one clock passes both.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MIXED = """
import datetime as dt

from patchcheck.judge.tenant_visible import tls_finding

WRITTEN_ON = dt.datetime({year}, {month}, {day}, 12, tzinfo=dt.UTC)  # "the day the test judges"


def scan(not_after: dt.datetime) -> dict:
    certificate = {{"trusted": True, "not_after": not_after.isoformat()}}
    return {{"scan": {{"error": None, "protocols": {{"TLSv1.3": ["TLS_AES_128_GCM_SHA256"]}},
            "certificate": certificate}}}}


def test_mixed_clocks() -> None:
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)  # the real clock ...
    finding = tls_finding("c tls x", "x", scan(expired), "max-age=1", WRITTEN_ON)  # ... a fixed day
    assert "certificate expired" in finding.message


def test_one_clock() -> None:
    now = dt.datetime.now(dt.UTC)
    finding = tls_finding("c tls x", "x", scan(now - dt.timedelta(days=2)), "max-age=1", now)
    assert "certificate expired" in finding.message
"""


def run(test_file: Path, shift: str | None) -> subprocess.CompletedProcess[str]:
    """The test file as the plain test command runs it (``shift`` None) or under the guard."""
    if shift is None:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
        env = dict(os.environ)
    else:
        command = [str(REPO / "scripts" / "clock-guard"), str(test_file)]
        env = {**os.environ, "PATCHCHECK_CLOCK_SHIFT": shift, "PYTHON": sys.executable}
    return subprocess.run(
        command, cwd=test_file.parent, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.skipif(
    "FAKETIME" in os.environ,
    reason="the guard's own pass: libfaketime shifts from the real clock, not nested",
)
def test_the_guard_fails_a_test_that_mixes_the_real_clock_with_a_fixed_day(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC)
    test_file = tmp_path / "test_written_today.py"
    test_file.write_text(MIXED.format(year=today.year, month=today.month, day=today.day))
    plain = run(test_file, None)
    assert plain.returncode == 0, plain.stdout[-2000:]
    assert "2 passed" in plain.stdout
    shifted = run(test_file, "+365d")
    assert shifted.returncode == 1, shifted.stdout[-2000:] + shifted.stderr[-2000:]
    assert "test_written_today.py::test_mixed_clocks" in shifted.stdout.split("short test summary")[-1]
    assert "1 failed, 1 passed" in shifted.stdout
