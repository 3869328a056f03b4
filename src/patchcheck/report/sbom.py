"""A CycloneDX 1.6 SBOM of the OpenStack software found on the hosts (scs-0124's MAY).

One component per install (host, product, version, source and where), with a
package URL: ``pkg:pypi/<name>@<version>?install_path=<venv>`` for venvs, system
site-packages and containers, ``pkg:deb/debian/<python3-package>@<version>?arch=``
and ``pkg:rpm/...`` for distribution packages (the binary package holding the
code). Every OpenStack distribution found is listed, named by an advisory or
not. The host and where the component was found are properties. It reads the verdicts file's inventory only.
"""

from __future__ import annotations

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe


def code_package(where: str, packages: list[list[str | None]] | None) -> tuple[str, str | None]:
    """The binary package that ships the code (``python3-glance-store``, not ``glance-store-common``)."""
    pairs = [(str(name), arch) for name, arch in packages or []] or [
        (name, None) for name in where.split(", ")
    ]
    python = [pair for pair in pairs if pair[0].startswith(("python3-", "python-"))]
    return (python or pairs)[0]


def purl_for(
    product: str, version: str, source: str, where: str, packages: list[list[str | None]] | None = None
) -> str:
    """A package URL per install: the exact binary package and architecture for distribution
    packages, the install path (``install_path``) for Python distributions, so two installs of one
    product on a host never share an identity."""
    if source in ("dpkg", "rpm"):
        name, arch = code_package(where, packages)
        qualifiers = {"arch": arch} if arch else {}
        if source == "dpkg":
            return PackageURL("deb", "debian", name or product, version, qualifiers).to_string()
        return PackageURL("rpm", None, name or product, version, qualifiers).to_string()
    qualifiers = {"install_path": where} if where else {}
    return PackageURL("pypi", None, product, version, qualifiers).to_string()


def install_ref(host: str, product: str, version: str, source: str, where: str) -> str:
    return f"{host}/{source}:{where}/{product}@{version}"


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


def knowledge_property(bom: Bom, verdicts: Verdicts) -> None:
    """The advisory knowledge the run judged with, as a metadata property of the document."""
    if verdicts.knowledge:
        bom.metadata.properties.add(Property(name="patchcheck:knowledge", value=describe(verdicts.knowledge)))


def cyclonedx_sbom(verdicts: Verdicts, subject: str) -> str:
    bom = Bom()
    bom.metadata.component = Component(name=subject, type=ComponentType.PLATFORM, bom_ref=f"cloud:{subject}")
    knowledge_property(bom, verdicts)
    seen = set()
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
            if str(component.bom_ref) not in seen:
                seen.add(str(component.bom_ref))
                bom.components.add(component)
    return JsonV1Dot6(bom).output_as_string(indent=1)
