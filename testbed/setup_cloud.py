"""Register the test cloud in keystone (run with the test cloud's python).

Creates the service project and users, the catalog, and the identity the
nightly job uses: a project with one user holding only the ``member`` role.
Writes clouds.yaml with two clouds: ``testbed`` (that member) and
``testbed-admin`` (for test set-up only, never for the check).
"""

import json
import os
import sys
from pathlib import Path

import openstack
import openstack.config
import openstack.connection

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from testbed import REGION, RELEASES, write_private  # noqa: E402

MEMBER_PROJECT = "patchcheck-demo"
MEMBER_USER = "patchcheck-member"
MEMBER_IMAGE = "patchcheck-member-image"


def main(state: Path, series: str) -> None:
    values = json.loads((state / "secrets.json").read_text())
    services = RELEASES[series].services()
    keystone_url = next(s for s in services if s.name == "keystone").base_url + "/v3"
    admin = openstack.connect(
        auth_url=keystone_url,
        username="admin",
        password=values["admin_password"],
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name=REGION,
        identity_api_version="3",
    )
    identity = admin.identity
    service_project = identity.find_project("service") or identity.create_project(
        name="service", domain_id="default"
    )
    roles = {role.name: role for role in identity.roles()}
    for name in ("admin", "member", "service"):
        if name not in roles:
            roles[name] = identity.create_role(name=name)
    for service in services:
        if service.name == "keystone" or not service.in_catalog:
            continue
        user = identity.find_user(service.name, domain_id="default") or identity.create_user(
            name=service.name, password=values["service_password"], domain_id="default"
        )
        for role in ("admin", "service"):
            identity.assign_project_role_to_user(service_project, user, roles[role])
        registered = identity.create_service(name=service.name, type=service.service_type)
        for interface in ("public", "internal"):
            identity.create_endpoint(
                service_id=registered.id,
                interface=interface,
                region_id=REGION,
                url=service.base_url + service.catalog_path,
            )
    project = identity.find_project(MEMBER_PROJECT) or identity.create_project(
        name=MEMBER_PROJECT, domain_id="default"
    )
    member = identity.find_user(MEMBER_USER, domain_id="default") or identity.create_user(
        name=MEMBER_USER,
        password=values["member_password"],
        domain_id="default",
        default_project_id=project.id,
    )
    identity.assign_project_role_to_user(project, member, roles["member"])

    def cloud(user: str, password: str, project_name: str) -> dict:
        return {
            "auth": {
                "auth_url": keystone_url,
                "username": user,
                "password": password,
                "project_name": project_name,
                "user_domain_name": "Default",
                "project_domain_name": "Default",
            },
            "region_name": REGION,
            "identity_api_version": 3,
            "interface": "public",
        }

    clouds = {
        "clouds": {
            "testbed": cloud(MEMBER_USER, values["member_password"], MEMBER_PROJECT),
            "testbed-admin": cloud("admin", values["admin_password"], "admin"),
        }
    }
    dashboard = next((s for s in services if not s.in_catalog), None)
    if dashboard is not None:
        # The catalog lists no dashboard; clouds.yaml names it (openstacksdk keeps unknown keys).
        clouds["clouds"]["testbed"]["dashboard_url"] = dashboard.base_url + dashboard.catalog_path
    # JSON is valid YAML, and this keeps the set-up free of a YAML dependency.
    write_private(state / "clouds.yaml", json.dumps(clouds, indent=2) + "\n")
    os.chmod(state / "clouds.yaml", 0o600)


def member_image(state: Path) -> None:
    """The member owns one small image: only an owner is shown an image's locations (OSSN-0065)."""
    region = openstack.config.OpenStackConfig(config_files=[str(state / "clouds.yaml")]).get_one(
        cloud="testbed"
    )
    member = openstack.connection.Connection(config=region)
    if not any(image.name == MEMBER_IMAGE for image in member.image.images(owner=member.current_project_id)):
        member.image.create_image(
            name=MEMBER_IMAGE, data=b"\0" * 1024, disk_format="raw", container_format="bare"
        )


if __name__ == "__main__":
    if sys.argv[3:] == ["image"]:
        member_image(Path(sys.argv[1]))
    else:
        main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "hibiscus")
