"""scs-0124-ossn-config: no security-note configuration requirement is violated on any host.

Requirements come from the overlay (e.g. OSSN-0090: glance hides image
locations; OSSN-0064: no admin_token_auth in keystone's paste pipelines) and
are judged wherever the host holds configuration of the service they concern.
Configuration that was not collected, or a value oslo.config would refuse, is
ABORT, never PASS.
"""

from __future__ import annotations

from patchcheck.facts import Component, HostFacts
from patchcheck.judge.inventory_complete import partial_evidence
from patchcheck.judge.ossa_patched import evaluate_rule
from patchcheck.judge.verdict import Finding, Result
from patchcheck.knowledge.advisories import AdvisoryIndex
from patchcheck.knowledge.secrecy import secret_options

TESTCASE = "scs-0124-ossn-config"


def judge_host_config(facts: HostFacts, index: AdvisoryIndex) -> list[Finding]:
    if not facts.reachable:
        return [Finding(TESTCASE, facts.host, Result.ABORT, f"{facts.host}: not gathered ({facts.failure})")]
    findings = []
    services = {config_file.service for config_file in facts.config}
    present = {(c.service, c.name) for c in facts.config}
    for advisory, rule, files in index.requirements():
        if rule.service not in services or not files <= present:
            continue  # the files the requirement reads do not exist on this host
        placeholder = Component(rule.service, "", "", "config", "", rule.service)
        outcome = evaluate_rule(rule, facts, placeholder, any_folder=False)
        result = {True: Result.PASS, False: Result.FAIL, None: Result.ABORT}[outcome.value]
        verdict = {Result.PASS: "holds", Result.FAIL: "is violated", Result.ABORT: "cannot be decided"}[
            result
        ]
        findings.append(
            Finding(
                TESTCASE,
                f"{facts.host} {advisory.id} {rule.id}",
                result,
                f"{facts.host}: {advisory.id} {rule.id} {verdict}: {rule.reason} "
                f"({'; '.join(outcome.evidence)})",
                {
                    "host": facts.host,
                    "advisory": advisory.id,
                    "rule": rule.id,
                    "evidence": outcome.evidence,
                },
            )
        )
    findings += judge_secret_file_modes(facts)
    findings += judge_secret_bearing_files(facts)
    return findings + partial_evidence(TESTCASE, facts)


def judge_secret_file_modes(facts: HostFacts) -> list[Finding]:
    """Configuration holding secrets must not be readable by everyone (the Security Guide: 0640).

    The mode was read on the host with the file. Secret is what the services declare
    (``knowledge/secrecy.py``: options registered ``secret=True``, then a name pattern for options
    no service declares), not "redacted": a stock ``rootwrap.conf`` or ``api-paste.ini`` holds
    values that were redacted because no one put them on the allowlist, and no secret. Only the
    option's name decides; its value never left the host (set and non-empty is all it says).
    """
    findings = []
    for config_file in facts.config:
        secrets = secret_settings(config_file.sections)
        if not secrets:
            continue
        world_readable = int(config_file.mode, 8) & 0o004
        result = Result.FAIL if world_readable else Result.PASS
        state = "readable by everyone" if world_readable else "not readable by everyone"
        owner = f"{config_file.owner}:{config_file.group}"
        shown = ", ".join(secrets[:3]) + (", ..." if len(secrets) > 3 else "")
        findings.append(
            Finding(
                TESTCASE,
                f"{facts.host} {config_file.path} mode",
                result,
                f"{facts.host}: {config_file.path} (mode {config_file.mode}, owner {owner}) sets secret "
                f"options ({shown}) and is {state}",
                {"host": facts.host, "path": config_file.path, "mode": config_file.mode},
            )
        )
    return findings


def judge_secret_bearing_files(facts: HostFacts) -> list[Finding]:
    """Files that are secrets by what they are (keyrings, fernet keys, passwords.yml, .pgpass,
    clouds.yaml, openrc), found by name on the host: readable by everyone is FAIL.

    clouds.yaml and openrc files count whether or not they hold a password (their content is
    never read): errs towards FAIL. Facts from a collector that did not look name no such file.
    """
    findings = []
    for secret_file in facts.secret_files or ():
        world_readable = int(secret_file.mode, 8) & 0o004
        state = "readable by everyone" if world_readable else "not readable by everyone"
        findings.append(
            Finding(
                TESTCASE,
                f"{facts.host} {secret_file.path} mode",
                Result.FAIL if world_readable else Result.PASS,
                f"{facts.host}: {secret_file.path} (mode {secret_file.mode}, owner "
                f"{secret_file.owner}:{secret_file.group}) is a {secret_file.kind} and is {state}",
                {"host": facts.host, "path": secret_file.path, "mode": secret_file.mode},
            )
        )
    return findings


def secret_settings(sections: dict[str, dict[str, object]]) -> list[str]:
    """``[section] option`` of every secret a file sets: a declared (or secret-looking) option
    name with a non-empty value, or a URL the host saw carrying credentials."""
    knowledge = secret_options()
    return [
        f"[{section}] {option}"
        for section, options in sections.items()
        for option, value in (options or {}).items()
        if is_set_redacted(value) and (knowledge.is_secret(section, option) or carries_credentials(value))
    ]


def is_set_redacted(value: object) -> bool:
    """A value the host redacted and that is not empty: set, and possibly a secret if its option is one."""
    return any(isinstance(v, dict) and v.get("redacted") and not v.get("empty") for v in occurrences(value))


def carries_credentials(value: object) -> bool:
    return any(isinstance(v, dict) and v.get("credentials") for v in occurrences(value))


def occurrences(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]
