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
import json
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.action import ActionBase

try:  # the controller side is the patchcheck package; importable without it (ansible-test, ansible-doc)
    from patchcheck.files import atomic_write
    from patchcheck.urls import without_userinfo

    PATCHCHECK_IMPORT_ERROR: ImportError | None = None
except ImportError as missing:
    PATCHCHECK_IMPORT_ERROR = missing

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
        "failure": without_userinfo(failure)[:FAILURE_LENGTH],  # no URL credentials, even in errors
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


def write_facts(dest: str, document: dict[str, Any]) -> None:
    """Atomically (a reader never sees half a file), mode 0640 as the output folder expects."""
    atomic_write(Path(dest), json.dumps(document, indent=1, sort_keys=True) + "\n", mode=0o640)


def patchcheck_missing(plugin: str) -> AnsibleError:
    return AnsibleError(
        f"{plugin}: the patchcheck Python package is not importable by the controller's Python "
        f"({PATCHCHECK_IMPORT_ERROR}); install it beside ansible-core (pip install patchcheck)"
    )


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        if PATCHCHECK_IMPORT_ERROR is not None:
            raise patchcheck_missing("scs.patchcheck.host_facts")
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        dest = args.get("dest")  # the module takes it too, so that its argument spec documents it
        if not dest:
            raise AnsibleError("host_facts: 'dest' (the facts file on the controller) is required")
        host = str(args.get("host") or (task_vars or {}).get("inventory_hostname"))
        try:
            module = self._execute_module(
                module_name="scs.patchcheck.host_facts", module_args=args, task_vars=task_vars
            )
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
