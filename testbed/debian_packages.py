"""Debian packages for the test set-up: which are missing, and installing them with nothing started.

Used by the real-Zuul harness (zuul_ci.py) and by integration tests that need Debian's own
packages. ``policy-rc.d`` returning 101 keeps Debian from starting what it installs
(ZooKeeper on every interface, sshd on port 22, ...): the tests run their own, on 127.0.0.1.
Standard library only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

POLICY = Path("/usr/sbin/policy-rc.d")


def missing(packages: tuple[str, ...] | list[str]) -> list[str]:
    """The packages dpkg does not report as installed."""
    absent = []
    for package in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Status}", package], capture_output=True, text=True, check=False
        )
        if result.stdout.strip() != "install ok installed":
            absent.append(package)
    return absent


def install(packages: list[str]) -> str | None:
    """``apt-get update`` and ``install`` as root with no service started; the error, or None."""
    if not packages:
        return None
    if os.geteuid() != 0:
        return f"root is needed to apt-get install {' '.join(packages)}"
    created = not POLICY.exists()
    if created:
        POLICY.write_text("#!/bin/sh\nexit 101\n")
        POLICY.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=False)
        result = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            env=env,
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
    finally:
        if created:
            POLICY.unlink()
    if result.returncode != 0:
        return f"apt-get install {' '.join(packages)}: {result.stderr[-1500:]}"
    return None


def main(argv: list[str]) -> int:
    """``debian_packages.py PACKAGE ...``: install those that are missing; 0 when all are there."""
    error = install(missing(argv))
    if error:
        print(f"debian_packages: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
