"""Where ``patchcheck judge`` spends its time: one profiled run, split by stage.

The judge-scale table says how far the whole command is from the bare parse of
its facts; this one says why. It runs ``patchcheck judge`` in-process under
cProfile on the benchmark's synthetic hosts and attributes the cumulative time
of a few functions to stages: loading the facts, judging (the plain-Python
judges), pytest's collection, pytest's per-item protocol (what is left of the
run loop after judging and recording), writing the verdicts, and start-up.
Shares are of the profiled run (cProfile slows Python code about 2x, evenly
enough for shares). Usage: ``.venv/bin/python bench/judge_profile.py [1000]``
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import sys
import tempfile
from pathlib import Path

from synthetic_hosts import write_hosts

from patchcheck import cli

#: stage -> (file suffix, function name) whose cumulative time the stage is.
STAGES = {
    "load facts (read, validate, model)": ("facts/load.py", "load_facts"),
    "judge (plain-Python judges)": ("judge/verdict.py", "findings"),
    "record verdicts (encode, spool, write)": ("judge/pytest_plugin.py", "record"),
    "pytest collection": ("_pytest/main.py", "pytest_collection"),
    "pytest run loop": ("_pytest/main.py", "pytest_runtestloop"),
    "whole command": ("patchcheck/cli/__init__.py", "main"),
}


def cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and filename.endswith(suffix):
            total = max(total, row[3])  # recursive entries repeat the outermost total
    return total


def main(size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="patchcheck-profile-") as scratch:
        facts = Path(scratch) / "facts"
        write_hosts(facts, size)
        argv = ["judge", "--facts", str(facts), "--verdicts", str(Path(scratch) / "verdicts.json")]
        argv += ["--reference-date", "2026-11-23"]
        profiler = cProfile.Profile()
        saved, sys.argv = sys.argv, ["patchcheck", *argv]
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # pytest's progress, not the table
                profiler.runcall(cli.main, argv)
        finally:
            sys.argv = saved
    stats = pstats.Stats(profiler)
    times = {stage: cumulative(stats, *where) for stage, where in STAGES.items()}
    whole = times.pop("whole command")
    loop = times.pop("pytest run loop")
    judged, recorded = times["judge (plain-Python judges)"], times["record verdicts (encode, spool, write)"]
    times["pytest per-item protocol (run loop less judging and recording)"] = loop - judged - recorded
    times["start-up, imports, report header"] = whole - sum(times.values())
    print(f"Where `patchcheck judge` spends its time ({size} hosts, one profiled run)\n")
    print("| stage | profiled s | share | per host ms |")
    print("|---|---|---|---|")
    for stage, seconds in times.items():
        print(f"| {stage} | {seconds:.2f} | {seconds / whole:.0%} | {seconds / size * 1000:.2f} |")
    print(f"| whole command | {whole:.2f} | 100% | {whole / size * 1000:.2f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
