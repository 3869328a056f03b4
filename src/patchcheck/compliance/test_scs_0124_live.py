"""Live looks at hosts with pytest-testinfra, where only the running host can tell.

OSSN-0007: libvirt must not accept TCP connections without authentication. The
configuration file alone cannot prove it (the socket may be enabled by systemd
socket units, a command-line flag or another file); the listening socket plus the
auth setting can. These checks run only when ``patchcheck judge --hosts`` names
hosts (testinfra specs such as ``ansible://all?ansible_inventory=hosts.yaml``,
``ssh://ctl1``, ``local://``), on testinfra's native backends (never
``--force-ansible``). They only read: a socket list and a file. A host that cannot
be reached the way the gathering reached it is ABORT with one sentence saying why
(``patchcheck.judge.live_hosts``), never a traceback.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import testinfra

from patchcheck.judge import live_hosts, ossn_config
from patchcheck.judge.pytest_plugin import NOT_APPLICABLE
from patchcheck.judge.verdict import Finding, Result

LIBVIRT_TCP_PORT = 16509
LIBVIRTD_CONF = "/etc/libvirt/libvirtd.conf"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "live_host" not in metafunc.fixturenames:
        return
    specs = metafunc.config.getoption("hosts", None)
    if not specs:
        metafunc.parametrize(
            "live_host",
            [pytest.param(None, marks=getattr(pytest.mark, NOT_APPLICABLE))],
            ids=["not-applicable"],
        )
        return
    inventory = metafunc.config.getoption("ansible_inventory", None)
    try:
        hosts = testinfra.get_hosts(specs.split(","), ansible_inventory=inventory, force_ansible=False)
    except Exception as exc:  # an unusable inventory or spec: the live checks cannot run, say why
        problem = Finding(
            ossn_config.TESTCASE,
            f"live checks {specs}",
            Result.ABORT,
            f"live checks on {specs} could not start: {type(exc).__name__}: {str(exc)[:300]}",
        )
        metafunc.parametrize("live_host", [problem], ids=["live-checks-unavailable"])
        return
    metafunc.parametrize("live_host", hosts, ids=[host.backend.get_pytest_id() for host in hosts])


def libvirt_tcp_finding(host: Any) -> Finding:
    if isinstance(host, Finding):
        return host
    name = host.backend.get_pytest_id()
    subject = f"{name} OSSN-0007 libvirt tcp"
    try:
        return libvirt_tcp_looked_at(host, name, subject)
    except Exception as exc:  # the host could not be looked at: why, in one sentence, never PASS
        return Finding(
            ossn_config.TESTCASE,
            subject,
            Result.ABORT,
            f"{name}: OSSN-0007 not looked at live: {live_hosts.why_unreachable(host, exc)}",
        )


def libvirt_tcp_looked_at(host: Any, name: str, subject: str) -> Finding:
    listening = [
        spec
        for spec in host.socket.get_listening_sockets()
        if spec.startswith("tcp://") and spec.endswith(f":{LIBVIRT_TCP_PORT}")
    ]
    if not listening:
        return Finding(
            ossn_config.TESTCASE,
            subject,
            Result.PASS,
            f"{name}: OSSN-0007: nothing listens on TCP port {LIBVIRT_TCP_PORT} (libvirt)",
        )
    conf = host.file(LIBVIRTD_CONF)
    if not conf.exists:
        return Finding(
            ossn_config.TESTCASE,
            subject,
            Result.ABORT,
            f"{name}: OSSN-0007: {', '.join(listening)} listens but {LIBVIRTD_CONF} is missing",
        )
    match = re.search(r'^\s*auth_tcp\s*=\s*"([^"]*)"', conf.content_string, re.MULTILINE)
    auth = match.group(1) if match else "sasl (default)"
    result = Result.FAIL if auth == "none" else Result.PASS
    return Finding(
        ossn_config.TESTCASE,
        subject,
        result,
        f"{name}: OSSN-0007: libvirt listens on {', '.join(listening)} with auth_tcp {auth}",
    )


@pytest.mark.scs_testcase(ossn_config.TESTCASE)
def test_libvirt_tcp_requires_authentication(live_host: Any, request: pytest.FixtureRequest) -> None:
    finding = libvirt_tcp_finding(live_host)
    request.node.patchcheck_finding = finding  # the verdicts file records the finding, not just the outcome
    finding.check()
