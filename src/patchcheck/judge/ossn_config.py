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
    return findings + partial_evidence(TESTCASE, facts)


def judge_secret_file_modes(facts: HostFacts) -> list[Finding]:
    """Configuration that may hold secrets must not be readable by everyone (the Security Guide: 0640).

    The mode was read on the host with the file. A value leaves the host only when it is known
    to be harmless (the allowlist); every other non-empty value was redacted there, so it may be
    a secret, and a world-readable file holding one is FAIL, whatever the option is called.
    """
    findings = []
    for config_file in facts.config:
        secrets = [
            f"[{section}] {option}"
            for section, options in config_file.sections.items()
            for option, value in options.items()
            if is_secret(value)
        ]
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
                f"{facts.host}: {config_file.path} (mode {config_file.mode}, owner {owner}) holds values "
                f"that may be secret ({shown}) and is {state}",
                {"host": facts.host, "path": config_file.path, "mode": config_file.mode},
            )
        )
    return findings


def is_secret(value: object) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, dict) and v.get("redacted") and not v.get("empty") for v in values)
