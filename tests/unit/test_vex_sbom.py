"""CycloneDX 1.6 VEX and SBOM and OpenVEX from real judge output, validated against their schemas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import vexipy
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.helpers import write
from tests.unit.test_declarations import DECLARATION, host_facts


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vex")
    facts = host_facts()
    facts["packages"] = [
        {
            "manager": "dpkg",
            "name": "python3-nova",
            "source": "nova",
            "product": "nova",
            "version": "2:26.2.2-1~deb12u5",
            "architecture": "amd64",
            "changelog_cves": ["CVE-2024-40767", "CVE-2024-32498"],
        }
    ]
    write(facts, folder / "host-ctl1.json")
    (folder / "declarations.yaml").write_text(DECLARATION.format(expires="2027-01-31"))
    for command in (
        [
            "judge",
            "--facts",
            str(folder / "host-ctl1.json"),
            "--verdicts",
            str(folder / "verdicts.json"),
            "--reference-date",
            "2026-11-23",
            "--declarations",
            str(folder / "declarations.yaml"),
        ],
        [
            "report",
            "--verdicts",
            str(folder / "verdicts.json"),
            "--subject",
            "mycloud",
            "--out-dir",
            str(folder),
        ],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "patchcheck.cli", *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode in (0, 1, 3), result.stderr
    return folder


def analysis_of(document: dict[str, Any], advisory: str, product: str) -> dict[str, Any]:
    components = {c["bom-ref"]: c for c in document["components"]}
    (found,) = [
        v
        for v in document["vulnerabilities"]
        if v["id"] == advisory and components[v["affects"][0]["ref"]]["name"] == product
    ]
    return found["analysis"]


@pytest.mark.parametrize("name", ["vex.cdx.json", "sbom.cdx.json"])
def test_cyclonedx_documents_validate_against_the_1_6_schema(outputs: Path, name: str) -> None:
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str((outputs / name).read_text()) is None


def test_openvex_validates_with_the_openvex_models(outputs: Path) -> None:
    document = vexipy.Document.model_validate_json((outputs / "vex.openvex.json").read_text())
    assert document.statements


def test_vex_states_follow_the_verdicts(outputs: Path) -> None:
    document = json.loads((outputs / "vex.cdx.json").read_text())
    assert analysis_of(document, "OSSA-2024-002", "nova")["state"] == "resolved"  # Debian backport
    precondition = analysis_of(document, "OSSA-2026-007", "keystone")  # LDAP advisory, keystone.conf says sql
    assert (precondition["state"], precondition["justification"]) == (
        "not_affected",
        "requires_configuration",
    )
    declared = analysis_of(document, "OSSA-2025-002", "keystone")
    assert declared["state"] == "resolved_with_pedigree"
    assert declared["detail"].startswith("DECLARED by ops@example.net until 2027-01-31")
    assert analysis_of(document, "OSSA-2026-005", "keystone")["state"] == "exploitable"
    openvex = json.loads((outputs / "vex.openvex.json").read_text())
    affected = [s for s in openvex["statements"] if s["status"] == "affected"]
    assert affected and all("due 2026-" in s["action_statement"] for s in affected)


def test_sbom_lists_what_was_found_with_package_urls(outputs: Path) -> None:
    components = json.loads((outputs / "sbom.cdx.json").read_text())["components"]
    purls = {c["purl"] for c in components}
    assert purls == {
        "pkg:pypi/keystone@26.0.0?install_path=/openstack/venvs/keystone-26.0.0",
        "pkg:deb/debian/python3-nova@2:26.2.2-1~deb12u5?arch=amd64",
    }


def test_every_install_is_its_own_product_and_debian_names_the_code_package() -> None:
    """Five installs of one product on a host (a package and venvs) never share an identity."""
    from patchcheck.report.sbom import install_ref, purl_for

    installs = [
        ("dpkg", "ironic-common, python3-ironic", [["ironic-common", "all"], ["python3-ironic", "all"]]),
        ("openstack-ansible", "/openstack/venvs/ironic-29.0.1", None),
        ("venv", "/opt/ironic-a", None),
        ("venv", "/opt/ironic-b", None),
        ("container:ironic_conductor", "/var/lib/kolla/venv", None),
    ]
    purls = {purl_for("ironic", "29.0.1", source, where, packages) for source, where, packages in installs}
    refs = {install_ref("h", "ironic", "29.0.1", source, where) for source, where, _ in installs}
    assert len(purls) == len(refs) == 5
    assert "pkg:deb/debian/python3-ironic@29.0.1?arch=all" in purls


def test_every_document_names_the_knowledge_it_was_judged_with(outputs: Path) -> None:
    for name in ("vex.cdx.json", "sbom.cdx.json"):
        properties = json.loads((outputs / name).read_text())["metadata"]["properties"]
        (knowledge,) = [p["value"] for p in properties if p["name"] == "patchcheck:knowledge"]
        assert knowledge.startswith("advisory knowledge shipped with patchcheck")
    assert "advisory knowledge" in json.loads((outputs / "vex.openvex.json").read_text())["tooling"]
    assert "Judged with advisory knowledge" in (outputs / "summary.md").read_text()


def test_cyclonedx_documents_are_those_the_library_builds_from_the_same_verdicts(outputs: Path) -> None:
    """The written files against cyclonedx-python-lib's model of the same real judge output."""
    from patchcheck.judge.verdicts import load_verdicts
    from tests.cyclonedx_library import library_sbom, library_vex, normalised

    verdicts = load_verdicts(outputs / "verdicts.json")
    for name, library in (("vex.cdx.json", library_vex), ("sbom.cdx.json", library_sbom)):
        written = json.loads((outputs / name).read_text())
        assert normalised(written) == normalised(json.loads(library(verdicts, "mycloud")))


def test_python_installs_are_named_as_pypi_names_them() -> None:
    """heat from PyPI is openstack-heat (``pkg:pypi/heat`` is another project); a Debian package keeps its."""
    from patchcheck.report.sbom import purl_for

    venv = "/openstack/venvs/heat-29.2.4"
    assert purl_for("heat", "22.0.1", "openstack-ansible", venv) == (
        f"pkg:pypi/openstack-heat@22.0.1?install_path={venv}"
    )
    assert purl_for("placement", "13.0.0", "container:placement_api", "/var/lib/kolla/venv").startswith(
        "pkg:pypi/openstack-placement@13.0.0?"
    )
    assert purl_for("designate", "18.1.0", "venv", "/opt/designate").startswith("pkg:pypi/designate@18.1.0?")
    assert purl_for("heat", "1:24.0.0-1", "dpkg", "python3-heat", [["python3-heat", "all"]]) == (
        "pkg:deb/debian/python3-heat@1:24.0.0-1?arch=all"
    )
