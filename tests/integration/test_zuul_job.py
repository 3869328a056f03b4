"""The nightly jobs in a real Zuul 14.3: scheduler, executor, launcher, web and a static node.

``testbed/zuul_ci.py`` runs Zuul on 127.0.0.1 with this repository (its committed state) as
an untrusted project. The test adds clouds as docs/zuul-admin-guide.md tells a Zuul administrator to: an
application credential of each test cloud's member, every secret value encrypted with
``zuul-client encrypt`` (14.0, against this Zuul's API), the example job copied per cloud with
its semaphore, secret and pipeline entry, all pointed at the real SCS compliance monitor; then
it enqueues ``periodic-daily`` once. From Zuul's REST API, the builds' logs and the monitor it
asserts what each build did (``test_clouds_in_one_enqueue_share_nothing``).
``patchcheck-self-test`` is run only until its playbook starts (the whole suite inside itself
would take the test cloud's ports), then dequeued.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openstack.config
import openstack.connection
import pytest
import yaml

from tests.helpers import load_module
from tests.integration.conftest import Monitor, TestCloud, brought_up
from tests.integration.test_caracal_cloud import STATE as CARACAL_STATE
from tests.integration.test_scs_monitor import TENANT, results_in, shown

REPO = Path(__file__).resolve().parents[2]
ZUUL_CI = load_module(REPO / "testbed" / "zuul_ci.py", "zuul_ci")
JOB = "patchcheck-tenant-check-example-cloud"
SUBJECT = "example-cloud"
BUILD_DEADLINE_S = 1200


@pytest.fixture(scope="module")
def zuul(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ci = ZUUL_CI.ZuulCi(tmp_path_factory.mktemp("zuul-ci"))
    if os.geteuid() != 0 and os.environ.get("CI") != "true":
        pytest.skip("the test Zuul needs root (Debian packages, the node's user and its sshd)")
    try:
        ci.up()
    except ZUUL_CI.ZuulCiError as exc:
        ci.down()
        pytest.fail(f"the test Zuul did not start: {exc}")
    try:
        yield ci
    finally:
        ci.down()
        assert not any(ci.status().values()), ci.status()
        assert not ci.listeners()
        ci.purge()


ZUUL_CLIENT = ZUUL_CI.ZUUL_VENV / "bin" / "zuul-client"


class EncryptedLoader(yaml.SafeLoader):
    """Reads zuul-client's output: its ``!encrypted/pkcs1-oaep`` values as lists of chunks."""


EncryptedLoader.add_constructor(
    "!encrypted/pkcs1-oaep",
    lambda loader, node: loader.construct_sequence(node),  # type: ignore[arg-type]
)


def encrypt(ci: Any, text: str) -> list[str]:
    """The value encrypted as a Zuul administrator does it: ``zuul-client encrypt`` against this
    Zuul's API (the project's public key; RSA-OAEP chunks, base64, one list item per chunk)."""
    with tempfile.TemporaryDirectory() as scratch:
        infile = Path(scratch) / "value"
        infile.write_text(text)
        infile.chmod(0o600)
        done = subprocess.run(
            [
                str(ZUUL_CLIENT),
                "--zuul-url",
                ci.web_url,
                "encrypt",
                "--tenant",
                ZUUL_CI.TENANT,
                "--project",
                "patchcheck",
                "--secret-name",
                "value",
                "--field-name",
                "value",
                "--infile",
                str(infile),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    (document,) = yaml.load(done.stdout, Loader=EncryptedLoader)  # noqa: S506  (a SafeLoader)
    return list(document["secret"]["data"]["value"])


class Encrypted(list):
    """A list that YAML writes as Zuul's ``!encrypted/pkcs1-oaep`` tag."""


def encrypted_representer(dumper: yaml.SafeDumper, value: Encrypted) -> yaml.Node:
    return dumper.represent_sequence("!encrypted/pkcs1-oaep", list(value))


yaml.SafeDumper.add_representer(Encrypted, encrypted_representer)


def member_credential(cloud: TestCloud) -> tuple[openstack.connection.Connection, Any]:
    region = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)]).get_one(cloud="testbed")
    member = openstack.connection.Connection(config=region)
    credential = member.identity.create_application_credential(
        user=member.current_user_id, name=f"zuul-{time.time_ns()}", description="test Zuul's nightly job"
    )
    return member, credential


@dataclass
class Cloud:
    """One cloud as a Zuul administrator adds it: its job, semaphore and secret (docs/zuul-admin-guide.md)."""

    name: str
    auth_url: str
    credential_id: str
    credential_secret: str
    account: dict[str, Path]

    @property
    def job(self) -> str:
        return f"patchcheck-tenant-check-{self.name}"

    def secrets(self) -> list[str]:
        """Every value of the secret that must not stay on the node."""
        return [
            self.credential_secret,
            self.account["token"].read_text().strip(),
            *self.account["key"].read_text().strip().splitlines()[1:-1],
        ]


def add_cloud(jobs: str, semaphores: str, cloud: Cloud) -> tuple[str, str]:
    """jobs.yaml and semaphores.yaml with the example cloud's job and semaphore copied for ``cloud``,
    and the job added to ``periodic-daily``: the steps of docs/zuul-admin-guide.md, done as a person would."""
    start = jobs.index("- job:\n    name: patchcheck-tenant-check-example-cloud\n")
    end = jobs.index("- job:", start + 1)
    copy = jobs[start:end].replace("example-cloud", cloud.name)
    copy = copy.replace(f"https://dashboard.{cloud.name}.net/", "none")
    jobs = jobs[:end] + copy + jobs[end:]
    jobs = jobs.replace(
        "    periodic-daily:\n      jobs:\n",
        f"    periodic-daily:\n      jobs:\n        - {cloud.job}\n",
    )
    semaphore = "- semaphore:\n    name: patchcheck-example-cloud\n    max: 1\n"
    return jobs, semaphores + semaphore.replace("example-cloud", cloud.name)


@dataclass
class Fleet:
    """The fleet job's clouds (their clouds.yaml) and the delegate that uploads for them."""

    clouds_yaml: str
    subjects: list[str]
    delegate: dict[str, Path]

    def secrets(self) -> list[str]:
        return [
            self.delegate["token"].read_text().strip(),
            *self.delegate["key"].read_text().strip().splitlines()[1:-1],
        ]


FLEET_JOB = "patchcheck-tenant-check-fleet-example"


def fleet_of(clouds: list[Cloud], monitor: Monitor) -> Fleet:
    """The two test clouds again, as a fleet of subjects that delegate to one account."""
    delegate = monitor.account("fleet-delegate", roles=("append_any",))
    entries = {}
    for cloud in clouds[:2]:
        subject = f"fleet-{cloud.name}"
        monitor.account(subject, delegates=("fleet-delegate",))
        entries[subject] = {
            "auth_type": "v3applicationcredential",
            "auth": {
                "auth_url": cloud.auth_url,
                "application_credential_id": cloud.credential_id,
                "application_credential_secret": cloud.credential_secret,
            },
            "region_name": "RegionOne",
            "interface": "public",
            "identity_api_version": 3,
        }
    return Fleet(yaml.safe_dump({"clouds": entries}), list(entries), delegate)


def point_jobs_at_these_clouds(ci: Any, monitor: Monitor, clouds: list[Cloud], fleet: Fleet) -> None:
    """The project copy's example secrets and job variables, for this machine's clouds and monitor."""
    project = ci.repos / "patchcheck"
    documents = [
        {
            "secret": {
                "name": f"patchcheck-{cloud.name}",
                "data": {
                    "auth_url": cloud.auth_url,
                    "region_name": "RegionOne",
                    "application_credential_id": Encrypted(encrypt(ci, cloud.credential_id)),
                    "application_credential_secret": Encrypted(encrypt(ci, cloud.credential_secret)),
                    "report_signing_key": Encrypted(encrypt(ci, cloud.account["key"].read_text())),
                    "monitor_token": Encrypted(encrypt(ci, cloud.account["token"].read_text())),
                },
            }
        }
        for cloud in clouds
    ]
    documents.append(
        {
            "secret": {
                "name": "patchcheck-fleet-example",
                "data": {
                    "clouds_yaml": Encrypted(encrypt(ci, fleet.clouds_yaml)),
                    "report_signing_key": Encrypted(encrypt(ci, fleet.delegate["key"].read_text())),
                    "monitor_token": Encrypted(encrypt(ci, fleet.delegate["token"].read_text())),
                },
            }
        }
    )
    (project / "zuul.d" / "secrets.yaml").write_text("---\n" + yaml.safe_dump(documents, sort_keys=False))
    jobs = (project / "zuul.d" / "jobs.yaml").read_text()
    semaphores = (project / "zuul.d" / "semaphores.yaml").read_text()
    for cloud in clouds[1:]:  # the first is the example cloud itself
        jobs, semaphores = add_cloud(jobs, semaphores, cloud)
    jobs = jobs.replace(
        "patchcheck_monitor_url: https://compliance.example.net", f"patchcheck_monitor_url: {monitor.url}"
    )
    jobs = jobs.replace(
        "patchcheck_dashboard_url: https://dashboard.example-cloud.net/",
        "patchcheck_dashboard_url: http://127.0.0.1:30080/",
    )
    # The test clouds are plain http on 127.0.0.1: never compliant. The build's result then says
    # whether the check ran; its verdicts are in the report the monitor receives.
    for cloud in clouds:
        jobs = jobs.replace(
            f"      patchcheck_subject: {cloud.name}\n",
            f"      patchcheck_subject: {cloud.name}\n      patchcheck_fail_on_noncompliance: false\n",
        )
    example_fleet = jobs[jobs.index("      patchcheck_clouds:\n        - cloud: example-cloud-a") :]
    example_fleet = example_fleet[: example_fleet.index("      patchcheck_monitor_url:")]
    jobs = jobs.replace(
        example_fleet,
        "      patchcheck_clouds:\n" + "".join(f"        - cloud: {subject}\n" for subject in fleet.subjects),
    )
    (project / "zuul.d" / "jobs.yaml").write_text(jobs)
    (project / "zuul.d" / "semaphores.yaml").write_text(semaphores)
    ZUUL_CI.commit_all(project, "test: three clouds, as docs/zuul-admin-guide.md says to add them")
    ci.reconfigure_tenant()


def wait_build(ci: Any, job: str, deadline_s: float = BUILD_DEADLINE_S) -> dict[str, Any]:
    """The job's completed build; a buildset that ended without builds (a configuration error) fails."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        builds = ci.api(f"tenant/{ZUUL_CI.TENANT}/builds?job_name={job}&complete=true")
        final = [build for build in builds if build["result"] != "RETRY"]  # a retry is followed by another
        if final:
            return final[0]
        for buildset in ci.api(f"tenant/{ZUUL_CI.TENANT}/buildsets"):
            assert buildset["result"] not in ("CONFIG_ERROR", "MERGE_CONFLICT", "NODE_FAILURE"), buildset
        time.sleep(3)
    raise AssertionError(f"no completed {job} build within {deadline_s:.0f} s; see {ci.logs}")


def failure_of(build: dict[str, Any]) -> str:
    """What went wrong, from the build's own log: its failed tasks and the end of its output."""
    output = Path(str(build.get("log_url") or "").removeprefix("file://")) / "job-output.txt"
    if not output.is_file():
        return f"{build['result']}: no job output at {output}"
    lines = output.read_text(errors="replace").splitlines()
    failed = [line for line in lines if "FAILED" in line or "fatal:" in line or '"msg"' in line]
    return "\n".join([f"{build['result']}:", *failed[-10:], "...", *lines[-40:]])


@pytest.fixture(scope="module")
def caracal_cloud() -> Iterator[TestCloud]:
    yield from brought_up(TestCloud(CARACAL_STATE, series="caracal"))


def auth_url_of(cloud: TestCloud) -> str:
    return json.loads(cloud.clouds_yaml.read_text())["clouds"]["testbed"]["auth"]["auth_url"]


def build_artifact(build: dict[str, Any], name: str) -> Path:
    return Path(build["log_url"].removeprefix("file://")) / "artifacts" / name


def files_holding(folder: Path, needles: list[str]) -> list[str]:
    """Files under ``folder`` (regular, at most 20 MB) that contain any of ``needles``."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".venv") and name != "__pycache__"]
        for name in names:
            path = Path(root) / name
            try:
                if not path.is_file() or path.is_symlink() or path.stat().st_size > 20 * 2**20:
                    continue
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                continue
            found += [f"{path}: {needle[:8]}..." for needle in needles if needle in text]
    return found


def test_clouds_in_one_enqueue_share_nothing(
    zuul: Any, test_cloud: TestCloud, caracal_cloud: TestCloud, monitor: Monitor
) -> None:
    """Issue 29: per-cloud jobs and the fleet job (docs/zuul-admin-guide.md), one reused node, one enqueue.

    The example cloud (the newest test cloud), the Caracal test cloud and a cloud whose keystone
    does not answer: each build judges its own facts only, the monitor shows each cloud's own
    report, the unreachable cloud's build fails with the reason (its ABORT report delivered).
    The fleet job checks both test clouds again under two subjects that delegate to one account:
    one multi-document report, signed once, both subjects shown. No credential stays on the node.
    """
    newest, credential = member_credential(test_cloud)
    older, old_credential = member_credential(caracal_cloud)
    clouds = [
        Cloud(SUBJECT, auth_url_of(test_cloud), credential.id, credential.secret, monitor.account(SUBJECT)),
        Cloud(
            "caracal-cloud",
            auth_url_of(caracal_cloud),
            old_credential.id,
            old_credential.secret,
            monitor.account("caracal-cloud"),
        ),
        Cloud(
            "unreachable-cloud",
            "http://127.0.0.1:9/v3",
            "0" * 32,
            f"unreachable-{secrets.token_hex(12)}",  # made now: a literal would be found in this file's copy
            monitor.account("unreachable-cloud"),
        ),
    ]
    fleet = fleet_of(clouds, monitor)
    try:
        point_jobs_at_these_clouds(zuul, monitor, clouds, fleet)
        errors = zuul.api(f"tenant/{ZUUL_CI.TENANT}/config-errors")
        assert errors == [], errors
        zuul.enqueue("patchcheck", "periodic-daily")
        builds = {cloud.name: wait_build(zuul, cloud.job) for cloud in clouds}
        fleet_build = wait_build(zuul, FLEET_JOB)
    finally:
        newest.identity.delete_application_credential(newest.current_user_id, credential)
        older.identity.delete_application_credential(older.current_user_id, old_credential)
    for cloud in clouds[:2]:
        build = builds[cloud.name]
        assert build["result"] == "SUCCESS", failure_of(build)
        announced = {artifact["name"]: artifact["url"] for artifact in build["artifacts"]}
        assert {"SCS report", "Summary", "JUnit", "Verdicts", "Facts", "VEX (CycloneDX)"} <= set(announced)
        log_root = Path(build["log_url"].removeprefix("file://"))
        for name in ("SCS report", "Summary", "JUnit", "VEX (CycloneDX)"):
            relative = announced[name].removeprefix(build["log_url"])
            assert (log_root / relative).is_file(), f"{name}: {relative} not in the build's logs"
    for cloud in clouds:
        verdicts = json.loads(build_artifact(builds[cloud.name], "verdicts.json").read_text())
        judged = [Path(entry["path"]).name for entry in verdicts["facts"]]
        assert judged == [f"tenant-{cloud.name}.json"], (cloud.name, judged)
        report = build_artifact(builds[cloud.name], "report.yaml")
        assert yaml.safe_load(report.read_text())["subject"] == cloud.name
        assert shown(monitor.status(cloud.name), TENANT.uuid) == results_in(report), cloud.name
    unreachable = builds["unreachable-cloud"]
    assert unreachable["result"] == "FAILURE", unreachable
    assert set(results_in(build_artifact(unreachable, "report.yaml")).values()) == {0}  # ABORT, delivered
    output = (Path(unreachable["log_url"].removeprefix("file://")) / "job-output.txt").read_text()
    reason = "unreachable-cloud: the check could not run: cloud unreachable-cloud did not authenticate ("
    assert reason in output
    assert 'msg: "unreachable-cloud: the check could not run' in output or f'"msg": "{reason}' in output, (
        failure_of(unreachable)
    )
    # SCS's model: both clouds in one build, one multi-document report signed once, uploaded as delegate
    assert fleet_build["result"] == "SUCCESS", failure_of(fleet_build)
    combined = build_artifact(fleet_build, "report.yaml")
    documents = list(yaml.safe_load_all(combined.read_text()))
    assert [document["subject"] for document in documents] == fleet.subjects
    for document in documents:
        (invocation,) = document["run"]["invocations"].values()
        status = monitor.status(document["subject"])[TENANT.uuid]
        assert {tc: entry["result"] for tc, entry in status["results"].items()} == invocation["results"]
    node_home = Path(f"~{ZUUL_CI.NODE_USER}").expanduser()
    assert not any((node_home / "patchcheck-builds").glob("*")), "a build's folder stayed on the node"
    needles = [needle for cloud in clouds for needle in cloud.secrets()] + fleet.secrets()
    left = files_holding(node_home, needles)
    assert left == [], left


def test_the_self_test_job_starts_its_playbook(zuul: Any) -> None:
    zuul.enqueue("patchcheck", "check")
    end = time.monotonic() + BUILD_DEADLINE_S
    started = False
    while time.monotonic() < end and not started:
        for output in zuul.job_dir.glob("*/work/logs/job-output.txt"):
            if "PLAY [Run patchcheck's own tests]" in output.read_text(errors="replace"):
                started = True
        time.sleep(2)
    zuul.dequeue("patchcheck", "check")
    zuul.stop_node_processes()  # the cancelled command goes on running on a node, as in any Zuul
    assert started, f"patchcheck-self-test never reached its run playbook; see {zuul.logs}"
    build = wait_build(zuul, "patchcheck-self-test", 120)
    assert build["result"] in ("ABORTED", "CANCELED", "DEQUEUED"), build


def test_everything_the_zuul_started_is_on_loopback(zuul: Any) -> None:
    listeners = zuul.listeners()
    assert listeners, "no listener found: the check would prove nothing"
    assert all(address.startswith(ZUUL_CI.LOOPBACK) for address, _pid in listeners), listeners
    finger = subprocess.run(
        ["ss", "-Hltn", f"sport = :{zuul.settings()['finger_port']}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "127.0.0.1" in finger.stdout and "*:" not in finger.stdout
