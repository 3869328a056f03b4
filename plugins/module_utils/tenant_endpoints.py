"""The service catalog and the endpoints' version documents, as a tenant sees them.

The catalog comes from the token (no request); each distinct version root of the endpoints
asked for is read with one unauthenticated GET, and an object store's ``/info`` with another.
URL credentials are stripped from the catalog before any request, so no client's error can
quote them back. A token goes to an endpoint only where it would travel as safely as it came
(``token_may_go``): never over plain http when authentication was over https.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget, fetch_json
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import (
    one_line,
    text_or_none,
    without_userinfo,
)

#: A path segment naming an API version (``v3``, ``v2.1``): the version document sits above it.
VERSION_SEGMENT = re.compile(r"^v\d+(\.\d+)?$")
#: Why an authenticated request was not sent: the token would leave the TLS it came under.
PLAIN_HTTP_REFUSAL = "not read: the token would travel over plain http (authentication was over https)"


def catalog_roots(
    facts: dict[str, Any], access: Any, interfaces: list[str]
) -> dict[tuple[str, str | None, str | None], list[str | None]]:
    """The catalog, recorded in ``facts["catalog"]``, and the version documents to read.

    One version root per (root, interface, region) of the interfaces asked for, with the service
    types behind it: services sharing a version document are read once. A URL that does not
    parse (a port of 99999, ``http://[::1``) is an entry of ``facts["errors"]``, never fatal.
    """
    roots: dict[tuple[str, str | None, str | None], list[str | None]] = {}
    catalog = access.service_catalog.catalog if access.service_catalog else []
    for service in catalog if isinstance(catalog, list) else []:
        endpoints = service.get("endpoints") if isinstance(service, dict) else None
        for endpoint in endpoints if isinstance(endpoints, list) else []:
            if not isinstance(endpoint, dict):
                continue
            entry = {
                "service_type": text_or_none(service.get("type")),
                "service_name": text_or_none(service.get("name")),
                "interface": text_or_none(endpoint.get("interface")),
                "region": text_or_none(endpoint.get("region_id") or endpoint.get("region")),
                # credentials leave before any request: no client's error can quote them back
                "url": without_userinfo(text_or_none(endpoint.get("url"))),
            }
            facts["catalog"].append(entry)
            if entry["interface"] not in interfaces or not entry["url"]:
                continue
            try:
                key = (version_root(entry["url"]), entry["interface"], entry["region"])
            except ValueError as exc:  # a port of 99999, "http://[::1": recorded, not fatal
                facts["errors"].append(f"{entry['service_type']} {entry['url']}: not a URL: {one_line(exc)}")
                continue
            roots.setdefault(key, []).append(entry["service_type"])
    return roots


def endpoint_record(
    root: str, interface: str | None, region: str | None, service_types: list[str | None]
) -> dict[str, Any]:
    """An endpoint's record before anything is read: every field the schema has, none known yet."""
    return {
        "version_url": root,
        "service_types": sorted({str(t) for t in service_types}),
        "interface": interface,
        "region": region,
        "http_status": None,
        "error": None,
        "server_header": None,
        "headers": {},
        "versions": [],
        "tls": None,
    }


def read_version_document(record: dict[str, Any], session: Any, timeout: int, budget: Budget) -> None:
    """The endpoint's unauthenticated version document (one GET) into its record.

    An answer below 400 without version entries is the endpoint's error: the judge would
    otherwise see a service that answers and runs no known release.
    """
    status, headers, body, error = fetch_json(session, record["version_url"], timeout, budget=budget)
    record.update(
        http_status=status,
        error=error,
        server_header=headers.get("Server"),
        headers=headers,
        versions=normalise_versions(body),
    )
    if error is None and status is not None and status < 400 and not record["versions"]:
        record["error"] = f"HTTP {status} without a version document"


def version_root(url: str) -> str:
    """The URL of the version document for a catalog URL: its path up to the version segment.

    ``http://h:8774/v2.1`` -> ``http://h:8774/``; ``https://h/volume/v3/<project>`` ->
    ``https://h/volume/``; a URL without a version segment is its own root.
    """
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    for index in range(len(segments) - 1, -1, -1):
        if VERSION_SEGMENT.match(segments[index]):
            segments = segments[:index]
            break
    path = "/" + "/".join(segments) + ("/" if segments else "")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def normalise_versions(body: Any) -> list[dict[str, Any]]:
    """The version entries of any of the three shapes OpenStack services answer with; else none."""
    if not isinstance(body, dict):
        return []
    versions = body.get("versions")
    if isinstance(versions, dict):
        versions = versions.get("values")
    if versions is None and isinstance(body.get("version"), dict):
        versions = [body["version"]]
    if not isinstance(versions, list):
        return []
    result = []
    for entry in versions:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        result.append(
            {
                "id": str(entry["id"]),
                "status": str(entry.get("status", "")),
                "version": str(entry.get("version") or entry.get("max_version") or "") or None,
                "min_version": str(entry.get("min_version") or "") or None,
            }
        )
    return result


def swift_info(session: Any, root: str, timeout: int, budget: Budget | None = None) -> dict[str, Any]:
    """Swift's release from its unauthenticated ``/info`` (one GET): the version document lacks it."""
    url = root + "info"
    status, _headers, body, error = fetch_json(session, url, timeout, budget=budget)
    version = None
    if isinstance(body, dict) and isinstance(body.get("swift"), dict):
        version = text_or_none(body["swift"].get("version"))
    return {"url": url, "http_status": status, "error": error, "swift_version": version}


def valid_port(url: str) -> bool:
    """Whether the URL's port is a number from 0 to 65535 (or absent): 99999 is no TLS endpoint."""
    try:
        urlsplit(url).port  # noqa: B018  (raises on a port out of range or not a number)
    except ValueError:
        return False
    return True


def token_may_go(auth_scheme: str, endpoint_scheme: str) -> bool:
    """A token goes only where it would go safely: never over plain http when authentication was https.

    Schemes as urllib.parse reads them (``HTTPS://`` is https). Allowed: an https endpoint, or
    any http endpoint when the token itself came over plain http; an unknown authentication
    scheme counts as https, an unknown endpoint scheme as plain.
    """
    return endpoint_scheme == "https" or auth_scheme == "http"
