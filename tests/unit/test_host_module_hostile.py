"""The host module against hostile and unlucky hosts (issue 14): real files, real processes.

No value leaves a host unless it is allowed (a property over generated option names and
values, not a list of names); FIFOs, devices, links out of the tree and huge folders never
hang it nor grow its memory; whatever it could not read makes the host's evidence
incomplete, and the judge then passes no testcase of that host.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading
from pathlib import Path
from types import ModuleType

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import (
    config_allowlist,
    config_parsing,
    python_environments,
    service_config,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.facts.model import HostFacts
from patchcheck.judge import inventory_complete, maintained_release, ossa_patched, ossn_config
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.series import shipped_series
from tests.helpers import load_module

MODULE_PATH = Path(__file__).resolve().parents[2] / "plugins/modules/host_facts.py"
CANARY = "CANARY-7d1e"


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_module(MODULE_PATH, "host_facts_hostile")


def gather_config(root: Path, keep: list[str] | None = None) -> tuple[dict, list, list]:
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    config = service_config.configuration(
        ["nova"], [str(root)], [*config_allowlist.HARMLESS_OPTIONS, *(keep or [])], errors, gaps
    )
    return config, errors, gaps


def rule_options() -> list[str]:
    """What the shipped rules read: the values the operator playbook lets leave a host."""
    from patchcheck.knowledge.rules import options_read

    index = shipped_index()
    return sorted({p for a in index.advisories for r in a.rules for p in options_read(r.expr, r.service)})


def facts_with_config(host: str, config: dict) -> HostFacts:
    document = {
        "schema_version": 1,
        "kind": "host",
        "collected_at": "2026-11-25T00:00:00Z",
        "collector": {"name": "patchcheck", "version": "t"},
        "host": host,
        "reachable": True,
        "packages": [],
        "python": [],
        "containers": [],
        "config": config,
        "errors": [],
    }
    return HostFacts.from_document(f"{host}.json", document)


# -- point 3: by construction, no value leaves unless allowed -------------------------------------

option_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,30}", fullmatch=True)
values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(option_names, values), min_size=1, max_size=8),
    st.sampled_from([":", "=", " = ", ": "]),
)
def test_no_value_outside_the_allowlist_ever_leaves_the_host(
    tmp_path_factory: pytest.TempPathFactory,
    options: list[tuple[str, str]],
    separator: str,
) -> None:
    root = tmp_path_factory.mktemp("etc")
    (root / "nova").mkdir()
    lines = ["[vault]"] + [f"{name}{separator}{CANARY}{value}" for name, value in options]
    (root / "nova" / "nova.conf").write_text("\n".join(lines) + "\n")
    config, _errors, _gaps = gather_config(root)
    sent = json.dumps(config)
    allowed = [
        name
        for name, _value in options
        if config_allowlist.kept("nova.conf", "vault", name, config_allowlist.HARMLESS_OPTIONS)
    ]
    if not allowed:
        assert CANARY not in sent


@pytest.mark.parametrize(
    "line",
    [
        "root_token_id = s.CANARY-7d1e",
        "approle_secret_id = CANARY-7d1e",
        "kek = CANARY-7d1e",
        "login = CANARY-7d1e",
        "hmac_keys = CANARY-7d1e",
        "backend_argument = password:CANARY-7d1e",
        "backend_argument = url:redis://:CANARY-7d1e@host:6379",
        "user_admin_admin = CANARY-7d1e .admin .reseller_admin",
        "swift_hash_path_suffix = CANARY-7d1e",
        "encryption_root_secret_1 = CANARY-7d1e",
        "key2 = CANARY-7d1e",
        "harmless_name = https://h/v3?password=CANARY-7d1e",
        "url = 'mysql+pymysql://nova:CANARY-7d1e@db/nova'",
        "url = mysql+pymysql://nova:pa/CANARY-7d1e@db/nova",
        "password: CANARY-7d1e=",
    ],
)
def test_secrets_under_names_nobody_guessed_stay_on_the_host(tmp_path: Path, line: str) -> None:
    (tmp_path / "nova").mkdir()
    (tmp_path / "nova" / "nova.conf").write_text(f"[DEFAULT]\n{line}\n")
    (tmp_path / "nova" / "nova.conf").chmod(0o644)
    config, _errors, _gaps = gather_config(tmp_path, keep=["nova.conf:libvirt:images_type"])
    assert CANARY not in json.dumps(config)
    # and the world-readable check counts that file as setting a secret (by the option's declared
    # or secret-looking name, or by credentials the host saw in a URL)
    record = next(iter(config["nova"].values()))
    assert ossn_config.secret_settings(record["sections"])


def test_a_value_the_rules_read_still_leaves(tmp_path: Path) -> None:
    (tmp_path / "nova").mkdir()
    (tmp_path / "nova" / "nova.conf").write_text(
        "[libvirt]\nimages_type = rbd\n[DEFAULT]\nmy_ip = 10.1.1.1\n"
    )
    config, _errors, _gaps = gather_config(tmp_path, keep=["nova.conf:libvirt:images_type"])
    sections = next(iter(config["nova"].values()))["sections"]
    assert sections["libvirt"]["images_type"] == "rbd"
    assert sections["DEFAULT"]["my_ip"] == {"redacted": True, "empty": False}


# -- point 6: hostile files never hang, never grow memory, never lead out of the tree ------------


def test_fifos_devices_and_links_out_of_the_tree_are_skipped_and_recorded(tmp_path: Path) -> None:
    outside = tmp_path / "shadow"
    outside.write_text(f"root:{CANARY}:19000:0:99999:7:::\n")
    etc = tmp_path / "etc"
    nova = etc / "nova"
    nova.mkdir(parents=True)
    os.mkfifo(nova / "nova.conf")
    (nova / "zero.conf").symlink_to("/dev/zero")
    (nova / "shadow.conf").symlink_to(outside)
    (nova / "big.conf").write_bytes(b"[DEFAULT]\n" + b"x = y\n" * (service_config.MAX_CONFIG_BYTES // 6 + 1))
    result: dict[str, object] = {}
    worker = threading.Thread(
        target=lambda: result.update(zip(("config", "errors", "gaps"), gather_config(etc), strict=True))
    )
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "reading the configuration hung"
    assert CANARY not in json.dumps(result["config"])
    reasons = {Path(gap["item"]).name: gap["reason"] for gap in result["gaps"]}  # type: ignore[union-attr]
    assert "not a regular file" in reasons["nova.conf"]
    assert "link out of" in reasons["zero.conf"] and "link out of" in reasons["shadow.conf"]
    assert "larger than" in reasons["big.conf"]


def test_a_huge_folder_is_read_up_to_its_bound(tmp_path: Path) -> None:
    nova = tmp_path / "nova" / "conf.d"
    nova.mkdir(parents=True)
    for number in range(service_config.MAX_CONFIG_FILES + 50):
        (nova / f"{number:05d}.conf").write_text("[DEFAULT]\ndebug = true\n")
    config, _errors, gaps = gather_config(tmp_path)
    assert len(config["nova"]) == service_config.MAX_CONFIG_FILES
    assert any(f"more than {service_config.MAX_CONFIG_FILES} files" in gap["reason"] for gap in gaps)


def test_dev_zero_as_metadata_or_pbr_json_is_skipped(tmp_path: Path) -> None:
    site = tmp_path / "openstack/venvs/nova-29.0.1/lib/python3.11/site-packages"
    (site / "nova-29.0.1.dist-info").mkdir(parents=True)
    (site / "nova-29.0.1.dist-info" / "METADATA").symlink_to("/dev/zero")
    (site / "keystone-26.0.0.dist-info").mkdir(parents=True)
    (site / "keystone-26.0.0.dist-info" / "METADATA").write_text("Name: keystone\nVersion: 26.0.0\n\n")
    (site / "keystone-26.0.0.dist-info" / "pbr.json").symlink_to("/dev/zero")
    gaps: list[dict[str, str]] = []
    environments = python_environments.python_environments(
        [], {"nova", "keystone"}, gaps, prefix=str(tmp_path), system=False
    )
    assert environments[0]["distributions"] == [
        {"name": "keystone", "product": "keystone", "version": "26.0.0", "git_sha": None}
    ]
    assert [gap["source"] for gap in gaps] == ["venvs"] and "METADATA" in gaps[0]["reason"]


# -- point 1: what was not read can pass nothing ----------------------------------------------------


def test_an_unreadable_container_makes_every_host_testcase_refuse_pass(
    module: ModuleType, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    podman = bin_dir / "podman"
    inspect = [
        {
            "Name": "keystone",
            "Config": {"Image": "kolla/keystone:zed"},
            "GraphDriver": {"Data": {"MergedDir": "/nonexistent/merged"}},
        }
    ]
    podman.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = ps ]; then echo 0123abcd; exit 0; fi\n'
        f"cat <<'EOF'\n{json.dumps(inspect)}\nEOF\n"
    )
    podman.chmod(podman.stat().st_mode | stat.S_IXUSR)
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old_path}"
    try:
        document = module.gather(
            {
                "products": ["keystone"],
                "services": [],
                "venvs": [],
                "config_roots": [],
                "host": "kolla1",
                "sources": ["containers"],
                "keep_options": [],
            }
        )
    finally:
        os.environ["PATH"] = old_path
    assert document["containers"][0]["readable"] is False
    assert document["incomplete"][0]["source"] == "containers"
    facts = HostFacts.from_document("kolla1.json", document)
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    index = shipped_index()
    results = {
        "inventory": inventory_complete.judge_inventory(facts).result,
        "ossa": {f.result for f in ossa_patched.judge_host_advisories(facts, index, now)},
        "release": {
            f.result
            for f in maintained_release.judge_host_release(facts, index, shipped_series(), now.date())
        },
        "config": {f.result for f in ossn_config.judge_host_config(facts, index)},
    }
    assert results["inventory"].value == "ABORT"
    for name in ("ossa", "release", "config"):
        assert {r.value for r in results[name]} & {"ABORT", "FAIL"}, name  # never all PASS


@pytest.mark.parametrize(
    ("libvirt", "result"),
    [
        ("live_migration_with_native_tls = true\nlive_migration_uri = qemu+tcp://%s/system\n", "FAIL"),
        ("live_migration_with_native_tls = true\n", "FAIL"),  # nova's tcp default: RAM in clear
        ("live_migration_with_native_tls = true\nlive_migration_scheme = tcp\n", "FAIL"),
        ("live_migration_with_native_tls = true\nlive_migration_scheme = tls\n", "PASS"),
        ("live_migration_with_native_tls = true\nlive_migration_uri = qemu+tls://%s/system\n", "PASS"),
        ("live_migration_with_native_tls = false\n", "PASS"),
    ],
)
def test_ossn_0089_on_real_configuration(tmp_path: Path, libvirt: str, result: str) -> None:
    """OSSN-0089 as its note says: with native TLS, only the tls scheme keeps RAM encrypted."""
    (tmp_path / "nova").mkdir()
    (tmp_path / "nova" / "nova.conf").write_text(f"[libvirt]\n{libvirt}")
    index = shipped_index()
    keep = rule_options()
    config, _errors, _gaps = gather_config(tmp_path, keep)
    facts = facts_with_config("cmp1", config)
    (finding,) = [f for f in ossn_config.judge_host_config(facts, index) if "OSSN-0089" in f.subject]
    assert finding.result.value == result, finding.message


def test_configuration_findings_are_sentences_not_expressions(tmp_path: Path) -> None:
    """OSSN-0064's rule is a JMESPath expression; the finding names the file, option and value."""
    (tmp_path / "keystone").mkdir()
    (tmp_path / "keystone" / "keystone-paste.ini").write_text(
        "[pipeline:api_v3]\npipeline = cors request_id admin_token_auth service_v3\n"
    )
    index = shipped_index()
    keep = rule_options()
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    config = service_config.configuration(
        ["keystone"], [str(tmp_path)], [*config_allowlist.HARMLESS_OPTIONS, *keep], errors, gaps
    )
    facts = facts_with_config("ctl1", config)
    (finding,) = [f for f in ossn_config.judge_host_config(facts, index) if "OSSN-0064" in f.subject]
    assert finding.result.value == "FAIL"
    assert "length(values" not in finding.message
    assert (
        "keystone keystone-paste.ini [pipeline:api_v3] pipeline = 'cors request_id admin_token_auth"
        in finding.message
    )


# -- issue 26 point 19: line ends oslo.config does not split on carry nothing out -------------------

SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\t", "\x00"]


@pytest.mark.parametrize("separator", SEPARATORS)
@pytest.mark.parametrize(
    "template",
    [
        "[libvirt]\nimages_type = flat{sep}CANARY-7d1e\n",
        "[libvirt]\nimages_type = flat{sep}password = CANARY-7d1e\n",
        "[DEFAULT]\ndebug = true{sep} CANARY-7d1e\n",
        "[libvirt]\nimages_type = flat\n CANARY-7d1e{sep}\n",
        "[libvirt]\nimages_type = flat\n\tCANARY-7d1e\n",
        "[libvirt]\r\nimages_type = flat\r CANARY-7d1e\r\n",
    ],
)
def test_nothing_unparsed_leaves_through_an_allowed_option(
    tmp_path: Path, template: str, separator: str
) -> None:
    (tmp_path / "nova").mkdir()
    (tmp_path / "nova" / "nova.conf").write_text(template.format(sep=separator), newline="")
    config, _errors, _gaps = gather_config(tmp_path, keep=rule_options())
    assert CANARY not in json.dumps(config)
    assert CANARY not in json.dumps(config, ensure_ascii=False)


def test_lines_end_where_oslo_config_ends_them() -> None:
    """readlines in text mode: \\n, \\r\\n and \\r end a line; a form feed or U+2028 does not."""
    sections = config_parsing.parse_ini("[a]\rx = 1\r\ny = 2\x0cz = 3\u2028w = 4\n")
    assert sections == {"a": {"x": "1", "y": "2\x0cz = 3\u2028w = 4"}}
    with pytest.raises(config_parsing.IniError):
        config_parsing.parse_ini("x = 1\n")  # oslo.config: an assignment before any section
    assert config_parsing.parse_ini("[LIBVIRT]\na = 1\n[libvirt]\na = 2\n[default]\nb = 3\n") == {
        "libvirt": {"a": ["1", "2"]},
        "default": {"b": "3"},
    }
