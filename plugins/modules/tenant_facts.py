#!/usr/bin/python
"""Ansible module: read what an ordinary tenant sees of an OpenStack cloud, as facts."""

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
import json
import re
import socket
import ssl
import string
import time
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_http import (
    DeadlineAdapter,
    mount_deadline,
)

try:
    import openstack
    import openstack.config

    OPENSTACK_IMPORT_ERROR = None
except ImportError:
    OPENSTACK_IMPORT_ERROR = traceback.format_exc()

SCHEMA_VERSION = 1
VERSION_SEGMENT = re.compile(r"^v\d+(\.\d+)?$")


def collector_version() -> str:
    try:
        from patchcheck import __version__

        return __version__
    except ImportError:
        return "unknown"


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


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


#: Response headers kept as evidence: software banners and HSTS (read from responses already fetched).
KEPT_HEADERS = ("Server", "X-Powered-By", "Strict-Transport-Security")


#: The largest answer read (decoded): version documents and a 100-image list are far smaller.
MAX_BODY_BYTES = 4 * 1024 * 1024
READ_CHUNK = 8192


class Budget:
    """The whole collection's deadline; each request gets the smaller of its own and what is left."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def for_request(self, timeout: float) -> float:
        """Seconds one request may take: its own timeout, or less when the deadline is nearer."""
        return min(float(timeout), self.left())


DEADLINE_PASSED = "not read: the collection's deadline has passed"


def fetch_json(
    session: Any, url: str, timeout: int, authenticated: bool = False, budget: Budget | None = None
) -> tuple[int | None, dict[str, str], Any, str | None]:
    """One GET; returns (status, kept headers, body or None, error).

    Bounded in time as a whole (not per read: an answer dripping a byte every few seconds
    never times out a read) and in size after decompression (a small gzip body can expand
    to gigabytes); each breach is this request's error, never the run's end.
    """
    allowed = budget.for_request(timeout) if budget else float(timeout)
    if allowed <= 0:
        return None, {}, None, DEADLINE_PASSED
    end = time.monotonic() + allowed
    with_deadline(session, timeout, budget)
    try:
        response = session.get(
            url,
            authenticated=authenticated,
            raise_exc=False,
            timeout=allowed,
            headers={"Accept": "application/json"},
            redirect=False,
            stream=True,
        )
    except Exception as exc:  # connection refused, TLS failure, timeout: all evidence gaps
        return None, {}, None, one_line(exc)
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    try:
        data, error = read_bounded(response, end)
    finally:
        response.close()
    if error:
        return response.status_code, headers, None, error
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = None
    return response.status_code, headers, body, None


def with_deadline(session: Any, timeout: float, budget: Budget | None) -> None:
    """keystoneauth's session with the deadline adapter (once): headers and body end in time.

    keystoneauth's requests carry only a per-read timeout: a status line or headers dripped a
    byte at a time, or ``100 Continue`` forever, kept http.client reading (issue 26 point 10).
    """
    inner = getattr(session, "session", None)
    if inner is None or not hasattr(inner, "get_adapter"):
        return
    if not isinstance(inner.get_adapter("https://"), DeadlineAdapter):
        mount_deadline(inner, float(timeout), budget.end if budget else float("inf"))


def read_bounded(response: Any, end: float) -> tuple[bytes, str | None]:
    """The body up to MAX_BODY_BYTES by ``end``; a larger declared Content-Length is refused unread."""
    declared = str(response.headers.get("Content-Length", "")).strip()
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return (
            b"",
            f"not read: the answer is larger than {MAX_BODY_BYTES} bytes (it declares {int(declared)})",
        )
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > end:
                return b"", "not read: the answer took longer than the request's deadline"
            # read1 returns what has arrived: a dripping answer meets the deadline between drips
            reader = getattr(response.raw, "read1", None) or response.raw.read
            chunk = reader(READ_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks), None
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return b"", f"not read: the answer is larger than {MAX_BODY_BYTES} bytes"
            chunks.append(chunk)
    except Exception as exc:  # a broken or undecodable stream is this request's gap
        if "timed out" in str(exc) or isinstance(exc, TimeoutError):  # the deadline adapter's timeout
            return b"", "not read: the answer took longer than the request's deadline"
        return b"", f"not read: {one_line(exc)}"


def tls_facts(url: str, verify: bool | str, timeout: int) -> dict[str, Any]:
    """Protocol, cipher and certificate expiry from one handshake with the endpoint.

    A host no resolver accepts (an empty or 64-character label) is this endpoint's TLS error,
    never an exception: an https endpoint without TLS facts would vanish from the TLS checks.
    """
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 443
    facts = {
        "host": host,
        "port": port,
        "verified": False,
        "error": None,
        "protocol": None,
        "cipher": None,
        "not_after": None,
        "days_to_expiry": None,
    }
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        facts["error"] = "certificate verification is disabled in clouds.yaml (verify: false)"
    else:
        cafile = verify if isinstance(verify, str) else None
        context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            facts["protocol"] = tls.version()
            facts["cipher"] = tls.cipher()[0]
            der = tls.getpeercert(binary_form=True)
        facts["verified"] = verify is not False
    except ssl.SSLCertVerificationError as exc:
        facts["error"] = one_line(exc)
        der = unverified_certificate(host, port, timeout)
    except (OSError, ssl.SSLError, ValueError) as exc:  # ValueError: UnicodeError of an invalid label
        facts["error"] = one_line(exc)
        return facts
    if der:
        not_after = certificate_not_after(der)
        if not_after is not None:
            facts["not_after"] = not_after.isoformat()
            now = datetime.datetime.now(datetime.UTC)
            facts["days_to_expiry"] = (not_after - now).days
    return facts


def unverified_certificate(host: str, port: int, timeout: int) -> bytes | None:
    """The peer certificate without verification, only to read its expiry for the record."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, ValueError):
        return None


def certificate_not_after(der: bytes) -> datetime.datetime | None:
    try:
        from cryptography import x509
    except ImportError:
        return None
    certificate = x509.load_der_x509_certificate(der)
    return certificate.not_valid_after_utc


def gather(
    cloud: str,
    interfaces: list[str],
    timeout: int,
    scan_tls: bool = True,
    deadline: int = 600,
    dashboard_url: str | None = None,
) -> dict[str, Any]:
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


def auth_error(exc: BaseException, auth_url: str | None) -> str:
    """Why authentication failed; only the exception's type when the auth URL holds credentials.

    A client's message may quote a piece of a URL it could not parse (``Host "user:pa ss"``),
    which no scan for URLs recognises as a password: such a message is not kept at all.
    """
    if auth_url and text_without_userinfo(auth_url) != auth_url:
        return f"{type(exc).__name__} (message not kept: auth_url holds credentials; remove them)"
    return one_line(exc)


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
    roots = {}
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

    auth_scheme = scheme_of(facts["auth"].get("auth_url"))
    for (root, interface, region), service_types in sorted(roots.items(), key=lambda item: str(item[0])):
        record = {
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
    root, interface = record["version_url"], record["interface"]
    status, headers, body, error = fetch_json(session, root, timeout, budget=budget)
    record.update(
        http_status=status,
        error=error,
        server_header=headers.get("Server"),
        headers=headers,
        versions=normalise_versions(body),
    )
    if error is None and status is not None and status < 400 and not record["versions"]:
        record["error"] = f"HTTP {status} without a version document"
    if scheme_of(root) == "https" and valid_port(root):  # else no TLS facts: the judge reports why
        record["tls"] = tls_once(root, tls_seen, tls_verify, timeout, scan_tls, budget)
    token_allowed = token_may_go(auth_scheme, scheme_of(root))
    refusal = "not read: the token would travel over plain http (authentication was over https)"
    types = record["service_types"]
    if "object-store" in types and facts["object_store_info"] is None:
        facts["object_store_info"] = swift_info(session, root, timeout, budget)
    if "image" in types and interface == "public" and "images" not in facts:
        facts["images"] = (
            image_facts(session, root, access.project_id, timeout, budget)
            if token_allowed
            else {
                "url": root + "v2/images?limit=100",
                "http_status": None,
                "error": refusal,
                "listed": 0,
                "owned": 0,
                "with_locations": 0,
                "with_direct_url": 0,
            }
        )
    if "identity" in types and interface == "public" and "security_compliance" not in facts:
        facts["security_compliance"] = (
            security_compliance(session, root, access, timeout, budget)
            if token_allowed
            else {
                "url": root + "v3/domains/.../config/security_compliance",
                "http_status": None,
                "error": refusal,
                "password_regex": None,
                "password_regex_description": None,
            }
        )


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


#: Dashboard response headers kept as evidence: banners, framing, transport and compression.
DASHBOARD_HEADERS = (
    "Server",
    "X-Powered-By",
    "X-Frame-Options",
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "Content-Encoding",
    "Content-Type",
)
MAX_DASHBOARD_REDIRECTS = 5
#: Cookies recorded per page: http.client reads at most 100 header lines, so every cookie a
#: page can set is kept (each record is clipped to a few hundred bytes); were more to arrive,
#: their number is recorded as ``cookies_not_recorded`` and the judge ABORTs what they could change.
MAX_COOKIES = 128
MAX_TEXT = 256
#: Characters that may start or continue a URL scheme (RFC 3986: a letter, then these).
SCHEME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "+.-")
#: Characters that end a URL's authority in free text.
AUTHORITY_END = frozenset("/\"';?#<>" + string.whitespace)
#: Django's signing format (payload:timestamp:signature), the shape of signed-cookie sessions (OSSN-0017).
SIGNED_VALUE = re.compile(r"^\.?[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")
JWT_VALUE = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def dashboard_facts(
    url: str | None, source: str, timeout: int, tls_verify: bool | str, budget: Budget
) -> dict[str, Any]:
    """What an unauthenticated visitor's browser receives from the dashboard's login page.

    GETs only: the page and redirects within the same host, never the form's POST and never
    a login. Cookie values stay unrecorded: only their attributes, their shape (signed,
    opaque, ...) and the hosts of URLs inside them (OSSN-0073) are kept.
    """
    record: dict[str, Any] = {
        "url": None,
        "source": source,
        "declared_absent": False,
        "error": None,
        "pages": [],
        "final_url": None,
        "login_form": None,
        "tls_host": None,
    }
    if url is None or not str(url).strip():
        record["error"] = "no dashboard URL given (patchcheck_dashboard_url, or dashboard_url in clouds.yaml)"
        return record
    if str(url).strip().lower() == "none":
        record["declared_absent"] = True
        return record
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError as exc:
        record["error"] = f"not a URL: {one_line(exc)}"
        return record
    if parts.scheme not in ("http", "https") or not parts.hostname:
        record["error"] = f"not an http(s) URL: {clip(url)}"
        return record
    netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc += f":{port}" if port else ""
    current = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    record["url"] = urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))
    import requests

    for _redirect in range(MAX_DASHBOARD_REDIRECTS + 1):
        page, location = dashboard_page(requests, current, timeout, tls_verify, budget)
        record["pages"].append(page)
        if page["error"] or location is None:
            break
        target = urlsplit(urljoin(current, location))
        if target.hostname != parts.hostname or target.scheme not in ("http", "https"):
            page["error"] = f"redirects to another host ({target.scheme}://{target.hostname}); not followed"
            break
        current = urlunsplit((target.scheme, target.netloc, target.path or "/", target.query, ""))
    else:
        record["pages"][-1]["error"] = f"more than {MAX_DASHBOARD_REDIRECTS} redirects; not followed"
    last = record["pages"][-1]
    record["final_url"] = last["url"]
    if last["error"] is None and last["body"] is not None:
        record["login_form"] = login_form(last["body"], current)
    for page in record["pages"]:
        page.pop("body", None)
    final = urlsplit(record["final_url"])
    if final.scheme == "https":
        record["tls_host"] = final.netloc
    return record


def dashboard_page(
    requests: Any, url: str, timeout: int, tls_verify: bool | str, budget: Budget
) -> tuple[dict[str, Any], str | None]:
    """One unauthenticated GET: status, kept headers, cookies' attributes, the HTML (dropped later)."""
    parts = urlsplit(url)
    page: dict[str, Any] = {
        "url": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        "http_status": None,
        "error": None,
        "headers": {},
        "cookies": [],
        "redirect": None,
        "body": None,
    }
    allowed = budget.for_request(timeout)
    if allowed <= 0:
        page["error"] = DEADLINE_PASSED
        return page, None
    end = time.monotonic() + allowed
    client = mount_deadline(requests.Session(), allowed)  # status line and headers in time too
    try:
        response = client.get(
            url,
            timeout=allowed,
            allow_redirects=False,
            stream=True,
            verify=tls_verify,
            headers={
                "Accept": "text/html",
                "Accept-Encoding": "gzip, deflate",  # a compressed answer shows OSSN-0037
                "User-Agent": f"patchcheck/{collector_version()}",
            },
        )
    except Exception as exc:  # refused, TLS failure, timeout: this dashboard's evidence gap
        client.close()
        page["error"] = one_line(exc)
        return page, None
    try:
        page["http_status"] = response.status_code
        page["headers"] = {
            name: clip(response.headers[name]) for name in DASHBOARD_HEADERS if name in response.headers
        }
        raw_headers = getattr(response.raw, "headers", None)
        set_cookies = raw_headers.getlist("Set-Cookie") if hasattr(raw_headers, "getlist") else []
        page["cookies"] = [cookie_facts(header) for header in set_cookies[:MAX_COOKIES]]
        if len(set_cookies) > MAX_COOKIES:  # never silent: the judge ABORTs what they could change
            page["cookies_not_recorded"] = len(set_cookies) - MAX_COOKIES
        location = response.headers.get("Location") if response.is_redirect else None
        if location is not None:
            target = urlsplit(urljoin(url, location))
            page["redirect"] = urlunsplit((target.scheme, target.netloc, target.path, "", ""))
            return page, location
        data, error = read_bounded(response, end)
        if error:
            page["error"] = error
        elif response.status_code >= 400:
            page["error"] = f"HTTP {response.status_code}"
        else:
            page["body"] = data.decode(response.encoding or "utf-8", errors="replace")
        return page, None
    finally:
        response.close()
        client.close()


def cookie_facts(header: str) -> dict[str, Any]:
    """A Set-Cookie header's attributes and the value's shape; never the value."""
    first, *attributes = header.split(";")
    name, _equals, value = first.partition("=")
    flags: dict[str, str] = {}
    for attribute in attributes:
        key, _equals, argument = attribute.strip().partition("=")
        flags[key.strip().lower()] = argument.strip()
    try:
        max_age = int(flags["max-age"]) if "max-age" in flags else None
    except ValueError:
        max_age = None
    value = value.strip().strip('"')
    decoded = unquote(value)
    return {
        "name": clip(name.strip()),
        "secure": "secure" in flags,
        "httponly": "httponly" in flags,
        "samesite": clip(flags["samesite"]) if flags.get("samesite") else None,
        "path": clip(flags["path"]) if flags.get("path") else None,
        "domain": clip(flags["domain"]) if flags.get("domain") else None,
        "max_age_s": max_age,
        "value_shape": value_shape(value, decoded),
        "value_hosts": url_hosts(decoded),
    }


def value_shape(value: str, decoded: str) -> str:
    """What kind of value a cookie holds (``decoded``: the value percent-decoded, done once)."""
    if not value:
        return "empty"
    if "://" in decoded:
        return "url"
    if SIGNED_VALUE.match(value):
        return "signed"
    if JWT_VALUE.match(value):
        return "jwt"
    return "opaque"


def url_hosts(text: str) -> list[str]:
    """Hosts of the URLs in a text (no userinfo, no port, at most five): what OSSN-0073 is about."""
    hosts: list[str] = []
    for authority in url_authorities(text):
        host = authority.rpartition("@")[2]
        host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
        if host and host not in hosts:
            hosts.append(clip(host))
        if len(hosts) == 5:
            break
    return hosts


def url_authorities(text: str) -> Iterator[str]:
    """The authority (``user@host:port``) of each ``scheme://`` in the text, in time linear in it.

    Plain parsing where a pattern (``[a-zA-Z][a-zA-Z0-9+.-]*://...``) retried the scheme from
    every letter of a long word: 4 MiB of ``a`` took minutes. A scheme is a run of scheme
    characters holding a letter right before ``://``; the authority runs to the first
    ``/ \\ " ' ; ? # < >`` or white space. Each character is looked at a bounded number of times.
    """
    done = 0  # nothing before this index is looked at again
    position = text.find("://")
    while position != -1:
        begin = position
        while begin > done and text[begin - 1] in SCHEME_CHARACTERS:
            begin -= 1
        scheme = text[begin:position]
        end = position + 3
        while end < len(text) and text[end] not in AUTHORITY_END:
            end += 1
        # a letter among scheme characters is their only cased one: no per-character loop
        if end > position + 3 and scheme.lower() != scheme.upper():
            yield text[position + 3 : end]
        done = end
        position = text.find("://", max(end, position + 1))


def clip(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


class LoginForms:
    """lxml parser target: the forms with their method, action, password field and region hosts.

    libxml2's HTML parser reads in time linear in the page; html.parser's tag and attribute
    patterns backtracked on unterminated markup (240 KB of ``<a x="`` took 145 s, 4 MiB hours).
    """

    def __init__(self) -> None:
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.in_region = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        values = {str(key).lower(): str(value or "") for key, value in attrib.items()}
        tag = str(tag).lower()
        if tag == "form":
            self.current = {
                "method": values.get("method", "GET").upper()[:16],
                "action": values.get("action", ""),
                "password_field": False,
                "region_hosts": [],
            }
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and values.get("type", "").lower() == "password":
            self.current["password_field"] = True
        elif tag == "select":
            self.in_region = values.get("name") == "region"
        elif (tag == "option" and self.in_region) or (tag == "input" and values.get("name") == "region"):
            for host in url_hosts(values.get("value", "")):
                if host not in self.current["region_hosts"] and len(self.current["region_hosts"]) < 10:
                    self.current["region_hosts"].append(host)

    def end(self, tag: str) -> None:
        tag = str(tag).lower()
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.in_region = False

    def data(self, _text: str) -> None:
        """Text between tags is not needed."""

    def close(self) -> list[dict[str, Any]]:
        return self.forms


def login_form(html: str, page_url: str) -> dict[str, Any]:
    """Where the login form sends the password: scheme and path only (never a query)."""
    try:
        from lxml import etree
    except ImportError:  # said, never guessed: the judge cannot judge the form then
        return {"found": False, "error": "not parsed: lxml is not installed"}
    target = LoginForms()
    try:
        parser = etree.HTMLParser(target=target, no_network=True, recover=True)
        parser.feed(html)
        forms = parser.close()
    except Exception as exc:  # malformed markup is this page's gap, not the run's end
        return {"found": False, "error": f"not parsed: {one_line(exc)}"}
    form = next((form for form in forms if form["password_field"]), None)
    if form is None:
        return {"found": False, "error": None}
    action = urlsplit(urljoin(page_url, form["action"]))
    return {
        "found": True,
        "error": None,
        "method": form["method"],
        "action": urlunsplit((action.scheme, action.netloc, action.path, "", "")),
        "action_scheme": action.scheme,
        "region_hosts": form["region_hosts"],
    }


def guarded_dashboard(read: Any, source: str) -> dict[str, Any]:
    """The dashboard's record; whatever reading it raised is its error, never the run's end."""
    try:
        return read()
    except Exception as exc:
        return {
            "url": None,
            "source": source,
            "declared_absent": False,
            "error": f"not read: {one_line(exc)}",
            "pages": [],
            "final_url": None,
            "login_form": None,
            "tls_host": None,
        }


def tls_once(
    url: str, tls_seen: dict[str, Any], tls_verify: bool | str, timeout: int, scan_tls: bool, budget: Budget
) -> dict[str, Any]:
    """The TLS facts of the URL's host:port, read once per collection (API endpoints and the dashboard)."""
    netloc = urlsplit(url).netloc
    if netloc not in tls_seen:
        tls_seen[netloc] = {"error": "not scanned: the collection's deadline has passed"}
        if budget.left() > 0:
            tls_seen[netloc] = tls_facts(url, tls_verify, timeout)
            if scan_tls:
                tls_seen[netloc]["scan"] = guarded(lambda: tls_scan(url, tls_verify, timeout))
    return tls_seen[netloc]


def guarded(scan: Any) -> dict[str, Any]:
    """A TLS scan whose failure (a host that does not resolve, sslyze raising) is its own error."""
    try:
        return scan()
    except Exception as exc:
        return {"error": f"TLS scan failed: {one_line(exc)}", "protocols": {}, "certificate": None}


def text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


#: Replaces a span that held credentials when the text after its ``@`` is not the host a
#: client reaches (a ``/``, a space or a quote came before it): no valid host looks like this,
#: so the judge reports such a URL instead of judging a host nobody connects to.
HIDDEN_HOST = "(credentials removed)"
#: Characters RFC 3986 allows in userinfo, and ``@`` (unencoded in passwords in the wild).
USERINFO_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:%@")


def text_without_userinfo(text: str) -> str:
    """``text`` with every URL's credentials removed, in time linear in its length.

    A copy of ``patchcheck.urls.without_userinfo`` (this module cannot import patchcheck; a
    unit test holds the two equal). A password may hold a space, a quote, ``/``, ``@`` or
    ``://``, so the span from the first ``://`` to the last ``@`` after it goes; cutting too
    much is harmless where cutting too little is not. No regular expression: the one used
    before backtracked for minutes on a few MiB of ``a://``.
    """
    start = text.find("://")
    at = text.rfind("@")
    if start == -1 or at < start + 3:
        return text
    userinfo = text[start + 3 : at]
    marker = "" if USERINFO_CHARACTERS.issuperset(userinfo) else HIDDEN_HOST + "/"
    return text[: start + 3] + marker + text[at + 1 :]


def without_userinfo(value: Any) -> Any:
    """Every string of the facts with URL credentials removed: they leave the module nowhere."""
    if isinstance(value, str):
        return text_without_userinfo(value)
    if isinstance(value, dict):
        return {key: without_userinfo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_userinfo(item) for item in value]
    return value


def scheme_of(url: Any) -> str:
    """The URL's scheme as urllib.parse reads it (lower case: ``HTTPS://`` is https), or ``""``."""
    try:
        return urlsplit(str(url)).scheme
    except ValueError:
        return ""


def token_facts(access: Any) -> dict[str, Any]:
    """The lifetime keystone gave this token (expires_at - issued_at); never the token itself."""
    issued, expires = getattr(access, "issued", None), getattr(access, "expires", None)
    return {
        "issued_at": issued.isoformat() if issued else None,
        "expires_at": expires.isoformat() if expires else None,
        "lifetime_s": int((expires - issued).total_seconds()) if issued and expires else None,
    }


def image_facts(
    session: Any, root: str, project_id: str | None, timeout: int, budget: Budget | None = None
) -> dict[str, Any]:
    """Whether image records show their storage locations (OSSN-0065, OSSN-0090); one GET as the tenant."""
    url = root + "v2/images?limit=100"
    status, _headers, body, error = fetch_json(session, url, timeout, authenticated=True, budget=budget)
    images = body.get("images") if isinstance(body, dict) else None
    if body is not None and not isinstance(images, list):
        error = error or 'not an image list: no list under "images"'
    images = [image for image in images if isinstance(image, dict)] if isinstance(images, list) else []
    return {
        "url": url,
        "http_status": status,
        "error": error,
        "listed": len(images),
        "owned": sum(1 for image in images if image.get("owner") == project_id),
        "with_locations": sum(1 for image in images if image.get("locations")),
        "with_direct_url": sum(1 for image in images if image.get("direct_url")),
    }


def security_compliance(
    session: Any, root: str, access: Any, timeout: int, budget: Budget | None = None
) -> dict[str, Any]:
    """The password rules keystone shows members of their domain (GET .../config/security_compliance)."""
    domain = getattr(access, "project_domain_id", None) or "default"
    url = f"{root}v3/domains/{domain}/config/security_compliance"
    status, _headers, body, error = fetch_json(session, url, timeout, authenticated=True, budget=budget)
    config = body.get("config") if isinstance(body, dict) else None
    if not isinstance(config, dict):
        error = error or ("not a domain configuration" if body is not None else None)
        config = {}
    return {
        "url": url,
        "http_status": status,
        "error": error,
        "password_regex": text_or_none(config.get("password_regex")),
        "password_regex_description": text_or_none(config.get("password_regex_description")),
    }


#: Cipher-suite enumeration and the certificate: ordinary handshakes, as SCS's own checker does.
#: No vulnerability probes (heartbleed, robot, CCS injection) are run.
TLS_SCANS = {
    "SSL 2.0": "ssl_2_0_cipher_suites",
    "SSL 3.0": "ssl_3_0_cipher_suites",
    "TLS 1.0": "tls_1_0_cipher_suites",
    "TLS 1.1": "tls_1_1_cipher_suites",
    "TLS 1.2": "tls_1_2_cipher_suites",
    "TLS 1.3": "tls_1_3_cipher_suites",
}


def tls_scan(url: str, verify: bool | str, timeout: int) -> dict[str, Any]:
    """Protocols and cipher suites offered, and the certificate chain, with sslyze."""
    try:
        import sslyze
        from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
    except ImportError:
        return {"error": "sslyze is not installed", "protocols": {}, "certificate": None}
    from pathlib import Path

    parts = urlsplit(url)
    commands = {sslyze.ScanCommand(value) for value in TLS_SCANS.values()} | {
        sslyze.ScanCommand.CERTIFICATE_INFO
    }
    extra = (
        sslyze.ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(verify))
        )
        if isinstance(verify, str)
        else sslyze.ScanCommandsExtraArguments()
    )
    request = sslyze.ServerScanRequest(
        server_location=sslyze.ServerNetworkLocation(hostname=parts.hostname, port=parts.port or 443),
        network_configuration=sslyze.ServerNetworkConfiguration(
            tls_server_name_indication=parts.hostname, network_timeout=timeout
        ),
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )
    scanner = sslyze.Scanner()
    scanner.queue_scans([request])
    (result,) = list(scanner.get_results())
    if result.scan_result is None:
        return {"error": f"TLS scan failed: {result.scan_status}", "protocols": {}, "certificate": None}
    facts: dict[str, Any] = {"error": None, "protocols": {}, "certificate": None}
    for label, attribute in TLS_SCANS.items():
        attempt = getattr(result.scan_result, attribute)
        facts["protocols"][label] = (
            None
            if attempt.result is None
            else sorted(suite.cipher_suite.name for suite in attempt.result.accepted_cipher_suites)
        )
    certificate = result.scan_result.certificate_info.result
    if certificate is not None and certificate.certificate_deployments:
        deployment = certificate.certificate_deployments[0]
        leaf = deployment.received_certificate_chain[0]
        trusted = any(
            validation.was_validation_successful for validation in deployment.path_validation_results
        )
        facts["certificate"] = {
            "trusted": trusted,
            "not_after": leaf.not_valid_after_utc.isoformat(),
            "key_type": type(leaf.public_key()).__name__.lstrip("_"),
            "key_size": getattr(leaf.public_key(), "key_size", None),
            "signature_hash": leaf.signature_hash_algorithm.name if leaf.signature_hash_algorithm else None,
        }
    return facts


def swift_info(session: Any, root: str, timeout: int, budget: Budget | None = None) -> dict[str, Any]:
    url = root + "info"
    status, _headers, body, error = fetch_json(session, url, timeout, budget=budget)
    version = None
    if isinstance(body, dict) and isinstance(body.get("swift"), dict):
        version = text_or_none(body["swift"].get("version"))
    return {"url": url, "http_status": status, "error": error, "swift_version": version}


def sdk_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("openstacksdk")
    except Exception:
        return None


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
