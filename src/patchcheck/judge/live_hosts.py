"""Live checks reach a host the way the gathering did, or say in one sentence why they could not.

The live checks (``patchcheck/compliance/test_scs_0124_live.py``) use pytest-testinfra. For a host whose
connection testinfra has no native backend for (``community.general.chroot``, ``podman`` from a
collection, a connection plugin named in ``ansible.cfg``), testinfra runs the ``ansible`` command,
and for every ``ansible://`` spec it runs ``ansible-inventory``. Both find their configuration the
way Ansible does: ``$ANSIBLE_CONFIG``, else ``ansible.cfg`` in the *current folder*. The operator
playbook runs ``patchcheck judge`` from the playbook's folder, not the operator's, so without help
the live checks read no ``ansible.cfg``: no collections path, no connection plugins, no inventory
default, and a chroot host answered ``KeyError: 'stdout'`` (issue 27). Hence the judge is given the
configuration file and the inventory sources that ``ansible-playbook`` used
(``ansible_config_file``, ``ansible_inventory_sources``) and passes them on by environment, where
both ``ansible`` and testinfra's own reading of ``ansible.cfg`` look first.

Not carried: variables given to ``ansible-playbook`` with ``-e`` (Ansible does not tell a play which
of its variables came from there); connection settings belong in the inventory or ``ansible.cfg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError

MESSAGE_CHARS = 300  # Ansible's messages can hold a whole module output; a verdict keeps one line of it
REMEDY = (
    "run patchcheck judge with the gathering's Ansible configuration and inventory "
    "(--ansible-config, --ansible-inventory; the operator playbook passes both)"
)


def ansible_environment(config: Path | None, inventories: Sequence[str]) -> dict[str, str]:
    """``ANSIBLE_CONFIG`` and ``ANSIBLE_INVENTORY`` as the gathering had them (empty: leave as is).

    A configuration file that does not exist is bad input: reaching hosts without it is what
    broke the live checks. Several inventory sources become Ansible's comma-separated list, so
    a source that itself holds a comma (a host list such as ``ctl1,ctl2,``) can only come alone.
    """
    environment: dict[str, str] = {}
    if config is not None:
        if not config.is_file():
            raise InputError(config, "", "no such Ansible configuration file (--ansible-config)")
        environment["ANSIBLE_CONFIG"] = str(config.resolve())
    if inventories:
        if len(inventories) > 1 and any("," in source for source in inventories):
            raise InputError(
                ",".join(inventories), "", "an inventory source with a comma cannot be combined with others"
            )
        environment["ANSIBLE_INVENTORY"] = ",".join(
            str(Path(source).resolve()) if Path(source).exists() else source for source in inventories
        )
    return environment


def one_line(text: object) -> str:
    """The first line of ``text``, cut to ``MESSAGE_CHARS``: a verdict's message stays one sentence."""
    lines = str(text).strip().splitlines() or [""]
    line = lines[0].strip()
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 3] + "..."


def why_unreachable(host: Any, exc: Exception) -> str:
    """Why a live look at ``host`` broke, as one clause an operator can act on (and how to mend it).

    testinfra reads ``stdout`` from what ``ansible`` returned without checking that the module
    ran; when Ansible could not reach the host, that dict holds ``msg`` instead and testinfra
    raises ``KeyError: 'stdout'``. For a host reached through ``ansible``, one probe through the
    same path fetches Ansible's own reason; any other failure is named by its exception.
    """
    backend = getattr(host, "backend", None)
    if getattr(backend, "NAME", None) == "ansible" and not getattr(backend, "force_ansible", False):
        try:
            native = backend.ansible_runner.get_host(backend.host)
            if native is None:  # testinfra ran the ansible command: ask it once more, read the shape
                answer = backend.run_ansible("shell", module_args="true", check=False)
                if not isinstance(answer, dict) or not {"rc", "stdout"} <= answer.keys():
                    return ansible_reason(answer)
        except Exception as probe_exc:  # the probe fails the same way: its exception is the reason
            return (
                f"Ansible could not run a command there ({type(probe_exc).__name__}: "
                f"{one_line(probe_exc)}); {REMEDY}"
            )
    return f"{type(exc).__name__}: {one_line(exc) or 'no message'}"


def ansible_reason(answer: object) -> str:
    """What Ansible said instead of a command's result (unreachable, a missing plugin, ...)."""
    if isinstance(answer, dict):
        said = answer.get("msg") or answer.get("module_stderr") or answer.get("stderr")
        if said:
            return f"Ansible could not run a command there ({one_line(said)}); {REMEDY}"
        keys = ", ".join(sorted(map(str, answer))) or "none"
        return f"Ansible's answer holds no command result (keys: {one_line(keys)}); {REMEDY}"
    return f"Ansible's answer is not a result ({type(answer).__name__}); {REMEDY}"
