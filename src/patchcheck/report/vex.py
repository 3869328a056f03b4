"""VEX: what the verdicts say about each (host, product, advisory), in CycloneDX 1.6 and OpenVEX.

The verdict statuses map onto VEX as follows (CycloneDX analysis state and
justification / OpenVEX status and justification):

- not affected (precondition false) -> not_affected, requires_configuration /
  not_affected, vulnerable_code_not_in_execute_path;
- mitigated -> not_affected, protected_by_mitigating_control /
  not_affected, inline_mitigations_already_exist;
- fixed (backport) -> resolved / fixed;
- declared patched downstream -> resolved_with_pedigree / fixed; declared
  mitigated or not applicable -> not_affected (the detail says *declared*);
- affected, within deadline and overdue -> exploitable / affected (with the deadline as action);
- unknown -> in_triage / under_investigation.

Both documents read the verdicts file only; the CycloneDX one is built and
serialised with cyclonedx-python-lib.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from cyclonedx.model import XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityReference,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6

from patchcheck import __version__
from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe
from patchcheck.report.sbom import (
    component_for,
    indexed_dependencies,
    install_ref,
    knowledge_property,
    purl_for,
)

ADVISORIES = "scs-0124-ossa-patched"

CYCLONEDX = {
    "not affected (precondition false)": (
        ImpactAnalysisState.NOT_AFFECTED,
        ImpactAnalysisJustification.REQUIRES_CONFIGURATION,
    ),
    "mitigated": (
        ImpactAnalysisState.NOT_AFFECTED,
        ImpactAnalysisJustification.PROTECTED_BY_MITIGATING_CONTROL,
    ),
    "fixed (backport)": (ImpactAnalysisState.RESOLVED, None),
    "affected, within deadline": (ImpactAnalysisState.EXPLOITABLE, None),
    "overdue": (ImpactAnalysisState.EXPLOITABLE, None),
    "unknown": (ImpactAnalysisState.IN_TRIAGE, None),
}
DECLARED_CYCLONEDX = {
    "patched-downstream": (ImpactAnalysisState.RESOLVED_WITH_PEDIGREE, None),
    "mitigated": (
        ImpactAnalysisState.NOT_AFFECTED,
        ImpactAnalysisJustification.PROTECTED_BY_MITIGATING_CONTROL,
    ),
    "not-applicable": (ImpactAnalysisState.NOT_AFFECTED, ImpactAnalysisJustification.REQUIRES_ENVIRONMENT),
}
OPENVEX = {
    "not affected (precondition false)": ("not_affected", "vulnerable_code_not_in_execute_path"),
    "mitigated": ("not_affected", "inline_mitigations_already_exist"),
    "fixed (backport)": ("fixed", None),
    "affected, within deadline": ("affected", None),
    "overdue": ("affected", None),
    "unknown": ("under_investigation", None),
}
DECLARED_OPENVEX = {
    "patched-downstream": ("fixed", None),
    "mitigated": ("not_affected", "inline_mitigations_already_exist"),
    "not-applicable": ("not_affected", "component_not_present"),
}


def advisory_items(verdicts: Verdicts) -> list[tuple[dict[str, Any], str]]:
    """(evidence, message) of every judged (host, product, advisory)."""
    return [
        (item.evidence, item.message)
        for testcase in verdicts.testcases
        if testcase.id == ADVISORIES
        for item in testcase.items
        if "advisory" in item.evidence
    ]


def cyclonedx_vex(verdicts: Verdicts, subject: str) -> str:
    bom = indexed_dependencies(Bom())
    bom.metadata.component = Component(name=subject, type=ComponentType.PLATFORM, bom_ref=f"cloud:{subject}")
    knowledge_property(bom, verdicts)
    components: dict[str, Component] = {}
    vulnerabilities: list[Vulnerability] = []
    packages = inventory_packages(verdicts)
    for number, (evidence, message) in enumerate(advisory_items(verdicts)):
        component = component_for(
            evidence["host"],
            evidence["product"],
            evidence["version"],
            evidence["source"],
            evidence.get("where", ""),
            packages.get((evidence["host"], evidence["source"], evidence.get("where", ""))),
        )
        components.setdefault(str(component.bom_ref), component)
        declared = evidence.get("declared")
        state, justification = (
            DECLARED_CYCLONEDX[declared["status"]] if declared else CYCLONEDX[evidence["status"]]
        )
        detail = (
            f"DECLARED by {declared['owner']} until {declared['expires']}: {declared['justification']}"
            if declared
            else message
        )
        vulnerabilities.append(
            Vulnerability(
                bom_ref=f"vuln-{number}-{evidence['advisory']}",
                id=evidence["advisory"],
                source=VulnerabilitySource(
                    name="OpenStack Vulnerability Management Team", url=XsUri(evidence["url"])
                ),
                references=[
                    VulnerabilityReference(
                        id=cve,
                        source=VulnerabilitySource(
                            name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{cve}")
                        ),
                    )
                    for cve in evidence.get("cves", [])
                ],
                analysis=VulnerabilityAnalysis(state=state, justification=justification, detail=detail),
                affects=[BomTarget(ref=str(component.bom_ref))],
            )
        )
    # given whole, each sorted set is sorted once; adding one by one bisected and shifted for each
    bom.components = components.values()
    bom.vulnerabilities = vulnerabilities
    return JsonV1Dot6(bom).output_as_string(indent=1)


def inventory_packages(verdicts: Verdicts) -> dict[tuple[str, str, str], list[list[str | None]]]:
    """(host, source, where) -> the binary packages (name, architecture) of that install."""
    return {
        (host["host"], found["source"], found["where"]): found["packages"]
        for host in verdicts.inventory
        for found in host["components"]
        if found.get("packages")
    }


def openvex(verdicts: Verdicts, subject: str) -> str:
    statements = []
    packages = inventory_packages(verdicts)
    for evidence, message in advisory_items(verdicts):
        where = evidence.get("where", "")
        install = install_ref(
            evidence["host"], evidence["product"], evidence["version"], evidence["source"], where
        )
        declared = evidence.get("declared")
        status, justification = (
            DECLARED_OPENVEX[declared["status"]] if declared else OPENVEX[evidence["status"]]
        )
        statement: dict[str, Any] = {
            "vulnerability": {
                "@id": evidence["url"],
                "name": evidence["advisory"],
                **({"aliases": evidence["cves"]} if evidence.get("cves") else {}),
            },
            "products": [
                {
                    "@id": f"urn:patchcheck:{quote(subject, safe='')}:{quote(install, safe='/:@')}",
                    "identifiers": {
                        "purl": purl_for(
                            evidence["product"],
                            evidence["version"],
                            evidence["source"],
                            where,
                            packages.get((evidence["host"], evidence["source"], where)),
                        )
                    },
                }
            ],
            "status": status,
            "status_notes": (
                f"DECLARED by {declared['owner']} until {declared['expires']}: {declared['justification']}"
            )
            if declared
            else message,
        }
        if justification:
            statement["justification"] = justification
        if status == "affected":
            deadline = evidence.get("deadline") or "unknown"
            statement["action_statement"] = (
                f"update to a release outside the advisory's range; due {deadline}"
            )
        statements.append(statement)
    document = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"urn:patchcheck:{subject}:{verdicts.judged_at}",
        "author": f"patchcheck {__version__} for {subject}",
        "timestamp": verdicts.judged_at,
        "version": 1,
        "tooling": f"patchcheck {__version__}"
        + (f"; judged with {describe(verdicts.knowledge)}" if verdicts.knowledge else ""),
        "statements": statements,
    }
    return json.dumps(document, indent=1) + "\n"
