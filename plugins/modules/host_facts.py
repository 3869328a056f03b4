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
  - For the dependency clause of scs-0124 (a dependency of the IaaS software affected by a security
    issue must be patched too), every Python environment also lists every distribution installed in
    it (C(installed), name and version) and every distribution folder whose metadata could not be read
    (C(installed_unread), with the reason); C(system_packages) lists every installed dpkg or rpm
    package with its source package, source version, architecture, dependencies and provides; each
    readable container carries its own C(os) and C(system_packages) (dpkg only). These unread
    distributions are not gaps of the host (C(incomplete)); the dependency judge weighs them itself.
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
  description:
    - Host facts, schema version 1 (src/patchcheck/facts/schema/host-facts-v1.schema.json).
    - C(packages) holds the wanted products' distribution packages with their changelogs' fixes;
      C(system_packages) every installed package (C(manager) dpkg or rpm, C(packages) with C(name),
      C(version), C(source), C(source_version), C(architecture), C(depends), C(provides)), null when
      packages were not read, there is no package manager, or dpkg's status could not be read.
    - Each environment of C(python) (and of a container's C(python)) has C(distributions) (the wanted
      products), C(installed) (every distribution, name and version) and C(installed_unread) (entry and
      reason); each container has C(os), C(system_packages) and C(system_packages_unread).
  returned: always
  type: dict
"""

import datetime
import os
import socket
from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.scs.patchcheck.plugins.module_utils.config_allowlist import HARMLESS_OPTIONS
from ansible_collections.scs.patchcheck.plugins.module_utils.containers import containers
from ansible_collections.scs.patchcheck.plugins.module_utils.host_files import (
    failure_text,
    incomplete,
    os_release,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.host_packages import (
    DPKG_STATUS,
    read_dpkg,
    read_rpm,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.products import Wanted
from ansible_collections.scs.patchcheck.plugins.module_utils.python_environments import python_environments
from ansible_collections.scs.patchcheck.plugins.module_utils.secret_files import SECRET_PLACES, secret_places
from ansible_collections.scs.patchcheck.plugins.module_utils.service_config import configuration

SCHEMA_VERSION = 1


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
    """The host's facts: each source asked for is read in turn, in the order below.

    Distribution packages (dpkg, then rpm: the wanted ones in ``packages``, every installed one in
    ``system_packages``), Python installs (venvs, and the system site folders when packages are
    read), running containers, the services' configuration, then the secret
    files of ``secret_places`` (after those met in the configuration folders). What a reader could
    not read goes to ``incomplete`` item by item, a failed command to ``errors``, and a reader
    that raised costs its source, never the host (``guarded``).
    """
    wanted = Wanted(params["products"], params.get("distributions"))
    keep = [*HARMLESS_OPTIONS, *(params.get("keep_options") or [])]
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    secrets: list[dict[str, str]] = []
    sources = set(params["sources"])
    dpkg: tuple[list[dict[str, Any]], dict[str, Any] | None] = ([], None)
    rpm = dpkg
    if "packages" in sources:
        dpkg = guarded("packages", gaps, lambda: ([], None), lambda: read_dpkg(wanted, gaps))
        rpm = guarded("packages", gaps, lambda: ([], None), lambda: read_rpm(wanted, errors))
    facts = {
        "schema_version": SCHEMA_VERSION,
        "kind": "host",
        "collected_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "collector": {"name": "patchcheck", "version": params.get("collector_version") or "unknown"},
        "host": params.get("host") or socket.gethostname(),
        "hostname": socket.gethostname(),
        "reachable": True,
        "os": os_release("/"),
        "packages": dpkg[0] + rpm[0],
        # dpkg's when the host has its database (even unreadable: then null, and a gap), else rpm's
        "system_packages": dpkg[1] if os.path.lexists(os.path.join("/", DPKG_STATUS)) else rpm[1],
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
