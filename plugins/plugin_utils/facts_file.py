"""What the collection's two action plugins share on the controller: the facts file and patchcheck.

Both plugins run a collector module and write its facts file on the controller with patchcheck's
own atomic writer, so a reader (the judge, a second run) never sees half a file. patchcheck is the
Python package installed beside ansible-core; without it the plugins must still import (ansible-test,
ansible-doc) and say at run time what is missing instead of failing halfway.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleError

try:
    from patchcheck.files import atomic_write
    from patchcheck.urls import without_userinfo

    PATCHCHECK_IMPORT_ERROR: ImportError | None = None
except ImportError as missing:
    PATCHCHECK_IMPORT_ERROR = missing


def require_patchcheck(plugin: str) -> None:
    """Stop the task with what to install when the controller's Python has no patchcheck."""
    if PATCHCHECK_IMPORT_ERROR is not None:
        raise AnsibleError(
            f"{plugin}: the patchcheck Python package is not importable by the controller's Python "
            f"({PATCHCHECK_IMPORT_ERROR}); install it beside ansible-core (pip install patchcheck)"
        )


def facts_destination(args: dict[str, Any], plugin: str) -> str:
    """The task's ``dest``: the facts file on the controller (the module takes it too, so that its
    argument spec documents it, but only the action plugin writes it)."""
    dest = args.get("dest")
    if not dest:
        raise AnsibleError(f"{plugin}: 'dest' (the facts file on the controller) is required")
    return str(dest)


def write_facts(dest: str, document: dict[str, Any]) -> None:
    """Atomically, mode 0640 in a folder of mode 0750 (created if missing), as the outputs expect."""
    target = Path(dest)
    target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    atomic_write(target, json.dumps(document, indent=1, sort_keys=True) + "\n", mode=0o640)


def credential_free(text: str) -> str:
    """``text`` with the user information of every URL in it removed (failures quote URLs)."""
    return without_userinfo(text)
