"""The overlay's rules name real options: checked against the services of the local test cloud.

oslo-config-generator (and oslopolicy-sample-generator for policy rules) from
the test cloud's own venv lists every option and policy the installed
services register. Ironic is not part of the test cloud; its option names were
checked against its source (see overlay.yaml).
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from patchcheck.knowledge.advisories import shipped_index
from tests.integration.conftest import TestCloud

#: Which generator namespaces hold a service's options (oslo.messaging and keystonemiddleware are shared).
NAMESPACES = {
    "nova": ["nova.conf", "oslo.messaging", "keystonemiddleware.auth_token"],
    "cinder": ["keystonemiddleware.auth_token", "oslo.messaging"],
    "glance": ["glance.api"],
    "keystone": ["keystone"],
    "neutron": ["neutron", "neutron.ml2", "neutron.agent", "oslo.messaging"],
}
POLICY_NAMESPACES = {"cinder": "cinder"}


def option_checks(expr: dict[str, Any], service: str) -> list[tuple[str, str, str, str]]:
    if "all" in expr or "any" in expr:
        return [
            check for part in expr.get("all", expr.get("any", [])) for check in option_checks(part, service)
        ]
    if "not" in expr:
        return option_checks(expr["not"], service)
    if "jmespath" in expr:
        return []
    return [(expr.get("service", service), expr["file"], expr["section"], expr["option"])]


def checks() -> list[tuple[str, str, str, str, str]]:
    found = set()
    for advisory in shipped_index().advisories:
        for rule in advisory.rules:
            service = "nova" if rule.service == "*" else rule.service
            for owner, filename, section, option in option_checks(rule.expr, service):
                if owner in NAMESPACES:
                    found.add((f"{advisory.id}/{rule.id}", owner, filename, section, option))
    return sorted(found)


@cache
def generated_options(venv_bin: str, namespace: str) -> set[tuple[str, str]]:
    result = subprocess.run(
        [f"{venv_bin}/oslo-config-generator", "--namespace", namespace, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    document = json.loads(result.stdout)
    return {
        (section, option["name"])
        for section, group in document["options"].items()
        for option in group["opts"]
    }


@cache
def generated_policies(venv_bin: str, namespace: str) -> set[str]:
    result = subprocess.run(
        [f"{venv_bin}/oslopolicy-sample-generator", "--namespace", namespace],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return {line.split('"')[1] for line in result.stdout.splitlines() if line.startswith('#"')}


def test_the_checks_cover_the_test_cloud_services() -> None:
    assert {owner for _rule, owner, *_ in checks()} == set(NAMESPACES)
    assert len(checks()) >= 20


@pytest.mark.parametrize(
    ("rule", "service", "filename", "section", "option"),
    checks(),
    ids=[f"{c[0]}:{c[3]}.{c[4]}" for c in checks()],
)
def test_rule_options_exist(
    test_cloud: TestCloud, rule: str, service: str, filename: str, section: str, option: str
) -> None:
    venv_bin = str(test_cloud.state / "venv" / "bin")
    if filename == "policy.yaml":
        assert option in generated_policies(venv_bin, POLICY_NAMESPACES[service]), (
            f"{rule}: no policy {option}"
        )
        return
    known = set().union(*(generated_options(venv_bin, namespace) for namespace in NAMESPACES[service]))
    assert (section, option) in known, f"{rule}: {service} has no option [{section}] {option}"
