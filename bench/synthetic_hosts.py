"""Synthetic host facts for the judge's benchmark and its equivalence test.

Realistic in shape (package-based, OpenStack-Ansible and Kolla hosts; versions
spread over maintained and unmaintained series; configuration files) and
reproducible: the same seed gives the same documents, so a benchmark's facts can
be judged again after a change and the verdicts compared (tests/unit/test_judge_equivalence.py).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

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


def write_hosts(folder: Path, size: int, seed: int | None = None) -> list[Path]:
    """``size`` host facts files in ``folder``; the seed defaults to the size, as the benchmark uses."""
    rng = random.Random(size if seed is None else seed)  # noqa: S311  (reproducible data, not cryptography)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(size):
        path = folder / f"host-{number:05d}.json"
        path.write_text(json.dumps(host_document(number, rng), indent=1))
        paths.append(path)
    return paths
