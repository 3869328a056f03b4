"""A CycloneDX 1.6 SBOM of the OpenStack software found on the hosts (scs-0124's MAY).

One component per install (host, product, version, source and where), with a
package URL: ``pkg:pypi/<name>@<version>?install_path=<venv>`` for venvs, system
site-packages and containers, ``pkg:deb/debian/<python3-package>@<version>?arch=``
and ``pkg:rpm/...`` for distribution packages (the binary package holding the
code). Every OpenStack distribution found is listed, named by an advisory or
not. The host and where the component was found are properties. It reads the verdicts file's inventory only.
"""

from __future__ import annotations

from collections.abc import Iterable

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.dependency import Dependable, Dependency
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


def indexed_dependencies(bom: Bom) -> Bom:
    """``bom`` with a ``register_dependency`` that finds an entry by its reference in a dict.

    ``Bom.validate`` (run by every output) registers a dependency entry for each component,
    and the library's own ``register_dependency`` searches the entries one by one: quadratic
    in components (1,000 hosts took 70 of the report's 143 s in it, 10,000 never finished;
    issue 26 point 12, ``bench/end_to_end_scale.py``). This one does the same registrations
    through an index, so ``validate`` keeps all of its checks and stays linear.
    """
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


def knowledge_property(bom: Bom, verdicts: Verdicts) -> None:
    """The advisory knowledge the run judged with, as a metadata property of the document."""
    if verdicts.knowledge:
        bom.metadata.properties.add(Property(name="patchcheck:knowledge", value=describe(verdicts.knowledge)))


def cyclonedx_sbom(verdicts: Verdicts, subject: str) -> str:
    bom = indexed_dependencies(Bom())
    bom.metadata.component = Component(name=subject, type=ComponentType.PLATFORM, bom_ref=f"cloud:{subject}")
    knowledge_property(bom, verdicts)
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
    bom.components = components.values()  # sorted once, not bisected into place one by one
    return JsonV1Dot6(bom).output_as_string(indent=1)
