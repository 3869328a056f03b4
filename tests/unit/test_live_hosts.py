"""Live checks reach a host the way the gathering did (its ansible.cfg and inventory), else a one-line ABORT.

The host here is reached with ``community.general.chroot`` (into ``/``), a connection plugin that
only the project's collections path provides: Ansible finds it through the ansible.cfg given to the
judge, never through the folder the judge runs in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patchcheck.judge import live_hosts
from tests.helpers import host_facts_document, patchcheck_argv, write

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def needs_root() -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and not root: the chroot connection needs root")
        pytest.skip("the chroot connection needs root")


def operator_setup(tmp_path: Path) -> tuple[Path, Path]:
    """An operator's ansible.cfg (collections only there) and inventory with a chroot host."""
    config = tmp_path / "operator" / "ansible.cfg"
    config.parent.mkdir()
    config.write_text(f"[defaults]\ncollections_path = {REPO / '.ansible' / 'collections'}\n")
    inventory = config.parent / "hosts.yaml"
    host = {"ansible_connection": "community.general.chroot", "ansible_host": "/"}
    host["ansible_python_interpreter"] = sys.executable  # the same path inside a chroot into /
    inventory.write_text(json.dumps({"all": {"hosts": {"rooted": host}}}))
    return config, inventory


def live_item(tmp_path: Path, *extra: str | Path) -> dict[str, Any]:
    """The OSSN-0007 item of a judge run from a folder with no ansible.cfg (as the playbook's folder)."""
    facts = write(host_facts_document("rooted"), tmp_path / "facts.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    environment["PATH"] = f"{VENV_BIN}{os.pathsep}{environment.get('PATH', '')}"
    argv = patchcheck_argv(
        "judge",
        "--facts",
        facts,
        "--verdicts",
        tmp_path / "verdicts.json",
        "--hosts",
        "ansible://all",
        *extra,
    )
    run = subprocess.run(argv, cwd=elsewhere, env=environment, capture_output=True, text=True, timeout=300)
    assert (tmp_path / "verdicts.json").exists(), run.stdout + run.stderr
    testcases = json.loads((tmp_path / "verdicts.json").read_text())["testcases"]
    items = next(t for t in testcases if t["id"] == "scs-0124-ossn-config")["items"]
    (item,) = [item for item in items if "OSSN-0007" in item["message"] or "live" in item["subject"]]
    return item


def test_the_live_check_reaches_a_chroot_host_through_the_given_ansible_cfg(tmp_path: Path) -> None:
    needs_root()
    config, inventory = operator_setup(tmp_path)
    item = live_item(tmp_path, "--ansible-config", config, "--ansible-inventory", inventory)
    assert item["subject"] == "ansible://rooted OSSN-0007 libvirt tcp", item
    assert item["result"] in ("PASS", "FAIL"), item  # looked at: the socket list came back
    assert "OSSN-0007: " in item["message"] and "not looked at" not in item["message"], item


def test_without_the_ansible_cfg_the_live_check_is_a_one_sentence_abort(tmp_path: Path) -> None:
    needs_root()
    _, inventory = operator_setup(tmp_path)
    item = live_item(tmp_path, "--ansible-inventory", inventory)
    assert item["result"] == "ABORT", item
    message = item["message"]
    assert message.startswith("ansible://rooted: OSSN-0007 not looked at live: Ansible could not run"), (
        message
    )
    assert "community.general.chroot' was not found" in message, message
    assert "--ansible-config" in message and "KeyError" not in message and "\n" not in message, message


def test_the_operator_playbook_role_passes_its_ansible_cfg_and_every_inventory_source(tmp_path: Path) -> None:
    """A real ansible-playbook run of the judge_facts role, its command swapped for one that shows argv."""
    config, inventory = operator_setup(tmp_path)
    config.write_text(config.read_text() + f"roles_path = {REPO / 'roles'}\n")
    second = write({"all": {"hosts": {"other": {}}}}, tmp_path / "operator" / "more.yaml")
    show = tmp_path / "show-argv"
    shown = tmp_path / "argv.json"
    show.write_text(
        f"#!{sys.executable}\nimport json, sys\nopen({str(shown)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    show.chmod(0o755)
    playbook = tmp_path / "operator" / "judge.yaml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": sys.executable},
                    "roles": [
                        {
                            "role": "judge_facts",
                            "judge_facts_command": str(show),
                            "judge_facts_output_dir": str(tmp_path),
                            "judge_facts_live_hosts": "ansible://all",
                        }
                    ],
                }
            ]
        )
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    environment["ANSIBLE_CONFIG"] = str(config)
    run = subprocess.run(
        [VENV_BIN / "ansible-playbook", "-i", inventory, "-i", second, playbook],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    argv = json.loads(shown.read_text())
    assert argv[argv.index("--hosts") + 1] == "ansible://all"
    assert argv[argv.index("--ansible-config") + 1] == str(config)
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "--ansible-inventory"] == [
        str(inventory),
        str(second),
    ]


def test_ansible_environment_names_the_config_and_joins_the_inventories(tmp_path: Path) -> None:
    config, inventory = operator_setup(tmp_path)
    environment = live_hosts.ansible_environment(config, [str(inventory), "ctl1"])
    assert environment == {"ANSIBLE_CONFIG": str(config), "ANSIBLE_INVENTORY": f"{inventory},ctl1"}
    with pytest.raises(live_hosts.InputError, match="no such Ansible configuration file"):
        live_hosts.ansible_environment(tmp_path / "missing.cfg", [])


class AnsibleOnly:
    """A testinfra host whose backend ran ``ansible`` and got back ``answer`` (no native backend)."""

    NAME = "ansible"
    force_ansible = False
    host = "h1"

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.backend = self
        self.ansible_runner = self

    def get_host(self, name: str) -> None:
        return None

    def run_ansible(self, module: str, module_args: str, check: bool) -> Any:
        return self.answer


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"unreachable": True, "msg": "Failed to connect\nline two"}, "(Failed to connect)"),
        ({"failed": True, "changed": False}, "holds no command result (keys: changed, failed)"),
        (["not", "a", "dict"], "is not a result (list)"),
    ],
)
def test_an_unexpected_ansible_answer_is_one_sentence(answer: Any, said: str) -> None:
    reason = live_hosts.why_unreachable(AnsibleOnly(answer), KeyError("stdout"))
    assert said in reason and "\n" not in reason and "KeyError" not in reason, reason
    assert reason.endswith(live_hosts.REMEDY)
