"""The host collector's module_utils: ini and policy parsing, redaction, package and venv reading."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import (
    config_allowlist,
    config_parsing,
    containers,
    host_packages,
    python_environments,
)


def test_ini_as_oslo_config_reads_it() -> None:
    text = """# comment
[DEFAULT]
debug = True
enabled_apis = osapi_compute
enabled_apis = metadata
; another comment
[ml2]
mechanism_drivers = openvswitch,
   l2population
[pipeline:api_v3]
pipeline = cors request_id admin_token_auth service_v3
[empty]
key =
"""
    sections = config_parsing.parse_ini(text)
    assert sections["DEFAULT"] == {"debug": "True", "enabled_apis": ["osapi_compute", "metadata"]}
    assert sections["ml2"]["mechanism_drivers"] == "openvswitch,\nl2population"
    assert sections["pipeline:api_v3"]["pipeline"].endswith("admin_token_auth service_v3")
    assert sections["empty"] == {"key": ""}
    assert "debug" not in sections["ml2"]  # [DEFAULT] is not copied into groups, as in oslo.config


KEEP = [
    "nova.conf:service_user:send_service_user_token",
    "nova.conf:keystone_authtoken:service_token_roles_required",
]
SECRET = {"redacted": True, "empty": False}


@pytest.mark.parametrize(
    ("section", "option", "value", "expected"),
    [
        (
            "database",
            "connection",
            "mysql+pymysql://nova:s3cret@db/nova",
            {**SECRET, "scheme": "mysql+pymysql", "credentials": True, "query": ""},
        ),
        (
            "DEFAULT",
            "transport_url",
            "rabbit://u:p@h1:5671,u:p@h2:5671/?ssl=1&heartbeat_in_pthread=true",
            {**SECRET, "scheme": "rabbit", "credentials": True, "query": "ssl=1"},
        ),
        (  # the query ends at "#", as oslo.messaging's urlparse ends it
            "DEFAULT",
            "transport_url",
            "rabbit://u:p@h:5671/?ssl=1#x",
            {**SECRET, "scheme": "rabbit", "credentials": True, "query": "ssl=1"},
        ),
        (  # a TLS key's value that is no short word: the key is set, its value not shown
            "DEFAULT",
            "transport_url",
            "rabbit://u:p@h:5671/?ssl=tr%20ue&ssl_version=TLSv1_2",
            {**SECRET, "scheme": "rabbit", "credentials": True, "query": "ssl=?&ssl_version=TLSv1_2"},
        ),
        (  # more query fields than the host reads: no query kept (a rule on it says unknown)
            "DEFAULT",
            "transport_url",
            "rabbit://h:5671/?" + "ssl=1&" * 65,
            {**SECRET, "scheme": "rabbit", "credentials": True},
        ),
        (  # a URL inside other text: no query a service reads as this URL's
            "DEFAULT",
            "password",
            "x rabbit://h/?ssl=1",
            {**SECRET, "scheme": "rabbit", "credentials": False},
        ),
        ("DEFAULT", "password", "s3cret", SECRET),
        ("DEFAULT", "admin_token", "", {"redacted": True, "empty": True}),
        (
            "keystone_authtoken",
            "auth_url",
            "https://user:s3cret@keystone:5000/v3",
            {**SECRET, "scheme": "https", "credentials": True, "query": ""},
        ),
        (
            "keystone_authtoken",
            "auth_url",
            "https://keystone:5000/v3",
            {**SECRET, "scheme": "https", "credentials": False, "query": ""},
        ),
        (  # a credential in the query: the value is secret whatever the option is called
            "DEFAULT",
            "harmless_name",
            "https://h/v3?password=CANARY",
            {**SECRET, "scheme": "https", "credentials": True, "query": ""},
        ),
        ("service_user", "send_service_user_token", "true", "true"),
        ("keystone_authtoken", "service_token_roles_required", "True", "True"),
        ("DEFAULT", "password_hash_rounds", "12", SECRET),  # harmless, but nobody said so: it stays
        ("vault", "root_token_id", "s.CANARY", SECRET),  # a name nobody would have guessed
        ("DEFAULT", "debug", "true", "true"),  # on the shipped list of options known to hold no secret
    ],
)
def test_a_value_leaves_only_when_it_is_allowed(
    section: str, option: str, value: str, expected: object
) -> None:
    assert (
        config_allowlist.leave(
            "nova.conf", section, option, value, [*config_allowlist.HARMLESS_OPTIONS, *KEEP]
        )
        == expected
    )


def test_multi_valued_secrets_are_each_redacted() -> None:
    assert config_allowlist.leave("nova.conf", "DEFAULT", "password", ["a", ""], KEEP) == [
        {"redacted": True, "empty": False},
        {"redacted": True, "empty": True},
    ]


def test_ini_assignments_split_as_oslo_config_splits_them() -> None:
    sections = config_parsing.parse_ini(
        '[a]\npassword: X=\nquoted = "s3 cret"\nurl=redis://:p@h\n  continued\n\nz = 1\n'
    )
    assert sections["a"]["password"] == "X="  # not an option "password: X" with the value ""
    assert sections["a"]["quoted"] == "s3 cret"
    assert sections["a"]["url"] == "redis://:p@h\ncontinued"
    assert sections["a"]["z"] == "1"


def test_policy_files() -> None:
    yaml_text = '# rules\n"volume:attachment_delete": "rule:a and rule:is_service"\n"x:y":\n  "!"\n'
    assert config_parsing.parse_policy(yaml_text, "policy.yaml") == {
        "": {"volume:attachment_delete": "rule:a and rule:is_service", "x:y": "!"}
    }
    assert config_parsing.parse_policy('{"a": "role:admin"}', "policy.json") == {"": {"a": "role:admin"}}
    assert config_parsing.parse_policy("- not a mapping\n", "policy.yaml") is None


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("python-oslo.messaging", "oslo-messaging"),
        ("nova", "nova"),
        ("openstack-nova", "nova"),
        ("python-glance-store", "glance-store"),
        ("openstack-placement", "placement"),
    ],
)
def test_distribution_source_names(source: str, key: str) -> None:
    assert host_packages.distribution_key(source) == key


def test_dpkg_database_and_changelogs(tmp_path: Path) -> None:
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text(
        "Package: python3-nova\nStatus: install ok installed\nSource: nova\nVersion: 2:26.2.2-1~deb12u5\n\n"
        "Package: nova-common\nStatus: deinstall ok config-files\nSource: nova\n"
        "Version: 2:26.2.2-1~deb12u5\n\n"
        "Package: python3-oslo.messaging\nStatus: install ok installed\nSource: python-oslo.messaging\n"
        "Version: 14.0.3-0+deb12u1\n\n"
        "Package: vim\nStatus: install ok installed\nVersion: 2:9.0\n"
    )
    doc = tmp_path / "usr/share/doc/python3-nova"
    doc.mkdir(parents=True)
    with gzip.open(doc / "changelog.Debian.gz", "wb") as handle:
        handle.write(
            b"nova (2:26.2.2-1~deb12u5) bookworm-security\n  * CVE-2024-40767: fix\n  * CVE-2023-2088\n"
        )
    gaps: list[dict[str, str]] = []
    packages, _installed = host_packages.read_dpkg({"nova", "oslo-messaging"}, gaps, root=str(tmp_path))
    assert [(p["name"], p["product"]) for p in packages] == [
        ("python3-nova", "nova"),
        ("python3-oslo.messaging", "oslo-messaging"),
    ]
    assert packages[0]["changelog_cves"] == ["CVE-2023-2088", "CVE-2024-40767"]
    assert packages[1]["changelog_cves"] is None  # no changelog to read: no evidence, not "no CVEs"
    assert gaps == []


def fake_site(root: Path, name: str, version: str, sha: str | None = None) -> None:
    site = root / "lib/python3.11/site-packages" / f"{name}-{version}.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong text\n")
    if sha:
        (site / "pbr.json").write_text(json.dumps({"git_version": sha, "is_release": False}))


def test_openstack_ansible_venvs_name_their_service(tmp_path: Path) -> None:
    fake_site(tmp_path / "openstack/venvs/nova-29.0.1", "nova", "29.0.1", "5e835dee08")
    fake_site(tmp_path / "openstack/venvs/nova-29.0.1", "requests", "2.0")
    environments = python_environments.python_environments(
        [], {"nova"}, [], prefix=str(tmp_path), system=False
    )
    assert environments == [
        {
            "kind": "openstack-ansible",
            "path": "/openstack/venvs/nova-29.0.1",
            "service": "nova",
            "distributions": [
                {"name": "nova", "product": "nova", "version": "29.0.1", "git_sha": "5e835dee08"}
            ],
            "installed": [{"name": "nova", "version": "29.0.1"}, {"name": "requests", "version": "2.0"}],
            "installed_unread": [],
        }
    ]


def test_container_python_is_read_from_its_merged_layer(tmp_path: Path) -> None:
    merged = tmp_path / "merged"
    fake_site(merged / "var/lib/kolla/venv", "keystone", "26.1.1")
    inspect = {
        "Name": "/keystone",
        "Config": {
            "Image": "quay.io/openstack.kolla/keystone:2024.2-ubuntu-noble",
            "Labels": {"kolla_version": "19.1.0", "maintainer": "x"},
        },
        "GraphDriver": {"Data": {"MergedDir": str(merged)}},
    }
    gaps: list[dict[str, str]] = []
    facts = containers.container_facts("docker", inspect, {"keystone"}, gaps)
    assert gaps == []
    assert facts["name"] == "keystone"
    assert facts["labels"] == {"kolla_version": "19.1.0"}
    assert facts["readable"] is True
    assert facts["python"][0]["kind"] == "kolla"
    assert facts["python"][0]["distributions"][0]["version"] == "26.1.1"


def test_unreadable_container_layer_is_recorded() -> None:
    gaps: list[dict[str, str]] = []
    facts = containers.container_facts("podman", {"Name": "nova_api", "Config": {}}, {"nova"}, gaps)
    assert facts["readable"] is False
    assert facts["python"] == []
    assert gaps == [
        {
            "source": "containers",
            "item": "nova_api",
            "reason": "merged layer (none) not readable; gather as root",
        }
    ]
