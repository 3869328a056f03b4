"""Operator declarations: valid, expired, stale and malformed files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from patchcheck.errors import InputError
from patchcheck.judge.declarations import load_declarations
from patchcheck.judge.verdicts import load_verdicts
from patchcheck.report.line_protocol import log_lines
from tests.helpers import host_facts_document, run_patchcheck, write


def host_facts(host: str = "ctl1") -> dict[str, Any]:
    """keystone 26.0.0 in an OpenStack-Ansible venv, with keystone.conf saying driver = sql."""
    return host_facts_document(
        host,
        python=[
            {
                "kind": "openstack-ansible",
                "path": "/openstack/venvs/keystone-26.0.0",
                "service": "keystone",
                "distributions": [{"name": "keystone", "product": "keystone", "version": "26.0.0"}],
            }
        ],
        config={
            "keystone": {
                "/etc/keystone/keystone.conf": {
                    "path": "/etc/keystone/keystone.conf",
                    "folder": "/etc/keystone",
                    "name": "keystone.conf",
                    "owner": "keystone",
                    "group": "keystone",
                    "mode": "0640",
                    "readable": True,
                    "format": "ini",
                    "sections": {"identity": {"driver": "sql"}},
                }
            }
        },
    )


DECLARATION = """declarations:
  - advisory: OSSA-2025-002
    status: patched-downstream
    patch: https://git.example.net/keystone/commit/1a2b3c
    hosts: ["ctl*"]
    products: [keystone]
    justification: upstream fix backported into our keystone build
    owner: ops@example.net
    expires: {expires}
"""


def judge(
    tmp_path: Path, declarations: str | None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    facts = write(host_facts(), tmp_path / "host-ctl1.json")
    args: list[str | Path] = [
        "judge",
        "--facts",
        facts,
        "--verdicts",
        tmp_path / "verdicts.json",
        "--reference-date",
        "2026-11-23",
    ]
    if declarations is not None:
        (tmp_path / "declarations.yaml").write_text(declarations)
        args += ["--declarations", str(tmp_path / "declarations.yaml")]
    result = run_patchcheck(*args)
    verdicts = (
        json.loads((tmp_path / "verdicts.json").read_text()) if (tmp_path / "verdicts.json").exists() else {}
    )
    return result, verdicts


def item(verdicts: dict[str, Any], advisory: str) -> dict[str, Any]:
    (found,) = [
        i
        for t in verdicts["testcases"]
        if t["id"] == "scs-0124-ossa-patched"
        for i in t["items"]
        if i["subject"].endswith(advisory)
    ]
    return found


def test_a_valid_declaration_turns_overdue_into_declared(tmp_path: Path) -> None:
    (tmp_path / "without").mkdir()
    _, before = judge(tmp_path / "without", None)
    assert item(before, "OSSA-2025-002")["result"] == "FAIL"
    _, after = judge(tmp_path, DECLARATION.format(expires="2027-01-31"))
    declared = item(after, "OSSA-2025-002")
    assert declared["result"] == "PASS"
    assert (
        "DECLARED patched downstream (https://git.example.net/keystone/commit/1a2b3c) by ops@example.net"
        in declared["message"]
    )
    assert declared["evidence"]["declared"]["verdict_without_declaration"] == "FAIL"
    assert after["declarations"][0]["state"] == "applied"
    assert item(after, "OSSA-2026-005")["result"] == "FAIL"  # not declared: still overdue


def test_an_expired_declaration_has_no_effect_and_says_so(tmp_path: Path) -> None:
    _, verdicts = judge(tmp_path, DECLARATION.format(expires="2026-11-22"))
    assert item(verdicts, "OSSA-2025-002")["result"] == "FAIL"
    assert verdicts["declarations"][0]["state"] == "expired"
    lines = log_lines(load_verdicts(tmp_path / "verdicts.json"))
    assert "WARNING: declaration 0 (line 2, OSSA-2025-002) expired on 2026-11-22: no effect" in lines


def test_a_declaration_that_matches_nothing_is_stale(tmp_path: Path) -> None:
    _, verdicts = judge(tmp_path, DECLARATION.format(expires="2027-01-31").replace('["ctl*"]', '["cmp*"]'))
    assert item(verdicts, "OSSA-2025-002")["result"] == "FAIL"
    assert verdicts["declarations"][0]["state"] == "stale"
    assert any(
        "matches nothing (stale)" in line for line in log_lines(load_verdicts(tmp_path / "verdicts.json"))
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            DECLARATION.format(expires="2027-01-31").replace("    owner: ops@example.net\n", ""),
            "line 2, declarations.0: 'owner' is a required property",
        ),
        (
            DECLARATION.format(expires="2027-01-31").replace("patched-downstream", "ignored"),
            "line 3, declarations.0.status: 'ignored' is not one of",
        ),
        (
            DECLARATION.format(expires="2027-01-31").replace(
                "    patch: https://git.example.net/keystone/commit/1a2b3c\n", ""
            ),
            "line 2, declarations.0: 'patch' is a required property",
        ),
        (DECLARATION.format(expires="someday"), "line 9, declarations.0.expires: 'someday' is not a 'date'"),
        (
            DECLARATION.format(expires="2027-01-31").replace("OSSA-2025-002", "CVE-2025-1"),
            "line 2, declarations.0.advisory: 'CVE-2025-1' does not match",
        ),
        ("declarations: [\n", "line 2: not YAML"),
        ("", "line 1: empty"),
    ],
)
def test_malformed_files_name_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "declarations.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_declarations(path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)


def test_the_judge_stops_on_a_malformed_file_with_exit_4(tmp_path: Path) -> None:
    result, verdicts = judge(tmp_path, "declarations:\n  - advisory: OSSA-2025-002\n")
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1
    assert "declarations.yaml: line 2, declarations.0: 'status' is a required property" in result.stderr
    assert verdicts == {}
