"""Benchmark: gathering N hosts against the floor, ``ansible -m ping`` to the same hosts (issue 8, part 2).

N inventory hosts on the local connection (each a separate Ansible host, so every
one costs a module round trip, with the project's ``forks``). In one run and in
alternating order, per N: ``ansible -m ansible.builtin.ping``; ``bench/gather_hosts.yaml``
(the operator playbook's gathering play alone); the whole ``playbooks/operator_check.yaml``
(gather, judge, report). Also the bytes of the facts written per host.

Prints a table; never fails on speed. Usage: ``.venv/bin/python bench/host_gathering.py [1 10 50]``
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROUNDS = 3
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def inventory(folder: Path, size: int) -> Path:
    hosts = {f"bench{number:03d}": LOCAL for number in range(size)}
    path = folder / "inventory.json"
    path.write_text(json.dumps({"all": {"hosts": {"localhost": LOCAL, **hosts}}}))
    return path


def timed(argv: list[str]) -> float:
    start = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=ENV)
    elapsed = time.monotonic() - start
    if result.returncode not in (0, 1, 3):  # the operator playbook fails on a non-compliant machine
        sys.exit(
            f"bench: {argv[0]} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return elapsed


ENV = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "default"}


def measure(size: int, folder: Path) -> dict[str, float]:
    hosts = inventory(folder, size)
    out = folder / "out"
    ping = [str(BIN / "ansible"), "all:!localhost", "-i", str(hosts), "-m", "ansible.builtin.ping"]
    gather = [
        str(BIN / "ansible-playbook"), "bench/gather_hosts.yaml", "-i", str(hosts),
        "-e", f"patchcheck_output_dir={out}",
    ]  # fmt: skip
    operator = [
        str(BIN / "ansible-playbook"), "playbooks/operator_check.yaml", "-i", str(hosts),
        "-e", f"patchcheck_output_dir={out}", "-e", "patchcheck_fail_on_noncompliance=false",
        "-e", "patchcheck_live_checks=false",
    ]  # fmt: skip
    (out / "facts").mkdir(parents=True)
    times: dict[str, list[float]] = {"ping": [], "gather": [], "operator": []}
    for _round in range(ROUNDS):  # alternate, so that drift on a shared machine hits all three alike
        times["ping"].append(timed(ping))
        times["gather"].append(timed(gather))
        times["operator"].append(timed(operator))
    facts = sorted((out / "facts").glob("host-bench*.json"))
    if len(facts) != size:
        sys.exit(f"bench: expected {size} facts files, found {len(facts)}")
    ping_s, gather_s, operator_s = (statistics.median(times[key]) for key in ("ping", "gather", "operator"))
    return {
        "hosts": size,
        "ping_s": ping_s,
        "gather_s": gather_s,
        "gather_over_ping": gather_s / ping_s,
        "operator_s": operator_s,
        "bytes_per_host": statistics.mean(path.stat().st_size for path in facts),
    }


def main(sizes: list[int]) -> None:
    print(
        f"Host gathering (local connection, forks from ansible.cfg, median of {ROUNDS} alternating rounds)\n"
    )
    print(
        "| hosts | ansible -m ping s | gathering play s | gathering / ping | whole operator playbook s "
        "| facts bytes per host |"
    )
    print("|---|---|---|---|---|---|")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="patchcheck-bench-") as scratch:
            r = measure(size, Path(scratch))
        print(
            f"| {r['hosts']} | {r['ping_s']:.1f} | {r['gather_s']:.1f} | {r['gather_over_ping']:.2f} | "
            f"{r['operator_s']:.1f} | {r['bytes_per_host']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1, 10, 50])
