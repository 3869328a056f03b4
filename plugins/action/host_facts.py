"""Action plugin: run the ``host_facts`` module on the host, write its facts file on the controller.

Why an action plugin and not a second task: writing each host's file with a
``copy`` task delegated to the controller cost more than the gathering itself
(3.3 s of 6.4 s for ten hosts; see bench/host_gathering.py). Here the file is
written in the same task, on the controller, with no second round trip.

The file is written whatever happens to the host, so that no host of the
inventory goes missing from the judgement: the facts on success; otherwise a
document with ``reachable: false`` and a one-line ``failure`` (unreachable,
timed out, or the module failed), which the judge turns into ABORT for the
host's checks and FAIL for ``scs-0124-inventory-complete``. The task result
carries a summary, not the facts: a controller running thousands of hosts
need not hold every document in memory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase
from ansible_collections.scs.patchcheck.plugins.plugin_utils.facts_file import (
    credential_free,
    facts_destination,
    require_patchcheck,
    write_facts,
)

PLUGIN = "scs.patchcheck.host_facts"
#: Characters of a failure kept: the message and what the host said, with the paths they name.
FAILURE_LENGTH = 1000


def failure_document(host: str, failure: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": "host",
        "collected_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collector": {"name": "patchcheck", "version": "unknown"},
        "host": host,
        "reachable": False,
        "failure": credential_free(failure)[:FAILURE_LENGTH],  # no URL credentials, even in errors
        "packages": [],
        "python": [],
        "containers": [],
        "config": {},
        "errors": [],
    }


def first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else "no message"


def last_line(text: object) -> str:
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def failure_of(module: dict[str, Any]) -> str:
    """The module's message and what the host itself said (issue 30).

    When the module cannot even start (the interpreter Ansible chose does not exist, a pyenv shim
    without that version), Ansible's message is only "Module result deserialization failed: No
    start of json char found"; the cause ("python3.13: command not found") is in the module's
    stderr or stdout, shown only with -vvv. Both go into the failure, so the report says why.
    """
    message = first_line(module.get("msg", "no result"))
    said = last_line(module.get("module_stderr")) or last_line(module.get("module_stdout"))
    if said and said not in message:
        message += f" (the host said: {said}; choose the interpreter with ansible_python_interpreter)"
    return message


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        require_patchcheck(PLUGIN)
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        dest = facts_destination(args, PLUGIN)
        host = str(args.get("host") or (task_vars or {}).get("inventory_hostname"))
        try:
            module = self._execute_module(module_name=PLUGIN, module_args=args, task_vars=task_vars)
        except AnsibleConnectionFailure as exc:
            write_facts(dest, failure_document(host, f"unreachable: {first_line(exc)}"))
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # the task's timeout arrives as a BaseException
            reason = "timed out" if "timeout" in type(exc).__name__.lower() else "failed"
            write_facts(dest, failure_document(host, f"{reason}: {first_line(exc) or type(exc).__name__}"))
            raise
        facts = module.pop("facts", None)
        if module.get("failed") or not isinstance(facts, dict):
            write_facts(dest, failure_document(host, f"failed: {failure_of(module)}"))
        else:
            write_facts(dest, facts)
            module["summary"] = {
                "packages": len(facts.get("packages", [])),
                "python": len(facts.get("python", [])),
                "containers": len(facts.get("containers", [])),
                "config_services": len(facts.get("config", {})),
                "errors": len(facts.get("errors", [])),
            }
        module["dest"] = dest
        module["changed"] = False  # reading a host changes nothing; the controller-side file is output
        result.update(module)
        return result
