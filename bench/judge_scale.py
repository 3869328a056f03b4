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
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from patchcheck.facts import HostFacts, load_facts
from patchcheck.judge import inventory_complete, maintained_release, ossa_patched, ossn_config
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.series import shipped_series

#: (product, versions over several series): Zed .. Hibiscus and a few unmaintained ones.
VERSIONS = {
    "nova": ["26.2.2", "27.4.0", "28.2.0", "29.0.1", "30.2.1", "31.2.0", "32.1.0", "33.0.2", "34.0.0"],
    "keystone": ["22.0.2", "23.0.1", "24.0.0", "25.0.0", "26.0.0", "27.0.0", "28.0.1", "29.0.0", "30.0.0"],
    "neutron": ["21.2.0", "22.1.0", "23.2.0", "24.0.1", "25.0.0", "26.0.2", "27.0.1", "28.0.0", "29.0.0"],
    "cinder": ["21.3.0", "22.1.2", "23.1.0", "24.0.0", "25.1.0", "26.1.0", "27.0.0", "28.0.0", "29.0.0"],
    "glance": ["25.1.0", "26.0.1", "27.0.0", "28.0.1", "29.1.0", "30.1.0", "31.0.0", "32.0.0", "33.0.0"],
    "os-brick": ["6.1.0", "6.2.2", "6.4.0", "6.7.0", "6.9.0", "6.11.0", "7.0.0", "7.1.1"],
    "oslo-messaging": ["14.0.3", "14.2.1", "14.7.0", "14.9.1", "16.1.1", "17.1.0", "17.3.0", "18.3.1"],
}
CONFIG = {
    "nova": {
        "nova.conf": {
            "DEFAULT": {"transport_url": {"redacted": True, "empty": False, "scheme": "rabbit", "query": ""}},
            "libvirt": {"images_type": "qcow2"},
        }
    },
    "keystone": {"keystone.conf": {"identity": {"driver": "sql"}}},
    "glance": {"glance-api.conf": {"DEFAULT": {"show_multiple_locations": "false"}}},
}


def host_document(number: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["dpkg", "dpkg", "openstack-ansible", "kolla"])
    packages, python, containers = [], [], []
    for product, versions in VERSIONS.items():
        version = rng.choice(versions)
        if kind == "dpkg":
            packages.append(
                {
                    "manager": "dpkg",
                    "name": f"python3-{product}",
                    "source": product,
                    "product": product,
                    "version": f"2:{version}-0+deb12u{rng.randint(1, 6)}",
                    "changelog_cves": rng.sample(
                        ["CVE-2024-40767", "CVE-2024-32498", "CVE-2023-2088", "CVE-2026-24708"],
                        k=rng.randint(0, 3),
                    ),
                }
            )
        else:
            env = {
                "kind": "openstack-ansible" if kind == "openstack-ansible" else "kolla",
                "path": f"/openstack/venvs/{product}-{version}",
                "service": product,
                "distributions": [{"name": product, "product": product, "version": version, "git_sha": None}],
            }
            if kind == "kolla":
                containers.append(
                    {
                        "engine": "docker",
                        "name": f"{product}_api",
                        "image": f"kolla/{product}:x",
                        "labels": {"kolla_version": "19.1.0"},
                        "python": [env],
                        "readable": True,
                    }
                )
            else:
                python.append(env)
    config = {
        service: {
            f"/etc/{service}/{name}": {
                "path": f"/etc/{service}/{name}",
                "folder": f"/etc/{service}",
                "name": name,
                "owner": "root",
                "group": service,
                "mode": "0640",
                "readable": True,
                "format": "ini",
                "sections": sections,
            }
            for name, sections in files.items()
        }
        for service, files in CONFIG.items()
    }
    return {
        "schema_version": 1,
        "kind": "host",
        "collected_at": "2026-11-23T00:00:00Z",
        "collector": {"name": "patchcheck", "version": "bench"},
        "host": f"host{number:05d}",
        "reachable": True,
        "packages": packages,
        "python": python,
        "containers": containers,
        "config": config,
        "errors": [],
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(size: int, folder: Path) -> dict[str, float]:
    rng = random.Random(size)  # noqa: S311  (reproducible synthetic data, not cryptography)
    facts_dir = folder / "facts"
    facts_dir.mkdir()
    paths = []
    for number in range(size):
        path = facts_dir / f"host-{number:05d}.json"
        path.write_text(json.dumps(host_document(number, rng), indent=1))
        paths.append(path)
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
    for facts in loaded:
        assert isinstance(facts, HostFacts)
        findings += len(ossa_patched.judge_host_advisories(facts, index, now))
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
