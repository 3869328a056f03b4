"""Typed views of validated facts, so the judge reads names, not dictionary keys."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from patchcheck.urls import without_userinfo


@dataclass(frozen=True)
class VersionInfo:
    """One entry of a version document: an API version and its microversion range."""

    id: str
    status: str
    max_version: str | None
    min_version: str | None


@dataclass(frozen=True)
class Endpoint:
    """One fetched version document and the catalog entries that point at it."""

    version_url: str
    service_types: tuple[str, ...]
    interface: str
    region: str | None
    http_status: int | None
    error: str | None
    versions: tuple[VersionInfo, ...]
    tls: dict[str, Any] | None

    @property
    def answered(self) -> bool:
        """A version document was read: the endpoint is evidence, not a gap."""
        return self.error is None and self.http_status is not None and self.http_status < 400


@dataclass(frozen=True)
class TenantFacts:
    """What the tenant collector saw of one cloud."""

    path: str
    cloud: str
    collected_at: str
    collector_version: str
    auth_ok: bool
    auth_url: str | None
    auth_error: str | None
    endpoints: tuple[Endpoint, ...]
    errors: tuple[str, ...]
    raw: dict[str, Any]

    @classmethod
    def from_document(cls, path: str, document: dict[str, Any]) -> TenantFacts:
        """The facts, every string without URL credentials: whatever collector wrote them.

        A collector before issue 26 left passwords holding a quote or a space in place; the
        judge's sentences, the report and JUnit are built from these strings.
        """
        document = scrubbed(document)
        endpoints = tuple(
            Endpoint(
                version_url=entry["version_url"],
                service_types=tuple(entry["service_types"]),
                interface=entry["interface"],
                region=entry["region"],
                http_status=entry["http_status"],
                error=entry["error"],
                versions=tuple(
                    VersionInfo(
                        id=version["id"],
                        status=version["status"],
                        max_version=version.get("version") or None,
                        min_version=version.get("min_version") or None,
                    )
                    for version in entry["versions"]
                ),
                tls=entry.get("tls"),
            )
            for entry in document["endpoints"]
        )
        return cls(
            path=path,
            cloud=document["cloud"],
            collected_at=document["collected_at"],
            collector_version=document["collector"]["version"],
            auth_ok=document["auth"]["ok"],
            auth_url=document["auth"]["auth_url"],
            auth_error=document["auth"]["error"],
            endpoints=endpoints,
            errors=tuple(document["errors"]),
            raw=document,
        )


def scrubbed(value: Any) -> Any:
    """``value`` with every string's URL credentials removed (``patchcheck.urls.without_userinfo``)."""
    if isinstance(value, str):
        return without_userinfo(value)
    if isinstance(value, dict):
        return {key: scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrubbed(item) for item in value]
    return value


ALL_SOURCES = ("packages", "venvs", "containers", "config")


@dataclass(frozen=True)
class Component:
    """One installed piece of OpenStack on a host: a product at a version, and where it was found."""

    product: str
    version: str
    upstream: str
    source: str
    """dpkg, rpm, openstack-ansible, kolla, venv, system, or container:<name>."""
    where: str
    service: str | None
    changelog_cves: tuple[str, ...] | None = None
    git_sha: str | None = None
    changelog_refs: tuple[tuple[str, str, str, str], ...] | None = None
    """(CVE/OSSA/OSSN id, package, changelog entry version, the line) per id the changelog names."""
    packages: tuple[tuple[str, str | None], ...] = ()
    """The distribution's binary packages (name, architecture) that make up this component."""

    def changelog_line(self, reference: str) -> tuple[str, str, str] | None:
        """(package, entry version, line) of the changelog line naming ``reference``, if any."""
        for found, package, version, line in self.changelog_refs or ():
            if found == reference:
                return package, version, line
        return None

    @property
    def label(self) -> str:
        return f"{self.product} {self.version} ({self.source} {self.where})"


@dataclass(frozen=True)
class ConfigFile:
    service: str
    path: str
    folder: str
    name: str
    owner: str
    group: str
    mode: str
    readable: bool
    sections: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class SecretFile:
    """A file holding a secret by what it is (a Ceph keyring, a fernet key): its mode, never its content."""

    path: str
    kind: str
    owner: str
    group: str
    mode: str


@dataclass(frozen=True)
class InstalledDistribution:
    """A Python distribution as installed (every one, not only OpenStack's)."""

    name: str
    """As in its metadata."""
    key: str
    """Its PEP 503 name (lowercase, runs of ``-_.`` as one ``-``)."""
    version: str
    where: str
    """The environment: ``openstack-ansible /openstack/venvs/nova-29.0.1``,
    ``kolla /var/lib/kolla/venv (container:nova_api)``, ``system /usr/lib/python3/dist-packages``."""
    kind: str
    """The environment's kind: openstack-ansible, kolla, venv, system."""
    managed_by: str | None
    """dpkg or rpm for a system site folder a package manager owns, else None."""
    container: str | None
    """The container's name; None on the host."""


@dataclass(frozen=True)
class SystemPackage:
    """One installed distribution package (dpkg or rpm) and the source package it was built from."""

    name: str
    version: str
    source: str
    source_version: str
    architecture: str | None
    depends: tuple[str, ...]
    provides: tuple[str, ...]


@dataclass(frozen=True)
class PackageSet:
    """The distribution packages of the host or of one container, with the release they belong to."""

    where: str
    """``host`` or ``container:<name>``."""
    os: dict[str, str]
    """id, version_id, version_codename, pretty_name (may be empty)."""
    manager: str
    """dpkg or rpm."""
    packages: tuple[SystemPackage, ...]


#: One object per distinct installed item in the process, freed with its last user: the hosts of
#: a fleet install the same packages, and 10,000 hosts of 1,000 packages each must fit (as
#: ``facts.load.shared_strings`` does for strings).
SHARED: weakref.WeakValueDictionary[tuple[Any, ...], Any] = weakref.WeakValueDictionary()


def shared(cls: type[Any], *fields: Any) -> Any:
    """``cls(*fields)``, the same object each time these fields meet while one is alive."""
    key = (cls, *fields)
    found = SHARED.get(key)
    if found is None:
        found = cls(*fields)
        SHARED[key] = found
    return found


def python_installs(
    document: dict[str, Any],
) -> tuple[tuple[InstalledDistribution, ...] | None, tuple[tuple[str, str, str], ...]]:
    """Every Python distribution installed on the host and in its containers, and those not read.

    None when no environment carries ``installed``: a collector before the field, or one that read
    neither venvs nor packages. A collector that writes ``system_packages`` (even null) knows the
    field too: when it read venvs or packages and found no environment at all, that is ().
    """
    environments = [(env, None) for env in document["python"]]
    environments += [(env, c["name"]) for c in document["containers"] for env in c["python"]]
    carried = False
    installed: dict[InstalledDistribution, None] = {}
    unread: list[tuple[str, str, str]] = []
    for environment, container in environments:
        if "installed" not in environment:
            continue
        carried = True
        kind = environment["kind"]
        where = f"{kind} {environment['path']}" + (f" (container:{container})" if container else "")
        managed_by = environment.get("managed_by")
        for dist in environment["installed"]:
            name, version = dist["name"], dist["version"]
            install = shared(
                InstalledDistribution,
                name,
                canonicalize_name(name),
                version,
                where,
                kind,
                managed_by,
                container,
            )
            installed[install] = None  # one site folder seen twice is one install
        unread += [
            (where, item["entry"], item["reason"]) for item in environment.get("installed_unread") or ()
        ]
    if carried:
        return tuple(installed), tuple(unread)
    sources = document.get("sources") or ALL_SOURCES
    read = document["reachable"] and ("venvs" in sources or "packages" in sources)
    return (() if read and "system_packages" in document else None), tuple(unread)


def package_sets(document: dict[str, Any]) -> tuple[PackageSet, ...] | None:
    """The host's packages, then each container's; None when the facts carry no ``system_packages``."""
    places = [("host", document.get("os") or {}, document.get("system_packages"))]
    places += [
        (f"container:{c['name']}", c.get("os") or {}, c.get("system_packages"))
        for c in document["containers"]
    ]
    found = tuple(
        PackageSet(
            where=where,
            os=dict(release),
            manager=installed["manager"],
            packages=tuple(
                shared(
                    SystemPackage,
                    p["name"],
                    p["version"],
                    p["source"],
                    p["source_version"],
                    p["architecture"],
                    tuple(p["depends"]),
                    tuple(p["provides"]),
                )
                for p in installed["packages"]
            ),
        )
        for where, release, installed in places
        if installed is not None
    )
    return found or None


@dataclass(frozen=True)
class HostFacts:
    """What the host collector read on one host (or why it could not)."""

    path: str
    host: str
    collected_at: str
    reachable: bool
    failure: str | None
    components: tuple[Component, ...]
    config: tuple[ConfigFile, ...]
    errors: tuple[str, ...]
    sources: tuple[str, ...] = ALL_SOURCES
    """What the collector was asked to read; the document itself is not kept (10,000 hosts must fit)."""
    incomplete: tuple[tuple[str, str, str], ...] = ()
    """(source, item, reason) of everything the collector could not read completely."""
    secret_files: tuple[SecretFile, ...] | None = None
    """Secret-bearing files found by name; None from collectors that did not look for them."""
    installed_distributions: tuple[InstalledDistribution, ...] | None = None
    """Every Python distribution on the host and in its containers (scs-0124's dependency clause);
    None when not gathered (an older collector, or neither venvs nor packages read)."""
    unread_distributions: tuple[tuple[str, str, str], ...] = ()
    """(where, distribution folder, reason) of every distribution whose metadata was not read."""
    package_sets: tuple[PackageSet, ...] | None = None
    """Every distribution package, the host's first, then each container's; None when the facts
    carry none (an older collector, packages not read, no package manager)."""

    @property
    def gaps(self) -> list[str]:
        """One line per incomplete item, for findings: what was not seen on this host."""
        return [f"{source} {item}: {reason}" for source, item, reason in self.incomplete]

    @property
    def skipped_sources(self) -> tuple[str, ...]:
        return tuple(source for source in ALL_SOURCES if source not in self.sources)

    def config_folders(self, service: str) -> list[str]:
        """The folders holding ``service``'s configuration; how a service reads them is
        ``patchcheck.judge.effective_config``'s."""
        return sorted({c.folder for c in self.config if c.service == service})

    @classmethod
    def from_document(cls, path: str, document: dict[str, Any]) -> HostFacts:
        from patchcheck.knowledge.versions import debian_upstream, rpm_upstream

        components: list[Component] = []
        packaged = set()
        grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for package in document["packages"]:
            grouped.setdefault((package["manager"], package["source"], package["version"]), []).append(
                package
            )
        for (manager, _source, version), packages in sorted(grouped.items()):
            upstream = debian_upstream(version) if manager == "dpkg" else rpm_upstream(version)
            cves = [p["changelog_cves"] for p in packages if p["changelog_cves"] is not None]
            refs = {
                (reference, package["name"], entry["version"], entry["line"])
                for package in packages
                for reference, entry in (package.get("changelog_refs") or {}).items()
            }
            read = any(package.get("changelog_refs") is not None for package in packages)
            product = packages[0]["product"]
            packaged.add(product)
            components.append(
                Component(
                    product=product,
                    version=version,
                    upstream=upstream,
                    source=manager,
                    where=", ".join(sorted(p["name"] for p in packages)),
                    service=None,
                    changelog_cves=tuple(sorted(set().union(*cves))) if cves else None,
                    changelog_refs=tuple(sorted(refs)) if read else None,
                    packages=tuple(sorted((p["name"], p.get("architecture")) for p in packages)),
                )
            )
        environments = [(env, env["kind"]) for env in document["python"]]
        environments += [
            (env, f"container:{c['name']}") for c in document["containers"] for env in c["python"]
        ]
        unread: list[tuple[str, str, str]] = []
        installed: set[tuple[str, str, str, str]] = set()
        for environment, source in environments:
            for dist in environment["distributions"]:
                product = dist["product"]
                if environment.get("managed_by") and product in packaged:
                    continue  # the distribution package above already stands for it, with its changelog
                if not dist.get("version"):  # collectors before issue 26 sent these: a gap, not nothing
                    unread.append(
                        (
                            unread_source(environment["kind"], source),
                            f"{environment['path']} {dist['name']}",
                            "no version in its metadata: not judged",
                        )
                    )
                    continue
                service = environment.get("service") or (
                    source.split(":", 1)[1].split("_")[0] if source.startswith("container:") else None
                )
                install = (product, dist["version"], source, environment["path"])
                if install in installed:
                    continue  # one site folder seen twice through a link (collectors before issue 27)
                installed.add(install)
                components.append(
                    Component(
                        product=product,
                        version=dist["version"],
                        upstream=dist["version"],
                        source=source,
                        where=environment["path"],
                        service=service,
                        git_sha=dist.get("git_sha"),
                    )
                )
        config = tuple(
            ConfigFile(
                service=service,
                path=record["path"],
                folder=record["folder"],
                name=record["name"],
                owner=record["owner"],
                group=record["group"],
                mode=record["mode"],
                readable=record["readable"],
                sections=record["sections"],
            )
            for service, files in sorted(document["config"].items())
            for record in files.values()
        )
        installed, unread_installs = python_installs(document)
        return cls(
            path=path,
            host=document["host"],
            collected_at=document["collected_at"],
            reachable=document["reachable"],
            failure=document.get("failure"),
            components=tuple(components),
            config=config,
            errors=tuple(document["errors"]),
            sources=tuple(document.get("sources") or ALL_SOURCES),
            incomplete=tuple(
                (entry["source"], entry["item"], entry["reason"])
                for entry in document.get("incomplete") or ()
            )
            + tuple(unread),
            secret_files=None
            if document.get("secret_files") is None
            else tuple(
                SecretFile(f["path"], f["kind"], f["owner"], f["group"], f["mode"])
                for f in document["secret_files"]
            ),
            installed_distributions=installed,
            unread_distributions=unread_installs,
            package_sets=package_sets(document),
        )


def unread_source(kind: str, source: str) -> str:
    """The ``incomplete`` source a Python environment belongs to, as the collector names them."""
    if source.startswith("container:"):
        return "containers"
    return "packages" if kind == "system" else "venvs"
