"""The tenant collector against hostile and broken clouds (issue 14), on a real HTTP server.

keystoneauth's own session and access objects (a static token, a catalog built from a token
body) talk to a server on 127.0.0.1 that drips, floods, compresses a bomb, answers odd shapes,
or is named by URLs that do not parse. Every endpoint ends with its own error within its
deadline, the run ends with facts that validate, no token goes over plain http when
authentication was https, and no URL credential survives.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import without_userinfo
from keystoneauth1 import access, session, token_endpoint

from patchcheck.facts.load import schema_error
from tests.helpers import load_module, run_patchcheck

MODULE = load_module(
    Path(__file__).resolve().parents[2] / "plugins/modules/tenant_facts.py",
    "tenant_hostile",
)
CANARY = "CANARY-url-9b3c"
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in about 64 KiB


class Hostile(http.server.BaseHTTPRequestHandler):
    tokens: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        Hostile.tokens.append((self.path, self.headers.get("X-Auth-Token")))
        kind = self.path.strip("/").split("/")[0]
        if kind == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(60):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)
            return
        bodies: dict[str, tuple[bytes, dict[str, str]]] = {
            "huge": (b'{"versions": [' + b" " * (8 * 1024 * 1024) + b"]}", {}),
            "bomb": (BOMB, {"Content-Encoding": "gzip"}),
            "five": (b'{"versions": 5}', {}),
            "image": (b'{"versions": [{"id": "v2.0", "status": "CURRENT"}], "images": "x"}', {}),
            "ok": (b'{"versions": [{"id": "v2.1", "status": "CURRENT", "version": "2.96"}]}', {}),
        }
        body, headers = bodies.get(kind, (b"{}", {}))
        if kind == "image" and "v2/images" in self.path:
            body = b'{"images": "x"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def token_access(catalog: list[dict[str, Any]]) -> Any:
    """A real keystoneauth AccessInfo from a token body, as keystone would answer."""
    body = {
        "token": {
            "methods": ["password"],
            "expires_at": "2099-01-01T00:00:00.000000Z",
            "issued_at": "2026-11-25T00:00:00.000000Z",
            "project": {"id": "p1", "name": "p", "domain": {"id": "default", "name": "Default"}},
            "user": {"id": "u1", "name": "u", "domain": {"id": "default", "name": "Default"}},
            "roles": [{"id": "r1", "name": "member"}],
            "catalog": catalog,
        }
    }
    return access.create(body=body, auth_token="TOKEN-5ec7")


def service(kind: str, url: str, name: str | None = None) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name or kind,
        "endpoints": [{"interface": "public", "region_id": "R", "url": url}],
    }


def collect(
    catalog: list[dict[str, Any]], auth_url: str, timeout: int = 3, deadline: int = 60
) -> dict[str, Any]:
    facts = {
        "schema_version": 1,
        "kind": "tenant",
        "collected_at": "2026-11-25T00:00:00+00:00",
        "collector": {"name": "patchcheck", "version": "test"},
        "cloud": "hostile",
        "auth": {"ok": True, "auth_url": auth_url, "error": None, "roles": ["member"]},
        "catalog": [],
        "endpoints": [],
        "object_store_info": None,
        "errors": [],
    }
    sess = session.Session(auth=token_endpoint.Token("http://127.0.0.1:1", "TOKEN-5ec7"))
    MODULE.read_catalog(
        facts, sess, token_access(catalog), ["public"], timeout, True, False, Budget(deadline)
    )
    return without_userinfo(facts)


def test_hostile_answers_end_as_errors_of_their_endpoint_within_the_deadline(server: str) -> None:
    catalog = [
        service("drip", f"{server}/drip/"),
        service("huge", f"{server}/huge/"),
        service("bomb", f"{server}/bomb/"),
        service("five", f"{server}/five/"),
        service("compute", f"{server}/ok/v2.1"),
        service("broken-port", "http://127.0.0.1:99999/v1"),
        service("broken-ipv6", "http://[::1"),
        service("number", "12345"),
        service("tls", "https://no-such-host.invalid:8443/"),
    ]
    start = time.monotonic()
    facts = collect(catalog, "http://127.0.0.1:1/v3")
    assert time.monotonic() - start < 30  # the drip alone would take 30 s; the request deadline is 3 s
    by_type = {endpoint["service_types"][0]: endpoint for endpoint in facts["endpoints"]}
    assert "deadline" in by_type["drip"]["error"]
    assert "larger than" in by_type["huge"]["error"]
    assert "larger than" in by_type["bomb"]["error"]
    assert (
        by_type["five"]["versions"] == []
        and by_type["five"]["error"] == "HTTP 200 without a version document"
    )
    assert by_type["compute"]["error"] is None and by_type["compute"]["versions"][0]["version"] == "2.96"
    assert by_type["tls"]["error"] and by_type["tls"]["tls"]["error"]
    assert "99999" in by_type["broken-port"]["error"]  # the request refused the URL: that endpoint's error
    assert any("[::1" in error for error in facts["errors"])  # not even a URL: a catalog error
    assert schema_error("tenant", 1, facts) is None  # the run still ends with valid facts


def test_the_whole_collection_has_a_deadline(server: str) -> None:
    catalog = [service(f"drip{n}", f"{server}/drip/{n}/") for n in range(6)]
    start = time.monotonic()
    facts = collect(catalog, "http://127.0.0.1:1/v3", timeout=3, deadline=4)
    assert time.monotonic() - start < 12
    errors = [endpoint["error"] for endpoint in facts["endpoints"]]
    assert any("the collection's deadline has passed" in error for error in errors)


def test_odd_shapes_of_image_lists_are_recorded(server: str) -> None:
    facts = collect([service("image", f"{server}/image/")], "http://127.0.0.1:1/v3")
    assert facts["images"]["error"] == 'not an image list: no list under "images"'
    assert facts["images"]["listed"] == 0
    assert schema_error("tenant", 1, facts) is None


def test_no_token_over_plain_http_when_authentication_was_https(server: str) -> None:
    Hostile.tokens.clear()
    facts = collect([service("image", f"{server}/image/")], "https://keystone.example.net/v3")
    assert facts["images"]["error"].startswith("not read: the token would travel over plain http")
    assert [path for path, token in Hostile.tokens if token] == []


def test_url_credentials_never_reach_the_facts(server: str) -> None:
    host = server.split("://", 1)[1]
    catalog = [
        service("compute", f"http://admin:{CANARY}@{host}/ok/v2.1"),
        service("volume", f"http://u:pa/{CANARY}@{host}/ok/"),
    ]
    facts = collect(catalog, f"https://user:{CANARY}@keystone.example.net/v3")
    assert CANARY not in json.dumps(facts)


def test_url_credentials_in_clouds_yaml_stay_out_when_keystone_is_down(tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  c:\n    auth:\n"
        f"      auth_url: http://user:{CANARY}@127.0.0.1:9/v3\n"
        "      username: u\n      password: p\n      project_name: p\n"
    )
    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    try:
        facts = MODULE.gather("c", ["public"], timeout=2, scan_tls=False)
    finally:
        if previous is None:
            del os.environ["OS_CLIENT_CONFIG_FILE"]
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = previous
    assert not facts["auth"]["ok"]
    assert CANARY not in json.dumps(facts)


@pytest.mark.parametrize("auth_url", ["HTTPS://keystone.example.net/v3", "Https://keystone.example.net/v3"])
def test_no_token_over_plain_http_whatever_the_case_of_the_scheme(server: str, auth_url: str) -> None:
    """Issue 26 point 16: ``HTTPS://`` is https; the rule once compared the text with "https://"."""
    Hostile.tokens.clear()
    facts = collect([service("image", f"{server}/image/"), service("identity", f"{server}/ok/v3")], auth_url)
    assert facts["images"]["error"].startswith("not read: the token would travel over plain http")
    assert facts["security_compliance"]["error"].startswith("not read: the token would travel")
    assert [path for path, token in Hostile.tokens if token] == []


#: Passwords a pattern stopping at quotes and spaces let through (issue 26 point 17).
HOSTILE_PASSWORDS = [
    f"pa ss{CANARY}",
    f"it's{CANARY}",
    f'say"{CANARY}"',
    f"sp ace'{CANARY}/x",
    f"{CANARY}://x",  # an unencoded :// once left what came before it
    f"p@{CANARY}://w@rd",
]


def test_url_credentials_with_quotes_and_spaces_reach_no_output(server: str, tmp_path: Path) -> None:
    """Facts, verdicts, report, JUnit, summaries and both commands' output: the canary is nowhere."""
    host = server.split("://", 1)[1]
    catalog = [
        service(f"svc{n}", f"http://admin:{password}@{host}/ok/v2.1")
        for n, password in enumerate(HOSTILE_PASSWORDS)
    ]
    facts = collect(catalog, f"https://user:{HOSTILE_PASSWORDS[4]}@keystone.example.net/v3")
    assert schema_error("tenant", 1, facts) is None
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    out = tmp_path / "out"
    judged = run_patchcheck("judge", "--facts", tmp_path / "facts.json", "--verdicts", out / "verdicts.json")
    assert judged.returncode in (1, 3), judged.stderr  # judged, not crashed
    reported = run_patchcheck(
        "report", "--verdicts", out / "verdicts.json", "--subject", "s", "--out-dir", out
    )
    assert reported.returncode in (1, 3), reported.stderr
    assert {"facts.json", "verdicts.json", "report.yaml", "junit.xml"} <= {
        p.name for p in [*tmp_path.iterdir(), *out.iterdir()]
    }
    for path in [*tmp_path.iterdir(), *out.iterdir()]:
        if path.is_file():
            assert CANARY not in path.read_text(errors="replace"), path.name
    for text in (judged.stdout, judged.stderr, reported.stdout, reported.stderr):
        assert CANARY not in text
