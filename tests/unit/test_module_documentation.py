"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse: ``ansible-doc`` is how operators read them.

A YAML slip in a docstring (a colon inside ``C(...)``) breaks ``ansible-doc`` and Ansible's argument
spec documentation without any other test noticing, so ansible-doc itself reads each module here, by
its collection name as an operator types it (this checkout is the collection ``scs.patchcheck``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(ROOT.glob("plugins/modules/*.py"))


@pytest.mark.parametrize("module", MODULES, ids=[m.stem for m in MODULES])
def test_ansible_doc_reads_the_module(module: Path) -> None:
    ansible_doc = Path(sys.executable).with_name("ansible-doc")
    environment = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(
        [str(ansible_doc), "-t", "module", "--json", f"scs.patchcheck.{module.stem}"],
        cwd=ROOT,  # ansible.cfg's collections path
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (documented,) = json.loads(result.stdout).values()
    assert documented["doc"]["options"] and documented["doc"]["short_description"]
    assert documented["examples"].strip() and documented["return"], (
        f"{module.stem}: EXAMPLES or RETURN missing"
    )


def test_there_are_modules_to_read() -> None:
    assert {m.stem for m in MODULES} >= {"host_facts", "tenant_facts"}
