"""Image locations seen by a tenant flip with glance's configuration (OSSN-0065, OSSN-0090)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openstack
import openstack.config
import openstack.connection
import pytest

from tests.integration.conftest import TestCloud, run_tenant_playbook


def image_item(out_dir: Path) -> dict:
    testcases = {t["id"]: t for t in json.loads((out_dir / "verdicts.json").read_text())["testcases"]}
    return next(
        i for i in testcases["scs-0124-ossn-tenant-visible"]["items"] if i["subject"].endswith("locations")
    )


@pytest.fixture
def owned_image(test_cloud: TestCloud) -> Iterator[None]:
    """The test set-up may write (the check may not): the member uploads one small image."""
    region = openstack.config.OpenStackConfig(config_files=[str(test_cloud.clouds_yaml)]).get_one(
        cloud="testbed"
    )
    connection = openstack.connection.Connection(config=region)
    image = connection.image.create_image(
        name="patchcheck-test-image",
        data=b"\0" * 1024,
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
    )
    try:
        yield
    finally:
        connection.image.delete_image(image, ignore_missing=True)
        assert (
            test_cloud.testbed(
                "reconfigure", "glance_show_multiple_locations=false", "glance_show_image_direct_url=false"
            ).returncode
            == 0
        )


def test_image_locations_follow_glance_configuration(
    test_cloud: TestCloud, owned_image: None, tmp_path: Path
) -> None:
    shown = test_cloud.testbed(
        "reconfigure", "glance_show_multiple_locations=true", "glance_show_image_direct_url=true"
    )
    assert shown.returncode == 0, shown.stderr
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path / "shown")
    assert run.returncode == 0, run.output[-3000:]
    item = image_item(tmp_path / "shown")
    assert item["result"] == "FAIL", item["message"]
    assert "show 'locations'" in item["message"]

    hidden = test_cloud.testbed(
        "reconfigure", "glance_show_multiple_locations=false", "glance_show_image_direct_url=false"
    )
    assert hidden.returncode == 0, hidden.stderr
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path / "hidden")
    item = image_item(tmp_path / "hidden")
    assert item["result"] == "PASS", item["message"]


def test_without_an_owned_image_the_answer_is_unknown(test_cloud: TestCloud, tmp_path: Path) -> None:
    run = run_tenant_playbook(test_cloud.clouds_yaml, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert image_item(tmp_path)["result"] == "ABORT"
