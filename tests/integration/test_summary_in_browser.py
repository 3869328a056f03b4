"""The summary page as an operator sees it: rendered by headless Chromium (Debian's package).

A host with a Debian nova package and keystone in two venvs (one of them Zed, unmaintained) is
judged and reported by the real commands; Chromium renders ``summary.html`` to a screenshot and
dumps the DOM it built. The page must tell the installs apart by where they were found, name the
series of the unmaintained service, and say what to do for each open advisory.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import hibiscus_document, host_facts_document, load_module, run_patchcheck, write

REPO = Path(__file__).resolve().parents[2]
DEBIAN = load_module(REPO / "testbed" / "debian_packages.py", "testbed_debian_packages")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def chromium() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() == 0:
        DEBIAN.install(["chromium"])  # its failure shows below: no chromium on PATH
        found = shutil.which("chromium")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and Debian's chromium could not be installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found


def rendered(browser: str, page: Path, profile: Path) -> str:
    """The DOM Chromium built from ``page``."""
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    ).stdout


def assert_every_reason_is_on(dom: str, verdicts: Path) -> None:
    """Issue 30: every FAIL and ABORT finding's sentence on the page (an advisory's FAIL is its table
    row, with deadline and remedy), and the knowledge's age."""
    document = json.loads(verdicts.read_text())
    missing = [
        item["message"]
        for testcase in document["testcases"]
        for item in testcase["items"]
        if item["result"] in ("FAIL", "ABORT")
        and not (testcase["id"] == "scs-0124-ossa-patched" and item["result"] == "FAIL")
        and html.escape(item["message"], quote=False) not in dom
    ]
    assert missing == [], missing
    assert "days old when judged" in dom


def venv(path: str, version: str) -> dict[str, object]:
    return {
        "kind": "openstack-ansible",
        "path": path,
        "service": "keystone",
        "distributions": [{"name": "keystone", "product": "keystone", "version": version, "git_sha": None}],
    }


def test_summary_page_renders_and_says_where_and_what_to_do(tmp_path: Path) -> None:
    document = host_facts_document(
        "ctl1",
        packages=[
            {
                "manager": "dpkg",
                "name": "python3-nova",
                "source": "nova",
                "product": "nova",
                "version": "2:26.2.2-1~deb12u5",
                "architecture": "all",
                "changelog_cves": [],
                "changelog_refs": {},
            }
        ],
        python=[
            venv("/openstack/venvs/keystone-22.0.0", "22.0.0"),
            venv("/openstack/venvs/keystone-26.0.0", "26.0.0"),
        ],
    )
    facts = write(document, tmp_path / "host-ctl1.json")
    out = tmp_path / "out"
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", out / "verdicts.json", "--reference-date", "2026-11-25"
    )
    assert judged.returncode == 1, judged.stderr
    reported = run_patchcheck(
        "report", "--verdicts", out / "verdicts.json", "--subject", "mycloud", "--out-dir", out
    )
    assert reported.returncode == 1, reported.stderr
    page = (out / "summary.html").as_uri()
    browser = chromium()
    profile = tmp_path / "profile"
    shot = tmp_path / "summary.png"
    common = [browser, *FLAGS, f"--user-data-dir={profile}"]
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1400,2000", page],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    dom = subprocess.run(
        [*common, "--dump-dom", page], capture_output=True, text=True, timeout=180, check=False
    ).stdout
    assert "openstack-ansible /openstack/venvs/keystone-22.0.0" in dom  # which install
    assert "openstack-ansible /openstack/venvs/keystone-26.0.0" in dom
    assert "Zed" in dom and "unmaintained" in dom  # the series behind the FAIL
    assert "update to keystone" in dom or "has no release with the fix" in dom  # what to do
    assert_every_reason_is_on(dom, out / "verdicts.json")
    if os.environ.get("PATCHCHECK_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, REPO / "docs" / "summary.png")


def test_the_tenant_summary_says_why_each_testcase_is_not_pass(tmp_path: Path) -> None:
    """The demo's page: a tenant run's FAILs and ABORTs each with their sentence, no "(0)" section
    beside a failing testcase, and "not checked" for advisories without a "None." beside it."""
    import datetime as dt

    document = {**hibiscus_document(), "collected_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    (tmp_path / "facts").mkdir()
    facts = write(document, tmp_path / "facts" / "tenant-c.json")
    out = tmp_path / "out"
    judged = run_patchcheck("judge", "--facts", facts.parent, "--verdicts", out / "verdicts.json")
    assert judged.returncode == 1, judged.stderr
    reported = run_patchcheck(
        "report", "--verdicts", out / "verdicts.json", "--subject", "c", "--out-dir", out
    )
    assert reported.returncode == 1, reported.stderr
    dom = rendered(chromium(), out / "summary.html", tmp_path / "profile")
    assert "Why not PASS" in dom and "scs-0125-https-endpoints: <span" in dom
    assert_every_reason_is_on(dom, out / "verdicts.json")
    assert "Not checked by a tenant run" in dom
    advisories = dom.split("Open advisories</h2>")[1].split("<h2")[0]
    assert "Not checked by a tenant run" in advisories and "None." not in advisories
    assert "(0)</h2><ul><li>None." not in dom.split("Why not PASS")[1].split("Warnings")[0]
