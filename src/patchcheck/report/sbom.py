"""A CycloneDX 1.6 SBOM of the OpenStack software found on the hosts (scs-0124's MAY).

One component per (host, product, version, source), with a package URL:
``pkg:pypi/<name>@<version>`` for venvs, system site-packages and containers,
``pkg:deb/debian/<package>@<version>`` and ``pkg:rpm/<package>@<version>`` for
distribution packages. The host and where the component was found are
properties. It reads the verdicts file's inventory only.
"""

from __future__ import annotations

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from patchcheck.judge.verdicts import Verdicts


def purl_for(product: str, version: str, source: str, where: str) -> str:
    if source == "dpkg":
        return PackageURL(
            type="deb", namespace="debian", name=where.split(", ")[0] or product, version=version
        ).to_string()
    if source == "rpm":
        return PackageURL(type="rpm", name=where.split(", ")[0] or product, version=version).to_string()
    return PackageURL(type="pypi", name=product, version=version).to_string()


def component_for(host: str, product: str, version: str, source: str, where: str) -> Component:
    return Component(
        name=product,
        version=version,
        type=ComponentType.LIBRARY if source not in ("dpkg", "rpm") else ComponentType.APPLICATION,
        purl=PackageURL.from_string(purl_for(product, version, source, where)),
        bom_ref=f"{host}/{source}/{product}@{version}",
        properties=[
            Property(name="patchcheck:host", value=host),
            Property(name="patchcheck:source", value=source),
            Property(name="patchcheck:location", value=where or "-"),
        ],
    )


def cyclonedx_sbom(verdicts: Verdicts, subject: str) -> str:
    bom = Bom()
    bom.metadata.component = Component(name=subject, type=ComponentType.PLATFORM, bom_ref=f"cloud:{subject}")
    seen = set()
    for host in verdicts.inventory:
        for found in host["components"]:
            component = component_for(
                host["host"], found["product"], found["version"], found["source"], found["where"]
            )
            if str(component.bom_ref) not in seen:
                seen.add(str(component.bom_ref))
                bom.components.add(component)
    return JsonV1Dot6(bom).output_as_string(indent=1)
