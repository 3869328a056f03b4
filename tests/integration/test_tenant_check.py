"""The nightly tenant check end to end: the real playbook against the real test cloud."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from patchcheck.facts import load_facts
from tests.integration.conftest import REPO, VENV_BIN, TestCloud, run_tenant_playbook

ALLOWED_WRITE = ("POST", "/v3/auth/tokens")


def log_positions(cloud: TestCloud) -> dict[Path, int]:
    return {path: path.stat().st_size for path in cloud.access_logs()}


def new_requests(cloud: TestCloud, since: dict[Path, int]) -> list[tuple[str, str, str, str]]:
    """(service, method, path, user agent) of every request logged since ``since``."""
    requests = []
    for path in cloud.access_logs():
        with path.open() as handle:
            handle.seek(since.get(path, 0))
            for line in handle:
                _time, method, url_path, _query, _status, agent = line.rstrip("\n").split("\t")
                requests.append((path.name.removesuffix("-access.log"), method, url_path, agent))
    return requests


def outputs(out_dir: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(out_dir.rglob("*")) if path.is_file())


def test_member_run_reports_a_maintained_cloud(test_cloud: TestCloud, tmp_path: Path) -> None:
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    facts = load_facts(tmp_path / "facts" / "tenant-testbed.json")
    assert facts.auth_ok
    assert facts.raw["auth"]["roles"] == ["member", "reader"]  # the nightly identity: never admin
    assert {t for e in facts.endpoints for t in e.service_types} == {
        "identity",
        "image",
        "placement",
        "compute",
        "block-storage",
        "network",
    }
    report = yaml.safe_load((tmp_path / "report.yaml").read_text())
    (invocation,) = report["run"]["invocations"].values()
    assert invocation["results"] == {
        "scs-0124-maintained-release": 1,
        # Horizon's defaults: the CSRF cookie lacks Secure (OSSN-0036); see test_horizon.py
        "scs-0124-ossn-tenant-visible": -1,
        "scs-0125-https-endpoints": -1,  # plain http on 127.0.0.1, by design of the test cloud
        "scs-0125-tls-profile": 0,  # no https endpoint to judge
    }
    assert report["subject"] == "testbed"
    assert "scs-0124-maintained-release: PASS" in run.output


def test_tenant_run_sends_only_get_besides_the_token_request(test_cloud: TestCloud, tmp_path: Path) -> None:
    before = log_positions(test_cloud)
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    requests = new_requests(test_cloud, before)
    ours = [r for r in requests if r[3].startswith("patchcheck/")]
    assert ours, "no request of the check reached the test cloud's access logs"
    writes = [(method, path) for _service, method, path, _agent in ours if method not in ("GET", "HEAD")]
    assert writes == [ALLOWED_WRITE]
    # Everything else in the window is the services checking our token with keystone (their middleware
    # validates it with GET and authenticates the service's own user): nothing else was written either.
    others = {
        (method, path) for _service, method, path, agent in requests if not agent.startswith("patchcheck/")
    }
    assert {(method, path) for method, path in others if method not in ("GET", "HEAD")} <= {ALLOWED_WRITE}, (
        others
    )
    facts = json.loads((tmp_path / "facts" / "tenant-testbed.json").read_text())
    gets = [r for r in ours if r[1] == "GET"]
    # One version document per distinct endpoint, keystone's discovery GET before the token, the two
    # reads of what a member can see (the tenant's image list and its domain's security-compliance
    # settings), and the dashboard's pages (its root and the login page it redirects to).
    assert [page["http_status"] for page in facts["dashboard"]["pages"]] == [302, 200]
    assert len(gets) == len(facts["endpoints"]) + 1 + 2 + len(facts["dashboard"]["pages"])
    dashboard = [(method, path) for service, method, path, _agent in requests if service == "horizon"]
    assert dashboard == [("GET", "/"), ("GET", "/auth/login/")]  # never the form's POST


def test_no_credential_reaches_any_output(test_cloud: TestCloud, tmp_path: Path) -> None:
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path, "-vvv")
    assert run.returncode == 0, run.output[-3000:]
    everything = outputs(tmp_path) + run.output
    for name, secret in test_cloud.secrets.items():
        assert secret not in everything, f"{name} leaked into the outputs"
    assert "gAAAAA" not in everything  # fernet tokens start like this


def test_unreachable_keystone_gives_abort_and_still_a_report(test_cloud: TestCloud, tmp_path: Path) -> None:
    clouds = json.loads(test_cloud.clouds_yaml.read_text())
    broken = clouds["clouds"]["testbed"]
    broken["auth"]["auth_url"] = "http://127.0.0.1:9/v3"
    del broken["dashboard_url"]  # (a dashboard is read without keystone: its findings would be evidence)
    clouds_yaml = tmp_path / "clouds.yaml"
    clouds_yaml.write_text(json.dumps({"clouds": {"testbed": broken}}))
    run = run_tenant_playbook(clouds_yaml, tmp_path / "out", fail_on_noncompliance=True)
    assert run.returncode != 0
    assert "scs-0124-maintained-release: ABORT" in run.output
    assert "http://127.0.0.1:9/v3" in run.output
    report = yaml.safe_load((tmp_path / "out" / "report.yaml").read_text())
    (invocation,) = report["run"]["invocations"].values()
    assert set(invocation["results"].values()) == {0}  # every testcase ABORT, none PASS


def test_a_stopped_service_aborts_only_its_own_check(test_cloud: TestCloud, tmp_path: Path) -> None:
    assert test_cloud.testbed("down", "cinder").returncode == 0
    try:
        run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path, fail_on_noncompliance=True)
    finally:
        restarted = test_cloud.testbed("up", "cinder")
        assert restarted.returncode == 0, restarted.stderr
    verdicts = json.loads((tmp_path / "verdicts.json").read_text())
    items = {item["subject"].split(" ")[0]: item["result"] for item in verdicts["testcases"][0]["items"]}
    assert items == {"compute": "PASS", "block-storage": "ABORT", "placement": "PASS"}
    assert verdicts["testcases"][0]["result"] == "ABORT"
    assert run.returncode != 0


def test_check_mode_still_produces_the_report(test_cloud: TestCloud, tmp_path: Path) -> None:
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path, "--check")
    assert run.returncode == 0, run.output[-3000:]
    assert (tmp_path / "report.yaml").exists()


CANARY = "canary-password-7f3a"


def test_a_check_that_could_not_run_fails_whatever_fail_on_noncompliance_says(tmp_path: Path) -> None:
    """Issue 29, point 5: an unreachable keystone with fail_on_noncompliance false was a green build.

    The ABORT report is still written (it is evidence); the play fails with the reason, which it
    also leaves in ``patchcheck_failure_file`` for the Zuul job to make the build's error.
    """
    clouds_yaml = tmp_path / "clouds.yaml"
    auth = {"auth_url": "http://127.0.0.1:9/v3", "username": "u", "password": CANARY, "project_name": "x"}
    auth |= {"user_domain_name": "Default", "project_domain_name": "Default"}
    clouds_yaml.write_text(json.dumps({"clouds": {"nowhere": {"auth": auth, "dashboard_url": "none"}}}))
    failure = tmp_path / "could-not-run.txt"
    run = run_tenant_playbook(
        clouds_yaml, tmp_path / "out", "-e", f"patchcheck_failure_file={failure}", cloud="nowhere"
    )
    assert run.returncode != 0, run.output[-3000:]
    reason = failure.read_text()
    assert reason.startswith("nowhere: the check could not run: cloud nowhere did not authenticate (")
    assert "127.0.0.1:9" in reason and "p" not in reason.split("(", 1)[1].split(), reason
    assert reason.strip() in run.output
    report = yaml.safe_load((tmp_path / "out" / "report.yaml").read_text())
    (invocation,) = report["run"]["invocations"].values()
    assert set(invocation["results"].values()) == {0}


def test_a_cloud_name_no_clouds_yaml_has_is_a_usage_error_without_report(tmp_path: Path) -> None:
    """Issue 30: OS_CLOUD=nope made an all-ABORT report that could be delivered."""
    clouds_yaml = tmp_path / "clouds.yaml"
    clouds_yaml.write_text(json.dumps({"clouds": {"real": {"auth": {"auth_url": "http://127.0.0.1:9/v3"}}}}))
    out, spool = tmp_path / "out", tmp_path / "spool"
    run = run_tenant_playbook(
        clouds_yaml, out, "-e", "patchcheck_monitor_url=https://monitor.example.net",
        "-e", f"patchcheck_spool={spool}", cloud="nope",
    )  # fmt: skip
    assert run.returncode == 2, run.output[-3000:]
    assert f"no cloud named 'nope' in {clouds_yaml} (clouds there: real); openstacksdk searched" in run.output
    assert not out.exists() and not spool.exists()  # nothing gathered, judged, reported or spooled


def test_the_run_says_which_cloud_it_checks_and_why(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "OS_CLOUD"}
    env |= {"OS_CLIENT_CONFIG_FILE": str(tmp_path / "none.yaml"), "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "playbooks/tenant_check.yaml",
            "-e",
            f"patchcheck_output_dir={tmp_path}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (
        "checking cloud testbed (the default: neither patchcheck_cloud nor $OS_CLOUD is set)" in done.stdout
    )
    assert "no cloud named 'testbed' (no clouds.yaml found)" in done.stdout
