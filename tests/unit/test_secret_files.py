"""Secret-bearing files outside oslo.config: found by name, judged by mode, never read."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.scs.patchcheck.plugins.module_utils import (
    config_allowlist,
    secret_files,
    service_config,
)

from patchcheck.facts.load import schema_error
from patchcheck.facts.model import HostFacts
from patchcheck.judge import ossn_config
from patchcheck.judge.verdict import Result

CANARY = "AQBcanary-keyring-5e1f=="


def make(path: Path, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[client.nova]\n\tkey = {CANARY}\n")
    path.chmod(mode)


def document(config: dict, secret_files: list | None) -> dict:
    return {
        "schema_version": 1,
        "kind": "host",
        "collected_at": "2026-12-05T00:00:00Z",
        "collector": {"name": "patchcheck", "version": "t"},
        "host": "ctl1",
        "reachable": True,
        "packages": [],
        "python": [],
        "containers": [],
        "config": config,
        "secret_files": secret_files,
        "errors": [],
    }


def test_secret_files_are_found_by_name_and_judged_by_mode(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    expected = {
        etc / "keystone" / "fernet-keys" / "0": Result.PASS,  # keystone-manage makes them 0600
        etc / "keystone" / "credential-keys" / "1": Result.FAIL,
        etc / "kolla" / "passwords.yml": Result.FAIL,
        etc / "kolla" / "nova-compute" / "ceph.client.nova.keyring": Result.PASS,
        etc / "ceph" / "ceph.client.admin.keyring": Result.FAIL,
        etc / "openstack" / "clouds.yaml": Result.FAIL,
    }
    modes = {Result.PASS: 0o600, Result.FAIL: 0o644}
    for path, result in expected.items():
        make(path, modes[result])
    (etc / "keystone" / "keystone.conf").write_text("[DEFAULT]\ndebug = true\n")
    (etc / "ceph" / "ceph.conf").write_text("[global]\nfsid = x\n")  # not secret by its name
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    secrets: list[dict[str, str]] = []
    config = service_config.configuration(
        ["keystone", "nova"],
        [str(etc), str(etc / "kolla")],
        list(config_allowlist.HARMLESS_OPTIONS),
        errors,
        gaps,
        secrets,
    )
    found = secret_files.secret_places(
        [str(etc / "kolla"), str(etc / "ceph"), str(etc / "openstack")], secrets, gaps
    )
    assert not gaps and not errors
    assert CANARY not in json.dumps(found)  # only names, owners and modes
    assert {entry["path"] for entry in found} == {str(path) for path in expected}
    doc = document(config, found)
    assert schema_error("host", 1, doc) is None
    findings = ossn_config.judge_secret_bearing_files(HostFacts.from_document("h.json", doc))
    assert {f.evidence["path"]: f.result for f in findings} == {str(p): r for p, r in expected.items()}
    (ceph,) = [f for f in findings if f.evidence["path"].endswith("ceph.client.admin.keyring")]
    assert "Ceph keyring" in ceph.message and "readable by everyone" in ceph.message


def test_facts_of_a_collector_that_did_not_look_name_no_secret_file() -> None:
    doc = document({}, None)
    del doc["secret_files"]
    assert schema_error("host", 1, doc) is None
    facts = HostFacts.from_document("h.json", doc)
    assert facts.secret_files is None
    assert ossn_config.judge_secret_bearing_files(facts) == []
