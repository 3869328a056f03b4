"""Lookup plugin: the folder ansible-playbook was started in.

Why: a playbook run from the installed collection (``ansible-playbook scs.patchcheck.operator_check``)
lives inside the collections folder, so ``playbook_dir`` is no place for its outputs, and neither
``$PWD`` (stale when a program starts ansible-playbook in another folder) nor the ``pipe`` lookup (it
runs in the playbook's folder) tells where the operator is. The controller process never changes its
working folder, so this is it.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: start_dir
author: Sovereign Cloud Stack (@SovereignCloudStack)
short_description: The folder ansible-playbook was started in
description:
  - Returns the controller's working folder, the one ansible-playbook was started in.
  - The collection's playbooks write their outputs to C(out/) there when they run from the installed
    collection.
options: {}
"""

EXAMPLES = r"""
- name: Say where outputs go
  ansible.builtin.debug:
    msg: "{{ lookup('scs.patchcheck.start_dir') }}/out"
"""

RETURN = r"""
_raw:
  description: The absolute path of the folder, as a one-element list.
  type: list
  elements: str
"""


from pathlib import Path
from typing import Any

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        return [str(Path.cwd())]
