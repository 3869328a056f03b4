"""Delivery to the real SCS compliance monitor, as a cloud operator and the certification body see it.

The monitor is SCS's own (``../shared/scs-standards``, unmodified) run by ``testbed/monitor.py``:
a private PostgreSQL cluster and the monitor on free 127.0.0.1 ports, patchcheck's scopes in its
``Tests/``, accounts made by SCS's ``add_subject.py``, all stopped afterwards. What the monitor
shows is read back from ``GET /status`` (JSON) and the detail pages, never from our own reading
of its contract. The test receiver (``monitor_receiver.py``) stays for what the real monitor
cannot do on demand (500, slow answers, a connection killed mid-upload); the last test checks
that it answers like the real monitor for everything both can do.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import requests
import yaml

from patchcheck.scope import SHIPPED_SCOPES, shipped_scope
from tests.helpers import (
    hibiscus_document,
    host_facts_document,
    run_deliver,
    run_patchcheck,
    write,
)
from tests.integration.conftest import Monitor
from tests.integration.monitor_receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
TENANT = shipped_scope(SHIPPED_SCOPES["tenant"])
OPERATOR = shipped_scope(SHIPPED_SCOPES["host"])
VALUES = {"PASS": 1, "ABORT": 0, "FAIL": -1}


def facts_folder(folder: Path, kind: str, gathered: dt.datetime, **changes: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = hibiscus_document() if kind == "tenant" else host_facts_document("ctl1")
    document = {**document, **changes, "collected_at": gathered.isoformat(timespec="seconds")}
    write(document, folder / f"{kind}.json")
    return folder


def report_of(facts: Path, out: Path, subject: str) -> Path:
    """``patchcheck judge`` and ``patchcheck report``, as the playbooks run them."""
    judged = run_patchcheck("judge", "--facts", facts, "--verdicts", out / "verdicts.json")
    assert judged.returncode in (0, 1, 3), judged.stderr
    reported = run_patchcheck(
        "report", "--verdicts", out / "verdicts.json", "--subject", subject, "--out-dir", out
    )
    assert reported.returncode in (0, 1, 3), reported.stderr
    return out / "report.yaml"


def results_in(report: Path) -> dict[str, int]:
    (invocation,) = yaml.safe_load(report.read_text())["run"]["invocations"].values()
    return dict(invocation["results"])


def shown(status: dict[str, Any], scope_uuid: str) -> dict[str, int]:
    return {tc: entry["result"] for tc, entry in status[scope_uuid]["results"].items()}


NOW = dt.datetime.now(dt.UTC)


def test_the_monitor_loads_our_scopes_without_an_error(monitor: Monitor) -> None:
    log = monitor.log()
    assert "loading static config" in log
    assert "ERROR" not in log and "Traceback" not in log, log[-3000:]
    for scope in (TENANT, OPERATOR):
        page = monitor.page(f"page/scope/{scope.uuid}")
        assert page.status_code == 200, page.text[-500:]


def test_tenant_and_operator_reports_are_shown_and_neither_replaces_the_other(
    monitor: Monitor, tmp_path: Path
) -> None:
    account = monitor.account("cloud-a")
    operator = report_of(facts_folder(tmp_path / "host", "host", NOW), tmp_path, "cloud-a")
    operator_results = results_in(operator)
    assert sorted(operator_results) == sorted(OPERATOR.testcase_ids)  # every testcase, ABORT where none ran
    assert run_deliver(operator, account, monitor.url, tmp_path / "spool").returncode == 0
    tenant_out = tmp_path / "tenant"
    tenant_out.mkdir()
    tenant = report_of(facts_folder(tmp_path / "tfacts", "tenant", NOW), tenant_out, "cloud-a")
    assert sorted(results_in(tenant)) == sorted(TENANT.testcase_ids)
    sent = run_deliver(tenant, account, monitor.url, tmp_path / "spool")
    assert sent.returncode == 0, sent.stderr
    status = monitor.status("cloud-a")
    assert shown(status, OPERATOR.uuid) == operator_results
    assert shown(status, TENANT.uuid) == results_in(tenant)
    # the version result, as the monitor evaluates it: a FAIL fails it, ABORT alone does not
    # (every testcase present: FAIL if any failed, else ABORT if any aborted, else PASS)
    assert status[TENANT.uuid]["versions"]["v1"]["result"] == min(results_in(tenant).values())
    assert status[OPERATOR.uuid]["versions"]["v1"]["result"] == min(operator_results.values())
    # a later tenant report (here: all endpoints failing) leaves the operator's results as they were
    later_out = tmp_path / "later"
    later_out.mkdir()
    later = report_of(facts_folder(tmp_path / "t2", "tenant", NOW, endpoints=[]), later_out, "cloud-a")
    assert run_deliver(later, account, monitor.url, tmp_path / "spool").returncode == 0
    again = monitor.status("cloud-a")
    assert shown(again, TENANT.uuid) == results_in(later) != results_in(tenant)
    assert again[OPERATOR.uuid]["results"] == status[OPERATOR.uuid]["results"]
    for scope in (TENANT, OPERATOR):
        page = monitor.page(f"page/detail/cloud-a/{scope.uuid}")
        assert page.status_code == 200
        assert all(testcase in page.text for testcase in scope.testcase_ids)
        markdown = monitor.page(f"markdown/detail/cloud-a/{scope.uuid}")
        assert markdown.status_code == 200


def test_checked_at_is_the_gathering_time_and_old_facts_do_not_count(
    monitor: Monitor, tmp_path: Path
) -> None:
    account = monitor.account("cloud-old")
    gathered = NOW - dt.timedelta(days=5)
    report = report_of(facts_folder(tmp_path / "f", "tenant", gathered), tmp_path, "cloud-old")
    document = yaml.safe_load(report.read_text())
    assert document["checked_at"].replace(microsecond=0) == gathered.replace(
        microsecond=0
    )  # + ordering fraction
    assert document["run"]["reported_at"] > gathered
    (invocation,) = document["run"]["invocations"].values()
    assert any("older than the testcase's lifetime" in line for line in invocation["stderr"])
    assert run_deliver(report, account, monitor.url, tmp_path / "spool").returncode == 0
    assert monitor.status("cloud-old").get(TENANT.uuid, {}).get("results", {}) == {}  # too old to count


def test_replay_is_409_and_counts_as_delivered(monitor: Monitor, tmp_path: Path) -> None:
    account = monitor.account("cloud-a")
    report = report_of(facts_folder(tmp_path / "f", "tenant", NOW), tmp_path, "cloud-a")
    assert run_deliver(report, account, monitor.url, tmp_path / "spool").returncode == 0
    again = run_deliver(report, account, monitor.url, tmp_path / "spool")
    assert again.returncode == 0, again.stderr
    assert "already delivered: HTTP 409" in again.stderr
    assert not list((tmp_path / "spool").glob("*.yaml"))


def test_an_unregistered_key_is_refused_for_good_with_the_monitors_answer(
    monitor: Monitor, tmp_path: Path
) -> None:
    account = monitor.account("cloud-a")
    stranger = tmp_path / "stranger_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True, timeout=60
    )
    report = report_of(facts_folder(tmp_path / "f", "tenant", NOW), tmp_path, "cloud-a")
    spool = tmp_path / "spool"
    refused = run_deliver(report, {**account, "key": stranger}, monitor.url, spool)
    assert refused.returncode == 6, refused.stderr
    assert "HTTP 401" in refused.stderr and "verification failed" in refused.stderr  # the monitor's words
    assert not list(spool.glob("*.yaml"))  # not retried: moved aside
    (kept,) = (spool / "refused").glob("*.yaml")
    assert json.loads(kept.with_name(kept.name.removesuffix(".yaml") + ".state.json").read_text())[
        "last_error"
    ]
    wrong = tmp_path / "wrong-token"
    wrong.write_text(base64.b64encode(b"cloud-a:not-the-password").decode())
    wrong.chmod(0o600)
    refused = run_deliver(report, {**account, "token": wrong}, monitor.url, tmp_path / "spool2")
    assert refused.returncode == 6
    assert "HTTP 401" in refused.stderr
    assert "not-the-password" not in refused.stderr + refused.stdout


def test_two_subjects_never_send_each_others_reports(monitor: Monitor, tmp_path: Path) -> None:
    a, b = monitor.account("cloud-a"), monitor.account("cloud-b")
    spool = tmp_path / "shared-spool"  # one folder for both, on purpose (the default is one per subject)
    report_b = report_of(facts_folder(tmp_path / "fb", "tenant", NOW), tmp_path, "cloud-b")
    mismatch = run_deliver(report_b, a, monitor.url, spool)
    assert mismatch.returncode == 4
    assert "'cloud-b', but" in mismatch.stderr and "is the token of 'cloud-a'" in mismatch.stderr
    closed = f"http://127.0.0.1:{free_port()}"
    assert run_deliver(report_b, b, closed, spool).returncode == 5  # waits for cloud-b's next run
    out_a = tmp_path / "a"
    out_a.mkdir()
    report_a = report_of(facts_folder(tmp_path / "fa", "tenant", NOW), out_a, "cloud-a")
    sent = run_deliver(report_a, a, monitor.url, spool)
    assert sent.returncode == 0, sent.stderr  # cloud-b's waiting report is not cloud-a's concern
    everything = run_patchcheck(
        "upload", "--token-file", a["token"], "--monitor", monitor.url, "--spool", spool, "--all"
    )
    assert everything.returncode == 0, everything.stderr
    assert "not sent: another subject's report" in everything.stderr
    assert len(list(spool.glob("*.yaml"))) == 1
    flushed = run_patchcheck(
        "upload", "--token-file", b["token"], "--monitor", monitor.url, "--spool", spool, "--all"
    )
    assert flushed.returncode == 0, flushed.stderr
    assert not list(spool.glob("*.yaml"))
    assert shown(monitor.status("cloud-b"), TENANT.uuid) == results_in(report_b)


def test_a_stopped_monitor_keeps_the_report_until_it_is_back(monitor: Monitor, tmp_path: Path) -> None:
    account = monitor.account("cloud-c")
    report = report_of(facts_folder(tmp_path / "f", "tenant", NOW), tmp_path, "cloud-c")
    spool = tmp_path / "spool"
    monitor.local.down()
    try:
        waiting = run_deliver(report, account, monitor.url, spool)
        assert waiting.returncode == 5
        assert "cannot connect" in waiting.stderr
        assert len(list(spool.glob("*.yaml"))) == 1
    finally:
        monitor.local.up()
    not_due = run_patchcheck(
        "upload", "--token-file", account["token"], "--monitor", monitor.url, "--spool", spool
    )
    assert not_due.returncode == 5  # backoff: the next try is a minute away
    assert len(list(spool.glob("*.yaml"))) == 1
    sent = run_patchcheck(
        "upload", "--token-file", account["token"], "--monitor", monitor.url, "--spool", spool, "--all"
    )
    assert sent.returncode == 0, sent.stderr
    assert shown(monitor.status("cloud-c"), TENANT.uuid) == results_in(report)


def test_the_test_receiver_answers_as_the_real_monitor(monitor: Monitor, tmp_path: Path) -> None:
    """Same requests to both: stored, replay, tampered, unknown credentials, wrong content type."""
    account = monitor.account("cloud-a")
    apikey = base64.b64decode(account["token"].read_text().strip()).decode().split(":", 1)[1]
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'cloud-a namespaces="report" {account["key"].with_name("keyfile.pub").read_text()}')
    receiver = Receiver(allowed, {"cloud-a": apikey}).start()
    try:
        report = report_of(facts_folder(tmp_path / "f", "tenant", NOW), tmp_path, "cloud-a")
        signature = subprocess.run(
            ["ssh-keygen", "-Y", "sign", "-f", str(account["key"]), "-n", "report"],
            input=report.read_bytes(),
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        token = account["token"].read_text().strip()
        good = {"Content-Type": "application/x-signed-yaml", "Authorization": f"Basic {token}"}
        body = signature + b"&" + report.read_bytes()
        cases = [
            ("stored", good, body),
            ("replay", good, body),
            (
                "tampered",
                good,
                signature + b"&" + report.read_bytes().replace(b"subject: cloud-a", b"subject: cloud-a "),
            ),
            (
                "unknown credentials",
                {**good, "Authorization": "Basic " + base64.b64encode(b"cloud-a:x").decode()},
                body,
            ),
            ("wrong content type", {**good, "Content-Type": "application/yaml"}, body),
        ]
        answers = {}
        for name, headers, data in cases:
            real = requests.post(f"{monitor.url}reports", data=data, headers=headers, timeout=30).status_code
            ours = requests.post(
                f"{receiver.url}/reports", data=data, headers=headers, timeout=30
            ).status_code
            answers[name] = (real, ours)
        assert {name: ours for name, (_real, ours) in answers.items()} == {
            name: real for name, (real, _ours) in answers.items()
        }, answers
    finally:
        receiver.stop()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_delegate_uploads_one_signed_report_for_the_subjects_delegating_to_it(
    monitor: Monitor, tmp_path: Path
) -> None:
    """Issue 29: SCS's nightly model. ``zuul_ci`` (append_any) signs and uploads one multi-document
    report; the monitor takes it for subjects that list it in their delegates, and only for them."""
    delegate = monitor.account("ci-delegate", roles=("append_any",))
    subjects = ["cloud-d1", "cloud-d2"]
    for subject in subjects:
        monitor.account(subject, delegates=("ci-delegate",))
    monitor.account("cloud-own")  # delegates to no one
    reports = [
        report_of(facts_folder(tmp_path / subject / "f", "tenant", NOW), tmp_path / subject, subject)
        for subject in [*subjects, "cloud-own"]
    ]
    combined = tmp_path / "nightly.yaml"
    combined.write_text("".join(report.read_text() for report in reports[:2]))

    mistaken = run_deliver(combined, delegate, monitor.url, tmp_path / "spool")
    assert mistaken.returncode == 4, mistaken.stderr
    assert "'cloud-d1', 'cloud-d2', but" in mistaken.stderr and "--delegated" in mistaken.stderr

    delivered = run_deliver(combined, delegate, monitor.url, tmp_path / "spool", "--delegated")
    assert delivered.returncode == 0, delivered.stderr
    assert list((tmp_path / "spool").glob("*cloud-d1+1_*.yaml")) == []  # confirmed, so gone
    for subject, report in zip(subjects, reports, strict=False):
        assert shown(monitor.status(subject), TENANT.uuid) == results_in(report)

    # restarted, the monitor still knows the delegation (accounts restored in the order made)
    monitor.local.down()
    monitor.local.up()
    again = report_of(facts_folder(tmp_path / "again" / "f", "tenant", NOW), tmp_path / "again", "cloud-d2")
    assert run_deliver(again, delegate, monitor.url, tmp_path / "spool", "--delegated").returncode == 0

    # a subject that does not delegate: the monitor refuses the whole upload, and that stays a refusal
    foreign = tmp_path / "foreign.yaml"
    foreign.write_text(
        reports[0]
        .read_text()
        .replace(
            str(yaml.safe_load(reports[0].read_text())["run"]["uuid"]),
            "0" * 8 + "-1111-2222-3333-" + "4" * 12,
        )
        + reports[2].read_text()
    )
    refused = run_deliver(foreign, delegate, monitor.url, tmp_path / "spool", "--delegated")
    assert refused.returncode == 6, refused.stderr
    assert "delegation problem?" in refused.stderr
    assert len(list((tmp_path / "spool" / "refused").glob("*.yaml"))) == 1
    assert monitor.status("cloud-own").get(TENANT.uuid, {}).get("results", {}) == {}


def test_a_re_judged_report_of_kept_facts_replaces_the_older_one(monitor: Monitor, tmp_path: Path) -> None:
    """Issue 29, point 4: the same facts judged again gave an equal checked_at, and the monitor showed
    either report. The first judgement here is as of a day before the facts' series was released
    (maintained-release ABORT), the second as of today: the newer wins."""
    account = monitor.account("cloud-rejudged")
    facts = facts_folder(tmp_path / "f", "tenant", NOW)
    first = tmp_path / "first"
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", first / "verdicts.json", "--reference-date", "2025-06-01"
    )
    assert judged.returncode in (1, 3), judged.stderr
    reported = run_patchcheck(
        "report", "--verdicts", first / "verdicts.json", "--subject", "cloud-rejudged", "--out-dir", first
    )
    assert reported.returncode in (1, 3), reported.stderr
    assert run_deliver(first / "report.yaml", account, monitor.url, tmp_path / "spool").returncode == 0
    assert shown(monitor.status("cloud-rejudged"), TENANT.uuid) == results_in(first / "report.yaml")
    second = report_of(facts, tmp_path / "second", "cloud-rejudged")
    later, earlier = (
        yaml.safe_load(path.read_text())["checked_at"] for path in (second, first / "report.yaml")
    )
    assert later.replace(microsecond=0) == earlier.replace(microsecond=0) and later > earlier
    assert results_in(second) != results_in(first / "report.yaml")
    assert run_deliver(second, account, monitor.url, tmp_path / "spool").returncode == 0
    assert shown(monitor.status("cloud-rejudged"), TENANT.uuid) == results_in(second)
