"""The CycloneDX VEX and SBOM as cyclonedx-python-lib's model and serialiser build them.

This is the code that wrote both documents before ``patchcheck.report.cyclonedx_json``
(moved here unchanged but for names): the authority the plain-JSON writer is compared with
in ``tests/unit/test_cyclonedx_json.py``. Too slow and too large for a fleet (quadratic
dependency registration, model objects for every element), it is fine for a few hosts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.dependency import Dependable, Dependency
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityReference,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe
from patchcheck.report.sbom import install_ref, purl_for
from patchcheck.report.vex import advisory_items, inventory_packages

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


def component_for(
    host: str,
    product: str,
    version: str,
    source: str,
    where: str,
    packages: list[list[str | None]] | None = None,
) -> Component:
    return Component(
        name=product,
        version=version,
        type=ComponentType.LIBRARY if source not in ("dpkg", "rpm") else ComponentType.APPLICATION,
        purl=PackageURL.from_string(purl_for(product, version, source, where, packages)),
        bom_ref=install_ref(host, product, version, source, where),
        properties=[
            Property(name="patchcheck:host", value=host),
            Property(name="patchcheck:source", value=source),
            Property(name="patchcheck:location", value=where or "-"),
        ],
    )


def indexed_dependencies(bom: Bom) -> Bom:
    """``bom`` whose ``register_dependency`` finds entries through a dict (the library's is quadratic)."""
    index: dict[BomRef, Dependency] = {entry.ref: entry for entry in bom.dependencies}

    def register_dependency(target: Dependable, depends_on: Iterable[Dependable] | None = None) -> None:
        entry = index.get(target.bom_ref)
        if entry is None:
            entry = index[target.bom_ref] = Dependency(
                ref=target.bom_ref, dependencies=[Dependency(ref=d.bom_ref) for d in depends_on or ()]
            )
            bom.dependencies.add(entry)
        elif depends_on:
            entry.dependencies.update(Dependency(ref=d.bom_ref) for d in depends_on)
        for dependent in depends_on or ():
            register_dependency(dependent)

    bom.register_dependency = register_dependency  # type: ignore[method-assign]
    return bom


def document_for(verdicts: Verdicts, subject: str) -> Bom:
    bom = indexed_dependencies(Bom())
    bom.metadata.component = Component(name=subject, type=ComponentType.PLATFORM, bom_ref=f"cloud:{subject}")
    if verdicts.knowledge:
        bom.metadata.properties.add(Property(name="patchcheck:knowledge", value=describe(verdicts.knowledge)))
    return bom


def library_vex(verdicts: Verdicts, subject: str) -> str:
    bom = document_for(verdicts, subject)
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
    bom.components = components.values()
    bom.vulnerabilities = vulnerabilities
    return JsonV1Dot6(bom).output_as_string(indent=1)


def library_sbom(verdicts: Verdicts, subject: str) -> str:
    bom = document_for(verdicts, subject)
    components: dict[str, Component] = {}
    for host in verdicts.inventory:
        for found in host["components"]:
            component = component_for(
                host["host"],
                found["product"],
                found["version"],
                found["source"],
                found["where"],
                found.get("packages"),
            )
            components.setdefault(str(component.bom_ref), component)
    bom.components = components.values()
    return JsonV1Dot6(bom).output_as_string(indent=1)


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without what differs by run (serial number, timestamp), lists sorted by bom-ref."""
    document = dict(document)
    document.pop("serialNumber", None)
    document["metadata"] = {k: v for k, v in document["metadata"].items() if k != "timestamp"}
    for key, ref in (("components", "bom-ref"), ("vulnerabilities", "bom-ref"), ("dependencies", "ref")):
        if key in document:
            document[key] = sorted(document[key], key=lambda element, ref=ref: element[ref])
    return document
