"""Gathering as a non-root user: a configuration folder it may not list is a gap, never silence.

The default ``collect_host_facts_become: false`` gathers as an ordinary user, and Kolla keeps
``/etc/kolla`` at 0700. The module runs here as the user ``nobody`` (``setpriv``; as root the
folders would be readable and the test would prove nothing), and the judge must then ABORT
``scs-0124-ossn-config`` and ``inventory-complete`` for the host instead of passing it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchcheck.facts.model import HostFacts
from patchcheck.judge import inventory_complete, ossn_config
from patchcheck.knowledge.advisories import shipped_index

#: The collections folder that holds this checkout as ``scs.patchcheck`` (see tests/conftest.py).
COLLECTIONS = Path(__file__).resolve().parents[2] / ".ansible" / "collections"
NOBODY = 65534
GATHER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.scs.patchcheck.plugins.module_utils import config_allowlist, service_config
errors, gaps = [], []
config = service_config.configuration(
    ["nova", "glance"], sys.argv[2:], list(config_allowlist.HARMLESS_OPTIONS), errors, gaps
)
print(json.dumps({"config": config, "errors": errors, "incomplete": gaps}))
"""


@pytest.fixture
def etc() -> Iterator[Path]:
    """A tree the user nobody can reach (pytest's own tmp_path is root's, at 0700)."""
    base = Path(tempfile.mkdtemp(prefix="patchcheck-perm-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base)


def gather_as_nobody(roots: list[Path]) -> dict:
    if os.geteuid() != 0:
        command = [sys.executable, "-c", GATHER, str(COLLECTIONS), *map(str, roots)]
    else:
        if not shutil.which("setpriv"):
            pytest.fail("running as root without setpriv: cannot gather as an ordinary user")
        command = [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            sys.executable,
            "-c",
            GATHER,
            str(COLLECTIONS),
            *map(str, roots),
        ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True, cwd="/")
    return json.loads(done.stdout)


def host(gathered: dict) -> HostFacts:
    return HostFacts.from_document(
        "h.json",
        {
            "schema_version": 1,
            "kind": "host",
            "collected_at": "2026-11-25T00:00:00Z",
            "collector": {"name": "patchcheck", "version": "t"},
            "host": "kolla1",
            "reachable": True,
            "packages": [],
            "python": [],
            "containers": [],
            "config": gathered["config"],
            "errors": gathered["errors"],
            "incomplete": gathered["incomplete"],
        },
    )


def make(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in (path.parent, path.parent.parent):
        parent.chmod(0o755)
    path.write_text(text)
    path.chmod(mode)


@pytest.mark.parametrize("closed", ["kolla", "kolla/nova-compute", "glance"])
def test_a_folder_nobody_may_list_aborts_config_and_inventory(etc: Path, closed: str) -> None:
    make(etc / "glance" / "glance-api.conf", "[DEFAULT]\nshow_multiple_locations = false\n")
    make(etc / "kolla" / "nova-api" / "nova.conf", "[DEFAULT]\ndebug = false\n")
    make(etc / "kolla" / "nova-compute" / "nova.conf", "[DEFAULT]\ndebug = true\n")
    (etc / closed).chmod(0o700)
    gathered = gather_as_nobody([etc, etc / "kolla"])
    items = [gap["item"] for gap in gathered["incomplete"]]
    assert str(etc / closed) in items, gathered
    facts = host(gathered)
    assert inventory_complete.judge_inventory(facts).result.value == "ABORT"
    results = {f.result.value for f in ossn_config.judge_host_config(facts, shipped_index())}
    assert "ABORT" in results and results <= {"ABORT", "FAIL", "PASS"}
    assert any(
        "incomplete evidence" in f.subject for f in ossn_config.judge_host_config(facts, shipped_index())
    )


def test_everything_readable_records_no_gap(etc: Path) -> None:
    """The twin: the same tree open to nobody gives no gap, so the test above can fail."""
    make(etc / "glance" / "glance-api.conf", "[DEFAULT]\nshow_multiple_locations = false\n")
    make(etc / "kolla" / "nova-compute" / "nova.conf", "[DEFAULT]\ndebug = true\n")
    gathered = gather_as_nobody([etc, etc / "kolla"])
    assert gathered["incomplete"] == [] and set(gathered["config"]) == {"glance", "nova"}
    assert inventory_complete.judge_inventory(host(gathered)).result.value == "PASS"
