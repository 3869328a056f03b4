"""The dashboard's login page as every visitor receives it, judged (Horizon, Skyline).

The security notes about the dashboard are all visible without logging in: cookies
without ``Secure`` (OSSN-0036), signed-cookie sessions (OSSN-0017), no HSTS
(OSSN-0035), compressed TLS pages (OSSN-0037, BREACH), internal addresses handed to
the browser (OSSN-0073); beside them framing by a foreign page and a version banner.

What an unauthenticated visitor cannot see is said, not guessed: Horizon creates its
session (and the session cookie) only at login, so without a session cookie before
login the session engine and the session cookie's flags stay unjudged and the
sentence says so. A dashboard that was not named, did not answer or redirected
elsewhere gives ABORT for every check, never PASS.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from patchcheck.facts import TenantFacts
from patchcheck.judge.addresses import HostKind, classify_host, url_host
from patchcheck.judge.verdict import Finding, Result
from patchcheck.urls import scheme_of

OSSN_TESTCASE = "scs-0124-ossn-tenant-visible"
HTTPS_TESTCASE = "scs-0125-https-endpoints"
VERSION_IN_BANNER = re.compile(r"\d+\.\d+")
CSRF_COOKIE = re.compile(r"csrf|xsrf", re.IGNORECASE)
SESSION_COOKIE = re.compile(r"sess", re.IGNORECASE)
#: The aspects judged under scs-0124-ossn-tenant-visible, each one finding per cloud.
OSSN_ASPECTS = ("cookies", "framing", "banner", "compression", "internal addresses")
INTERNAL_SUFFIXES = (".local", ".internal", ".lan", ".localdomain", ".cluster.local")


def dashboard_record(facts: TenantFacts) -> dict[str, Any] | None:
    return facts.raw.get("dashboard")


def unusable(facts: TenantFacts) -> str | None:
    """Why the dashboard's login page cannot be judged, or None when it can."""
    dashboard = dashboard_record(facts)
    if dashboard is None:
        return "no dashboard facts (collected by an older collector, or clouds.yaml was unusable)"
    if dashboard["declared_absent"]:
        return None
    if dashboard["error"]:
        return f"dashboard {dashboard['url'] or ''}: {dashboard['error']}".replace(" :", ":")
    if not dashboard["pages"]:
        return f"dashboard {dashboard['url']}: not read"
    last = dashboard["pages"][-1]
    if last["error"]:
        return f"dashboard {last['url']}: {last['error']}"
    return None


def declared_absent(facts: TenantFacts) -> bool:
    dashboard = dashboard_record(facts)
    return bool(dashboard and dashboard["declared_absent"])


def judge_dashboard_ossn(facts: TenantFacts) -> list[Finding]:
    if declared_absent(facts):
        return [declared(facts, OSSN_TESTCASE)]
    problem = unusable(facts)
    if problem:
        return [
            Finding(OSSN_TESTCASE, subject(facts, aspect), Result.ABORT, f"{problem}; {aspect} unknown")
            for aspect in OSSN_ASPECTS
        ]
    dashboard = dashboard_record(facts)
    assert dashboard is not None
    findings = [
        cookie_flags(facts, dashboard),
        *session_engine(facts, dashboard),
        framing(facts, dashboard),
        banner(facts, dashboard),
        compression(facts, dashboard),
        internal_addresses(facts, dashboard),
    ]
    return [unrecorded_cookies_abort(facts, dashboard, finding) for finding in findings]


#: Aspects a cookie the collector did not record could change (a Secure-less CSRF cookie, a
#: signed session, an internal address in a value): PASS or "no cookie" there is ABORT.
COOKIE_ASPECTS = ("cookies", "session engine", "internal addresses")


def unrecorded_cookies_abort(facts: TenantFacts, dashboard: dict[str, Any], finding: Finding) -> Finding:
    """The finding, or ABORT when cookies were set that the collector did not record and could change it.

    A FAIL stands (what was recorded already fails); a PASS or an ABORT gets the sentence.
    """
    missing = sum(int(page.get("cookies_not_recorded") or 0) for page in dashboard["pages"])
    aspects = {subject(facts, aspect) for aspect in COOKIE_ASPECTS}
    if not missing or finding.subject not in aspects or finding.result is Result.FAIL:
        return finding
    return Finding(
        finding.testcase,
        finding.subject,
        Result.ABORT,
        f"dashboard {dashboard['final_url']} set {missing} more cookie(s) than the collector records; "
        f"what they carry is unknown, so this is not judged (recorded: {finding.message})",
        finding.evidence,
    )


def subject(facts: TenantFacts, aspect: str) -> str:
    return f"{facts.cloud} dashboard {aspect}"


def declared(facts: TenantFacts, testcase: str) -> Finding:
    return Finding(
        testcase,
        subject(facts, "declared absent"),
        Result.PASS,
        f"cloud {facts.cloud}: the run declares that it serves no dashboard (patchcheck_dashboard_url: none)",
    )


def all_cookies(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every cookie the visitor was given, deletions (empty values) left out."""
    return [
        cookie
        for page in dashboard["pages"]
        for cookie in page["cookies"]
        if cookie["value_shape"] != "empty" and (cookie.get("max_age_s") is None or cookie["max_age_s"] > 0)
    ]


def is_session_cookie(cookie: dict[str, Any]) -> bool:
    return bool(SESSION_COOKIE.search(cookie["name"])) or cookie["value_shape"] in ("signed", "jwt")


def is_csrf_cookie(cookie: dict[str, Any]) -> bool:
    return bool(CSRF_COOKIE.search(cookie["name"]))


def cookie_flags(facts: TenantFacts, dashboard: dict[str, Any]) -> Finding:
    """OSSN-0036 (Secure), with HttpOnly on the session cookie and SameSite on both."""
    cookies = all_cookies(dashboard)
    sessions = [cookie for cookie in cookies if is_session_cookie(cookie)]
    guarded = [cookie for cookie in cookies if is_session_cookie(cookie) or is_csrf_cookie(cookie)]
    where = dashboard["final_url"]
    unseen = (
        ""
        if sessions
        else "; the session cookie is set only at login, so its flags and the session engine "
        "(OSSN-0017) are not visible to an unauthenticated reader and not judged here"
    )
    if not guarded:
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "cookies"),
            Result.ABORT,
            f"dashboard {where} sets no session or CSRF cookie before login: whether they carry "
            f"Secure, HttpOnly and SameSite is unknown{unseen}",
            {"cookies": cookies},
        )
    problems = []
    for cookie in guarded:
        setting = "SESSION_COOKIE" if is_session_cookie(cookie) else "CSRF_COOKIE"
        if not cookie["secure"]:
            problems.append(f"Set-Cookie {cookie['name']} without Secure (OSSN-0036, {setting}_SECURE)")
        if is_session_cookie(cookie) and not cookie["httponly"]:
            problems.append(f"Set-Cookie {cookie['name']} without HttpOnly ({setting}_HTTPONLY)")
        if (cookie["samesite"] or "").lower() not in ("lax", "strict"):
            shown = f"SameSite={cookie['samesite']}" if cookie["samesite"] else "no SameSite"
            problems.append(f"Set-Cookie {cookie['name']} with {shown} ({setting}_SAMESITE)")
    names = ", ".join(sorted({cookie["name"] for cookie in guarded}))
    if problems:
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "cookies"),
            Result.FAIL,
            f"dashboard {where}: {'; '.join(problems)}; expected Secure, SameSite=Lax or Strict and HttpOnly "
            f"on the session cookie{unseen}",
            {"cookies": guarded},
        )
    return Finding(
        OSSN_TESTCASE,
        subject(facts, "cookies"),
        Result.PASS,
        f"dashboard {where}: Set-Cookie {names} carry Secure and SameSite (OSSN-0036){unseen}",
        {"cookies": guarded},
    )


def session_engine(facts: TenantFacts, dashboard: dict[str, Any]) -> list[Finding]:
    """OSSN-0017: a session kept in a signed cookie outlives logout; judged only when the cookie is seen."""
    sessions = [cookie for cookie in all_cookies(dashboard) if is_session_cookie(cookie)]
    if not sessions:
        return []
    client_side = [cookie for cookie in sessions if cookie["value_shape"] in ("signed", "jwt")]
    if client_side:
        names = ", ".join(cookie["name"] for cookie in client_side)
        return [
            Finding(
                OSSN_TESTCASE,
                subject(facts, "session engine"),
                Result.FAIL,
                f"dashboard {dashboard['final_url']}: Set-Cookie {names} holds the session itself (a signed "
                "value; OSSN-0017: SESSION_ENGINE signed_cookies survives logout); expected a server-side "
                "session (cache or database)",
                {"cookies": client_side},
            )
        ]
    names = ", ".join(cookie["name"] for cookie in sessions)
    return [
        Finding(
            OSSN_TESTCASE,
            subject(facts, "session engine"),
            Result.PASS,
            f"dashboard {dashboard['final_url']}: Set-Cookie {names} holds an opaque session key, not the "
            "session (OSSN-0017)",
        )
    ]


def final_headers(dashboard: dict[str, Any]) -> dict[str, str]:
    return dashboard["pages"][-1]["headers"]


def framing(facts: TenantFacts, dashboard: dict[str, Any]) -> Finding:
    headers = final_headers(dashboard)
    frame_options = headers.get("X-Frame-Options", "")
    policy = headers.get("Content-Security-Policy", "")
    ancestors = next(
        (part.strip() for part in policy.split(";") if part.strip().lower().startswith("frame-ancestors")), ""
    )
    where = dashboard["final_url"]
    if frame_options.strip().upper() in ("DENY", "SAMEORIGIN"):
        evidence = f"X-Frame-Options: {frame_options.strip()}"
    elif ancestors and "*" not in ancestors:
        evidence = f"Content-Security-Policy {ancestors}"
    else:
        shown = f"X-Frame-Options: {frame_options}" if frame_options else "no X-Frame-Options"
        shown += f", Content-Security-Policy {ancestors}" if ancestors else ", no CSP frame-ancestors"
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "framing"),
            Result.FAIL,
            f"dashboard {where} may be framed by a foreign page ({shown}); expected X-Frame-Options DENY "
            "or SAMEORIGIN, or CSP frame-ancestors (X_FRAME_OPTIONS, DISALLOW_IFRAME_EMBED)",
        )
    return Finding(OSSN_TESTCASE, subject(facts, "framing"), Result.PASS, f"dashboard {where}: {evidence}")


def banner(facts: TenantFacts, dashboard: dict[str, Any]) -> Finding:
    shown = {}
    for page in dashboard["pages"]:
        for name in ("Server", "X-Powered-By"):
            if name in page["headers"]:
                shown.setdefault(name, page["headers"][name])
    leaking = {name: value for name, value in shown.items() if VERSION_IN_BANNER.search(value)}
    where = dashboard["final_url"]
    if leaking:
        listed = ", ".join(f"{name}: {value}" for name, value in leaking.items())
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "banner"),
            Result.FAIL,
            f"dashboard {where} reveals software versions ({listed}); expected no version",
        )
    listed = ", ".join(f"{name}: {value}" for name, value in shown.items()) or "no banner"
    return Finding(
        OSSN_TESTCASE, subject(facts, "banner"), Result.PASS, f"dashboard {where}: no version in ({listed})"
    )


def compression(facts: TenantFacts, dashboard: dict[str, Any]) -> Finding:
    """OSSN-0037: a compressed page holding the CSRF token lets BREACH recover it over TLS."""
    encoding = final_headers(dashboard).get("Content-Encoding", "").strip()
    where = dashboard["final_url"]
    if encoding and encoding.lower() != "identity":
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "compression"),
            Result.FAIL,
            f"dashboard {where} is served with Content-Encoding: {encoding} (OSSN-0037, BREACH/CRIME); "
            "expected no HTTP compression of its pages",
        )
    return Finding(
        OSSN_TESTCASE,
        subject(facts, "compression"),
        Result.PASS,
        f"dashboard {where} is served uncompressed to a client accepting gzip (OSSN-0037)",
    )


def internal_addresses(facts: TenantFacts, dashboard: dict[str, Any]) -> Finding:
    """OSSN-0073: addresses of internal endpoints handed to the browser in cookies or the login form."""
    own, _kind = url_host(dashboard["final_url"] or "")
    found: list[str] = []
    for cookie in all_cookies(dashboard):
        found += [
            f"cookie {cookie['name']} names {host}" for host in cookie["value_hosts"] if internal(host, own)
        ]
    form = dashboard.get("login_form") or {}
    found += [
        f"the login form's region names {host}"
        for host in form.get("region_hosts", [])
        if internal(host, own)
    ]
    where = dashboard["final_url"]
    if not found and form.get("error"):
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "internal addresses"),
            Result.ABORT,
            f"dashboard {where}: login form {form['error']}; whether its regions name internal "
            "addresses is unknown (OSSN-0073)",
        )
    if found:
        return Finding(
            OSSN_TESTCASE,
            subject(facts, "internal addresses"),
            Result.FAIL,
            f"dashboard {where} hands internal addresses to every visitor ({'; '.join(found)}; OSSN-0073); "
            "expected public endpoints only (OPENSTACK_KEYSTONE_URL, AVAILABLE_REGIONS)",
        )
    return Finding(
        OSSN_TESTCASE,
        subject(facts, "internal addresses"),
        Result.PASS,
        f"dashboard {where}: no internal address in its cookies or login form (OSSN-0073)",
    )


def internal(host: str, own: str | None) -> bool:
    """A private, loopback or link-local address, or an internal name, other than the dashboard's own."""
    if host == own:
        return False
    kind = classify_host(host).kind
    if kind is not HostKind.PUBLIC:  # 127.1, localhost, a host that is no host: none is public
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.lower().endswith(INTERNAL_SUFFIXES)
    return False


def judge_dashboard_https(facts: TenantFacts) -> list[Finding]:
    """scs-0125: the login page and the form's target over https, on a public address."""
    if declared_absent(facts):
        return [declared(facts, HTTPS_TESTCASE)]
    problem = unusable(facts)
    if problem:
        return [Finding(HTTPS_TESTCASE, subject(facts, "https"), Result.ABORT, f"{problem}; https unknown")]
    dashboard = dashboard_record(facts)
    assert dashboard is not None
    where = dashboard["final_url"]
    _name, host = url_host(where or "")
    if host.kind is HostKind.INVALID:
        return [
            Finding(
                HTTPS_TESTCASE,
                subject(facts, "https"),
                Result.ABORT,
                f"dashboard {where}: {host.reason}; whether it uses https on a public address is unknown",
            )
        ]
    form = dashboard.get("login_form") or {}
    if form.get("error"):  # where the password goes is unknown: never PASS
        return [
            Finding(
                HTTPS_TESTCASE,
                subject(facts, "https"),
                Result.ABORT if scheme_of(where) == "https" else Result.FAIL,
                f"dashboard {where}: login form {form['error']}; where it sends the password is unknown"
                + ("" if scheme_of(where) == "https" else "; login page served over plain http"),
            )
        ]
    problems = []
    if scheme_of(where) != "https":
        problems.append("login page served over plain http")
    if form.get("found") and str(form.get("action_scheme") or "").lower() != "https":
        problems.append(f"login form posts to {form.get('action')}")
    if host.kind is HostKind.INTERNAL:
        problems.append(host.reason)
    if problems:
        return [
            Finding(
                HTTPS_TESTCASE,
                subject(facts, "https"),
                Result.FAIL,
                f"dashboard {where}: {', '.join(problems)}; expected https on a public address",
            )
        ]
    return [Finding(HTTPS_TESTCASE, subject(facts, "https"), Result.PASS, f"dashboard {where} uses https")]


def dashboard_tls(facts: TenantFacts) -> tuple[str, dict[str, Any], str | None] | None:
    """(host:port, TLS facts, the login page's HSTS header) when the login page is served over https."""
    dashboard = dashboard_record(facts)
    if dashboard is None or unusable(facts) or dashboard["declared_absent"]:
        return None
    if scheme_of(dashboard["final_url"]) != "https":
        return None
    return (
        dashboard.get("tls_host") or urlsplit(dashboard["final_url"]).netloc,
        dashboard.get("tls") or {"error": "not scanned"},
        final_headers(dashboard).get("Strict-Transport-Security"),
    )
