"""A CycloneDX 1.6 SBOM of the OpenStack software found on the hosts (scs-0124's MAY).

One component per install (host, product, version, source and where), with a
package URL: ``pkg:pypi/<name>@<version>?install_path=<venv>`` for venvs, system
site-packages and containers, ``pkg:deb/debian/<python3-package>@<version>?arch=``
and ``pkg:rpm/...`` for distribution packages (the binary package holding the
code). Every OpenStack distribution found is listed, named by an advisory or
not. The host and where the component was found are properties. It reads the verdicts file's inventory only.
Written as plain JSON by ``cyclonedx_json`` (why: see there).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from packageurl import PackageURL

from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.sources import pypi_name
from patchcheck.knowledge.update import describe
from patchcheck.report import cyclonedx_json


def code_package(where: str, packages: Iterable[Iterable[str | None]] | None) -> tuple[str, str | None]:
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
    product on a host never share an identity. A Python distribution is named as PyPI names it, by
    the release data in force (heat is ``pkg:pypi/openstack-heat``; ``pkg:pypi/heat`` is another's)."""
    frozen = tuple(tuple(pair) for pair in packages) if packages else None
    return package_url(product, version, source, where, frozen)


@functools.lru_cache(maxsize=4096)
def package_url(
    product: str, version: str, source: str, where: str, packages: tuple[tuple[str | None, ...], ...] | None
) -> str:
    """``purl_for``, once per distinct install: fleets repeat the same installs on many hosts, and
    ``packageurl``'s normalising took a sixth of the report's time at 1,000 hosts."""
    if source in ("dpkg", "rpm"):
        name, arch = code_package(where, packages)
        qualifiers = {"arch": arch} if arch else {}
        if source == "dpkg":
            return PackageURL("deb", "debian", name or product, version, qualifiers).to_string()
        return PackageURL("rpm", None, name or product, version, qualifiers).to_string()
    qualifiers = {"install_path": where} if where else {}
    return PackageURL("pypi", None, pypi_name(product), version, qualifiers).to_string()


def install_ref(host: str, product: str, version: str, source: str, where: str) -> str:
    return f"{host}/{source}:{where}/{product}@{version}"


def component_kind(source: str) -> str:
    """CycloneDX component type: the code of a distribution package is an application, a
    Python distribution a library (as the documents have always said)."""
    return "application" if source in ("dpkg", "rpm") else "library"


@dataclass(frozen=True, slots=True)
class Install:
    """One install as the documents list it; ``key`` sorts as the library sorted components."""

    host: str
    product: str
    version: str
    source: str
    where: str
    packages: list[list[str | None]] | None = None

    @property
    def ref(self) -> str:
        return install_ref(self.host, self.product, self.version, self.source, self.where)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (component_kind(self.source), self.product, self.version, self.ref)

    def component(self) -> dict[str, Any]:
        return cyclonedx_json.component(
            self.ref,
            self.product,
            self.version,
            component_kind(self.source),
            purl_for(self.product, self.version, self.source, self.where, self.packages),
            [
                ("patchcheck:host", self.host),
                ("patchcheck:source", self.source),
                ("patchcheck:location", self.where or "-"),
            ],
        )


def sorted_installs(installs: Iterable[Install]) -> list[Install]:
    """Each install once (the first seen of a bom-ref), in the library's component order."""
    unique: dict[str, Install] = {}
    for install in installs:
        unique.setdefault(install.ref, install)
    return sorted(unique.values(), key=lambda install: install.key)


def knowledge_of(verdicts: Verdicts) -> str | None:
    """The advisory knowledge the run judged with, for the document's metadata."""
    return describe(verdicts.knowledge) if verdicts.knowledge else None


def write_cyclonedx_sbom(verdicts: Verdicts, subject: str, stream: TextIO) -> None:
    installs = sorted_installs(
        Install(
            host["host"],
            found["product"],
            found["version"],
            found["source"],
            found["where"],
            found.get("packages"),
        )
        for host in verdicts.inventory
        for found in host["components"]
    )
    cyclonedx_json.write_document(
        stream,
        subject,
        knowledge_of(verdicts),
        (install.component() for install in installs),
        [install.ref for install in installs],
    )


def cyclonedx_sbom(verdicts: Verdicts, subject: str) -> str:
    """The SBOM as text (tests, small runs); ``write_outputs`` streams it to the file."""
    text = io.StringIO()
    write_cyclonedx_sbom(verdicts, subject, text)
    return text.getvalue()
