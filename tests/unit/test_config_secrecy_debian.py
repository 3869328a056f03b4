"""Which world-readable configuration FAILs scs-0124-ossn-config, on Debian's own stock files.

The files in ``tests/fixtures/debian-config`` are Debian's, unchanged (its README names the
packages). They are gathered by the real host module from a temporary ``/etc`` and judged: a file
that sets no secret option PASSes however readable it is, although the host redacted its values
(not on the allowlist); one that sets a secret option the services declare FAILs when everyone
may read it.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from ansible_collections.scs.patchcheck.plugins.module_utils import config_allowlist, service_config

from patchcheck.facts.model import HostFacts
from patchcheck.judge import ossn_config
from patchcheck.judge.verdict import Result
from patchcheck.knowledge.advisories import shipped_index

REPO = Path(__file__).resolve().parents[2]
STOCK = REPO / "tests" / "fixtures" / "debian-config"
SERVICES = ["nova", "neutron", "heat", "designate"]
#: Debian files world-readable in the issue's report: they hold no secret.
WORLD_READABLE_WITHOUT_SECRETS = [
    "nova/rootwrap.conf",
    "nova/api-paste.ini",
    "neutron/rootwrap.conf",
    "neutron/api-paste.ini",
    "neutron/plugins/ml2/ml2_conf.ini",
    "neutron/plugins/ml2/openvswitch_agent.ini",
    "heat/api-paste.ini",
    "designate/rootwrap.conf",
    "designate/api-paste.ini",
]


def stock_etc(root: Path, mode: int) -> Path:
    """Debian's files under ``root`` as ``/etc`` holds them, every one at ``mode``."""
    shutil.copytree(STOCK, root, ignore=shutil.ignore_patterns("README.md", "*.gz"))
    (root / "nova" / "nova.conf").write_bytes(gzip.decompress((STOCK / "nova" / "nova.conf.gz").read_bytes()))
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(mode)
    return root


def judged(root: Path) -> list:
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    config = service_config.configuration(
        SERVICES, [str(root)], list(config_allowlist.HARMLESS_OPTIONS), errors, gaps
    )
    assert not gaps, gaps
    facts = HostFacts.from_document(
        "h.json",
        {
            "schema_version": 1,
            "kind": "host",
            "collected_at": "2026-12-05T00:00:00Z",
            "collector": {"name": "patchcheck", "version": "t"},
            "host": "debian1",
            "reachable": True,
            "packages": [],
            "python": [],
            "containers": [],
            "config": config,
            "errors": errors,
        },
    )
    return [f for f in ossn_config.judge_host_config(facts, shipped_index()) if f.subject.endswith(" mode")]


def test_stock_files_without_secret_options_pass_world_readable(tmp_path: Path) -> None:
    root = stock_etc(tmp_path / "etc", 0o644)
    findings = judged(root)
    readable_but_not_secret = {str(root / name) for name in WORLD_READABLE_WITHOUT_SECRETS}
    # the host did redact values in them (rootwrap's filters_path, ml2's [securitygroup] booleans) ...
    config = service_config.configuration(
        SERVICES, [str(root)], list(config_allowlist.HARMLESS_OPTIONS), [], []
    )
    redacted = {
        path
        for files in config.values()
        for path, record in files.items()
        if any(
            ossn_config.is_set_redacted(v)
            for options in record["sections"].values()
            for v in options.values()
        )
    }
    assert {str(root / "nova/rootwrap.conf"), str(root / "neutron/plugins/ml2/ml2_conf.ini")} <= redacted
    # ... and yet none of them is reported: none sets an option the services declare secret
    assert not [f for f in findings if f.evidence["path"] in readable_but_not_secret], findings
    # stock nova.conf sets [database] connection, which oslo.db declares secret
    (nova,) = [f for f in findings if f.evidence["path"] == str(root / "nova/nova.conf")]
    assert nova.result is Result.FAIL and "[database] connection" in nova.message


def test_a_world_readable_keystone_authtoken_password_fails(tmp_path: Path) -> None:
    root = stock_etc(tmp_path / "etc", 0o640)
    nova_conf = root / "nova" / "nova.conf"
    assert not [f for f in judged(root) if f.result is Result.FAIL]  # 0640: Debian's own mode
    text = nova_conf.read_text().replace(
        "[keystone_authtoken]\n", "[keystone_authtoken]\npassword = CANARY-9f\n", 1
    )
    nova_conf.write_text(text.replace("connection = sqlite:////var/lib/nova/novadb\n", "", 1))
    nova_conf.chmod(0o644)
    (finding,) = [f for f in judged(root) if f.result is Result.FAIL]
    assert finding.evidence["path"] == str(nova_conf)
    assert "[keystone_authtoken] password" in finding.message and "readable by everyone" in finding.message
    assert "CANARY" not in repr(finding)


def test_a_file_of_redacted_values_none_secret_passes_and_one_secret_fails(tmp_path: Path) -> None:
    """The decision itself, on the facts' shape: redaction alone is not secrecy."""
    redacted = {"redacted": True, "empty": False}
    assert ossn_config.secret_settings({"DEFAULT": {"filters_path": redacted, "exec_dirs": redacted}}) == []
    assert ossn_config.secret_settings({"securitygroup": {"enable_ipset": redacted}}) == []
    assert ossn_config.secret_settings({"keystone_authtoken": {"password": redacted}}) == [
        "[keystone_authtoken] password"
    ]
    # an empty password is no secret; a URL with credentials is one under any name
    assert (
        ossn_config.secret_settings({"keystone_authtoken": {"password": {**redacted, "empty": True}}}) == []
    )
    url = {**redacted, "scheme": "https", "credentials": True, "query": ""}
    assert ossn_config.secret_settings({"x": {"harmless_name": url}}) == ["[x] harmless_name"]
