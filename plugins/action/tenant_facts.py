"""Action plugin: run the ``tenant_facts`` module and write its facts file on the controller.

Why: a ``file`` task for the folder and a ``copy`` task for the file were two more
module round trips, most of the collection's wall time beyond the HTTP requests
(see bench/tenant_run.py). The file is written with patchcheck's own atomic writer
(patchcheck is installed beside ansible-playbook on the controller). The facts stay
in the task result (one cloud, a few kB), so the playbook can still say what was read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

try:  # the controller side is the patchcheck package; importable without it (ansible-test, ansible-doc)
    from patchcheck.files import atomic_write

    PATCHCHECK_IMPORT_ERROR: ImportError | None = None
except ImportError as missing:
    PATCHCHECK_IMPORT_ERROR = missing


def patchcheck_missing(plugin: str) -> AnsibleError:
    return AnsibleError(
        f"{plugin}: the patchcheck Python package is not importable by the controller's Python "
        f"({PATCHCHECK_IMPORT_ERROR}); install it beside ansible-core (pip install patchcheck)"
    )


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        if PATCHCHECK_IMPORT_ERROR is not None:
            raise patchcheck_missing("scs.patchcheck.tenant_facts")
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        dest = args.get("dest")  # the module takes it too, so that its argument spec documents it
        if not dest:
            raise AnsibleError("tenant_facts: 'dest' (the facts file on the controller) is required")
        module = self._execute_module(
            module_name="scs.patchcheck.tenant_facts", module_args=args, task_vars=task_vars
        )
        facts = module.get("facts")
        if not module.get("failed") and isinstance(facts, dict):
            target = Path(dest)
            target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
            atomic_write(target, json.dumps(facts, indent=1, sort_keys=True) + "\n", mode=0o640)
            module["dest"] = dest
        module["changed"] = False  # reading the cloud changes nothing; the controller-side file is output
        result.update(module)
        return result
