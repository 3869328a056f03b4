"""Python distributions in venvs (OpenStack-Ansible, Kolla, extra) and system sites: the wanted products'
(``distributions``) and every one installed (``installed``, for scs-0124's dependency clause).

Each real site folder is scanned once, whatever links lead to it, and a link is resolved only inside
the tree being gathered (the host's root or a container's merged layer). A distribution folder whose
name says it is a wanted product but whose metadata cannot be read completely is recorded as a gap,
so a product's verdicts cannot pass on an install nobody saw; any other folder that cannot be read
is listed in its environment's ``installed_unread``. Metadata and pbr.json are read bounded, each
metadata file once.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import re
from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.host_files import (
    Skipped,
    failure_text,
    incomplete,
    read_regular,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.products import product_key, product_of

SYSTEM_SITE_PATTERNS = (
    "/usr/lib/python3/dist-packages",
    "/usr/lib/python3*/site-packages",
    "/usr/lib64/python3*/site-packages",
    "/usr/local/lib/python3*/dist-packages",
    "/usr/local/lib/python3*/site-packages",
)
VENV_ROOT_PATTERNS = ("/openstack/venvs/*", "/var/lib/kolla/venv")
MAX_METADATA_BYTES = 1024 * 1024
#: Entries listed per site folder.
MAX_SITE_ENTRIES = 20000


def site_dirs(root: str, gaps: list[dict[str, str]], source: str) -> list[str]:
    """``<root>/lib/python3*/site-packages``; a root that exists but cannot be listed is a gap.

    ``glob`` answers "nothing" for a folder it may not enter (a venv at 0700 when gathering
    without root): that would be a venv nobody saw, judged as no venv at all.
    """
    lib = os.path.join(root, "lib")
    try:
        names = sorted(os.listdir(lib))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        incomplete(gaps, source, root, f"{lib}: {failure_text(exc)}")
        return []
    return [
        os.path.join(lib, name, "site-packages")
        for name in names
        if fnmatch.fnmatchcase(name, "python3*") and os.path.isdir(os.path.join(lib, name, "site-packages"))
    ]


def venv_roots(pattern: str, gaps: list[dict[str, str]]) -> list[str]:
    """The folders a venv root pattern names (``/openstack/venvs/*``); an unlistable parent is a gap."""
    parent, last = os.path.split(pattern)
    if not glob.has_magic(last):
        return [pattern] if os.path.isdir(pattern) else []
    try:
        names = sorted(os.listdir(parent))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        incomplete(gaps, "venvs", parent, f"venv folder not listable: {failure_text(exc)}")
        return []
    return [
        os.path.join(parent, name)
        for name in names
        if fnmatch.fnmatchcase(name, last) and os.path.isdir(os.path.join(parent, name))
    ]


def python_environments(
    venvs: list[str], wanted: set[str], gaps: list[dict[str, str]], prefix: str = "", system: bool = True
) -> list[dict[str, Any]]:
    """Every venv and system site folder, each real folder once; ``prefix`` is a container's merged layer.

    A site folder reached through a link (Kolla's ``lib/python3 -> python3.11``, Debian's
    ``/usr/lib/python3.11/site-packages``) is the folder the link resolves to: scanned once, or
    every install in it would be counted twice. The link is resolved only inside the scanned tree
    (the host's root or the container's layer); one that leaves it is not followed, and says so.
    """
    environments = []
    roots = [path for pattern in VENV_ROOT_PATTERNS for path in venv_roots(prefix + pattern, gaps)]
    roots += [prefix + path for path in venvs]
    tree = prefix or "/"
    seen: set[str] = set()
    for root in roots:
        for site in site_dirs(root, gaps, "venvs"):
            real = real_site(site, tree, seen, gaps, "venvs", root[len(prefix) :])
            if real is not None:
                environments.append(
                    scan_site(real, wanted, environment_kind(root), root[len(prefix) :], gaps, tree)
                )
    for pattern in SYSTEM_SITE_PATTERNS if system else ():
        for site in sorted(glob.glob(prefix + pattern)):
            if not os.path.isdir(site):
                continue
            real = real_site(site, tree, seen, gaps, "packages", site[len(prefix) :])
            if real is not None:
                environment = scan_site(real, wanted, "system", site[len(prefix) :], gaps, tree)
                environment["managed_by"] = package_manager_of(site[len(prefix) :])
                environments.append(environment)
    return [
        environment
        for environment in environments
        if environment["distributions"] or environment["installed"] or environment["installed_unread"]
    ]


def real_site(
    site: str, tree: str, seen: set[str], gaps: list[dict[str, str]], source: str, item: str
) -> str | None:
    """The real path of a site folder the first time it is met inside ``tree``, else None.

    None also for a folder whose links lead out of ``tree`` (not followed, recorded as a gap:
    what is installed there was not seen) or that cannot be resolved (a loop, an I/O error).
    """
    try:
        real = os.path.realpath(site, strict=True)
    except OSError as exc:
        incomplete(gaps, source, item, f"{site}: {failure_text(exc)}")
        return None
    base = os.path.realpath(tree)
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        incomplete(gaps, source, item, f"{site}: a link out of {tree}, not followed")
        return None
    if real in seen:
        return None
    seen.add(real)
    return real


def package_manager_of(site: str) -> str | None:
    """Who installs into a system site folder: Debian's dist-packages is dpkg's, /usr/lib*/python3.X rpm's."""
    if site.startswith("/usr/lib/python3/dist-packages"):
        return "dpkg"
    if re.match(r"^/usr/lib(64)?/python3[.\d]*/site-packages", site):
        return "rpm"
    return None


def environment_kind(root: str) -> str:
    if "/openstack/venvs/" in root:
        return "openstack-ansible"
    if root.rstrip("/").endswith("/var/lib/kolla/venv"):
        return "kolla"
    return "venv"


def environment_service(root: str) -> str | None:
    """OpenStack-Ansible names venvs <service>-<version>: /openstack/venvs/nova-29.0.1 -> nova."""
    match = re.match(r"^([a-z][a-z0-9_-]*?)-\d", os.path.basename(root.rstrip("/")))
    return match.group(1) if match else None


def scan_site(
    site: str, wanted: set[str], kind: str, root: str, gaps: list[dict[str, str]], tree: str = "/"
) -> dict[str, Any]:
    """Every distribution of one site folder (``installed``) and the wanted ones (``distributions``).

    Each distribution's metadata is read once, for both. One that cannot be read (missing,
    empty, unreadable, too large, a link out of ``tree``, no Name or no Version) is listed in
    ``installed_unread`` with the reason: scs-0124's dependency clause is judged from these,
    and the judge decides what an unread dependency means. When the folder's name says it is
    a wanted product (``nova-29.0.1.dist-info``), it is also a gap of the facts, so the
    product's verdicts cannot pass on a nova nobody saw.
    """
    source = "venvs" if kind != "system" else "packages"
    distributions = []
    installed = []
    unread = []
    try:
        entries = sorted(os.listdir(site))
    except OSError as exc:
        incomplete(gaps, source, root, f"{site}: {failure_text(exc)}")
        entries = []
    if len(entries) > MAX_SITE_ENTRIES:
        incomplete(gaps, source, root, f"{site}: {len(entries)} entries, only {MAX_SITE_ENTRIES} read")
        entries = entries[:MAX_SITE_ENTRIES]
    for entry in entries:
        if not entry.endswith(DISTRIBUTION_SUFFIXES):
            continue
        named = folder_product(entry, wanted)
        ours = named in wanted
        folder = os.path.join(site, entry)
        try:
            name, version = distribution_metadata(folder, tree)
        except Skipped as exc:
            unread.append({"entry": entry, "reason": str(exc).replace(site + os.sep, "")[:300]})
            if ours:
                incomplete(gaps, source, f"{root} {entry}", f"{named} not read: {exc}")
            continue
        except Exception as exc:  # one distribution never loses the host
            unread.append({"entry": entry, "reason": f"not read: {failure_text(exc)}"})
            if candidate(entry, named, wanted):
                incomplete(gaps, source, f"{root} {entry}", f"{named} not read: {failure_text(exc)}")
            continue
        if name and version:
            installed.append({"name": name, "version": version})
        else:
            unread.append({"entry": entry, "reason": f"its metadata has no {'Version' if name else 'Name'}"})
        if not candidate(entry, named, wanted):
            continue  # the folder's name already says it is none of ours
        try:
            found = wanted_distribution(folder, name, version, wanted, ours, tree)
        except Skipped as exc:
            if ours:
                incomplete(gaps, source, f"{root} {entry}", f"{named} not read: {exc}")
            continue
        except Exception as exc:  # one distribution never loses the host
            incomplete(gaps, source, f"{root} {entry}", f"{named} not read: {failure_text(exc)}")
            continue
        if found is not None:
            distributions.append(found)
    installed.sort(key=lambda item: (product_key(item["name"]), item["name"], item["version"]))
    return {
        "kind": kind,
        "path": root,
        "service": environment_service(root) if kind == "openstack-ansible" else None,
        "distributions": distributions,
        "installed": installed,
        "installed_unread": unread,
    }


DISTRIBUTION_SUFFIXES = (".dist-info", ".egg-info")


def candidate(entry: str, named: str, wanted: Any) -> bool:
    """Whether a distribution folder's name may be a wanted product's: its product, or one starting so.

    Only these are looked at for ``distributions``: a folder named for no wanted product is
    none of ours, whatever its metadata claims (as before every distribution was read).
    """
    key = product_key(entry)
    return (
        named in wanted
        or any(key.startswith(product) for product in wanted)
        or any(key.startswith(alias) for alias in getattr(wanted, "aliases", {}))
    )


def folder_product(entry: str, wanted: Any = ()) -> str:
    """The product a distribution folder is named for: ``oslo_messaging-14.0.0.dist-info`` -> oslo-messaging,
    ``openstack_heat-22.0.1.dist-info`` -> heat when ``wanted`` maps that name.

    The name ends where the version starts (the first ``-`` before a digit); a development
    install has no version (``nova.egg-info``).
    """
    stem = entry.rsplit(".", 1)[0]
    version = VERSION_START.search(stem)  # a literal and one class: no backtracking
    return product_of(stem[: version.start()] if version else stem, wanted)


VERSION_START = re.compile(r"-\d")


def wanted_distribution(
    folder: str, name: str | None, version: str | None, wanted: set[str], ours: bool, tree: str
) -> dict[str, Any] | None:
    """One wanted distribution from its metadata's name and version, None when it is none of ours;
    ``Skipped`` when ours cannot be told.

    ``ours``: the folder's name says it is a wanted product, so anything short of a name and
    a version for that product is a gap, never "not installed".
    """
    if name and product_of(name, wanted) in wanted:
        if not version:
            raise Skipped(f"{folder}: its metadata names {name} without a Version")
        return {
            "name": name,
            "product": product_of(name, wanted),
            "version": version,
            "git_sha": pbr_sha(folder, tree),
        }
    if not ours:
        return None
    if not name:
        raise Skipped(f"{folder}: no Name in METADATA or PKG-INFO (missing, empty or malformed)")
    raise Skipped(f"{folder}: its metadata names {name[:100]!r}, not the product its folder is named for")


def distribution_metadata(folder: str, tree: str = "/") -> tuple[str | None, str | None]:
    """Name and Version from a distribution's metadata headers; ``Skipped`` when there is none to read.

    A folder holds ``METADATA`` (wheel) or ``PKG-INFO`` (egg); an ``.egg-info`` may also be
    that file itself (distutils). Headers end at the first blank line; names are matched
    without regard to case, as in e-mail headers.
    """
    if os.path.isdir(folder):
        paths = [os.path.join(folder, name) for name in ("METADATA", "PKG-INFO")]
        path = next((p for p in paths if os.path.lexists(p)), None)
        if path is None:
            raise Skipped(f"{folder}: no METADATA or PKG-INFO")
    else:
        path = folder
    name = version = None
    text = read_regular(path, MAX_METADATA_BYTES, tree).decode("utf-8", errors="replace")
    for line in text.splitlines():
        if not line.strip():
            break
        field, colon, value = line.partition(":")
        if not colon:
            continue
        field = field.strip().lower()
        if field == "name" and name is None:
            name = value.strip() or None
        elif field == "version" and version is None:
            version = value.strip() or None
        if name and version:
            break
    return name, version


def pbr_sha(folder: str, tree: str = "/") -> str | None:
    """pbr's git sha of a distribution, or None: an informative detail, no verdict rests on it."""
    path = os.path.join(folder, "pbr.json")
    if not os.path.lexists(path):
        return None
    try:
        value = json.loads(read_regular(path, 64 * 1024, tree)).get("git_version")
    except (Skipped, ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{7,40}", value) else None
