#!/usr/bin/python
"""Ansible module: everything the judge needs from one OpenStack host, in one read-only round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_facts
short_description: Gather OpenStack package versions and configuration of a host, read-only
description:
  - One invocation returns distribution packages (dpkg and rpm) of OpenStack services and libraries
    with the CVE ids named in their changelogs, Python distributions of OpenStack-Ansible venvs, Kolla's
    venv, system site-packages and extra venvs (with the git sha from pbr.json), running containers
    (image, labels and the Python distributions inside them), and service configuration (oslo.config
    ini files, paste pipelines, policy files) with owner and mode.
  - Secrets never leave the host, by construction. A configuration value leaves as written only when
    its (file, section, option) is in keep_options (what the shipped rules read) or in a short list of
    options known to hold no secret, and it holds no URL. Every other value leaves as a redaction
    record, whether it is set and, for a URL, its scheme and ssl query key; files are parsed the way
    oslo.config parses them. A URL value also says whether it carries credentials (yes or no).
  - Files that hold secrets by what they are (Ceph keyrings, keystone fernet and credential keys,
    kolla passwords.yml, .pgpass, clouds.yaml, openrc files) are listed by name with owner and mode
    in C(secret_files); their content is never read.
  - Only regular files are read, never through a link out of the gathered tree, each bounded in size
    and in number; everything not read (an unreadable container, a skipped file, a failing engine)
    is listed in the facts' C(incomplete), so the judge never passes a host on what it did not see.
  - Reads files and runs read-only queries (rpm -q, docker/podman ps and inspect); changes nothing;
    supports check mode and always reports changed=false.
options:
  products:
    description: Product keys (PEP 503 names, e.g. nova, os-brick, oslo-messaging) to report.
    type: list
    elements: str
    required: true
  distributions:
    description:
      - Python distribution names that stand for another product key (C(openstack-heat) stands for
        C(heat)); the operator playbook passes C(patchcheck advisories distributions), built from
        openstack/releases.
    type: dict
    default: {}
  services:
    description: Services whose configuration folders (/etc/<service>, /etc/kolla/<service>*) are read.
    type: list
    elements: str
    default: [aodh, barbican, ceilometer, cinder, designate, glance, heat, horizon, ironic, keystone,
              magnum, manila, neutron, nova, octavia, placement, swift, trove, zaqar]
  venvs:
    description: Extra virtual environments (their root folders) to scan besides the standard places.
    type: list
    elements: str
    default: []
  keep_options:
    description:
      - Configuration options whose values may leave the host, as C(file:section:option) patterns
        (shell-style wildcards); the operator playbook passes C(patchcheck advisories options).
    type: list
    elements: str
    default: []
  sources:
    description:
      - What to read. C(packages) is dpkg, rpm and the system site-packages they own; C(venvs) the
        OpenStack-Ansible, Kolla and extra venvs; C(containers) running containers; C(config) configuration.
      - A source left out is recorded in the facts, so the judge knows the picture is partial.
    type: list
    elements: str
    default: [packages, venvs, containers, config]
    choices: [packages, venvs, containers, config]
  config_roots:
    description: Folders under which service configuration folders are looked for.
    type: list
    elements: str
    default: [/etc, /etc/kolla]
  secret_places:
    description:
      - Folders (not descended) where secret-bearing files are looked for by name besides the service
        folders; only their owner and mode are read.
    type: list
    elements: str
    default: [/etc/kolla, /etc/ceph, /etc/openstack, /root, /root/.config/openstack]
  host:
    description:
      - The host's name in the facts (the inventory name; the role passes it). Default the host's own name.
    type: str
  collector_version:
    description: The collector's version recorded in the facts (default C(unknown)).
    type: str
  dest:
    description:
      - The facts file on the controller, written by the action plugin (not by the module). A host that
        could not be gathered gets a file too, saying why.
    type: path
    required: true
author: Sovereign Cloud Stack (@SovereignCloudStack)
"""

EXAMPLES = r"""
- name: Gather host facts
  host_facts:
    products: [nova, keystone, os-brick]
"""

RETURN = r"""
facts:
  description: Host facts, schema version 1 (src/patchcheck/facts/schema/host-facts-v1.schema.json).
  returned: always
  type: dict
"""

import datetime
import fnmatch
import glob
import grp
import gzip
import io
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ansible.module_utils.basic import AnsibleModule

SCHEMA_VERSION = 1
CVE_TEXT = re.compile(r"CVE-\d{4}-\d{4,}")
MAX_CONFIG_BYTES = 1024 * 1024
MAX_CHANGELOG_BYTES = 16 * 1024 * 1024
SYSTEM_SITE_PATTERNS = (
    "/usr/lib/python3/dist-packages",
    "/usr/lib/python3*/site-packages",
    "/usr/lib64/python3*/site-packages",
    "/usr/local/lib/python3*/dist-packages",
    "/usr/local/lib/python3*/site-packages",
)
VENV_ROOT_PATTERNS = ("/openstack/venvs/*", "/var/lib/kolla/venv")
CONFIG_SUFFIXES = (".conf", ".ini", ".yaml", ".yml", ".json")
MAX_METADATA_BYTES = 1024 * 1024
MAX_DPKG_STATUS_BYTES = 256 * 1024 * 1024
#: Files read per service's configuration folders, and entries listed per site folder.
MAX_CONFIG_FILES = 500
MAX_SITE_ENTRIES = 20000
#: Options whose values may leave the host although no shipped rule reads them: known to hold no
#: secret. Everything else leaves as its redaction record (allowlist, not a guess at secret names).
#: Mostly paste.deploy's structure (factories, pipelines, URL maps), which packages ship world-readable.
HARMLESS_OPTIONS = (
    "*:*:debug",
    "*:*:verbose",
    *(
        f"*paste.ini:*:{option}"
        for option in (
            "use",
            "pipeline",
            "paste.*_factory",
            "/*",
            "noauth*",
            "keystone*",
            "oslo_config_project",
            "oslo_config_program",
            "delay_auth_decision",
            "disable_by_file_path",
            "backends",
            "default",
            "caching",
            "cachemanagement",
        )
    ),
    *(
        f"*ml2_conf.ini:ml2:{option}"
        for option in ("type_drivers", "tenant_network_types", "extension_drivers")
    ),
    "*ml2_conf.ini:ml2_type_*:*",
)
#: Files that hold a secret by what they are, outside oslo.config: (pattern on the path below a
#: searched folder, what it is). Only their owner and mode are read, never their content.
SECRET_FILES = (
    ("*.keyring", "Ceph keyring"),
    ("fernet-keys/*", "keystone fernet key"),
    ("credential-keys/*", "keystone credential key"),
    ("passwords.yml", "kolla-ansible passwords"),
    (".pgpass", "PostgreSQL password file"),
    ("clouds.yaml", "OpenStack client configuration"),
    ("secure.yaml", "OpenStack client secrets"),
    ("*openrc*", "OpenStack credentials for a shell"),
)
MAX_SECRET_FILES = 500
#: Folders outside the services' own where such files are kept, looked at without descending.
SECRET_PLACES = ("/etc/kolla", "/etc/ceph", "/etc/openstack", "/root", "/root/.config/openstack")
#: The only query keys of a URL value that leave the host (what rules about TLS read).
SAFE_QUERY_KEYS = frozenset({"ssl", "ssl_version", "tls"})
#: The shape of a safe query key's value that leaves as written (ssl=1, ssl_version=TLSv1_2).
SHORT_WORD = re.compile(r"\w{1,16}")
SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def product_key(name: str) -> str:
    """PEP 503 name: ``oslo_messaging``, ``oslo.messaging`` and ``Oslo-Messaging`` meet."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Wanted(frozenset):
    """The product keys to report, and the Python distribution names that stand for them.

    A deliverable's distribution may have another name (heat is ``openstack-heat`` on PyPI and
    in a dist-info's ``Name``); the controller passes that map from the release data in force
    (``patchcheck advisories distributions``), so nothing here knows a name by hand.
    """

    aliases: dict[str, str]

    def __new__(cls, products: Any, aliases: dict[str, str] | None = None) -> Wanted:
        wanted = super().__new__(cls, (product_key(str(name)) for name in products))
        wanted.aliases = {product_key(str(k)): product_key(str(v)) for k, v in (aliases or {}).items()}
        return wanted


def product_of(name: str, wanted: Any) -> str:
    """The product a distribution name stands for: its PEP 503 name, or the deliverable it is an alias of."""
    key = product_key(name)
    return getattr(wanted, "aliases", {}).get(key, key)


def distribution_key(source: str) -> str:
    """Distribution source package -> product key: python-oslo.messaging -> oslo-messaging."""
    key = product_key(source)
    for prefix in ("python3-", "python-", "openstack-"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


# -- reading files on a host that may be hostile --------------------------------


class Skipped(Exception):
    """A file that was not read, and why: the source it belongs to is incomplete."""


def read_regular(path: str, limit: int, root: str | None = None) -> bytes:
    """A regular file's bytes (at most ``limit``), never through a link that leaves ``root``.

    A FIFO would block forever, ``/dev/zero`` would fill memory, a link to /etc/shadow
    would read what nobody asked for: the path is resolved and must stay under ``root``,
    the file is opened without blocking or following a final link and must be regular.
    Every ``OSError`` on the way (``realpath`` too: a link swapped for a FIFO while it is
    resolved, a symlink loop, an I/O error) is a ``Skipped`` for this file, never a crash.
    """
    try:
        if root is not None:
            real, base = os.path.realpath(path), os.path.realpath(root)
            if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
                raise Skipped(f"{path}: a link out of {root}, not followed")
            path = real
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise Skipped(f"{path}: not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise Skipped(f"{path}: {failure_text(exc)}") from None
    if len(data) > limit:
        raise Skipped(f"{path}: larger than {limit} bytes, not read")
    return data


def failure_text(exc: BaseException) -> str:
    """Why something was not read, without its content: an error's message may quote the file."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def incomplete(record: list[dict[str, str]], source: str, item: str, reason: str) -> None:
    """Note that ``source`` was not read completely on this host: its evidence is partial."""
    record.append({"source": source, "item": item, "reason": reason[:300]})


# -- distribution packages ------------------------------------------------------


def dpkg_packages(wanted: set[str], gaps: list[dict[str, str]], root: str = "/") -> list[dict[str, Any]]:
    status_file = os.path.join(root, "var/lib/dpkg/status")
    if not os.path.lexists(status_file):
        return []
    try:
        text = read_regular(status_file, MAX_DPKG_STATUS_BYTES).decode("utf-8", errors="replace")
    except Skipped as exc:
        incomplete(gaps, "packages", status_file, str(exc))
        return []
    packages = []
    for stanza in text.split("\n\n"):
        fields = dict_of_stanza(stanza)
        if "install ok installed" not in fields.get("Status", ""):
            continue
        name = fields.get("Package", "")
        source = fields.get("Source", name).split(" ")[0]
        key = distribution_key(source)
        if key not in wanted:
            key = distribution_key(name)
            if key not in wanted:
                continue
        text = debian_changelog(os.path.join(root, "usr/share/doc", name, "changelog.Debian.gz"))
        packages.append(
            {
                "manager": "dpkg",
                "name": name,
                "source": source,
                "product": key,
                "version": fields.get("Version", ""),
                "architecture": fields.get("Architecture"),
                "changelog_cves": None if text is None else sorted(set(CVE_TEXT.findall(text))),
                "changelog_refs": changelog_references(text, DEBIAN_ENTRY),
            }
        )
    return packages


def dict_of_stanza(stanza: str) -> dict[str, str]:
    fields = {}
    for line in stanza.splitlines():
        if line and not line[0].isspace() and ":" in line:
            field, _colon, value = line.partition(":")
            fields[field] = value.strip()
    return fields


#: What a changelog may name as a fix: CVE ids and OpenStack's own advisory and note ids.
FIX_REFERENCE = re.compile(r"CVE-\d{4}-\d{4,}(?!\d)|OSSA-\d{4}-\d{3}(?![\d-])|OSSN-\d{4}(?![\d-])")
#: Debian's entry header ``pkg (version) dist; urgency``; RPM's ``* Day Mon DD YYYY Name <mail> - version``.
DEBIAN_ENTRY = re.compile(r"^[a-z0-9][a-z0-9+.-]* \(([^)\s]+)\)")
RPM_ENTRY = re.compile(r"^\* .*? - ((?:\d+:)?[^\s]+)\s*$")
MAX_REFERENCES = 500


def debian_changelog(path: str) -> str | None:
    """A Debian changelog's text (bounded before and after decompression); None when unreadable."""
    try:
        compressed = read_regular(path, MAX_CHANGELOG_BYTES)
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as handle:
            data = handle.read(MAX_CHANGELOG_BYTES)
    except (Skipped, OSError, EOFError):
        return None
    return data.decode("utf-8", errors="replace")


def changelog_references(text: str | None, entry: re.Pattern[str]) -> dict[str, dict[str, str]] | None:
    """Each CVE, OSSA and OSSN id a changelog names: the first (newest) line and the version of its entry.

    A distribution often names the advisory or note rather than the CVE ("OSSN-0101: ...
    Applied upstream patch"): both count as backport evidence, and the verdict quotes the line.
    """
    if text is None:
        return None
    references: dict[str, dict[str, str]] = {}
    version = ""
    for line in text.splitlines():
        header = entry.match(line)
        if header:
            version = header.group(1)
            continue
        for found in FIX_REFERENCE.findall(line):
            if found not in references and len(references) < MAX_REFERENCES:
                references[found] = {"version": version, "line": " ".join(line.split())[:200]}
    return references


def rpm_packages(wanted: set[str], errors: list[str]) -> list[dict[str, Any]]:
    rpm = shutil.which("rpm")
    if not rpm:
        return []
    query = run([rpm, "-qa", "--qf", r"%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{SOURCERPM}\n"], errors)
    packages = []
    for line in (query or "").splitlines():
        parts = line.split("\t")
        if len(parts) != 5:
            continue
        name, epoch, version, release, source_rpm = parts
        source = re.sub(r"-[^-]+-[^-]+\.src\.rpm$", "", source_rpm) or name
        key = distribution_key(source)
        if key not in wanted:
            key = distribution_key(name)
            if key not in wanted:
                continue
        changelog = run([rpm, "-q", "--changelog", name], errors)
        packages.append(
            {
                "manager": "rpm",
                "name": name,
                "source": source,
                "product": key,
                "version": f"{epoch}:{version}-{release}"
                if epoch not in ("", "0")
                else f"{version}-{release}",
                "changelog_cves": sorted(set(CVE_TEXT.findall(changelog))) if changelog is not None else None,
                "changelog_refs": changelog_references(changelog, RPM_ENTRY),
            }
        )
    return packages


def run(argv: list[str], errors: list[str], timeout: int = 60) -> str | None:
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        errors.append(f"{os.path.basename(argv[0])} {argv[1]}: {type(exc).__name__}")
        return None
    if result.returncode != 0:
        errors.append(f"{os.path.basename(argv[0])} {argv[1]}: exit {result.returncode}")
        return None
    return result.stdout


# -- Python environments --------------------------------------------------------


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
    return [environment for environment in environments if environment["distributions"]]


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
    """The wanted distributions of one site folder; every one that cannot be read is a gap.

    A distribution folder names its product and version (``nova-29.0.1.dist-info``): when
    that product is wanted and its metadata cannot be read completely (missing, empty,
    unreadable, too large, no Name or no Version, another product's name), the folder is
    recorded by name, so the product's verdicts cannot pass on a nova nobody saw.
    """
    source = "venvs" if kind != "system" else "packages"
    distributions = []
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
        if (
            not ours
            and not any(product_key(entry).startswith(product) for product in wanted)
            and not any(product_key(entry).startswith(alias) for alias in getattr(wanted, "aliases", {}))
        ):
            continue  # the folder's name already says it is none of ours
        folder = os.path.join(site, entry)
        try:
            found = read_distribution(folder, wanted, ours, tree)
        except Skipped as exc:
            if ours:
                incomplete(gaps, source, f"{root} {entry}", f"{named} not read: {exc}")
            continue
        except Exception as exc:  # one distribution never loses the host
            incomplete(gaps, source, f"{root} {entry}", f"{named} not read: {failure_text(exc)}")
            continue
        if found is not None:
            distributions.append(found)
    return {
        "kind": kind,
        "path": root,
        "service": environment_service(root) if kind == "openstack-ansible" else None,
        "distributions": distributions,
    }


DISTRIBUTION_SUFFIXES = (".dist-info", ".egg-info")


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


def read_distribution(folder: str, wanted: set[str], ours: bool, tree: str) -> dict[str, Any] | None:
    """One wanted distribution of a folder, None when it is none of ours; ``Skipped`` when ours is unreadable.

    ``ours``: the folder's name says it is a wanted product, so anything short of a name and
    a version for that product is a gap, never "not installed".
    """
    name, version = distribution_metadata(folder, tree)
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


# -- containers ------------------------------------------------------------------

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
    """One container from `docker inspect`/`podman inspect`; its Python read from the merged layer.

    A container whose merged layer cannot be read (gathering without root, a storage driver
    without one) is recorded and makes the host's evidence incomplete: what runs in it was
    not seen, so nothing may pass on it.
    """
    document = mapping(document)
    config = mapping(document.get("Config"))
    labels = mapping(config.get("Labels"))
    merged = mapping(mapping(document.get("GraphDriver")).get("Data")).get("MergedDir")
    name = str(document.get("Name", "")).lstrip("/")[:200]
    readable = bool(merged) and os.path.isdir(str(merged)) and os.access(str(merged), os.R_OK | os.X_OK)
    environments = []
    if readable:
        environments = python_environments([], wanted, gaps, prefix=str(merged).rstrip("/"))
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
    }


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else empty: an engine's answer of another shape reads as absent."""
    return value if isinstance(value, dict) else {}


# -- configuration ---------------------------------------------------------------


def config_lines(text: str) -> list[str]:
    """The lines oslo.config sees: it reads a file in text mode with ``readlines``.

    Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (Python's universal newlines); form feeds,
    vertical tabs, U+0085, U+2028 and U+2029 stay inside their line, unlike ``str.splitlines``.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def group_name(section: str) -> str:
    """oslo.config's ``_normalize_group_name``: DEFAULT as written, every other group in lower case."""
    return section if section == "DEFAULT" else section.lower()


class IniError(ValueError):
    """A line oslo.config's iniparser refuses: the service would not start with this file."""


def parse_ini(text: str, paste: bool = False) -> dict[str, dict[str, Any]]:
    """An ini file read the way oslo.config's iniparser reads it; repeated options become lists.

    Lines end only where oslo.config's ``readlines`` ends them; a line is stripped on the right
    only. The key ends at the first ``:`` or ``=``, whichever comes first (``password: X=`` is
    the option ``password``); a value in matching quotes loses them; lines starting with a space
    or tab continue the value (joined with newlines) until a blank line; ``#`` and ``;`` start
    comment lines. Section names are grouped as oslo.config groups them (``[LIBVIRT]`` is
    ``libvirt``; ``[DEFAULT]`` stays, ``[default]`` is another group), so a section given twice,
    in any case, is one section with its options in file order. A paste.deploy file
    (``paste``) keeps its section names as written: paste.deploy reads them case-sensitively.
    Whatever oslo.config refuses raises ``IniError``: the service would refuse the file too.
    """
    sections: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    key: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if key is None:
            return
        if current is None:
            raise IniError("an assignment before any section")
        value = "\n".join(lines)
        if key in current:
            previous = current[key]
            current[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            current[key] = value

    for raw in config_lines(text):
        line = raw.rstrip()
        if not line:
            flush()
            key, lines = None, []
            continue
        if line.startswith((" ", "\t")):
            if key is None:
                raise IniError("a continuation line without an option")
            lines.append(line.lstrip())
            continue
        flush()
        key, lines = None, []
        if line.startswith("["):
            if not line.endswith("]") or len(line) <= 2:
                raise IniError("a section without its name or its closing bracket")
            name = line[1:-1]
            current = sections.setdefault(name if paste else group_name(name), {})
        elif line.startswith(("#", ";")):
            continue
        else:
            key, value = split_assignment(line)
            if not key:
                raise IniError("an assignment without an option name")
            lines = [value]
    flush()
    return sections


def split_assignment(line: str) -> tuple[str | None, str]:
    """oslo.config's ``_split_key_value``: the key up to the first ``:`` or ``=``, quotes removed."""
    colon, equal = line.find(":"), line.find("=")
    if colon < 0 and equal < 0:
        raise IniError("a line that is neither a section, a comment nor an assignment")
    cut = equal if colon < 0 or (0 <= equal < colon) else colon
    key, value = line[:cut].strip(), line[cut + 1 :].strip()
    if value and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key or None, value


#: The longest value that leaves a host as written; longer ones leave as a redaction record.
MAX_KEPT_VALUE = 1024


def plain(text: str, paste: bool) -> bool:
    """Whether an allowed value is a value and nothing else: printable, bounded, on one line.

    Continuation lines, form feeds, vertical tabs, U+0085, U+2028 and other separators are
    where text a reader of the file never meant as this option's value could hide (oslo.config
    keeps them in the value): such a value leaves as its redaction record. Paste.deploy
    pipelines may continue over lines (each line printable): they are structure, not values.
    """
    if len(text) > MAX_KEPT_VALUE:
        return False
    lines = text.split("\n")
    return (paste or len(lines) == 1) and all(line.isprintable() for line in lines)


def kept(filename: str, section: str, option: str, keep: list[str]) -> bool:
    """Whether ``option`` of ``[section]`` in ``filename`` may leave the host as it is written."""
    for pattern in keep:
        parts = pattern.split(":", 2)
        if len(parts) == 3 and all(
            fnmatch.fnmatchcase(value.lower(), wanted.lower())
            for value, wanted in zip((filename, section, option), parts, strict=True)
        ):
            return True
    return False


def leave(filename: str, section: str, option: str, value: Any, keep: list[str]) -> Any:
    """What of a configuration value leaves the host: the value only when it is allowed, holds
    no URL and is plain (``plain``); otherwise whether it is set, and of a URL its scheme and
    its TLS query keys."""
    if isinstance(value, list):
        return [leave(filename, section, option, item, keep) for item in value]
    text = str(value)
    scheme = url_scheme(text)
    if scheme is None and kept(filename, section, option, keep) and plain(text, is_paste(filename)):
        return value
    record: dict[str, Any] = {"redacted": True, "empty": text.strip() == ""}
    if scheme is not None:
        record["scheme"] = scheme.lower()
        # whether the URL carries credentials (user information, a secret-looking query key): the
        # judge then knows the value is secret whatever its option is called; only the yes leaves
        record["credentials"] = url_credentials(text)
        pairs = query_pairs(url_query(text.strip()))
        if pairs is not None:
            # a safe key's value leaves only as a short word; any other value as "?" (the key is
            # set, its value not shown), so a rule reading it says unknown instead of "absent"
            record["query"] = "&".join(
                f"{k}={v if SHORT_WORD.fullmatch(v) else '?'}"
                for k, v in pairs
                if k.lower() in SAFE_QUERY_KEYS
            )
    return record


#: Query fields read of one URL; a URL with more keeps no query (a rule reading it says unknown).
MAX_QUERY_FIELDS = 64


def query_pairs(query: str | None) -> list[tuple[str, str]] | None:
    """``parse_qsl`` of a query, None when there is none or it has more than MAX_QUERY_FIELDS fields."""
    if query is None:
        return None
    try:
        return parse_qsl(query, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        return None


#: Query keys that carry a credential (``?password=``, ``?access_token=``), matched as parts of the key.
CREDENTIAL_QUERY_PARTS = ("pass", "secret", "token", "key", "auth", "credential", "signature")


def url_credentials(text: str) -> bool:
    """Whether a value holding a URL may carry a credential: an ``@`` after its ``://`` (user
    information, as ``patchcheck.urls`` strips it: anything up to the last ``@``), or a query key
    containing a credential word. Errs towards yes; linear in the text."""
    found = text.find("://")
    if found >= 0 and "@" in text[found + 3 :]:
        return True
    pairs = query_pairs(text.split("?", 1)[1] if "?" in text else "")
    if pairs is None:
        return True  # too many fields to look at: errs towards yes
    return any(part in key.lower() for key, _value in pairs for part in CREDENTIAL_QUERY_PARTS)


def url_query(text: str) -> str | None:
    """The query of a value that is one URL, as ``urllib.parse.urlsplit`` (and so oslo.messaging's
    ``urlparse``) reads it: up to a ``#``; None when the value is not one URL or does not split.
    A URL inside other text has no query a service reads, so none is kept for it."""
    scheme = url_scheme(text)
    if scheme is None or not text.startswith(f"{scheme}://"):
        return None
    try:
        return urlsplit(text).query
    except ValueError:
        return None


def url_scheme(text: str) -> str | None:
    """The scheme of the first URL in ``text`` (``scheme://``), or None; linear in the text.

    The same answer as searching ``[a-zA-Z][a-zA-Z0-9+.-]*://``, whose search backtracks on a
    long run of letters without ``://`` (1 MiB of ``a``: half an hour). Each ``://`` is walked
    back over the scheme characters before it; these runs never overlap, so every character
    is looked at a bounded number of times.
    """
    found = text.find("://")
    while found >= 0:
        start = found
        while start > 0 and text[start - 1] in SCHEME_CHARACTERS:
            start -= 1
        for first in range(start, found):
            if text[first].isascii() and text[first].isalpha():
                return text[first:found]
        found = text.find("://", found + 3)
    return None


def is_paste(filename: str) -> bool:
    """A paste.deploy file (``api-paste.ini``): read by paste.deploy, not oslo.config."""
    return "paste" in os.path.basename(filename) and filename.endswith(".ini")


def leave_sections(
    filename: str, sections: dict[str, dict[str, Any]], keep: list[str]
) -> dict[str, dict[str, Any]]:
    return {
        name: {option: leave(filename, name, option, value, keep) for option, value in options.items()}
        for name, options in sections.items()
    }


def parse_policy(text: str, filename: str) -> dict[str, dict[str, Any]] | None:
    """A policy file's rules, or None when it cannot be read as one (the caller records the gap).

    JSON nested deeper than Python's recursion limit (100,000 ``[``) raises ``RecursionError``
    in ``json.loads``: that is "not parseable" for this file, never a lost host.
    """
    try:
        if filename.endswith(".json") or text.lstrip().startswith("{"):  # JSON is YAML too
            document = json.loads(text)
        else:
            document = parse_flat_yaml(text)
        if not isinstance(document, dict):
            return None
        return {"": {str(key): str(value) for key, value in document.items()}}
    except (ValueError, RecursionError):
        return None


def parse_flat_yaml(text: str) -> dict[str, str] | None:
    """A policy file is a flat mapping of quoted names to rule strings; no YAML library on hosts.

    Plain string operations, linear in the text: the earlier pattern backtracked on one long
    line (256 KB took 99 s). A rule's value may continue on indented lines (a plain, quoted
    or ``>``/``|`` block scalar): they are joined with spaces, as the rule's text means the same.
    """
    rules: dict[str, str] = {}
    key: str | None = None
    parts: list[str] = []
    indent = 0  # of the name's line: a more indented line continues its value

    def close() -> None:
        if key is not None and parts:  # a name without a value sets no rule
            rules[key] = unquote(" ".join(parts))

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        if key is not None and depth > indent:
            parts.append(line.strip())
            continue
        close()
        assignment = split_policy_line(line)
        if assignment is None:
            return None
        (key, value), indent = assignment, depth
        parts = [] if value in BLOCK_SCALARS else [value] if value else []
    close()
    return rules


#: YAML block scalar indicators: the value is on the following, indented lines.
BLOCK_SCALARS = frozenset({"", "|", ">", "|-", ">-", "|+", ">+"})


def split_policy_line(line: str) -> tuple[str, str] | None:
    """``"name": value`` -> (name, value): a quoted name (the quotes removed) or a plain one up to ``:``.

    The same reading as the earlier pattern ``^\\s*(?:"([^"]+)"|'([^']+)'|([^:\\s][^:]*?))\\s*:\\s*(.*)$``,
    by ``find`` and ``strip`` instead of backtracking.
    """
    body = line.lstrip()
    if body[:1] in ('"', "'"):
        end = body.find(body[0], 1)
        if end > 1:
            rest = body[end + 1 :].lstrip()
            if rest.startswith(":"):
                return body[1:end], rest[1:].strip()
    colon = body.find(":")
    if colon <= 0:
        return None
    return body[:colon].rstrip(), body[colon + 1 :].strip()


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def configuration(
    services: list[str],
    roots: list[str],
    keep: list[str],
    errors: list[str],
    gaps: list[dict[str, str]],
    secrets: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Every configuration file of every service's folders, per file as it is on disk.

    A service's folders are ``<root>/<service>`` and ``<root>/<service>-*`` (Kolla: one per
    container); below them ``<service>.conf.d/`` (oslo.config's config-dir), per-program files
    (``nova-compute.conf``) and keystone's ``domains/`` are read like the main file. The judge
    merges them as oslo.config does (``patchcheck.judge.effective_config``). Secret-bearing
    files met on the way (``SECRET_FILES``) are added to ``secrets`` by owner and mode.
    """
    listed = {root: service_folders(root, services, gaps) for root in roots}
    result: dict[str, Any] = {}
    for service in services:
        folders = [path for root in roots for name, path in listed[root] if of_service(name, service)]
        files: dict[str, Any] = {}
        for folder in folders:
            for directory, subdirectories, names in os.walk(
                folder, onerror=lambda exc: skipped_folder(exc, gaps)
            ):
                subdirectories[:] = [
                    d for d in subdirectories if directory.count(os.sep) - folder.count(os.sep) < 2
                ]
                for name in sorted(names):
                    if secrets is not None:
                        note_secret_file(os.path.join(directory, name), folder, secrets, gaps)
                    if not name.endswith(CONFIG_SUFFIXES):
                        continue
                    if len(files) >= MAX_CONFIG_FILES:
                        incomplete(
                            gaps, "config", folder, f"more than {MAX_CONFIG_FILES} files; the rest not read"
                        )
                        break
                    path = os.path.join(directory, name)
                    record = read_config_file(path, folder, keep, errors, gaps)
                    if record is not None:
                        files[record["path"]] = record
        if files:
            result[service] = files
    return result


def secret_file_kind(relative: str) -> str | None:
    """What a file holds by its name (``SECRET_FILES``), or None."""
    for pattern, kind in SECRET_FILES:
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(os.path.basename(relative), pattern):
            return kind
    return None


def note_secret_file(
    path: str, folder: str, secrets: list[dict[str, str]], gaps: list[dict[str, str]]
) -> None:
    """Add ``path`` to ``secrets`` with owner and mode when its name says it holds a secret.

    Only ``stat`` is called: the content stays unread. A link is followed (Kolla links keyrings),
    a file that is no regular file is no secret file, one that cannot be looked at is a gap.
    """
    kind = secret_file_kind(os.path.relpath(path, folder))
    if kind is None or any(known["path"] == path for known in secrets):
        return
    if len(secrets) >= MAX_SECRET_FILES:
        incomplete(gaps, "config", path, f"more than {MAX_SECRET_FILES} secret-bearing files; not looked at")
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return  # a dangling link holds nothing
    except OSError as exc:
        incomplete(gaps, "config", path, f"{exc.strerror or type(exc).__name__}")
        return
    if stat.S_ISREG(info.st_mode):
        secrets.append(
            {
                "path": path,
                "kind": kind,
                "owner": name_of(pwd.getpwuid, info.st_uid),
                "group": name_of(grp.getgrgid, info.st_gid),
                "mode": f"{stat.S_IMODE(info.st_mode):04o}",
            }
        )


def secret_places(
    places: list[str], secrets: list[dict[str, str]], gaps: list[dict[str, str]]
) -> list[dict[str, str]]:
    """``secrets`` and the secret-bearing files directly in ``places`` (``/etc/kolla/passwords.yml``,
    ``/etc/ceph/*.keyring``)."""
    for place in places:
        try:
            with os.scandir(place) as entries:
                names = sorted(entry.name for entry in entries)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except PermissionError:
            # gathering without root meets /root at 0700: a folder an ordinary user may not
            # list exposes nothing to ordinary users either, which is what the check is about
            continue
        except OSError as exc:
            skipped_folder(exc, gaps)
            continue
        for name in names:
            note_secret_file(os.path.join(place, name), place, secrets, gaps)
    return secrets


def of_service(name: str, service: str) -> bool:
    return name == service or name.startswith(f"{service}-")


def service_folders(root: str, services: list[str], gaps: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(name, path) of the services' folders directly under ``root``, sorted; what cannot be listed
    is a gap.

    Gathering without root meets ``/etc/kolla`` at 0700 or a service folder it may not enter:
    a glob would find nothing there and say nothing, so the folder is listed by hand and every
    refusal (the root itself, an entry it may not stat) is recorded as incomplete.
    """
    try:
        with os.scandir(root) as entries:
            names = sorted(entry.name for entry in entries)
    except FileNotFoundError:
        return []  # no such root on this host (no Kolla): nothing to read, nothing missed
    except NotADirectoryError:
        return []
    except OSError as exc:
        skipped_folder(exc, gaps)
        return []
    folders = []
    for name in names:
        if not any(of_service(name, service) for service in services):
            continue
        path = os.path.join(root, name)
        try:
            if stat.S_ISDIR(os.stat(path).st_mode):
                folders.append((name, path))
        except FileNotFoundError:
            continue  # removed while listing, or a dangling link: no folder
        except OSError as exc:
            skipped_folder(exc, gaps)
    return folders


def skipped_folder(exc: OSError, gaps: list[dict[str, str]]) -> None:
    incomplete(
        gaps, "config", str(exc.filename), f"folder not readable: {exc.strerror or type(exc).__name__}"
    )


def read_config_file(
    path: str, folder: str, keep: list[str], errors: list[str], gaps: list[dict[str, str]]
) -> dict[str, Any] | None:
    base = os.path.basename(path)
    policy = base.startswith("policy") and base.endswith((".yaml", ".yml", ".json"))
    if not policy and not base.endswith((".conf", ".ini")):
        return None
    try:
        info = os.stat(path)
    except OSError as exc:
        incomplete(gaps, "config", path, f"{exc.strerror or type(exc).__name__}")
        return None
    record: dict[str, Any] = {
        "path": path,
        "folder": folder,
        "name": os.path.relpath(path, folder),
        "owner": name_of(pwd.getpwuid, info.st_uid),
        "group": name_of(grp.getgrgid, info.st_gid),
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "readable": False,
        "format": "policy" if policy else "ini",
        "sections": {},
    }
    try:
        text = read_regular(path, MAX_CONFIG_BYTES, folder).decode("utf-8", errors="replace")
    except Skipped as exc:
        incomplete(gaps, "config", path, str(exc))
        return record
    try:
        sections = parse_policy(text, base) if policy else parse_ini(text, paste=is_paste(base))
    except IniError as exc:
        # oslo.config refuses the file, so no service reads it as configuration (an Apache site
        # in a Kolla folder, a broken nova.conf): it is kept unread, and a rule that needs it is
        # unknown, never decided on it.
        record["refused"] = f"not parseable as ini: {exc}"
        return record
    if sections is None:
        errors.append(f"{path}: not parseable as {record['format']}")
        incomplete(gaps, "config", path, f"not parseable as {record['format']}")
        return record
    record["readable"] = True
    # policy files hold rules, never credentials: they leave as they are
    record["sections"] = sections if policy else leave_sections(record["name"], sections, keep)
    return record


def name_of(lookup: Any, number: int) -> str:
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


# -- the module ---------------------------------------------------------------------


def os_release() -> dict[str, str]:
    values = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            for line in handle:
                key, _equals, value = line.strip().partition("=")
                if key in ("ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME"):
                    values[key.lower()] = value.strip('"')
    except OSError:
        pass
    return values


def guarded(
    source: str, gaps: list[dict[str, str]], empty: Callable[[], Any], read: Callable[[], Any]
) -> Any:
    """``read()``, or ``empty()`` and a gap for the whole source when it raised: never a lost host.

    Each reader records what it could not read item by item; an exception nobody foresaw
    (a bug, a file swapped mid-read) would otherwise fail the module, and with it every
    other source of the host. Only the exception's type leaves: its text may quote a file.
    """
    try:
        return read()
    except Exception as exc:
        incomplete(gaps, source, "(the whole source)", f"stopped by {failure_text(exc)}; the rest not read")
        return empty()


def gather(params: dict[str, Any]) -> dict[str, Any]:
    wanted = Wanted(params["products"], params.get("distributions"))
    keep = [*HARMLESS_OPTIONS, *(params.get("keep_options") or [])]
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    secrets: list[dict[str, str]] = []
    sources = set(params["sources"])
    facts = {
        "schema_version": SCHEMA_VERSION,
        "kind": "host",
        "collected_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "collector": {"name": "patchcheck", "version": params.get("collector_version") or "unknown"},
        "host": params.get("host") or socket.gethostname(),
        "hostname": socket.gethostname(),
        "reachable": True,
        "os": os_release(),
        "packages": guarded("packages", gaps, list, lambda: dpkg_packages(wanted, gaps))
        + guarded("packages", gaps, list, lambda: rpm_packages(wanted, errors))
        if "packages" in sources
        else [],
        "python": guarded(
            "venvs",
            gaps,
            list,
            lambda: python_environments(params["venvs"], wanted, gaps, system="packages" in sources),
        )
        if "venvs" in sources or "packages" in sources
        else [],
        "containers": guarded("containers", gaps, list, lambda: containers(wanted, errors, gaps))
        if "containers" in sources
        else [],
        "config": guarded(
            "config",
            gaps,
            dict,
            lambda: configuration(params["services"], params["config_roots"], keep, errors, gaps, secrets),
        )
        if "config" in sources
        else {},
        "secret_files": guarded(
            "config", gaps, list, lambda: secret_places(params.get("secret_places") or [], secrets, gaps)
        )
        if "config" in sources
        else None,
        "sources": sorted(sources),
        "errors": errors,
        "incomplete": gaps,
    }
    return facts


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "products": {"type": "list", "elements": "str", "required": True},
            "services": {
                "type": "list",
                "elements": "str",
                "default": [
                    "aodh",
                    "barbican",
                    "ceilometer",
                    "cinder",
                    "designate",
                    "glance",
                    "heat",
                    "horizon",
                    "ironic",
                    "keystone",
                    "magnum",
                    "manila",
                    "neutron",
                    "nova",
                    "octavia",
                    "placement",
                    "swift",
                    "trove",
                    "zaqar",
                ],
            },
            "distributions": {"type": "dict", "default": {}},
            "venvs": {"type": "list", "elements": "str", "default": []},
            "keep_options": {"type": "list", "elements": "str", "default": []},
            "config_roots": {"type": "list", "elements": "str", "default": ["/etc", "/etc/kolla"]},
            "secret_places": {
                "type": "list",
                "elements": "str",
                "default": list(SECRET_PLACES),
                "no_log": False,
            },
            "host": {"type": "str", "default": None},
            "collector_version": {"type": "str", "default": None},
            "dest": {"type": "path", "required": True},  # used by the action plugin on the controller
            "sources": {
                "type": "list",
                "elements": "str",
                "default": ["packages", "venvs", "containers", "config"],
                "choices": ["packages", "venvs", "containers", "config"],
            },
        },
        supports_check_mode=True,
    )
    module.exit_json(changed=False, facts=gather(module.params))


if __name__ == "__main__":
    main()
