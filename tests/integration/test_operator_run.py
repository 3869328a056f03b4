"""The operator run end to end: the real playbook, real venvs, real Debian packages, real files."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from patchcheck.facts import load_facts
from tests.helpers import load_module
from tests.integration.conftest import REPO, STATE, TestCloud, local_host, run_operator_playbook, unavailable

OLD_KEYSTONE = "26.0.0"
DEBIAN_PACKAGES = ("python3-nova", "python3-keystone", "python3-neutron")
DEBIAN = load_module(REPO / "testbed" / "debian_packages.py", "testbed_debian_packages")
#: Hosts that stand for one kind of deployment read only their venvs and configuration, so that the
#: Debian packages another test installs on this machine do not mix in (their inventory item is ABORT).
VENVS_ONLY = ["venvs", "config"]
CANARIES = {
    "database": "CANARY-db-5b1e",
    "password": "CANARY-pw-77c2",
    "transport": "CANARY-mq-0a9f",
    "shared_secret": "CANARY-secret-e41d",
    "token": "CANARY-token-3c08",
}


def write_inventory(path: Path, hosts: dict[str, dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    return path


def verdicts(out_dir: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((out_dir / "verdicts.json").read_text())
    return {testcase["id"]: testcase for testcase in document["testcases"]}


def items_of(testcase: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["subject"]: item for item in testcase["items"]}


@pytest.fixture(scope="session")
def old_keystone_venv() -> Path:
    """A venv with keystone 26.0.0 (Dalmatian) installed from PyPI: the package, without its dependencies,
    which the collector does not need (it reads the installed distribution's metadata)."""
    venv = STATE / f"old-keystone-{OLD_KEYSTONE}"
    if not list(venv.glob(f"lib/python3*/site-packages/keystone-{OLD_KEYSTONE}.dist-info")):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        result = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                f"keystone=={OLD_KEYSTONE}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            unavailable(f"pip install keystone=={OLD_KEYSTONE}: {result.stderr[-1000:]}")
    return venv


@pytest.fixture(scope="session")
def debian_packages() -> tuple[str, ...]:
    """Real Debian 12 packages of the Zed release with security revisions, installed with apt
    (as root, with a policy-rc.d that returns 101 so that nothing starts)."""
    status = Path("/var/lib/dpkg/status")
    if not status.exists() or shutil.which("apt-get") is None:
        unavailable("not a Debian machine (no dpkg/apt)")
    error = DEBIAN.install(DEBIAN.missing(DEBIAN_PACKAGES))
    if error:
        unavailable(error)
    return DEBIAN_PACKAGES


def canary_config(root: Path) -> Path:
    """Configuration files as a deployment has them, full of secrets that must never leave the host."""
    nova = root / "nova"
    nova.mkdir(parents=True)
    (nova / "nova.conf").write_text(f"""[DEFAULT]
transport_url = rabbit://openstack:{CANARIES["transport"]}@mq1:5671,openstack:{CANARIES["transport"]}@mq2:5671/?ssl=1
metadata_proxy_shared_secret = {CANARIES["shared_secret"]}

[database]
connection = mysql+pymysql://nova:{CANARIES["database"]}@db/nova?charset=utf8

[keystone_authtoken]
password = {CANARIES["password"]}
memcache_secret_key = {CANARIES["shared_secret"]}

[service_user]
send_service_user_token = true
password = {CANARIES["password"]}

[libvirt]
images_type = flat
""")
    (nova / "nova.conf").chmod(0o640)
    keystone = root / "keystone"
    keystone.mkdir()
    (keystone / "keystone.conf").write_text(f"""[DEFAULT]
admin_token = {CANARIES["token"]}

[identity]
driver = ldap

[ldap]
password = {CANARIES["password"]}
""")
    (keystone / "keystone-paste.ini").write_text("""[pipeline:api_v3]
pipeline = cors sizelimit url_normalize request_id admin_token_auth json_body service_v3
""")
    return root


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest.update(f"{path}:{info.st_mode}:{info.st_mtime_ns}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_current_test_cloud_venv_is_maintained_and_has_nothing_overdue(
    test_cloud: TestCloud, tmp_path: Path
) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yaml",
        {
            "ctl1": local_host(
                patchcheck_extra_venvs=[str(test_cloud.state / "venv")],
                collect_host_facts_config_roots=[str(test_cloud.state / "etc")],
                collect_host_facts_sources=VENVS_ONLY,
            ),
        },
    )
    run = run_operator_playbook(inventory, tmp_path / "out")
    results = verdicts(tmp_path / "out")
    assert run.returncode != 0  # the inventory item is ABORT (partial by request), never PASS
    assert (
        "gathered without packages, containers (partial by request)"
        in (items_of(results["scs-0124-inventory-complete"])["ctl1"]["message"])
    )
    assert {name: testcase["result"] for name, testcase in results.items()} == {
        "scs-0124-maintained-release": "PASS",
        "scs-0124-ossa-patched": "PASS",
        "scs-0124-ossn-config": "PASS",
        # the venv's pip 23.2.1 is inside PYSEC-2023-228 (fixed 23.3, published 2023-10-25)
        "scs-0124-dependencies-patched": "FAIL",
        "scs-0124-inventory-complete": "ABORT",
    }
    dependencies = items_of(results["scs-0124-dependencies-patched"])
    assert dependencies["ctl1 (distribution packages not listed)"]["result"] == "ABORT"  # packages not read
    assert not [subject for subject in dependencies if subject.startswith(("ctl1 nova ", "ctl1 keystone "))]
    releases = items_of(results["scs-0124-maintained-release"])
    assert {subject.split()[1] for subject in releases} >= {
        "nova",
        "keystone",
        "cinder",
        "glance",
        "neutron",
        "placement",
    }
    assert all("Hibiscus (2026.2)" in item["message"] for item in releases.values())


def test_old_keystone_is_reported_with_its_advisories_and_deadlines(
    old_keystone_venv: Path, tmp_path: Path
) -> None:
    config = tmp_path / "etc"
    (config / "keystone").mkdir(parents=True)
    (config / "keystone" / "keystone.conf").write_text("[identity]\ndriver = sql\n")
    inventory = write_inventory(
        tmp_path / "hosts.yaml",
        {
            "old1": local_host(
                patchcheck_extra_venvs=[str(old_keystone_venv)],
                collect_host_facts_config_roots=[str(config)],
                collect_host_facts_sources=VENVS_ONLY,
            ),
        },
    )
    run = run_operator_playbook(inventory, tmp_path / "out")
    assert run.returncode != 0
    results = verdicts(tmp_path / "out")
    advisories = items_of(results["scs-0124-ossa-patched"])
    statuses = {subject.split()[-1]: item["evidence"]["status"] for subject, item in advisories.items()}
    assert statuses == {
        "OSSA-2025-002": "overdue",
        "OSSA-2026-005": "overdue",
        # the LDAP advisory needs the LDAP backend; keystone.conf says sql: the configuration is the proof
        "OSSA-2026-007": "not affected (precondition false)",
        # 26.0.0 is Dalmatian: >=14.0.0 <27.0.2 and >=13.0.0 <27.0.3, no Dalmatian release fixes them
        "OSSA-2026-015": "overdue",
        "OSSA-2026-037": "overdue",
    }
    overdue = advisories[f"old1 keystone {OLD_KEYSTONE} OSSA-2025-002"]
    assert overdue["result"] == "FAIL"
    assert re.search(r"\(high, due 2025-11-07 00:00 UTC, overdue by \d+ days\): overdue", overdue["message"])
    release = items_of(results["scs-0124-maintained-release"])[f"old1 keystone {OLD_KEYSTONE}"]
    assert release["result"] == "FAIL"
    assert "is Dalmatian (2024.2) end of life since 2026-04-29 (on 2026-11-23)" in release["message"]


def test_debian_backports_count_as_fixes(debian_packages: tuple[str, ...], tmp_path: Path) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yaml",
        {
            "pkg1": local_host(collect_host_facts_config_roots=[str(tmp_path / "no-config")]),
        },
    )
    run = run_operator_playbook(inventory, tmp_path / "out")
    facts = load_facts(tmp_path / "out" / "facts" / "host-pkg1.json")
    nova = next(c for c in facts.components if c.product == "nova")
    assert nova.source == "dpkg"
    assert nova.version.startswith("2:26.2.2-")
    assert "CVE-2024-40767" in (nova.changelog_cves or ())
    # dpkg's own copy in /usr/lib/python3/dist-packages is not counted a second time, without its changelog
    assert [c.source for c in facts.components if c.product == "nova"] == ["dpkg"]
    advisories = items_of(verdicts(tmp_path / "out")["scs-0124-ossa-patched"])
    nova_items = {subject.split()[-1]: item for subject, item in advisories.items() if " nova " in subject}
    # 26.2.2 is inside OSSA-2024-002's range (<27.4.1), but Debian backported the fix for CVE-2024-40767
    assert nova_items["OSSA-2024-002"]["evidence"]["status"] == "fixed (backport)"
    assert nova_items["OSSA-2024-002"]["result"] == "PASS"
    assert any(
        "changelog names CVE-2024-40767" in line
        for line in nova_items["OSSA-2024-002"]["evidence"]["evidence"]
    )
    releases = items_of(verdicts(tmp_path / "out")["scs-0124-maintained-release"])
    assert (
        "is Zed unmaintained since 2024-08-05, end of life not yet announced (on 2026-11-23)"
        in releases[f"pkg1 nova {nova.version}"]["message"]
    )
    assert run.returncode != 0  # Zed is unmaintained


def test_unreachable_host_aborts_its_checks_and_fails_inventory(
    old_keystone_venv: Path, tmp_path: Path
) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yaml",
        {
            "old1": local_host(
                patchcheck_extra_venvs=[str(old_keystone_venv)],
                collect_host_facts_config_roots=[str(tmp_path / "none")],
            ),
            "down1": {
                "ansible_host": "127.0.0.1",
                "ansible_port": 9,
                "ansible_connection": "ssh",
                "ansible_ssh_common_args": "-o ConnectTimeout=5 -o StrictHostKeyChecking=no",
            },
        },
    )
    run = run_operator_playbook(inventory, tmp_path / "out")
    assert run.returncode != 0
    results = verdicts(tmp_path / "out")
    inventory_items = items_of(results["scs-0124-inventory-complete"])
    assert inventory_items["down1"]["result"] == "FAIL"
    assert "unreachable" in inventory_items["down1"]["message"]
    assert inventory_items["old1"]["result"] == "PASS"
    for testcase in ("scs-0124-ossa-patched", "scs-0124-maintained-release"):
        assert items_of(results[testcase])["down1"]["result"] == "ABORT"
    assert any(subject.startswith("old1 keystone") for subject in items_of(results["scs-0124-ossa-patched"]))


def test_one_module_call_per_host_secrets_stay_on_the_host_and_nothing_changes(
    old_keystone_venv: Path, tmp_path: Path
) -> None:
    config = canary_config(tmp_path / "etc")
    before = tree_digest(config)
    inventory = write_inventory(
        tmp_path / "hosts.yaml",
        {
            "ctl1": local_host(
                patchcheck_extra_venvs=[str(old_keystone_venv)],
                collect_host_facts_config_roots=[str(config)],
                collect_host_facts_sources=VENVS_ONLY,
            ),
        },
    )
    run = run_operator_playbook(inventory, tmp_path / "out", "--check", "-vvv")
    assert tree_digest(config) == before, "the host run changed the watched tree"
    # one task touched the host; the facts file is written on the controller (delegated); a task
    # skipped for it (the "NOT GATHERED" message, for hosts that were not gathered) does nothing there,
    # nor does the role's argument check (validate_argument_spec, an action run on the controller)
    tasks = [
        task
        for task in run.output.split("\nTASK [")
        if "Validating arguments against arg spec" not in task[:300]
    ]
    touching = re.findall(r"^(?:ok|changed|failed|fatal): \[ctl1\](?! ->)", "\n".join(tasks), re.MULTILINE)
    assert len(touching) == 1, run.output[-3000:]
    assert re.search(r"^ok: \[ctl1\]", run.output, re.MULTILINE)  # changed=false, also in check mode
    everything = run.output + "\n".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    for name, canary in CANARIES.items():
        assert canary not in everything, f"the {name} canary left the host"
    facts = json.loads((tmp_path / "out" / "facts" / "host-ctl1.json").read_text())
    nova_conf = facts["config"]["nova"][str(config / "nova" / "nova.conf")]
    assert nova_conf["mode"] == "0640"
    assert nova_conf["sections"]["DEFAULT"]["transport_url"] == {
        "redacted": True,
        "empty": False,
        "scheme": "rabbit",
        "credentials": True,
        "query": "ssl=1",
    }
    assert nova_conf["sections"]["service_user"]["send_service_user_token"] == "true"
    results = verdicts(tmp_path / "out")
    config_items = items_of(results["scs-0124-ossn-config"])
    assert config_items["ctl1 OSSN-0064 keystone-no-admin-token-auth"]["result"] == "FAIL"
    advisories = items_of(results["scs-0124-ossa-patched"])
    ldap = advisories[f"ctl1 keystone {OLD_KEYSTONE} OSSA-2026-007"]
    assert (
        ldap["evidence"]["status"] == "overdue"
    )  # driver = ldap without inverted/emulated enabled attribute


def interpreter(path: Path, script: str) -> Path:
    """A Python interpreter for a host that misbehaves before the module runs."""
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def test_a_host_that_times_out_or_whose_module_crashes_is_written_down_never_passed(tmp_path: Path) -> None:
    slow = interpreter(tmp_path / "slow-python", f'sleep 120; exec {sys.executable} "$@"')
    crash = interpreter(tmp_path / "crash-python", 'echo "Segmentation fault" >&2; exit 139')
    inventory = write_inventory(
        tmp_path / "hosts.yaml",
        {
            "good1": local_host(collect_host_facts_config_roots=[str(tmp_path / "none")]),
            "slow1": local_host(ansible_python_interpreter=str(slow)),
            "crash1": local_host(ansible_python_interpreter=str(crash)),
            # issue 30: an interpreter that does not exist (a pyenv shim without that version)
            "missing1": local_host(ansible_python_interpreter=str(tmp_path / "no-such" / "python3.13")),
        },
    )
    run = run_operator_playbook(
        inventory,
        tmp_path / "out",
        "-e",
        "collect_host_facts_timeout=10",
        "-e",
        "patchcheck_live_checks=false",
    )
    assert run.returncode != 0  # not compliant: two hosts were not gathered
    failures = {
        host: json.loads((tmp_path / "out" / "facts" / f"host-{host}.json").read_text()).get("failure")
        for host in ("good1", "slow1", "crash1", "missing1")
    }
    assert failures["good1"] is None
    assert failures["slow1"].startswith("timed out"), failures
    assert failures["crash1"].startswith("failed:") and "Segmentation fault" in failures["crash1"], failures
    # the cause, not only "Module result deserialization failed", in the facts and in the play's output
    assert (
        "no-such/python3.13" in failures["missing1"] and "ansible_python_interpreter" in failures["missing1"]
    )
    assert "missing1 NOT GATHERED" in run.output and "crash1 NOT GATHERED" in run.output
    results = verdicts(tmp_path / "out")
    inventory_items = items_of(results["scs-0124-inventory-complete"])
    assert (inventory_items["slow1"]["result"], inventory_items["crash1"]["result"]) == ("FAIL", "FAIL")
    assert inventory_items["good1"]["result"] == "PASS"
    for testcase in ("scs-0124-ossa-patched", "scs-0124-maintained-release"):
        assert {items_of(results[testcase])[host]["result"] for host in ("slow1", "crash1")} == {"ABORT"}


def test_an_inventory_of_only_localhost_stops_at_once_and_says_what_to_do(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "hosts.yaml", {"localhost": {"ansible_connection": "local"}})
    run = run_operator_playbook(inventory, tmp_path / "out")
    assert run.returncode != 0
    assert "The inventory names no host but localhost" in run.output
    assert "ctl1 ansible_host=127.0.0.1 ansible_connection=local" in run.output
    assert not (tmp_path / "out" / "facts").exists() or not list((tmp_path / "out" / "facts").iterdir())


def test_backports_named_by_advisory_id_and_fixes_that_need_configuration(
    debian_packages: tuple[str, ...], tmp_path: Path
) -> None:
    """Real Debian 12 packages whose changelogs name OSSN-0101 (nova), OSSN-0102 (neutron) and
    OSSN-0096 (oslo.messaging, whose backport protects only with hostname verification on)."""
    etc = tmp_path / "etc"
    for service in ("nova", "neutron"):
        (etc / service).mkdir(parents=True)
        (etc / service / f"{service}.conf").write_text(
            "[DEFAULT]\ntransport_url = rabbit://u:p@mq:5671/?ssl=1\n[oslo_messaging_rabbit]\nssl = true\n"
        )
    inventory = write_inventory(
        tmp_path / "hosts.yaml", {"pkg1": local_host(collect_host_facts_config_roots=[str(etc)])}
    )
    run_operator_playbook(inventory, tmp_path / "out")
    items = items_of(verdicts(tmp_path / "out")["scs-0124-ossa-patched"])

    def item(product: str, advisory: str) -> dict[str, Any]:
        return next(v for k, v in items.items() if f" {product} " in k and k.endswith(advisory))

    for product, advisory in (("nova", "OSSN-0101"), ("neutron", "OSSN-0102")):
        found = item(product, advisory)
        assert found["evidence"]["status"] == "fixed (backport)", found["message"]
        quoted = [line for line in found["evidence"]["evidence"] if f"changelog names {advisory}:" in line]
        assert quoted and quoted[0].startswith(f"python3-{product} 2:"), found["evidence"]["evidence"]
        assert f"{advisory}" in quoted[0].split(': "', 1)[1]  # the changelog's own line, quoted
    messaging = item("oslo-messaging", "OSSN-0096")
    assert messaging["evidence"]["status"] in ("overdue", "affected, within deadline"), messaging["message"]
    lines = messaging["evidence"]["evidence"]
    assert any("changelog names OSSN-0096" in line for line in lines)
    assert any(
        "the backport protects only when rabbit-backport-needs-hostname-verification holds" in line
        for line in lines
    )
    # the library's rule is read in the services that load it, never in a file "oslo-messaging.conf"
    assert not any("oslo-messaging.conf" in line for line in lines)
    assert any(
        "nova nova.conf [oslo_messaging_rabbit] ssl_enforce_hostname_verification" in line for line in lines
    )
    # with verification on in every service, the same package is mitigated
    for service in ("nova", "neutron"):
        with (etc / service / f"{service}.conf").open("a") as handle:
            handle.write("ssl_enforce_hostname_verification = true\n")
    run_operator_playbook(inventory, tmp_path / "out2")
    again = items_of(verdicts(tmp_path / "out2")["scs-0124-ossa-patched"])
    mitigated = next(v for k, v in again.items() if " oslo-messaging " in k and k.endswith("OSSN-0096"))
    assert mitigated["evidence"]["status"] == "mitigated"
