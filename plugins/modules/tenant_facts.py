#!/usr/bin/python
"""Ansible module: read what an ordinary tenant sees of an OpenStack cloud, as facts.

This file is the module's job in order (authenticate, catalog, version documents, TLS, what
services show a member, dashboard), each item's failure recorded as that item's error. How
each item is read lives in ``plugins/module_utils`` (shipped with the module by AnsiballZ);
openstacksdk is used here only, to connect and to check that the cloud is named in clouds.yaml.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tenant_facts
short_description: Gather tenant-visible release facts of an OpenStack cloud, read-only
description:
  - Authenticates with a clouds.yaml cloud (as an ordinary member), reads the service catalog from the token,
    and fetches each distinct public endpoint's unauthenticated version document with one GET.
  - For https endpoints it records the TLS protocol, cipher and certificate expiry from one handshake.
  - Where an object store is in the catalog, it reads Swift's C(/info); where an image service is, one
    authenticated GET of the images the tenant can see (do their records show storage locations?);
    from keystone, the domain's security-compliance settings members may read, and the token's lifetime.
  - Sends no request other than the token request (POST /v3/auth/tokens, which is how keystone
    authenticates) and GET requests. Never writes, never probes for vulnerabilities.
  - Returns facts only; credentials and the token never appear in the result.
options:
  cloud:
    description: Name of the cloud in clouds.yaml (C(OS_CLIENT_CONFIG_FILE) selects the file).
    type: str
    required: true
  interfaces:
    description: Catalog interfaces whose endpoints are fetched; a tenant normally reaches only C(public).
    type: list
    elements: str
    default: [public]
  timeout:
    description: Seconds for each request and TLS handshake.
    type: int
    default: 15
  scan_tls:
    description:
      - For https endpoints, enumerate the protocols and cipher suites offered and read the certificate
        chain with sslyze (ordinary handshakes; no vulnerability probes).
    type: bool
    default: true
  dashboard_url:
    description:
      - The dashboard's login page (Horizon, Skyline), which the catalog does not list. When unset, the
        cloud's C(dashboard_url) key in clouds.yaml is used; C(none) says the cloud serves no dashboard.
      - Read with unauthenticated GETs only (the page and redirects within the same host); the login form
        is never posted. Cookie values are never recorded, only their attributes and shape.
    type: str
  deadline:
    description:
      - Seconds the whole collection may take; requests after it are recorded as not read. Each
        request is also bounded as a whole (not per read) by C(timeout), and its answer by 4 MiB
        after decompression.
    type: int
    default: 600
  dest:
    description:
      - The facts file on the controller, written by the action plugin (not by the module) when the
        module succeeds.
    type: path
    required: true
author: Sovereign Cloud Stack (@SovereignCloudStack)
"""

EXAMPLES = r"""
- name: Gather tenant facts
  tenant_facts:
    cloud: mycloud
  register: tenant_facts_result
"""

RETURN = r"""
facts:
  description: Tenant facts, schema version 1 (src/patchcheck/facts/schema/tenant-facts-v1.schema.json).
  returned: always
  type: dict
"""

import datetime
import traceback
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget, with_deadline
from ansible_collections.scs.patchcheck.plugins.module_utils.collector import collector_version, sdk_version
from ansible_collections.scs.patchcheck.plugins.module_utils.dashboard import (
    dashboard_facts,
    guarded_dashboard,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.image_locations import (
    image_facts,
    images_not_read,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.keystone import (
    auth_error,
    security_compliance,
    security_compliance_not_read,
    token_facts,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.tenant_endpoints import (
    PLAIN_HTTP_REFUSAL,
    catalog_roots,
    endpoint_record,
    read_version_document,
    swift_info,
    token_may_go,
    valid_port,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.tls_handshake import tls_once
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import (
    one_line,
    scheme_of,
    without_userinfo,
)

try:
    import openstack
    import openstack.config

    OPENSTACK_IMPORT_ERROR = None
except ImportError:
    OPENSTACK_IMPORT_ERROR = traceback.format_exc()

SCHEMA_VERSION = 1


def gather(
    cloud: str,
    interfaces: list[str],
    timeout: int,
    scan_tls: bool = True,
    deadline: int = 600,
    dashboard_url: str | None = None,
) -> dict[str, Any]:
    """The tenant facts of one cloud; what fails is recorded where it failed, never the run's end.

    The dashboard needs no token and is read even when authentication failed; credentials in
    URLs are removed from every string before the facts are returned.
    """
    facts = {
        "schema_version": SCHEMA_VERSION,
        "kind": "tenant",
        "collected_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "collector": {"name": "patchcheck", "version": collector_version(), "openstacksdk": sdk_version()},
        "cloud": cloud,
        "auth": {"ok": False, "auth_url": None, "error": None, "roles": []},
        "catalog": [],
        "endpoints": [],
        "object_store_info": None,
        "errors": [],
    }
    budget = Budget(deadline)
    try:
        # api_timeout: keystoneauth's own requests (discovery, the token POST) had no timeout at all
        connection = openstack.connect(
            cloud=cloud, app_name="patchcheck", app_version=collector_version(), api_timeout=timeout
        )
        session = connection.session
    except Exception as exc:  # unknown cloud, unreadable clouds.yaml
        facts["auth"]["error"] = f"cannot use cloud {cloud!r} from clouds.yaml: {one_line(exc)}"
        return without_userinfo(facts)
    # every request of the session, authentication included, ends by its own and the run's deadline
    with_deadline(session, timeout, budget)
    verify = connection.config.config.get("verify", True)
    cacert = connection.config.config.get("cacert")
    tls_verify = cacert if (verify and cacert) else verify
    tls_seen: dict[str, Any] = {}
    facts["auth"]["auth_url"] = connection.config.get_auth_args().get("auth_url")
    try:
        access = session.auth.get_access(session)
    except Exception as exc:  # refused, rejected, or an incomplete auth section (a bare Exception)
        facts["auth"]["error"] = auth_error(exc, facts["auth"]["auth_url"])
        access = None
    if access is not None:
        facts["auth"]["ok"] = True
        facts["auth"]["roles"] = sorted(access.role_names or [])
        facts["token"] = token_facts(access)
        read_catalog(
            facts,
            session,
            access,
            interfaces,
            timeout,
            tls_verify=tls_verify,
            scan_tls=scan_tls,
            budget=budget,
            tls_seen=tls_seen,
        )
    # The dashboard needs no token: it is read even when authentication failed.
    named = dashboard_url if dashboard_url is not None else connection.config.config.get("dashboard_url")
    source = "variable" if dashboard_url is not None else "clouds.yaml"
    dashboard = guarded_dashboard(lambda: dashboard_facts(named, source, timeout, tls_verify, budget), source)
    if dashboard.get("tls_host"):
        dashboard["tls"] = tls_once(
            f"https://{dashboard['tls_host']}/", tls_seen, tls_verify, timeout, scan_tls, budget
        )
    facts["dashboard"] = dashboard
    return without_userinfo(facts)


def read_catalog(
    facts: dict[str, Any],
    session: Any,
    access: Any,
    interfaces: list[str],
    timeout: int,
    tls_verify: bool | str,
    scan_tls: bool,
    budget: Budget,
    tls_seen: dict[str, Any] | None = None,
) -> None:
    """Every endpoint of the catalog, each on its own: what fails for one is that one's error.

    ``tls_seen`` holds each host:port's TLS facts, shared with the dashboard's reader.
    """
    tls_seen = {} if tls_seen is None else tls_seen
    roots = catalog_roots(facts, access, interfaces)
    auth_scheme = scheme_of(facts["auth"].get("auth_url"))
    for (root, interface, region), service_types in sorted(roots.items(), key=lambda item: str(item[0])):
        record = endpoint_record(root, interface, region, service_types)
        try:
            read_endpoint(
                record,
                facts,
                session,
                access,
                timeout,
                tls_verify,
                scan_tls,
                budget,
                tls_seen,
                auth_scheme,
            )
        except Exception as exc:  # anything an endpoint does is this endpoint's error, never the run's end
            record["error"] = record["error"] or f"not read: {one_line(exc)}"
        facts["endpoints"].append(record)


def read_endpoint(
    record: dict[str, Any],
    facts: dict[str, Any],
    session: Any,
    access: Any,
    timeout: int,
    tls_verify: bool | str,
    scan_tls: bool,
    budget: Budget,
    tls_seen: dict[str, Any],
    auth_scheme: str,
) -> None:
    """One endpoint: its version document, its TLS, and what its service shows a member (once a cloud)."""
    root, interface = record["version_url"], record["interface"]
    read_version_document(record, session, timeout, budget)
    if scheme_of(root) == "https" and valid_port(root):  # else no TLS facts: the judge reports why
        record["tls"] = tls_once(root, tls_seen, tls_verify, timeout, scan_tls, budget)
    token_allowed = token_may_go(auth_scheme, scheme_of(root))
    types = record["service_types"]
    if "object-store" in types and facts["object_store_info"] is None:
        facts["object_store_info"] = swift_info(session, root, timeout, budget)
    if "image" in types and interface == "public" and "images" not in facts:
        facts["images"] = (
            image_facts(session, root, access.project_id, timeout, budget)
            if token_allowed
            else images_not_read(root, PLAIN_HTTP_REFUSAL)
        )
    if "identity" in types and interface == "public" and "security_compliance" not in facts:
        facts["security_compliance"] = (
            security_compliance(session, root, access, timeout, budget)
            if token_allowed
            else security_compliance_not_read(root, PLAIN_HTTP_REFUSAL)
        )


def unknown_cloud(cloud: str) -> str | None:
    """Why ``cloud`` names no cloud openstacksdk can use, or None (issue 30).

    A typo in the cloud's name, or no clouds.yaml at all, made an all-ABORT report that could be
    delivered ("nope is not compliant"). That is a mistake in the configuration, not evidence
    about a cloud: the task fails with one sentence naming the files openstacksdk searched, and
    nothing is gathered, judged or delivered. A cloud that is named but does not answer stays an
    ABORT report (that is evidence).
    """
    try:
        config = openstack.config.OpenStackConfig()
        names = [name for name in config.get_cloud_names() if name != "defaults"]
    except Exception as exc:  # a clouds.yaml that does not parse
        return f"cannot read the clouds.yaml files: {one_line(exc)}"
    if cloud in names:
        return None
    # in the order openstacksdk reads them, each once
    searched = ", ".join(dict.fromkeys(getattr(config, "_config_files", []))) or "its usual places"
    found = config.config_filename
    where = (
        f"in {found} (clouds there: {', '.join(sorted(names)) or 'none'})"
        if found
        else "(no clouds.yaml found)"
    )
    return (
        f"no cloud named {cloud!r} {where}; openstacksdk searched {searched}. Set patchcheck_cloud or "
        "OS_CLOUD to a cloud of that file, or OS_CLIENT_CONFIG_FILE to the clouds.yaml that has it"
    )


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "cloud": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},  # used by the action plugin on the controller
            "interfaces": {"type": "list", "elements": "str", "default": ["public"]},
            "timeout": {"type": "int", "default": 15},
            "scan_tls": {"type": "bool", "default": True},
            "deadline": {"type": "int", "default": 600},
            "dashboard_url": {"type": "str", "default": None},
        },
        supports_check_mode=True,
    )
    if OPENSTACK_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("openstacksdk"), exception=OPENSTACK_IMPORT_ERROR)
    problem = unknown_cloud(module.params["cloud"])
    if problem:
        module.fail_json(msg=problem, unknown_cloud=True)
    facts = gather(
        module.params["cloud"],
        module.params["interfaces"],
        module.params["timeout"],
        module.params["scan_tls"],
        module.params["deadline"],
        module.params["dashboard_url"],
    )
    module.exit_json(changed=False, facts=facts)


if __name__ == "__main__":
    main()
