"""Running containers of docker and podman, and the Python distributions, release and packages inside them.

The engines are only asked (``ps``, ``inspect``); what runs inside a container is read from its
merged layer with the same bounded readers as the host's venvs, os-release and dpkg status. An
engine that cannot be asked, an answer of another shape or a layer that cannot be read is a gap,
never "no containers".
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.host_files import (
    failure_text,
    incomplete,
    os_release,
    run,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.host_packages import read_dpkg
from ansible_collections.scs.patchcheck.plugins.module_utils.python_environments import python_environments

DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
CONTAINER_LABELS = (
    "kolla_version",
    "de.osism.release.openstack",
    "org.opencontainers.image.version",
    "org.opencontainers.image.title",
    "name",
)


def containers(wanted: set[str], errors: list[str], gaps: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Running containers of docker and podman; an engine we cannot ask is a gap, not "none"."""
    found = []
    for engine in ("docker", "podman"):
        binary = shutil.which(engine)
        if not binary:
            continue
        if engine == "docker" and not any(os.path.exists(p) for p in DOCKER_SOCKETS):
            continue  # a docker client without a daemon runs no containers
        failures = len(errors)
        ids = run([binary, "ps", "--quiet", "--no-trunc"], errors)
        if ids is None:
            incomplete(gaps, "containers", engine, f"{engine} ps failed: {'; '.join(errors[failures:])}")
            continue
        if not ids.split():
            continue
        inspected = run([binary, "inspect", *ids.split()], errors)
        try:
            documents = json.loads(inspected) if inspected is not None else None
        except ValueError:
            documents = None
        if not isinstance(documents, list):
            incomplete(gaps, "containers", engine, f"{engine} inspect gave no readable answer")
            continue
        for number, document in enumerate(documents):
            try:
                found.append(container_facts(engine, document, wanted, gaps))
            except Exception as exc:  # one container never loses the host
                incomplete(gaps, "containers", f"{engine} #{number}", f"not read: {failure_text(exc)}")
    return found


def container_facts(
    engine: str, document: dict[str, Any], wanted: set[str], gaps: list[dict[str, str]]
) -> dict[str, Any]:
    """One container from `docker inspect`/`podman inspect`; its Python, release and packages read
    from the merged layer.

    A container whose merged layer cannot be read (gathering without root, a storage driver
    without one) is recorded and makes the host's evidence incomplete: what runs in it was
    not seen, so nothing may pass on it. Its distribution packages (``system_packages``, for
    scs-0124's dependency clause) are read from its dpkg status; a status file that cannot be
    read, or an rpm database (not queried inside a container), is said in
    ``system_packages_unread``, not in the host's gaps: the dependency judge weighs it.
    """
    document = mapping(document)
    config = mapping(document.get("Config"))
    labels = mapping(config.get("Labels"))
    merged = mapping(mapping(document.get("GraphDriver")).get("Data")).get("MergedDir")
    name = str(document.get("Name", "")).lstrip("/")[:200]
    readable = bool(merged) and os.path.isdir(str(merged)) and os.access(str(merged), os.R_OK | os.X_OK)
    environments = []
    release: dict[str, str] = {}
    packages = unread = None
    if readable:
        tree = str(merged).rstrip("/")
        environments = python_environments([], wanted, gaps, prefix=tree)
        release = os_release(tree)
        packages, unread = container_packages(tree)
    else:
        incomplete(
            gaps, "containers", name, f"merged layer {merged or '(none)'} not readable; gather as root"
        )
    return {
        "engine": engine,
        "name": name,
        "image": config.get("Image"),
        "labels": {key: str(labels[key]) for key in CONTAINER_LABELS if key in labels},
        "python": environments,
        "readable": readable,
        "os": release,
        "system_packages": packages,
        "system_packages_unread": unread,
    }


#: Where an rpm database lies in an image (classic, and rpm 4.16's /usr/lib/sysimage).
RPM_DATABASES = ("var/lib/rpm", "usr/lib/sysimage/rpm")


def container_packages(tree: str) -> tuple[dict[str, Any] | None, str | None]:
    """A container's installed packages from its dpkg status, and why they were not read, if so.

    None and no reason: the image has no package database (distroless, scratch).
    """
    unread: list[dict[str, str]] = []
    _wanted, packages = read_dpkg(frozenset(), unread, root=tree)
    if unread:
        return None, unread[0]["reason"].replace(tree, "", 1)
    if packages is None and any(os.path.isdir(os.path.join(tree, path)) for path in RPM_DATABASES):
        return None, "an rpm database: not queried inside a container"
    return packages, None


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else empty: an engine's answer of another shape reads as absent."""
    return value if isinstance(value, dict) else {}
