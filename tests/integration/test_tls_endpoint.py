"""An https endpoint in the test cloud's catalog: placement behind gunicorn's own TLS, once as it should
be and once with an expired certificate; the nightly playbook judges what sslyze finds.

The certificates are made with the real clock and sslyze validates them with the real clock, so the
playbook judges on the real day too (``today()``): a certificate that expired two days ago must read
"expired" on every day the suite runs, which judging on the fixed REFERENCE_DAY could not promise."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openstack.config
import openstack.connection

from tests.integration.conftest import TestCloud, run_tenant_playbook, today
from tests.integration.tls_gunicorn import gunicorn_over_tls

PORT = 38779
WSGI = Path(__file__).resolve().parents[2] / "testbed" / "wsgi"


def admin(cloud: TestCloud) -> openstack.connection.Connection:
    region = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)]).get_one(
        cloud="testbed-admin"
    )
    return openstack.connection.Connection(config=region)


@contextmanager
def https_placement(cloud: TestCloud, folder: Path, not_after: dt.datetime) -> Iterator[Path]:
    """Serve placement over TLS on PORT and list it in the catalog; yields the CA file."""
    env = {"OS_PLACEMENT_CONFIG_DIR": str(cloud.state / "etc" / "placement")}
    with gunicorn_over_tls(
        cloud.state / "venv", "placement_tls_app:application", PORT, folder, env, not_after
    ) as ca:
        connection = admin(cloud)
        service = connection.identity.find_service("placement")
        endpoint = connection.identity.create_endpoint(
            service_id=service.id, interface="public", region_id="RegionOne", url=f"https://127.0.0.1:{PORT}"
        )
        try:
            yield ca
        finally:
            connection.identity.delete_endpoint(endpoint)


def tls_item(cloud: TestCloud, ca: Path, out: Path) -> dict:
    clouds = json.loads(cloud.clouds_yaml.read_text())
    member = clouds["clouds"]["testbed"]
    member["cacert"] = str(ca)
    clouds_yaml = out.parent / f"{out.name}-clouds.yaml"
    clouds_yaml.write_text(json.dumps({"clouds": {"testbed": member}}))
    run = run_tenant_playbook(clouds_yaml, out, day=today())
    assert run.returncode == 0, run.output[-3000:]
    testcases = {t["id"]: t for t in json.loads((out / "verdicts.json").read_text())["testcases"]}
    (item,) = [i for i in testcases["scs-0125-tls-profile"]["items"] if f":{PORT}" in i["subject"]]
    return item


def test_a_modern_https_endpoint_passes_the_profile(test_cloud: TestCloud, tmp_path: Path) -> None:
    with https_placement(test_cloud, tmp_path, dt.datetime.now(dt.UTC) + dt.timedelta(days=200)) as ca:
        item = tls_item(test_cloud, ca, tmp_path / "modern")
    assert item["result"] == "PASS", item["message"]


def test_an_expired_certificate_fails_the_profile(test_cloud: TestCloud, tmp_path: Path) -> None:
    with https_placement(test_cloud, tmp_path, dt.datetime.now(dt.UTC) - dt.timedelta(days=2)) as ca:
        item = tls_item(test_cloud, ca, tmp_path / "expired")
    assert item["result"] == "FAIL"
    assert "certificate expired" in item["message"]
