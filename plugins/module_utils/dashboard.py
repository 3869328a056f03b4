"""What an unauthenticated visitor's browser receives from the dashboard's login page (Horizon, Skyline).

Only GET requests, without credentials: the page and redirects within the same host, at most
``MAX_DASHBOARD_REDIRECTS``; the login form is never posted. Each request is bounded as a whole
and by the collection's deadline, each answer in size. Cookie values never leave: only their
attributes, their shape (signed, JWT, URL, opaque) and the hosts of URLs inside them (OSSN-0073)
are recorded. The page's HTML is read for the login form and dropped.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import (
    DEADLINE_PASSED,
    Budget,
    read_bounded,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_http import mount_deadline
from ansible_collections.scs.patchcheck.plugins.module_utils.collector import collector_version
from ansible_collections.scs.patchcheck.plugins.module_utils.login_form import login_form
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import (
    clip,
    one_line,
    url_hosts,
)

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
#: Redirects followed within the dashboard's host (a login page is usually one or two away).
MAX_DASHBOARD_REDIRECTS = 5
#: Cookies recorded per page: http.client reads at most 100 header lines, so every cookie a
#: page can set is kept (each record is clipped to a few hundred bytes); were more to arrive,
#: their number is recorded as ``cookies_not_recorded`` and the judge ABORTs what they could change.
MAX_COOKIES = 128
#: Django's signing format (payload:timestamp:signature), the shape of signed-cookie sessions (OSSN-0017).
SIGNED_VALUE = re.compile(r"^\.?[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")
#: A JSON Web Token (header.payload.signature, base64url): a session held in the browser.
JWT_VALUE = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


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
