"""The dashboard's login page: the collector on a real HTTP server, the judge on what it recorded.

The server plays a dashboard in its shapes (default, hardened, compressed, framed, leaking,
hostile); the collector's facts must validate, never hold a cookie's value, and the judge must
turn each shape into the expected finding, with ABORT (never PASS) where nothing was seen.
"""

from __future__ import annotations

import copy
import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import dashboard as dashboard_collector
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget

from patchcheck.facts import load_facts
from patchcheck.facts.load import schema_error
from patchcheck.judge import dashboard
from patchcheck.judge.tenant_visible import judge_https_endpoints, judge_ossn_visible
from patchcheck.judge.verdict import Finding, Result
from tests.helpers import hibiscus_document, write

SECRET_VALUE = "CANARYsessionvalue7f3e"
SIGNED = ".eJxVjEEOgjAQRe8ya0JKpS11p3tPYIxpYGKbQEs6JcYY7:1tQ3Ye:Zz1kA9vXbPq0YHcU"
FORM = (
    '<form method="post" action="/auth/login/"><input type="text" name="username">'
    '<input type="password" name="password">{region}</form>'
)


class Dashboard(http.server.BaseHTTPRequestHandler):
    """A dashboard whose answer the test chooses (``Dashboard.shape``); it records every method."""

    shape: ClassVar[dict[str, Any]] = {}
    methods: ClassVar[list[str]] = []

    def version_string(self) -> str:
        """The Server header: the shape's, not http.server's own (which names Python's version)."""
        return Dashboard.shape.get("headers", {}).get("Server", "dashboard")

    def do_GET(self) -> None:
        Dashboard.methods.append("GET")
        shape = Dashboard.shape
        if self.path == "/" and shape.get("redirect", True):
            self.send_response(302)
            self.send_header("Location", shape.get("location", "/auth/login/?next=/"))
            self.end_headers()
            return
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        body = shape.get("body") or FORM.format(region=shape.get("region", "")).encode()
        if shape.get("gzip"):
            body = gzip.compress(body)
        self.send_response(shape.get("status", 200))
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in shape.get("headers", {}).items():
            if name != "Server":
                self.send_header(name, value)
        if shape.get("gzip"):
            self.send_header("Content-Encoding", "gzip")
        for cookie in shape.get("cookies", []):
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        Dashboard.methods.append("POST")
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dashboard)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


DEFAULT_HORIZON = {
    "headers": {"Server": "gunicorn", "X-Frame-Options": "DENY"},
    "cookies": [
        'login_redirect="/"; Max-Age=3600; Path=/',
        f"csrftoken={SECRET_VALUE}; Path=/; SameSite=Lax",
    ],
}
HARDENED = {
    "headers": {"Server": "Apache", "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'"},
    "cookies": [
        f"csrftoken={SECRET_VALUE}; Path=/; SameSite=Strict; Secure",
        f"sessionid={SECRET_VALUE}; HttpOnly; Path=/; SameSite=Lax; Secure",
    ],
}


def collect(url: str, shape: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], list[Finding]]:
    """The collector's dashboard record for ``shape``, and the judge's findings on it."""
    Dashboard.shape = shape
    record = dashboard_collector.dashboard_facts(url, "variable", 5, True, Budget(30))
    document = copy.deepcopy(hibiscus_document())
    document["dashboard"] = record
    assert schema_error("tenant", 1, document) is None
    assert SECRET_VALUE not in json.dumps(record), "a cookie value reached the facts"
    facts = load_facts(write(document, tmp_path / "facts.json"))
    return record, dashboard.judge_dashboard_ossn(facts) + dashboard.judge_dashboard_https(facts)


def by_aspect(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.subject.split(" dashboard ", 1)[1]: finding for finding in findings}


def test_a_default_horizon_fails_on_cookies_and_plain_http(server: str, tmp_path: Path) -> None:
    record, findings = collect(server, DEFAULT_HORIZON, tmp_path)
    assert [page["http_status"] for page in record["pages"]] == [302, 200]
    assert record["final_url"] == f"{server}/auth/login/"  # the query (?next=/) is never kept
    assert record["login_form"]["found"] and record["login_form"]["method"] == "POST"
    aspects = by_aspect(findings)
    cookies = aspects["cookies"]
    assert cookies.result is Result.FAIL
    assert "Set-Cookie csrftoken without Secure (OSSN-0036, CSRF_COOKIE_SECURE)" in cookies.message
    assert "not visible to an unauthenticated reader" in cookies.message  # no session cookie before login
    assert "session engine" not in aspects
    assert aspects["framing"].result is Result.PASS and "X-Frame-Options: DENY" in aspects["framing"].message
    assert aspects["banner"].result is Result.PASS
    assert aspects["compression"].result is Result.PASS
    assert aspects["internal addresses"].result is Result.PASS
    assert aspects["https"].result is Result.FAIL and "plain http" in aspects["https"].message
    assert set(Dashboard.methods) == {"GET"}


def test_a_hardened_dashboard_passes_each_note(server: str, tmp_path: Path) -> None:
    _record, findings = collect(server, HARDENED, tmp_path)
    aspects = by_aspect(findings)
    for aspect in ("cookies", "session engine", "framing", "banner", "compression", "internal addresses"):
        assert aspects[aspect].result is Result.PASS, aspects[aspect].message
    assert "frame-ancestors 'self'" in aspects["framing"].message


@pytest.mark.parametrize(
    ("shape", "aspect", "words"),
    [
        ({"cookies": [f"sessionid={SIGNED}; HttpOnly; Secure; SameSite=Lax"]}, "session engine", "OSSN-0017"),
        ({"cookies": [f"sessionid={SECRET_VALUE}; Secure; SameSite=Lax"]}, "cookies", "without HttpOnly"),
        ({"cookies": [f"csrftoken={SECRET_VALUE}; Secure; SameSite=None"]}, "cookies", "SameSite=None"),
        ({"headers": {"X-Frame-Options": "ALLOW-FROM https://evil.example"}}, "framing", "ALLOW-FROM"),
        ({"headers": {"Content-Security-Policy": "frame-ancestors *"}}, "framing", "frame-ancestors *"),
        ({"headers": {"Server": "Apache/2.4.62 (Debian)"}}, "banner", "Apache/2.4.62"),
        ({"gzip": True}, "compression", "Content-Encoding: gzip (OSSN-0037"),
        (
            {"region": '<select name="region"><option value="http://10.0.0.5:5000/v3">One</option></select>'},
            "internal addresses",
            "region names 10.0.0.5",
        ),
        (
            {"cookies": ["login_region=http%3A%2F%2Fkeystone.internal%3A5000%2Fv3; Secure; SameSite=Lax"]},
            "internal addresses",
            "cookie login_region names keystone.internal",
        ),
    ],
)
def test_each_setting_a_note_names_fails_with_its_header(
    server: str, tmp_path: Path, shape: dict[str, Any], aspect: str, words: str
) -> None:
    _record, findings = collect(server, {**HARDENED, **shape}, tmp_path)
    finding = by_aspect(findings)[aspect]
    assert finding.result is Result.FAIL
    assert words in finding.message


def test_the_dashboards_own_address_in_a_region_is_no_leak(server: str, tmp_path: Path) -> None:
    region = '<select name="region"><option value="http://127.0.0.1:5000/v3">One</option></select>'
    _record, findings = collect(server, {**HARDENED, "region": region}, tmp_path)
    assert by_aspect(findings)["internal addresses"].result is Result.PASS


@pytest.mark.parametrize(
    ("shape", "error"),
    [
        ({"location": "http://203.0.113.9/login"}, "redirects to another host"),
        ({"location": "/loop"}, "more than 5 redirects"),
        ({"status": 503, "redirect": False}, "HTTP 503"),
        ({"body": b"x" * (5 * 1024 * 1024), "redirect": False}, "larger than"),
    ],
)
def test_a_dashboard_that_cannot_be_read_aborts_every_check(
    server: str, tmp_path: Path, shape: dict[str, Any], error: str
) -> None:
    record, findings = collect(server, shape, tmp_path)
    assert error in record["pages"][-1]["error"]
    assert findings and all(finding.result is Result.ABORT for finding in findings)
    assert {finding.subject.split(" dashboard ")[1] for finding in findings} == {
        *dashboard.OSSN_ASPECTS,
        "https",
    }


def test_unreachable_unnamed_and_malformed_urls_abort(tmp_path: Path) -> None:
    for url, error in (
        ("http://127.0.0.1:9/", "ConnectionError"),
        (None, "no dashboard URL given"),
        ("ftp://dashboard.example/", "not an http(s) URL"),
        ("http://[::1", "not a URL"),
    ):
        record = dashboard_collector.dashboard_facts(url, "variable", 3, True, Budget(10))
        assert error in (record["error"] or record["pages"][-1]["error"]), record
        document = copy.deepcopy(hibiscus_document())
        document["dashboard"] = record
        assert schema_error("tenant", 1, document) is None
        facts = load_facts(write(document, tmp_path / "facts.json"))
        findings = dashboard.judge_dashboard_ossn(facts) + dashboard.judge_dashboard_https(facts)
        assert all(finding.result is Result.ABORT for finding in findings)


def test_facts_without_a_dashboard_abort_and_a_declared_absence_says_so(tmp_path: Path) -> None:
    document = copy.deepcopy(hibiscus_document())
    facts = load_facts(write(document, tmp_path / "old.json"))
    findings = [f for f in judge_ossn_visible(facts) if " dashboard " in f.subject]
    assert findings and all(f.result is Result.ABORT for f in findings)
    document["dashboard"] = dashboard_collector.dashboard_facts("none", "clouds.yaml", 3, True, Budget(10))
    facts = load_facts(write(document, tmp_path / "declared.json"))
    (declared,) = [f for f in judge_https_endpoints(facts) if " dashboard " in f.subject]
    assert declared.result is Result.PASS and "declares that it serves no dashboard" in declared.message


def test_set_cookie_headers_of_any_shape_keep_no_value() -> None:
    for header in (
        "no-equals-sign",
        "=value-without-name",
        f"a={SECRET_VALUE}; Max-Age=soon; SameSite",
        f'b="{SECRET_VALUE}"; ;;; Secure=yes; HTTPONLY',
        "c=" + "x" * 100_000,
    ):
        cookie = dashboard_collector.cookie_facts(header)
        assert SECRET_VALUE not in json.dumps(cookie)
        assert len(json.dumps(cookie)) < 1_000
    assert dashboard_collector.cookie_facts(f'b="{SECRET_VALUE}"; Secure=yes; HTTPONLY')["httponly"] is True
