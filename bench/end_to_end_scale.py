"""Benchmark: the whole pipeline at fleet scale, judge to the report's last file (issue 26, point 12).

For each size, synthetic host facts (``synthetic_hosts``) go through
``patchcheck judge`` and then ``patchcheck report`` (report.yaml, JUnit, summaries,
CycloneDX VEX, OpenVEX, SBOM), each as its own process. Prints, per step, the wall
time and that process's peak RSS (``os.wait4``), the verdicts file's size and the
outputs' total size, beside the targets of a Zuul job: all of it within its
1,800 s timeout and every step under 300 MB.

Prints a table; it never fails on speed. Usage:
``.venv/bin/python bench/end_to_end_scale.py [1000 10000]``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic_hosts import write_hosts

ZUUL_TIMEOUT_S = 1800
RSS_TARGET_MB = 300


def run(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one process."""
    env = {**os.environ, "PATCHCHECK_KNOWLEDGE_DIR": "shipped", "PATCHCHECK_MAX_KNOWLEDGE_AGE": "36500"}
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - started, usage.ru_maxrss / 1024, process.returncode


def measure(size: int, folder: Path) -> dict[str, float]:
    patchcheck = str(Path(sys.executable).parent / "patchcheck")
    facts, verdicts, out = folder / "facts", folder / "verdicts.json", folder / "out"
    write_hosts(facts, size)
    judge = [patchcheck, "judge", "--facts", str(facts), "--verdicts", str(verdicts)]
    judge_s, judge_mb, judge_rc = run([*judge, "--reference-date", "2026-11-23"])
    report = [patchcheck, "report", "--verdicts", str(verdicts), "--subject", "bench", "--out-dir", str(out)]
    report_s, report_mb, report_rc = run(report)
    outputs = sum(path.stat().st_size for path in out.glob("*") if path.is_file()) if out.exists() else 0
    return {
        "hosts": size,
        "judge_s": judge_s,
        "judge_mb": judge_mb,
        "judge_rc": judge_rc,
        "verdicts_mb": verdicts.stat().st_size / 2**20 if verdicts.exists() else 0.0,
        "report_s": report_s,
        "report_mb": report_mb,
        "report_rc": report_rc,
        "outputs_mb": outputs / 2**20,
    }


def main(sizes: list[int]) -> None:
    print(
        f"End to end (synthetic hosts: judge, then report with VEX, SBOM, summaries, JUnit; targets: "
        f"{ZUUL_TIMEOUT_S} s in all, {RSS_TARGET_MB} MB per process)\n"
    )
    print(
        "| hosts | judge wall s | judge peak MB | verdicts MB | report wall s | report peak MB "
        "| outputs MB | total s | within targets |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="patchcheck-bench-") as scratch:
            r = measure(size, Path(scratch))
        total = r["judge_s"] + r["report_s"]
        within = (
            total < ZUUL_TIMEOUT_S
            and max(r["judge_mb"], r["report_mb"]) < RSS_TARGET_MB
            and r["judge_rc"] in (0, 1, 3)
            and r["report_rc"] in (0, 1, 3)
        )
        print(
            f"| {size} | {r['judge_s']:.1f} | {r['judge_mb']:.0f} | {r['verdicts_mb']:.1f} | "
            f"{r['report_s']:.1f} | {r['report_mb']:.0f} | {r['outputs_mb']:.1f} | {total:.1f} | "
            f"{'yes' if within else 'no'} (exit {r['judge_rc']}/{r['report_rc']}) |",
            flush=True,
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10000])
