"""Git repositories like openstack/ossa, security-doc and releases, built from ../shared/data.

For the knowledge-update benchmark and its tests: three bare repositories served as file://
URLs, so `patchcheck index update` is measured and tested without the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "patchcheck",
    "GIT_AUTHOR_EMAIL": "patchcheck@example.net",
    "GIT_COMMITTER_NAME": "patchcheck",
    "GIT_COMMITTER_EMAIL": "patchcheck@example.net",
}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV, timeout=600)


def repository(root: Path, name: str, files: dict[str, Path]) -> tuple[Path, Path]:
    """A work tree with ``files`` (target -> source) committed, and its bare clone (the URL)."""
    work = root / f"{name}-work"
    work.mkdir()
    git("init", "--quiet", "--initial-branch=master", cwd=work)
    for target, source in files.items():
        destination = work / target
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "snapshot", cwd=work)
    bare = root / f"{name}.git"
    git("clone", "--quiet", "--bare", str(work), str(bare), cwd=root)
    return work, bare


def upstream_repositories(root: Path, data: Path) -> dict[str, tuple[Path, Path]]:
    """(work tree, bare repository) of ossa, security-doc, releases and the PyPA database from ``data``."""
    return {
        "ossa": repository(root, "ossa", {"ossa": data / "ossa" / "ossa"}),
        "security-doc": repository(root, "security-doc", {"security-notes": data / "security-notes"}),
        "releases": repository(
            root,
            "releases",
            {
                "deliverables": data / "releases" / "deliverables",
                "data/series_status.yaml": data / "releases" / "data" / "series_status.yaml",
            },
        ),
        "advisory-database": repository(
            root, "advisory-database", {"vulns": data / "pypa-advisory-database" / "vulns"}
        ),
    }


def publish(work: Path, bare: Path, files: dict[str, str], message: str) -> None:
    """Commit ``files`` (path -> text) in ``work`` and push them to ``bare``."""
    for name, text in files.items():
        (work / name).write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", message, cwd=work)
    git("push", "--quiet", str(bare), "HEAD:master", cwd=work)
