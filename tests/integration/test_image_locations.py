"""Image locations seen by a tenant flip with glance's configuration (OSSN-0065, OSSN-0090).

The test cloud's member owns one small image (its set-up uploads it), so the demo decides this
check; a second member without images shows that the answer is then unknown, never PASS.
"""

from __future__ import annotations

import json
import secrets
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
def glance_restored(test_cloud: TestCloud) -> Iterator[None]:
    yield
    restored = test_cloud.testbed(
        "reconfigure", "glance_show_multiple_locations=false", "glance_show_image_direct_url=false"
    )
    assert restored.returncode == 0, restored.stderr


@pytest.fixture
def imageless_member(test_cloud: TestCloud, tmp_path: Path) -> Iterator[Path]:
    """A second member whose project owns no image (set-up may write; the check may not): its clouds.yaml."""
    admin_region = openstack.config.OpenStackConfig(config_files=[str(test_cloud.clouds_yaml)]).get_one(
        cloud="testbed-admin"
    )
    identity = openstack.connection.Connection(config=admin_region).identity
    password = secrets.token_urlsafe(16)
    project = identity.create_project(name=f"imageless-{password[:6]}", domain_id="default")
    user = identity.create_user(name=f"imageless-{password[:6]}", password=password, domain_id="default")
    identity.assign_project_role_to_user(project, user, identity.find_role("member", ignore_missing=False))
    clouds = json.loads(test_cloud.clouds_yaml.read_text())
    cloud = clouds["clouds"]["testbed"]
    cloud["auth"].update(username=user.name, password=password, project_name=project.name)
    clouds_yaml = tmp_path / "clouds.yaml"
    clouds_yaml.write_text(json.dumps({"clouds": {"testbed": cloud}}))
    try:
        yield clouds_yaml
    finally:
        identity.delete_user(user)
        identity.delete_project(project)


def test_image_locations_follow_glance_configuration(
    test_cloud: TestCloud, glance_restored: None, tmp_path: Path
) -> None:
    """The member owns one small image from the test cloud's set-up (testbed/setup_cloud.py)."""
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


def test_without_an_owned_image_the_answer_is_unknown(imageless_member: Path, tmp_path: Path) -> None:
    run = run_tenant_playbook(imageless_member, tmp_path / "out")
    assert run.returncode == 0, run.output[-3000:]
    item = image_item(tmp_path / "out")
    assert item["result"] == "ABORT"
    assert "owns none of the 0 images" in item["message"]
