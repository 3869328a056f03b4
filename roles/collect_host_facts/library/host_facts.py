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
  - Secrets never leave the host; options that hold passwords, keys, tokens, connection strings or URLs
    with credentials are redacted here, keeping only whether they are set and, for URLs, the scheme and
    the ssl query parameter.
  - Reads files and runs read-only queries (rpm -q, docker/podman ps and inspect); changes nothing;
    supports check mode and always reports changed=false.
options:
  products:
    description: Product keys (PEP 503 names, e.g. nova, os-brick, oslo-messaging) to report.
    type: list
    elements: str
    required: true
  services:
    description: Services whose configuration folders (/etc/<service>, /etc/kolla/<service>*) are read.
    type: list
    elements: str
    default: [aodh, barbican, ceilometer, cinder, designate, glance, heat, horizon, ironic, keystone,
              magnum, manila, neutron, nova, octavia, placement, swift]
  venvs:
    description: Extra virtual environments (their root folders) to scan besides the standard places.
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
author: patchcheck developers
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
import glob
import grp
import gzip
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ansible.module_utils.basic import AnsibleModule

SCHEMA_VERSION = 1
CVE = re.compile(rb"CVE-\d{4}-\d{4,}")
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
#: Option names whose values are secrets whatever they look like (by their ending).
SECRET_NAME = re.compile(
    r"(password|passwd|_pass|passphrase|secret|secret_key|_key|^key|token|connection|transport_url"
    r"|credentials?|_auth_header)$",
    re.IGNORECASE,
)
#: Options that end like a secret but hold a boolean; keeping them is how the judge reads a mitigation.
NOT_SECRET = frozenset({"send_service_user_token"})
#: A value with userinfo (scheme://user:password@host, scheme://token@host) is a secret wherever it appears.
CREDENTIAL_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s]+@")
SAFE_QUERY_KEYS = frozenset({"ssl", "ssl_version", "tls"})


def product_key(name: str) -> str:
    key = re.sub(r"[-_.]+", "-", name).lower()
    return {"openstack-placement": "placement"}.get(key, key)


def distribution_key(source: str) -> str:
    """Distribution source package -> product key: python-oslo.messaging -> oslo-messaging."""
    key = product_key(source)
    for prefix in ("python3-", "python-", "openstack-"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


# -- distribution packages ------------------------------------------------------


def dpkg_packages(wanted: set[str], root: str = "/") -> list[dict[str, Any]]:
    status_file = os.path.join(root, "var/lib/dpkg/status")
    if not os.path.exists(status_file):
        return []
    packages = []
    with open(status_file, encoding="utf-8", errors="replace") as handle:
        for stanza in handle.read().split("\n\n"):
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
            changelog = os.path.join(root, "usr/share/doc", name, "changelog.Debian.gz")
            packages.append(
                {
                    "manager": "dpkg",
                    "name": name,
                    "source": source,
                    "product": key,
                    "version": fields.get("Version", ""),
                    "changelog_cves": changelog_cves(changelog),
                }
            )
    return packages


def dict_of_stanza(stanza: str) -> dict[str, str]:
    fields = {}
    for line in stanza.splitlines():
        if line and not line[0].isspace() and ":" in line:
            field, _, value = line.partition(":")
            fields[field] = value.strip()
    return fields


def changelog_cves(path: str) -> list[str] | None:
    """CVE ids named in a Debian changelog; None when there is no changelog to read."""
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read(MAX_CHANGELOG_BYTES)
    except (OSError, EOFError):
        return None
    return sorted({match.decode() for match in CVE.findall(data)})


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
                "changelog_cves": sorted(set(re.findall(r"CVE-\d{4}-\d{4,}", changelog)))
                if changelog is not None
                else None,
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


def site_dirs(root: str) -> list[str]:
    return sorted(glob.glob(os.path.join(root, "lib", "python3*", "site-packages")))


def python_environments(
    venvs: list[str], wanted: set[str], prefix: str = "", system: bool = True
) -> list[dict[str, Any]]:
    environments = []
    roots = [path for pattern in VENV_ROOT_PATTERNS for path in sorted(glob.glob(prefix + pattern))]
    roots += [prefix + path for path in venvs]
    seen = set()
    for root in roots:
        for site in site_dirs(root):
            if site not in seen:
                seen.add(site)
                environments.append(
                    scan_site(site, wanted, kind=environment_kind(root), root=root[len(prefix) :])
                )
    for pattern in SYSTEM_SITE_PATTERNS if system else ():
        for site in sorted(glob.glob(prefix + pattern)):
            if site not in seen and os.path.isdir(site):
                seen.add(site)
                environment = scan_site(site, wanted, kind="system", root=site[len(prefix) :])
                environment["managed_by"] = package_manager_of(site[len(prefix) :])
                environments.append(environment)
    return [environment for environment in environments if environment["distributions"]]


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


def scan_site(site: str, wanted: set[str], kind: str, root: str) -> dict[str, Any]:
    distributions = []
    for entry in sorted(os.listdir(site)):
        if not entry.endswith((".dist-info", ".egg-info")):
            continue
        folder = os.path.join(site, entry)
        name, version = distribution_metadata(folder)
        if not name or product_key(name) not in wanted:
            continue
        distributions.append(
            {"name": name, "product": product_key(name), "version": version, "git_sha": pbr_sha(folder)}
        )
    return {
        "kind": kind,
        "path": root,
        "service": environment_service(root) if kind == "openstack-ansible" else None,
        "distributions": distributions,
    }


def distribution_metadata(folder: str) -> tuple[str | None, str | None]:
    for filename in ("METADATA", "PKG-INFO"):
        path = os.path.join(folder, filename)
        if not os.path.isfile(path):
            continue
        name = version = None
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("Name:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("Version:"):
                    version = line.split(":", 1)[1].strip()
                if (name and version) or not line.strip():
                    break
        return name, version
    return None, None


def pbr_sha(folder: str) -> str | None:
    try:
        with open(os.path.join(folder, "pbr.json"), encoding="utf-8") as handle:
            return json.load(handle).get("git_version")
    except (OSError, ValueError, AttributeError):
        return None


# -- containers ------------------------------------------------------------------

DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
CONTAINER_LABELS = (
    "kolla_version",
    "de.osism.release.openstack",
    "org.opencontainers.image.version",
    "org.opencontainers.image.title",
    "name",
)


def containers(wanted: set[str], errors: list[str]) -> list[dict[str, Any]]:
    found = []
    for engine in ("docker", "podman"):
        binary = shutil.which(engine)
        if not binary:
            continue
        if engine == "docker" and not any(os.path.exists(p) for p in DOCKER_SOCKETS):
            continue  # a docker client without a daemon runs no containers
        ids = run([binary, "ps", "--quiet", "--no-trunc"], errors)
        if not ids or not ids.split():
            continue
        inspected = run([binary, "inspect", *ids.split()], errors)
        try:
            documents = json.loads(inspected or "[]")
        except ValueError:
            errors.append(f"{engine} inspect: not JSON")
            continue
        found.extend(container_facts(engine, document, wanted) for document in documents)
    return found


def container_facts(engine: str, document: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    """One container from `docker inspect`/`podman inspect`; its Python read from the merged layer."""
    config = document.get("Config") or {}
    labels = config.get("Labels") or {}
    merged = ((document.get("GraphDriver") or {}).get("Data") or {}).get("MergedDir")
    environments = []
    if merged and os.path.isdir(merged):
        environments = python_environments([], wanted, prefix=merged.rstrip("/"))
    return {
        "engine": engine,
        "name": str(document.get("Name", "")).lstrip("/"),
        "image": config.get("Image"),
        "labels": {key: labels[key] for key in CONTAINER_LABELS if key in labels},
        "python": environments,
        "readable": bool(merged and os.path.isdir(merged)),
    }


# -- configuration ---------------------------------------------------------------


def parse_ini(text: str) -> dict[str, dict[str, Any]]:
    """oslo.config's reading of an ini file: sections as written, repeated options as lists.

    ``[DEFAULT]`` is kept as its own section (oslo.config does not copy it into other
    groups; paste.deploy does, and the judge reads paste pipelines from their own section).
    Indented lines continue the previous value; ``#`` and ``;`` start comments.
    """
    sections: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    last: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if line[0].isspace() and current is not None and last is not None:
            value = current[last]
            if isinstance(value, list):
                value[-1] = f"{value[-1]}\n{stripped}".strip()
            else:
                current[last] = f"{value}\n{stripped}".strip()
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = sections.setdefault(stripped[1:-1].strip(), {})
            last = None
            continue
        if current is None:
            continue
        key, separator, value = stripped.partition("=")
        if not separator:
            key, separator, value = stripped.partition(":")
        key, value = key.strip(), value.strip()
        if not key:
            continue
        if key in current:
            previous = current[key]
            current[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            current[key] = value
        last = key
    return sections


def redact(option: str, value: Any) -> Any:
    """Replace a secret by what the judge may know of it: set or empty, and a URL's scheme and ssl flag."""
    if isinstance(value, list):
        redacted = [redact(option, item) for item in value]
        return redacted
    text = str(value)
    secret_name = bool(SECRET_NAME.search(option)) and option.lower() not in NOT_SECRET
    if not (secret_name or CREDENTIAL_URL.match(text.strip())):
        return value
    kept: dict[str, Any] = {"redacted": True, "empty": text.strip() == ""}
    if "://" in text:
        kept["scheme"] = urlsplit(text.strip().split(",")[0]).scheme
        query = text.split("?", 1)[1] if "?" in text else ""
        safe = [(key, val) for key, val in parse_qsl(query) if key.lower() in SAFE_QUERY_KEYS]
        kept["query"] = "&".join(f"{key}={val}" for key, val in safe)
    return kept


def redact_sections(sections: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: {option: redact(option, value) for option, value in options.items()}
        for name, options in sections.items()
    }


def parse_policy(text: str, filename: str) -> dict[str, dict[str, Any]] | None:
    if filename.endswith(".json"):
        try:
            document = json.loads(text)
        except ValueError:
            return None
    else:
        document = parse_flat_yaml(text)
    if not isinstance(document, dict):
        return None
    return {"": {str(key): str(value) for key, value in document.items()}}


def parse_flat_yaml(text: str) -> dict[str, str] | None:
    """A policy file is a flat mapping of quoted names to rule strings; no YAML library on hosts."""
    rules: dict[str, str] = {}
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if pending is not None and line[0].isspace():
            rules[pending] = unquote(line.strip())
            pending = None
            continue
        match = re.match(r"""^\s*(?:"([^"]+)"|'([^']+)'|([^:\s][^:]*?))\s*:\s*(.*)$""", line)
        if not match:
            return None
        key = match.group(1) or match.group(2) or match.group(3)
        value = match.group(4).strip()
        if value:
            rules[key] = unquote(value)
        else:
            pending = key
    return rules


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def configuration(services: list[str], roots: list[str], errors: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for service in services:
        folders = []
        for root in roots:
            folders += [
                path for path in sorted(glob.glob(os.path.join(root, service))) if os.path.isdir(path)
            ]
            folders += [
                path for path in sorted(glob.glob(os.path.join(root, f"{service}-*"))) if os.path.isdir(path)
            ]
        files: dict[str, Any] = {}
        for folder in folders:
            for directory, subdirectories, names in os.walk(folder):
                subdirectories[:] = [
                    d for d in subdirectories if directory.count(os.sep) - folder.count(os.sep) < 2
                ]
                for name in sorted(names):
                    if name.endswith(CONFIG_SUFFIXES):
                        path = os.path.join(directory, name)
                        record = read_config_file(path, folder, errors)
                        if record is not None:
                            files[record["path"]] = record
        if files:
            result[service] = files
    return result


def read_config_file(path: str, folder: str, errors: list[str]) -> dict[str, Any] | None:
    try:
        info = os.stat(path)
    except OSError as exc:
        errors.append(f"{path}: {type(exc).__name__}")
        return None
    record: dict[str, Any] = {
        "path": path,
        "folder": folder,
        "name": os.path.relpath(path, folder),
        "owner": name_of(pwd.getpwuid, info.st_uid),
        "group": name_of(grp.getgrgid, info.st_gid),
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "readable": False,
        "format": None,
        "sections": {},
    }
    if info.st_size > MAX_CONFIG_BYTES:
        errors.append(f"{path}: larger than {MAX_CONFIG_BYTES} bytes, not read")
        return record
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        errors.append(f"{path}: {type(exc).__name__}")
        return record
    base = os.path.basename(path)
    if base.startswith("policy") and base.endswith((".yaml", ".yml", ".json")):
        sections = parse_policy(text, base)
        record["format"] = "policy"
    elif base.endswith((".conf", ".ini")):
        sections = parse_ini(text)
        record["format"] = "ini"
    else:
        return None
    if sections is None:
        errors.append(f"{path}: not parseable as {record['format']}")
        return record
    record["readable"] = True
    record["sections"] = redact_sections(sections)
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
                key, _, value = line.strip().partition("=")
                if key in ("ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME"):
                    values[key.lower()] = value.strip('"')
    except OSError:
        pass
    return values


def gather(params: dict[str, Any]) -> dict[str, Any]:
    wanted = {product_key(name) for name in params["products"]}
    errors: list[str] = []
    sources = set(params["sources"])
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "host",
        "collected_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "collector": {"name": "patchcheck", "version": params.get("collector_version") or "unknown"},
        "host": params.get("host") or socket.gethostname(),
        "hostname": socket.gethostname(),
        "reachable": True,
        "os": os_release(),
        "packages": dpkg_packages(wanted) + rpm_packages(wanted, errors) if "packages" in sources else [],
        "python": python_environments(params["venvs"], wanted, system="packages" in sources)
        if "venvs" in sources or "packages" in sources
        else [],
        "containers": containers(wanted, errors) if "containers" in sources else [],
        "config": configuration(params["services"], params["config_roots"], errors)
        if "config" in sources
        else {},
        "sources": sorted(sources),
        "errors": errors,
    }


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
                ],
            },
            "venvs": {"type": "list", "elements": "str", "default": []},
            "config_roots": {"type": "list", "elements": "str", "default": ["/etc", "/etc/kolla"]},
            "host": {"type": "str", "default": None},
            "collector_version": {"type": "str", "default": None},
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
