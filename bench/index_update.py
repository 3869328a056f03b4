"""Benchmark: `patchcheck index update` beside a plain `git fetch` of the same repositories.

Three bare repositories (openstack/ossa, security-doc, releases) are made from the upstream
snapshots in ../shared/data and fetched through file:// URLs, so the figures are the tool's
own cost, not the network's. Measured: the first update (clone and build), an update with
nothing new, an update with one new advisory, and a shallow `git fetch` of all three
repositories with nothing new (the floor of "is there anything new?").
Usage: ``.venv/bin/python bench/index_update.py``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from upstream_repos import ENV, publish, upstream_repositories

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
PATCHCHECK = str(Path(sys.executable).parent / "patchcheck")
ADVISORY = (
    "date: 2026-11-20\nid: OSSA-2026-099\ntitle: bench\naffected-products:\n  - product: Nova\n"
    "    version: '<29.9.0'\nvulnerabilities:\n  - cve-id: CVE-2026-99999\n"
)


def timed(argv: list[str], cwd: Path | None = None) -> float:
    start = time.monotonic()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=ENV, timeout=1800)
    return time.monotonic() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="patchcheck-bench-update-") as scratch:
        root = Path(scratch)
        repos = upstream_repositories(root, DATA)
        urls = [
            "--ossa-url",
            repos["ossa"][1].as_uri(),
            "--security-doc-url",
            repos["security-doc"][1].as_uri(),
            "--releases-url",
            repos["releases"][1].as_uri(),
        ]
        update = [PATCHCHECK, "index", "update", "--cache", str(root / "cache"), *urls]
        first = timed(update)
        nothing = timed(update)
        plain = 0.0
        for name in repos:
            plain += timed(
                ["git", "fetch", "--quiet", "--depth", "1", "origin", "HEAD"],
                cwd=root / "cache" / "sources" / name,
            )
        publish(*repos["ossa"], {"ossa/OSSA-2026-099.yaml": ADVISORY}, "new")
        one_new = timed(update)
    print("Knowledge update (file:// repositories built from the snapshots; wall seconds)\n")
    print("| step | seconds |")
    print("|---|---|")
    print(f"| first `index update` (shallow clones, build, switch) | {first:.2f} |")
    print(f"| `index update` with nothing new | {nothing:.2f} |")
    print(f"| plain shallow `git fetch` of the three repositories, nothing new | {plain:.2f} |")
    print(f"| `index update` with one new advisory (fetch, rebuild, switch) | {one_new:.2f} |")


if __name__ == "__main__":
    main()
