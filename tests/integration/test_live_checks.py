"""Live checks with pytest-testinfra on the local host: a real listening socket, a real file."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import host_facts_document, run_patchcheck, write

LIBVIRT = Path("/etc/libvirt")


def live_items(tmp_path: Path) -> dict[str, dict]:
    facts = write(host_facts_document("live1"), tmp_path / "facts.json")
    result = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", tmp_path / "verdicts.json", "--hosts", "local://"
    )
    assert (tmp_path / "verdicts.json").exists(), result.stdout + result.stderr
    testcases = json.loads((tmp_path / "verdicts.json").read_text())["testcases"]
    items = next(t for t in testcases if t["id"] == "scs-0124-ossn-config")["items"]
    return {item["subject"]: item for item in items if "OSSN-0007" in item["subject"]}


@contextmanager
def listening(port: int) -> Iterator[None]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("127.0.0.1", port))
    except OSError as exc:
        pytest.fail(f"cannot listen on 127.0.0.1:{port} for the test: {exc}")
    server.listen()
    try:
        yield
    finally:
        server.close()


@contextmanager
def libvirtd_conf(text: str) -> Iterator[None]:
    if LIBVIRT.exists():
        pytest.fail(
            f"{LIBVIRT} exists on this machine; the test does not overwrite a real libvirt configuration"
        )
    LIBVIRT.mkdir()
    (LIBVIRT / "libvirtd.conf").write_text(text)
    try:
        yield
    finally:
        shutil.rmtree(LIBVIRT)


def test_nothing_listening_on_the_libvirt_port_passes(tmp_path: Path) -> None:
    (item,) = live_items(tmp_path).values()
    assert item["result"] == "PASS"
    assert "nothing listens on TCP port 16509" in item["message"]


def test_libvirt_tcp_without_authentication_fails(tmp_path: Path) -> None:
    with listening(16509), libvirtd_conf('listen_tcp = 1\nauth_tcp = "none"\n'):
        (item,) = live_items(tmp_path).values()
    assert item["result"] == "FAIL"
    assert "with auth_tcp none" in item["message"]


def test_libvirt_tcp_with_sasl_passes(tmp_path: Path) -> None:
    with listening(16509), libvirtd_conf('listen_tcp = 1\nauth_tcp = "sasl"\n'):
        (item,) = live_items(tmp_path).values()
    assert item["result"] == "PASS"


def test_a_listener_without_configuration_is_abort(tmp_path: Path) -> None:
    with listening(16509):
        (item,) = live_items(tmp_path).values()
    assert item["result"] == "ABORT"
