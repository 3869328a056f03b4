"""Action plugin: run the ``tenant_facts`` module and write its facts file on the controller.

Why: a ``file`` task for the folder and a ``copy`` task for the file were two more
module round trips, most of the collection's wall time beyond the HTTP requests
(see bench/tenant_run.py). The file is written with patchcheck's own atomic writer
(patchcheck is installed beside ansible-playbook on the controller). The facts stay
in the task result (one cloud, a few kB), so the playbook can still say what was read.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.scs.patchcheck.plugins.plugin_utils.facts_file import (
    facts_destination,
    require_patchcheck,
    write_facts,
)

PLUGIN = "scs.patchcheck.tenant_facts"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        require_patchcheck(PLUGIN)
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        dest = facts_destination(args, PLUGIN)
        module = self._execute_module(module_name=PLUGIN, module_args=args, task_vars=task_vars)
        facts = module.get("facts")
        if not module.get("failed") and isinstance(facts, dict):
            write_facts(dest, facts)
            module["dest"] = dest
        module["changed"] = False  # reading the cloud changes nothing; the controller-side file is output
        result.update(module)
        return result
