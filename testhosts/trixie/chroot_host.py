"""A built test-host root brought to life and put away again: extracted, mounted, its container running.

Shared by ``build`` (package scripts and ``podman import`` need the mounts) and the integration test
(``tests/integration/test_operator_trixie.py``), so both mount the root the same way. What podman inside a
chroot needs on this machine (Debian 12, itself inside a container with hybrid cgroups), found by trying:

- the chroot's "/" must be a mount point: podman's layer code remounts "/" private and gets EINVAL otherwise
  (``remount /, flags: 0x44000: invalid argument``), so the root is bind-mounted onto itself first;
- crun refuses hybrid cgroups (``cgroups in hybrid mode not supported``) and a sysfs without a cgroup file
  system (``invalid file system type on /sys/fs/cgroup``): a fresh sysfs with only the (controller-less)
  cgroup2 hierarchy at /sys/fs/cgroup works, with ``cgroups = "disabled"`` in the root's containers.conf;
- overlay storage works on this ext4; the container's merged layer is then a real mount inside the root.

Everything mounted is unmounted again (``umount -R`` each, innermost first); the container is removed
first, and its conmon (started by podman inside the root, reparented to init) is killed by the pid podman
recorded. Standard library only. Needs root.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

CHROOT_ENV = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL": "C.UTF-8",
    "DEBIAN_FRONTEND": "noninteractive",
    "PODMAN_IGNORE_CGROUPSV1_WARNING": "1",
}
#: Mounted inside the root, in this order: (source, target below the root, mount arguments).
MOUNTS = (
    ("proc", "proc", ["-t", "proc"]),
    ("sysfs", "sys", ["-t", "sysfs"]),
    ("cgroup2", "sys/fs/cgroup", ["-t", "cgroup2"]),
    ("/dev", "dev", ["--rbind"]),
    ("tmpfs", "run", ["-t", "tmpfs", "-o", "mode=0755"]),
    ("tmpfs", "tmp", ["-t", "tmpfs", "-o", "mode=1777"]),
)
#: Below these the root holds kernel and runtime file systems, never files of the host's own.
MOUNTED = tuple(target for _, target, _ in MOUNTS)
TIMEOUT_S = 300


def in_root(root: Path, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """A command inside ``root`` with a clean environment."""
    result = subprocess.run(
        ["chroot", str(root), *argv],
        env=CHROOT_ENV,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"chroot {root} {' '.join(argv)}: {result.returncode}: {result.stderr[-2000:]}")
    return result


def mount_points(root: Path) -> list[str]:
    """The mount points at or below ``root``, from the kernel's own list."""
    prefix = str(root.resolve())
    points = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return points


@contextlib.contextmanager
def mounted(root: Path) -> Iterator[Path]:
    """``root`` as a mount point (bound onto itself unless it is one) with /proc, /sys (+cgroup2), /dev, /run
    and /tmp inside; exactly these are unmounted afterwards, the innermost first."""
    root = root.resolve()
    ours: list[Path] = []
    try:
        if str(root) not in mount_points(root):
            subprocess.run(["mount", "--bind", str(root), str(root)], check=True, timeout=60)
            ours.append(root)
        for source, target, args in MOUNTS:
            path = root / target
            path.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", *args, source, str(path)], check=True, timeout=60)
            ours.append(path)
        yield root
    finally:
        for path in reversed(ours):
            if subprocess.run(["umount", "-R", str(path)], check=False, timeout=120).returncode != 0:
                subprocess.run(["umount", "-R", "-l", str(path)], check=False, timeout=120)


@contextlib.contextmanager
def in_memory(path: Path, size: str = "6G") -> Iterator[Path]:
    """A tmpfs at ``path``: extracting, walking and removing the 1.5 GB root takes seconds, not minutes."""
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True, timeout=60
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False, timeout=120)
        if mount_points(path):
            subprocess.run(["umount", "-l", str(path)], check=False, timeout=120)


@contextlib.contextmanager
def fresh_root(tarball: Path, root: Path) -> Iterator[Path]:
    """A fresh copy of the built root in memory: every run starts from the cached build, unchanged."""
    root.mkdir(parents=True, exist_ok=True)
    with in_memory(root, "4G"):
        subprocess.run(
            [
                "tar",
                "--numeric-owner",
                "--xattrs",
                "--xattrs-include=*",
                "-C",
                str(root),
                "-xf",
                str(tarball),
            ],
            check=True,
            timeout=TIMEOUT_S,
        )
        yield root


@contextlib.contextmanager
def container_running(root: Path, name: str, image: str, *volumes: str) -> Iterator[str]:
    """One container run by the root's own podman (no network), removed afterwards with its conmon."""
    argv = ["podman", "run", "--detach", "--name", name, "--network", "none"]
    for volume in volumes:
        argv += ["--volume", volume]
    container_id = ""
    try:
        container_id = in_root(root, *argv, image).stdout.strip()
        yield container_id
    finally:
        conmon = root / "run" / "containers" / "storage" / "overlay-containers" / container_id / "userdata"
        pid_file = conmon / "conmon.pid"
        pid = int(pid_file.read_text()) if container_id and pid_file.is_file() else None
        in_root(root, "podman", "rm", "--force", "--time", "0", name, check=False)
        comm = Path(f"/proc/{pid}/comm")
        if pid is not None and comm.is_file() and comm.read_text().strip() == "conmon":
            stop_pid(pid)


def stop_pid(pid: int) -> None:
    """Ends one process we started (conmon outlives ``podman rm`` briefly): TERM, then KILL after 10 s."""
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
