"""Benchmark: judging many hosts against the full advisory index (issue 8, part 1).

Generates realistic synthetic host facts (package-based, OpenStack-Ansible and
Kolla hosts; versions spread over maintained and unmaintained series;
configuration files), then measures, for each size, in one run:

- the floor: reading and parsing the facts files (``json.loads``);
- loading: the floor plus schema validation and the facts model (``load_facts``);
- the judge core: the plain-Python judges over the loaded facts;
- the whole ``patchcheck judge --facts <folder>`` (load, the pytest compliance
  layer, the verdicts file), as a subprocess, with its CPU time and peak memory.

Prints a table; it never fails on speed. Usage: ``.venv/bin/python bench/judge_scale.py [100 1000 10000]``
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic_hosts import write_hosts

from patchcheck.facts import HostFacts, load_facts
from patchcheck.judge import inventory_complete, maintained_release, ossa_patched, ossn_config
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.series import shipped_series


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(size: int, folder: Path) -> dict[str, float]:
    facts_dir = folder / "facts"
    paths = write_hosts(facts_dir, size)
    index, table = shipped_index(), shipped_series()
    start = cpu_seconds()
    for path in paths:
        json.loads(path.read_text(encoding="utf-8"))
    parse = cpu_seconds() - start
    start = cpu_seconds()
    loaded = [load_facts(path) for path in paths]
    load = cpu_seconds() - start
    now = dt.datetime(2026, 11, 23, 23, 59, tzinfo=dt.UTC)
    start = cpu_seconds()
    findings = 0
    shared = ossa_patched.SharedVerdicts()
    for facts in loaded:
        assert isinstance(facts, HostFacts)
        findings += len(ossa_patched.judge_host_advisories(facts, index, now, shared=shared))
        findings += len(maintained_release.judge_host_release(facts, index, table, now.date()))
        findings += len(ossn_config.judge_host_config(facts, index))
        findings += 1 if inventory_complete.judge_inventory(facts) else 0
    core = cpu_seconds() - start
    del loaded
    command = [
        str(Path(sys.executable).parent / "patchcheck"),
        "judge",
        "--verdicts",
        str(folder / "verdicts.json"),
        "--reference-date",
        "2026-11-23",
        "--facts",
        str(facts_dir),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic()
    subprocess.run(command, capture_output=True, check=False)
    wall = time.monotonic() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "hosts": size,
        "findings": findings,
        "parse_cpu_s": parse,
        "load_cpu_s": load,
        "core_cpu_s": core,
        "core_per_host_ms": core / size * 1000,
        "core_over_parse": core / parse if parse else 0.0,
        "command_wall_s": wall,
        "command_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "command_peak_mb": after.ru_maxrss / 1024,
    }


def main(sizes: list[int]) -> None:
    print("Judge scale (synthetic hosts against the full advisory index; CPU seconds on one core)\n")
    print(
        "| hosts | findings | parse JSON (floor) | load = parse + schema + model | judge core | core ms/host "
        "| core / floor | `patchcheck judge` wall s | its CPU s | its ms/host | its peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="patchcheck-bench-") as scratch:
            r = measure(size, Path(scratch))
        print(
            f"| {r['hosts']} | {r['findings']} | {r['parse_cpu_s']:.2f} | {r['load_cpu_s']:.2f} | "
            f"{r['core_cpu_s']:.2f} | {r['core_per_host_ms']:.2f} | {r['core_over_parse']:.1f} | "
            f"{r['command_wall_s']:.1f} | {r['command_cpu_s']:.1f} | "
            f"{r['command_cpu_s'] / r['hosts'] * 1000:.1f} | {r['command_peak_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100, 1000, 10000])
