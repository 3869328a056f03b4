"""The tenant collector's own logic: version roots, version documents, TLS facts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils.tenant_endpoints import (
    normalise_versions,
    version_root,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.tls_handshake import tls_facts

from tests.unit.tls_server import make_ca_and_server, tls_server


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://127.0.0.1:35000/v3", "http://127.0.0.1:35000/"),
        ("http://127.0.0.1:38774/v2.1", "http://127.0.0.1:38774/"),
        ("http://h:8776/v3/0123456789abcdef0123456789abcdef", "http://h:8776/"),
        ("https://api.example.com/compute/v2.1/", "https://api.example.com/compute/"),
        ("https://api.example.com/placement", "https://api.example.com/placement/"),
        ("http://127.0.0.1:39292", "http://127.0.0.1:39292/"),
        ("https://swift.example.com/v1/AUTH_abc", "https://swift.example.com/"),
    ],
)
def test_version_root(url: str, root: str) -> None:
    assert version_root(url) == root


def test_three_shapes_of_version_documents() -> None:
    keystone = {"versions": {"values": [{"id": "v3.14", "status": "stable"}]}}
    placement = {
        "versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0", "status": "CURRENT"}]
    }
    single = {"version": {"id": "v2.1", "version": "2.104", "min_version": "2.1", "status": "CURRENT"}}
    assert normalise_versions(keystone) == [
        {"id": "v3.14", "status": "stable", "version": None, "min_version": None}
    ]
    assert normalise_versions(placement)[0]["version"] == "1.39"
    assert normalise_versions(single)[0]["version"] == "2.104"
    assert normalise_versions("<html>") == []
    assert normalise_versions({"versions": [{"status": "no id"}]}) == []


def test_tls_facts_from_a_real_handshake(tmp_path: Path) -> None:
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(days=30, hours=1)
    ca, cert, key = make_ca_and_server(tmp_path, expiry)
    with tls_server(cert, key) as url:
        facts = tls_facts(url, str(ca), 5)
    assert facts["verified"] is True
    assert facts["error"] is None
    assert facts["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert facts["days_to_expiry"] == 30


def test_expired_certificate_is_recorded_not_trusted(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server(tmp_path, dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    with tls_server(cert, key) as url:
        facts = tls_facts(url, str(ca), 5)
    assert facts["verified"] is False
    assert "expired" in facts["error"]
    assert facts["days_to_expiry"] < 0


def test_unknown_ca_is_not_trusted(tmp_path: Path) -> None:
    _ca, cert, key = make_ca_and_server(tmp_path, dt.datetime.now(dt.UTC) + dt.timedelta(days=90))
    with tls_server(cert, key) as url:
        facts = tls_facts(url, True, 5)
    assert facts["verified"] is False
    assert "certificate verify failed" in facts["error"]
    assert facts["days_to_expiry"] is not None


def test_nothing_listening_is_an_error_not_a_crash() -> None:
    facts = tls_facts("https://127.0.0.1:9/", True, 2)
    assert facts["verified"] is False
    assert facts["error"].startswith("ConnectionRefusedError")
