"""Untrusted text in the tenant collector: read in linear time, nothing dropped in silence.

Cookie headers, cookie values and URLs in free text come from the cloud; each is fed here
at 4 MiB in the shapes that made a backtracking pattern retry from every character, and a
dashboard that sets more cookies than the collector records gets ABORT, never PASS.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import dashboard, untrusted_text
from ansible_collections.scs.patchcheck.plugins.module_utils.login_form import login_form

from patchcheck.judge.verdict import Result
from patchcheck.urls import HIDDEN_HOST, without_userinfo
from tests.unit.test_dashboard import HARDENED, SECRET_VALUE, by_aspect, collect, server  # noqa: F401

CANARY = "CANARY-26-17-beef"
FOUR_MIB = 4 * 1024 * 1024


def filler_cookies(count: int) -> list[str]:
    return [f"pref{n}=x; Path=/; Secure; SameSite=Lax" for n in range(count)]


def test_a_csrf_cookie_set_as_the_fortieth_still_fails(server: str, tmp_path: Path) -> None:  # noqa: F811
    """Issue 26 point 8: cookies after the 32nd were dropped, turning this FAIL into ABORT."""
    csrf = f"csrftoken={SECRET_VALUE}; Path=/"
    shape: dict[str, Any] = {**HARDENED, "cookies": [*filler_cookies(39), csrf]}
    record, findings = collect(server, shape, tmp_path)
    assert len(record["pages"][-1]["cookies"]) == 40
    cookies = by_aspect(findings)["cookies"]
    assert cookies.result is Result.FAIL, cookies.message
    assert "csrftoken without Secure" in cookies.message


def test_cookies_the_collector_does_not_record_abort_what_they_could_change(
    server: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the cap, the count is recorded: an internal address in a dropped cookie cannot PASS."""
    monkeypatch.setattr(dashboard, "MAX_COOKIES", 2)  # where dashboard_page, which collect() drives, reads it
    internal = "region=http%3A%2F%2F10.0.0.5%3A5000%2Fv3; Path=/"
    shape = {**HARDENED, "cookies": [*HARDENED["cookies"], internal]}
    record, findings = collect(server, shape, tmp_path)
    assert record["pages"][-1]["cookies_not_recorded"] == 1
    aspects = by_aspect(findings)
    for aspect in ("cookies", "session engine", "internal addresses"):
        assert aspects[aspect].result is Result.ABORT, aspects[aspect].message
        assert "1 more cookie(s) than the collector records" in aspects[aspect].message
    assert aspects["framing"].result is Result.PASS  # headers were all read: judged as before


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * FOUR_MIB,  # the old pattern retried the scheme from every letter
        "a://" * (FOUR_MIB // 4),
        "@" + "a://" * (FOUR_MIB // 4),
        "http://" + "a" * FOUR_MIB,
        ("x" * 1000 + "://u:p@h ") * 4150,
    ],
    ids=["letters", "schemes", "at-then-schemes", "one-long-host", "many-urls"],
)
def test_url_hosts_of_four_mib_take_under_a_second(hostile: str) -> None:
    """CPU seconds of this process, so a busy shared machine cannot fail it; quadratic work would."""
    start = time.process_time()
    untrusted_text.url_hosts(hostile)
    assert time.process_time() - start < 2.0  # linear: well under 0.5 s here; the old pattern took minutes


def test_url_hosts_reads_hosts_as_before() -> None:
    text = "go to https://u:p@10.0.0.5:5000/v3, http://[fd00::1]:80/ and HTTP://api.example.net/x 1a://h"
    assert untrusted_text.url_hosts(text) == ["10.0.0.5", "fd00::1", "api.example.net", "h"]
    assert untrusted_text.url_hosts("://nohost and 123://numeric") == []


@pytest.mark.parametrize(
    "value",
    ["a" * FOUR_MIB, ";" * FOUR_MIB, "=" * FOUR_MIB, "a:" * (FOUR_MIB // 2), "%3A%2F%2F" * (FOUR_MIB // 9)],
)
def test_a_four_mib_cookie_header_takes_under_a_second(value: str) -> None:
    start = time.process_time()
    facts = dashboard.cookie_facts(f"name={value}; Path=/")
    assert time.process_time() - start < 2.0
    assert len(facts["name"]) <= untrusted_text.MAX_TEXT + 3


PASSWORDS = ["pa://ss", "p@ss://w@rd", "it's", 'say"x', "pa ss", "a/b", "x http://y"]


@pytest.mark.parametrize("password", PASSWORDS)
def test_no_part_of_a_password_survives_stripping(password: str) -> None:
    """Issue 26 point 17: ``https://user:pa://ss@host`` left ``user:pa`` behind."""
    for text in (
        f"https://{CANARY}:{password}{CANARY}@keystone.example.net/v3",
        f"refused: https://{CANARY}:{password}{CANARY}@10.0.0.5:5000/v3 and http://other/",
    ):
        for strip in (without_userinfo, untrusted_text.text_without_userinfo):
            cleaned = strip(text)
            assert CANARY not in cleaned, cleaned
            assert strip(cleaned) == cleaned


def test_a_plain_password_keeps_the_host_and_an_odd_one_hides_it() -> None:
    assert without_userinfo("https://u:p@ss@api.example.net/v3") == "https://api.example.net/v3"
    odd = without_userinfo("https://u:pa://ss@api.example.net/v3")
    assert odd == f"https://{HIDDEN_HOST}/api.example.net/v3"  # the judge reports it, never judges a host


@pytest.mark.parametrize(
    "page",
    [
        '<a x="' * (FOUR_MIB // 6),  # html.parser: 240 KB took 145 s
        "<" * FOUR_MIB,
        "<!--" * (FOUR_MIB // 4),
        "<a " + "x=" * (FOUR_MIB // 2),
        '<form><input type="password"><select name="region">' + '<option value="http://' * (FOUR_MIB // 22),
    ],
    ids=["open-attributes", "angles", "comments", "bare-attributes", "open-options"],
)
def test_a_four_mib_hostile_page_is_parsed_in_under_two_seconds(page: str) -> None:
    start = time.process_time()
    form = login_form(page, "https://dashboard.example.net/auth/login/")
    assert time.process_time() - start < 2.0  # libxml2: well under a second here
    assert set(form) >= {"found", "error"}


def test_the_login_form_is_read_as_a_browser_reads_it() -> None:
    page = (
        "<HTML><body><form method=get action='/search'><input name=q></form>"
        '<FORM Method="post" action="https://dashboard.example.net/auth/login/?next=/&amp;x=1">'
        '<INPUT TYPE="Password" name="password"><select name="region">'
        '<option value="http://10.0.0.5:5000/v3">internal</option></select></FORM>'
    )
    form = login_form(page, "http://dashboard.example.net/")
    assert form == {
        "found": True,
        "error": None,
        "method": "POST",
        "action": "https://dashboard.example.net/auth/login/",
        "action_scheme": "https",
        "region_hosts": ["10.0.0.5"],
    }
    assert login_form("", "http://d/") == {"found": False, "error": None}


def test_a_login_form_that_was_not_parsed_is_never_passed(
    server: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a parser (lxml missing) or with markup it refuses, https and internal addresses ABORT."""

    def unparsed(_html: str, _url: str) -> dict[str, Any]:
        return {"found": False, "error": "not parsed: lxml is not installed"}

    monkeypatch.setattr(dashboard, "login_form", unparsed)  # the name dashboard_facts calls
    _record, findings = collect(server, HARDENED, tmp_path)
    aspects = by_aspect(findings)
    assert aspects["internal addresses"].result is Result.ABORT, aspects["internal addresses"].message
    assert aspects["https"].result is Result.FAIL  # plain http is a FAIL whatever the form
    assert "where it sends the password is unknown" in aspects["https"].message
