"""The secret-options builder, on a small sdist made here (no download), and the shipped knowledge."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from patchcheck.knowledge.secrecy import SecretOptions, looks_secret, secret_options
from patchcheck.knowledge.secret_options_build import DISTRIBUTIONS, build

REPO = Path(__file__).resolve().parents[2]
OPTS = """
from keystoneauth1 import loading
from oslo_config import cfg

opts = [
    cfg.StrOpt('password', secret=True, deprecated_name='admin_password'),
    cfg.StrOpt('memcache_secret_key', secret=True,
               deprecated_opts=[cfg.DeprecatedOpt('old_key', group='keystone_authtoken')]),
    cfg.StrOpt('filters_path', help='not secret'),
    cfg.BoolOpt(name='enable_ipset', secret=False),
    cfg.StrOpt('vault_token', secret=True, group='vault'),
    loading.Opt('application-credential-secret', secret=True),
]
"""
FAKE = "from oslo_config import cfg\nopts = [cfg.StrOpt('only_in_tests', secret=True)]\n"


def sdist(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    path = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_builder_records_declared_secrets_with_provenance(tmp_path: Path) -> None:
    path = sdist(
        tmp_path,
        "demo_service",
        "1.2.3",
        {
            "demo/conf.py": OPTS,
            "demo/tests/unit/test_conf.py": FAKE,  # test modules declare fakes
            "demo/py2.py": "print 'python 2'\n",  # does not parse: declares nothing, stops nothing
        },
    )
    document = build([path])
    assert document["sources"] == [
        {
            "distribution": "demo_service",
            "version": "1.2.3",
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    ]
    secret = {(e["group"], e["option"]) for e in document["secret"]}
    assert secret == {
        (None, "password"),
        (None, "admin_password"),  # its deprecated name
        (None, "memcache_secret_key"),
        ("keystone_authtoken", "old_key"),  # a deprecated name in the group the code names
        ("vault", "vault_token"),
        (None, "application-credential-secret"),
        (None, "application_credential_secret"),  # as written in a file (keystoneauth's dest)
    }
    assert "filters_path" in document["known"] and "enable_ipset" in document["known"]
    assert "only_in_tests" not in document["known"]
    assert json.dumps(build([path])) == json.dumps(document)  # deterministic

    knowledge = SecretOptions.from_json(document)
    assert knowledge.is_secret("keystone_authtoken", "password")
    assert knowledge.is_secret("any_group", "password")  # group not known statically: any group
    assert knowledge.is_secret("VAULT", "vault_token") and not knowledge.is_secret("DEFAULT", "vault_token")
    assert not knowledge.is_secret("DEFAULT", "filters_path")  # declared, not secret
    assert not knowledge.is_secret("securitygroup", "enable_ipset")
    assert knowledge.is_secret("DEFAULT", "my_api_token")  # not declared, looks secret


def test_undeclared_names_err_towards_secret() -> None:
    for name in (
        "admin_password",
        "key2",
        "hmac_keys",
        "swift_hash_path_suffix",
        "user_admin_admin",
        "x-token",
    ):
        assert looks_secret(name), name
    for name in (
        "filters_path",
        "exec_dirs",
        "ssl_key_file",
        "enable_ipset",
        "use_syslog",
        "keystone.app_factory",
    ):
        assert not looks_secret(name), name


def test_the_shipped_knowledge_names_its_sources_and_the_secrets_of_the_issue() -> None:
    document = json.loads((REPO / "src/patchcheck/data/secret_options.json").read_text())
    read = {source["distribution"].replace("_", "-").replace(".", "-") for source in document["sources"]}
    assert read == {name.replace("_", "-").replace(".", "-") for name in DISTRIBUTIONS}
    assert all(len(source["sha256"]) == 64 and source["version"] for source in document["sources"])
    knowledge = secret_options()
    # keystonemiddleware/keystoneauth1, oslo.messaging, oslo.db, oslo.cache
    for group, option in [
        ("keystone_authtoken", "password"),
        ("service_user", "password"),
        ("DEFAULT", "transport_url"),
        ("database", "connection"),
        ("keystone_authtoken", "memcache_secret_key"),
        ("DEFAULT", "metadata_proxy_shared_secret"),
    ]:
        assert knowledge.is_secret(group, option), (group, option)
    for group, option in [
        ("DEFAULT", "state_path"),
        ("securitygroup", "enable_security_group"),
        ("ml2", "mechanism_drivers"),
    ]:
        assert not knowledge.is_secret(group, option), (group, option)
