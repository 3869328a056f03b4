"""Builders for the project's own tests: facts documents shaped like the collector's."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The upstream snapshots beside the checkout (../shared/data), as CI provides them.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: Facts gathered by the real collector from the local test cloud (Hibiscus services).
HIBISCUS_FACTS = FIXTURES / "tenant-hibiscus.json"


def hibiscus_document() -> dict[str, Any]:
    return json.loads(HIBISCUS_FACTS.read_text())


def with_max_versions(document: dict[str, Any], **max_by_type: str) -> dict[str, Any]:
    """A copy of ``document`` whose endpoints announce other maximum microversions.

    Keys are catalog service types with ``-`` written as ``_`` (``block_storage``).
    """
    changed = copy.deepcopy(document)
    wanted = {key.replace("_", "-"): value for key, value in max_by_type.items()}
    for endpoint in changed["endpoints"]:
        for service_type in endpoint["service_types"]:
            if service_type in wanted:
                for version in endpoint["versions"]:
                    if version["version"]:
                        version["version"] = wanted[service_type]
    return changed


def write(document: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(document))
    return path


def load_module(path: Path, name: str) -> ModuleType:
    """Import a script or an Ansible module from its file, as the tests of its functions need."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def host_facts_document(host: str = "ctl1", **sections: Any) -> dict[str, Any]:
    """A host facts document with nothing found; ``sections`` fill in packages, python, config, ..."""
    document: dict[str, Any] = {
        "schema_version": 1,
        "kind": "host",
        "collected_at": "2026-11-23T00:00:00Z",
        "collector": {"name": "patchcheck", "version": "test"},
        "host": host,
        "reachable": True,
        "packages": [],
        "python": [],
        "containers": [],
        "config": {},
        "errors": [],
    }
    document.update(sections)
    return document


def patchcheck_argv(*args: str | Path) -> list[str]:
    """The ``patchcheck`` command line, run with this venv's Python."""
    return [sys.executable, "-m", "patchcheck.cli", *map(str, args)]


def run_patchcheck(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The ``patchcheck`` command as a user runs it, from this venv."""
    return subprocess.run(
        patchcheck_argv(*args), capture_output=True, text=True, timeout=timeout, check=False
    )


def run_deliver(
    report: Path, credentials: dict[str, Path], monitor: str, spool: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``patchcheck deliver`` with a signing ``key`` and a ``token`` file, as the playbooks call it."""
    return run_patchcheck(
        "deliver",
        "--report",
        report,
        "--key",
        credentials["key"],
        "--token-file",
        credentials["token"],
        "--monitor",
        monitor,
        "--spool",
        spool,
        *extra,
    )


def shared_data() -> Path:
    """The upstream snapshots; with CI=true their absence fails the test, elsewhere it skips it."""
    import pytest

    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the upstream snapshots are missing at {SHARED}")
        pytest.skip(f"upstream snapshots not at {SHARED}")
    return SHARED


#: SCS's own compliance suite and monitor (an unmodified snapshot beside the checkout).
SCS_STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "scs-standards"


def scs_standards() -> Path:
    """The SCS standards snapshot; with CI=true its absence fails the test, elsewhere it skips it."""
    import pytest

    if not (SCS_STANDARDS / "Tests" / "scs_cert_lib.py").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the SCS standards snapshot is missing at {SCS_STANDARDS}")
        pytest.skip(f"SCS standards snapshot not at {SCS_STANDARDS}")
    return SCS_STANDARDS


def scs_suite() -> ModuleType:
    """SCS's ``scs-compliance-check.py`` as a module (with its ``scs_cert_lib``), run, not copied."""
    tests = scs_standards() / "Tests"
    if str(tests) not in sys.path:
        sys.path.append(str(tests))
    return load_module(tests / "scs-compliance-check.py", "scs_compliance_check")
