"""The dashboard checks against a real Horizon (27.0.0 from PyPI) in the test cloud, over http and TLS.

The test cloud's Horizon runs with Horizon's defaults; each test flips one Django setting a
security note names (``testbed.py reconfigure horizon_...``) and shows the verdict follow it.
Over TLS a second Horizon, hardened, runs under gunicorn's own TLS (as the test cloud's https
placement does) and the real nightly playbook judges both. Horizon's access logs show the
check sent GETs only.

What Horizon 27 shows an unauthenticated visitor decides what can be judged: it creates the
session (and its cookie) only at login, so SESSION_ENGINE, SESSION_COOKIE_SECURE and
SESSION_COOKIE_HTTPONLY change nothing a visitor receives; a test proves that, and the
verdict says it does not judge them rather than guessing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget
from ansible_collections.scs.patchcheck.plugins.module_utils.dashboard import dashboard_facts
from ansible_collections.scs.patchcheck.plugins.module_utils.tls_handshake import tls_facts
from ansible_collections.scs.patchcheck.plugins.module_utils.tls_scan import tls_scan

from patchcheck.facts import load_facts
from patchcheck.judge import dashboard
from patchcheck.judge.tenant_visible import judge_tls_profile
from patchcheck.judge.verdict import Finding, Result
from tests.helpers import load_module
from tests.integration.conftest import TestCloud, run_tenant_playbook, today
from tests.integration.tls_gunicorn import gunicorn_over_tls

REPO = Path(__file__).resolve().parents[2]
HORIZON = "http://127.0.0.1:30080/"
TLS_PORT = 30443
#: Horizon's settings as the test cloud starts it (testbed.py's own table, restored after each test).
DEFAULTS = load_module(REPO / "testbed" / "testbed.py", "testbed_for_dashboard").HORIZON_DEFAULTS
HARDENED = {
    "session_cookie_secure": "true",
    "csrf_cookie_secure": "true",
    "hsts_seconds": "63072000",
}


def reconfigure(cloud: TestCloud, **settings: str) -> None:
    done = cloud.testbed("reconfigure", *(f"horizon_{key}={value}" for key, value in settings.items()))
    assert done.returncode == 0, done.stderr


@pytest.fixture
def horizon(test_cloud: TestCloud) -> Iterator[TestCloud]:
    """The test cloud's Horizon, back to Horizon's defaults afterwards."""
    yield test_cloud
    reconfigure(test_cloud, **{key.removeprefix("horizon_"): value for key, value in DEFAULTS.items()})


def judged(url: str, tmp_path: Path, cacert: str | bool = True) -> tuple[dict[str, Any], dict[str, Finding]]:
    """The collector's record of ``url`` (the module's own code, real HTTP) and the judge's findings."""
    record = dashboard_facts(url, "variable", 15, cacert, Budget(60))
    if record.get("tls_host"):
        record["tls"] = tls_facts(f"https://{record['tls_host']}/", cacert, 15)
        record["tls"]["scan"] = tls_scan(f"https://{record['tls_host']}/", cacert, 15)
    document = json.loads((REPO / "tests/fixtures/tenant-hibiscus.json").read_text())
    document["dashboard"] = record
    path = tmp_path / f"facts-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(document))
    facts = load_facts(path)
    findings = (
        dashboard.judge_dashboard_ossn(facts)
        + dashboard.judge_dashboard_https(facts)
        + [f for f in judge_tls_profile(facts, dt.datetime.now(dt.UTC)) if " dashboard " in f.subject]
    )
    return record, {finding.subject.split(" dashboard ", 1)[1]: finding for finding in findings}


def cookies_seen(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [cookie for page in record["pages"] for cookie in page["cookies"]]


def test_default_horizon_fails_on_its_csrf_cookie_and_plain_http(horizon: TestCloud, tmp_path: Path) -> None:
    record, findings = judged(HORIZON, tmp_path)
    assert [page["http_status"] for page in record["pages"]] == [302, 200]
    assert record["login_form"]["found"] and record["login_form"]["method"] == "POST"
    assert findings["cookies"].result is Result.FAIL
    assert (
        "Set-Cookie csrftoken without Secure (OSSN-0036, CSRF_COOKIE_SECURE)" in findings["cookies"].message
    )
    assert (
        findings["framing"].result is Result.PASS and "X-Frame-Options: DENY" in findings["framing"].message
    )
    for aspect in ("banner", "compression", "internal addresses"):
        assert findings[aspect].result is Result.PASS, findings[aspect].message
    assert findings["https"].result is Result.FAIL and "plain http" in findings["https"].message


@pytest.mark.parametrize(
    ("settings", "aspect", "before", "after", "words"),
    [
        (
            {"csrf_cookie_secure": "true"},
            "cookies",
            Result.FAIL,
            Result.PASS,
            "Set-Cookie csrftoken carry Secure",
        ),
        ({"x_frame_options": "off"}, "framing", Result.PASS, Result.FAIL, "no X-Frame-Options"),
        (
            {"compression": "true"},
            "compression",
            Result.PASS,
            Result.FAIL,
            "Content-Encoding: gzip (OSSN-0037",
        ),
    ],
    ids=["CSRF_COOKIE_SECURE", "X_FRAME_OPTIONS", "GZipMiddleware"],
)
def test_each_setting_a_note_names_flips_its_verdict(
    horizon: TestCloud,
    tmp_path: Path,
    settings: dict[str, str],
    aspect: str,
    before: Result,
    after: Result,
    words: str,
) -> None:
    _record, findings = judged(HORIZON, tmp_path)
    assert findings[aspect].result is before, findings[aspect].message
    reconfigure(horizon, **settings)
    _record, findings = judged(HORIZON, tmp_path)
    assert findings[aspect].result is after, findings[aspect].message
    assert words in findings[aspect].message


def test_regions_reach_the_login_form_by_index_not_by_keystone_url(
    horizon: TestCloud, tmp_path: Path
) -> None:
    """OSSN-0073 as Horizon 27 ships it: AVAILABLE_REGIONS' keystone URLs stay on the server.

    (A dashboard that still hands them out fails; the unit tests show that shape.)
    """
    reconfigure(horizon, regions="http://10.0.0.5:5000/v3,http://10.0.0.6:5000/v3")
    page = requests.get(HORIZON + "auth/login/", timeout=15).text
    assert '<select name="region"' in page and "10.0.0.5" not in page
    record, findings = judged(HORIZON, tmp_path)
    assert record["login_form"]["region_hosts"] == []
    assert findings["internal addresses"].result is Result.PASS


def test_session_settings_are_invisible_before_login_and_not_judged(
    horizon: TestCloud, tmp_path: Path
) -> None:
    default, findings = judged(HORIZON, tmp_path)
    reconfigure(
        horizon,
        session_engine="signed_cookies",
        session_cookie_secure="true",
        session_cookie_httponly="false",
    )
    flipped, flipped_findings = judged(HORIZON, tmp_path)
    assert cookies_seen(flipped) == cookies_seen(default)  # no sessionid before login, whatever the engine
    assert "session engine" not in flipped_findings
    assert "not visible to an unauthenticated reader" in flipped_findings["cookies"].message
    assert flipped_findings["cookies"].result is findings["cookies"].result


@contextmanager
def tls_horizon(cloud: TestCloud, folder: Path, **settings: str) -> Iterator[tuple[str, Path]]:
    """A second Horizon of the test cloud under gunicorn's own TLS on TLS_PORT; yields (URL, CA file)."""
    switches = json.loads((cloud.state / "etc" / "horizon" / "settings.json").read_text())
    switches.update(settings)
    settings_file = folder / "horizon-tls.json"
    settings_file.write_text(json.dumps(switches))
    with gunicorn_over_tls(
        cloud.state / "venv",
        "horizon_app:application",
        TLS_PORT,
        folder,
        {"TESTBED_HORIZON_SETTINGS": str(settings_file)},
        dt.datetime.now(dt.UTC) + dt.timedelta(days=200),
    ) as ca:
        yield f"https://127.0.0.1:{TLS_PORT}/", ca


def playbook_items(
    cloud: TestCloud, out: Path, url: str, ca: Path | None = None
) -> dict[str, dict[str, Any]]:
    """The nightly playbook's dashboard items (testcase, aspect) -> item, for the dashboard at ``url``."""
    clouds = json.loads(cloud.clouds_yaml.read_text())
    member = clouds["clouds"]["testbed"]
    if ca:
        member["cacert"] = str(ca)
    clouds_yaml = out.parent / f"{out.name}-clouds.yaml"
    clouds_yaml.write_text(json.dumps({"clouds": {"testbed": member}}))
    # the TLS Horizon's certificate is made with the real clock: judged on the real day as well
    run = run_tenant_playbook(clouds_yaml, out, "-e", f"patchcheck_dashboard_url={url}", day=today())
    assert run.returncode == 0, run.output[-3000:]
    items = {}
    for testcase in json.loads((out / "verdicts.json").read_text())["testcases"]:
        for item in testcase["items"]:
            if " dashboard " in item["subject"]:
                items[f"{testcase['id']} {item['subject'].split(' dashboard ', 1)[1]}"] = item
    return items


def test_default_and_hardened_horizon_get_different_verdicts_from_the_playbook(
    horizon: TestCloud, tmp_path: Path
) -> None:
    default = playbook_items(horizon, tmp_path / "default", HORIZON)
    with tls_horizon(horizon, tmp_path, **HARDENED) as (url, ca):
        hardened = playbook_items(horizon, tmp_path / "hardened", url, ca)
        access = (tmp_path / f"{TLS_PORT}-access.log").read_text().splitlines()
    assert access == ["GET\t/", "GET\t/auth/login/"]  # GETs only: never the login form's POST

    assert default["scs-0124-ossn-tenant-visible cookies"]["result"] == "FAIL"
    assert hardened["scs-0124-ossn-tenant-visible cookies"]["result"] == "PASS"
    assert "Set-Cookie csrftoken carry Secure" in hardened["scs-0124-ossn-tenant-visible cookies"]["message"]
    assert "plain http" in default["scs-0125-https-endpoints https"]["message"]
    https = hardened["scs-0125-https-endpoints https"]
    assert "plain http" not in https["message"] and "posts to" not in https["message"]
    assert https["message"].endswith("loopback address 127.0.0.1; expected https on a public address")
    tls = hardened[f"scs-0125-tls-profile tls 127.0.0.1:{TLS_PORT}"]
    assert tls["result"] == "PASS", tls["message"]
    assert "scs-0125-tls-profile tls" not in " ".join(default)  # plain http: no TLS to judge
    for aspect in ("framing", "banner", "compression", "internal addresses"):
        assert hardened[f"scs-0124-ossn-tenant-visible {aspect}"]["result"] == "PASS"


def test_over_tls_compression_and_a_missing_hsts_fail(horizon: TestCloud, tmp_path: Path) -> None:
    with tls_horizon(horizon, tmp_path, **{**HARDENED, "compression": "true", "hsts_seconds": "0"}) as (
        url,
        ca,
    ):
        _record, findings = judged(url, tmp_path, str(ca))
    assert findings["compression"].result is Result.FAIL
    assert "Content-Encoding: gzip (OSSN-0037, BREACH/CRIME)" in findings["compression"].message
    tls = findings[f"tls 127.0.0.1:{TLS_PORT}"]
    assert tls.result is Result.FAIL
    assert tls.message.startswith(
        f"dashboard 127.0.0.1:{TLS_PORT}: no Strict-Transport-Security header (OSSN-0035)"
    )
