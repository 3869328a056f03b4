"""Configuration judged as the service reads it: oslo.config's files, order, duplicates and case.

Real files, the real host module and the real judge: each shape below is one oslo.config reads
as the vulnerable setting (issue 26 points 1-3), and each has a twin that shows the test can
tell the difference.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import config_allowlist, service_config

from patchcheck.facts.model import HostFacts
from patchcheck.judge import ossa_patched
from patchcheck.judge.verdict import Finding
from patchcheck.knowledge.advisories import AdvisoryIndex, shipped_index
from patchcheck.knowledge.rules import options_read

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def index() -> AdvisoryIndex:
    return shipped_index()


def affected_version(index: AdvisoryIndex, product: str, advisory: str) -> str:
    """A release of ``product`` inside ``advisory``'s range, found in the index, not hard-coded."""
    for version, _date in sorted(index.releases.get(product, []), reverse=True):
        if any(f.advisory.id == advisory for f in index.affecting_key(product, version)):
            return version
    raise AssertionError(f"no {product} release affected by {advisory} in the index")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def judged(
    index: AdvisoryIndex, root: Path, products: dict[str, str], services: list[str]
) -> dict[str, Finding]:
    """The host's scs-0124-ossa-patched findings by advisory, from the files under ``root``."""
    keep = sorted({p for a in index.advisories for r in a.rules for p in options_read(r.expr, r.service)})
    errors: list[str] = []
    gaps: list[dict[str, str]] = []
    roots = [str(root / "etc"), str(root / "etc" / "kolla")]
    config = service_config.configuration(
        services, roots, [*config_allowlist.HARMLESS_OPTIONS, *keep], errors, gaps
    )
    assert not gaps and not errors
    document = {
        "schema_version": 1,
        "kind": "host",
        "collected_at": NOW.isoformat(timespec="seconds"),
        "collector": {"name": "patchcheck", "version": "t"},
        "host": "h1",
        "reachable": True,
        "packages": [],
        "python": [
            {
                "kind": "venv",
                "path": f"/opt/{product}",
                "service": product,
                "distributions": [{"name": product, "product": product, "version": version}],
            }
            for product, version in products.items()
        ],
        "containers": [],
        "config": config,
        "errors": [],
    }
    facts = HostFacts.from_document("h1.json", document)
    findings = ossa_patched.judge_host_advisories(facts, index, NOW)
    return {f.evidence["advisory"]: f for f in findings if "advisory" in f.evidence}


# -- point 1: five shapes in which oslo.config reads images_type = flat ----------------------------

FLAT_SHAPES = {
    "the option twice": {"etc/nova/nova.conf": "[libvirt]\nimages_type = qcow2\nimages_type = flat\n"},
    "the section twice": {
        "etc/nova/nova.conf": "[libvirt]\nimages_type = qcow2\n[DEFAULT]\ndebug = false\n[libvirt]\n"
        "images_type = flat\n"
    },
    "the section in upper case": {
        "etc/nova/nova.conf": "[libvirt]\nimages_type = qcow2\n[LIBVIRT]\nimages_type = flat\n"
    },
    "a conf.d file": {
        "etc/nova/nova.conf": "[libvirt]\nimages_type = qcow2\n",
        "etc/nova/nova.conf.d/50-x.conf": "[libvirt]\nimages_type = flat\n",
    },
    "a per-program file": {
        "etc/nova/nova.conf": "[libvirt]\nimages_type = qcow2\n",
        "etc/nova/nova-compute.conf": "[libvirt]\nimages_type = flat\n",
    },
}


@pytest.mark.parametrize("shape", sorted(FLAT_SHAPES))
def test_flat_images_as_oslo_config_reads_them_never_pass_ossa_2026_002(
    index: AdvisoryIndex, tmp_path: Path, shape: str
) -> None:
    nova = affected_version(index, "nova", "OSSA-2026-002")
    write(tmp_path, FLAT_SHAPES[shape])
    finding = judged(index, tmp_path, {"nova": nova}, ["nova"])["OSSA-2026-002"]
    assert finding.evidence["status"] != "not affected (precondition false)", finding.message
    assert finding.result.value != "PASS", finding.message


@pytest.mark.parametrize("shape", sorted(FLAT_SHAPES))
def test_the_same_shapes_with_qcow2_last_are_not_affected(
    index: AdvisoryIndex, tmp_path: Path, shape: str
) -> None:
    """The twin: qcow2 where oslo.config reads it last (the files swapped) is not affected."""
    nova = affected_version(index, "nova", "OSSA-2026-002")
    files = {
        name: text.replace("flat", "@@").replace("qcow2", "flat").replace("@@", "qcow2")
        for name, text in FLAT_SHAPES[shape].items()
    }
    if shape == "a per-program file":  # the bare program (nova-api) reads nova.conf alone: both qcow2
        files = {name: text.replace("flat", "qcow2") for name, text in files.items()}
    write(tmp_path, files)
    finding = judged(index, tmp_path, {"nova": nova}, ["nova"])["OSSA-2026-002"]
    assert finding.evidence["status"] == "not affected (precondition false)", finding.message


def test_a_per_program_file_that_disagrees_is_judged_on_the_worst_program(
    index: AdvisoryIndex, tmp_path: Path
) -> None:
    """nova.conf says flat, nova-compute.conf says qcow2: nova-api reads flat, so it applies."""
    nova = affected_version(index, "nova", "OSSA-2026-002")
    write(
        tmp_path,
        {
            "etc/nova/nova.conf": "[libvirt]\nimages_type = flat\n",
            "etc/nova/nova-compute.conf": "[libvirt]\nimages_type = qcow2\n",
        },
    )
    finding = judged(index, tmp_path, {"nova": nova}, ["nova"])["OSSA-2026-002"]
    assert finding.evidence["status"] != "not affected (precondition false)", finding.message


# -- point 2: keystone's domain-specific configuration ---------------------------------------------


@pytest.mark.parametrize(("driver", "applies"), [("ldap", True), ("sql", False)])
def test_a_keystone_domain_on_ldap_makes_ossa_2026_007_apply(
    index: AdvisoryIndex, tmp_path: Path, driver: str, applies: bool
) -> None:
    keystone = affected_version(index, "keystone", "OSSA-2026-007")
    write(
        tmp_path,
        {
            "etc/keystone/keystone.conf": "[identity]\ndriver = sql\n"
            "domain_specific_drivers_enabled = true\n",
            "etc/keystone/domains/keystone.corp.conf": f"[identity]\ndriver = {driver}\n[ldap]\nurl = ldap://x\n",
        },
    )
    finding = judged(index, tmp_path, {"keystone": keystone}, ["keystone"])["OSSA-2026-007"]
    not_affected = finding.evidence["status"] == "not affected (precondition false)"
    assert not_affected is not applies, finding.message
    if applies:
        assert "keystone domain corp" in " ".join(finding.evidence["evidence"])


# -- point 3: every Kolla folder of a service must carry the mitigation ----------------------------

CINDER_POLICY = (
    '"volume:attachment_delete": "rule:xyz or rule:is_service"\n'
    '"volume_extension:volume_actions:terminate_connection": "rule:xyz or rule:is_service"\n'
    '"volume_extension:volume_actions:detach": "rule:xyz or rule:is_service"\n'
    '"volume_extension:volume_admin_actions:force_detach": "!"\n'
)


@pytest.mark.parametrize(("compute", "mitigated"), [("false", False), ("true", True)])
def test_ossa_2023_003_mitigation_counts_only_in_every_nova_folder(
    index: AdvisoryIndex, tmp_path: Path, compute: str, mitigated: bool
) -> None:
    cinder = affected_version(index, "cinder", "OSSA-2023-003")
    write(
        tmp_path,
        {
            "etc/kolla/cinder-api/cinder.conf": "[keystone_authtoken]\nservice_token_roles_required = true\n",
            "etc/kolla/cinder-api/policy.yaml": CINDER_POLICY,
            "etc/kolla/nova-api/nova.conf": "[service_user]\nsend_service_user_token = true\n",
            "etc/kolla/nova-compute/nova.conf": f"[service_user]\nsend_service_user_token = {compute}\n",
            "etc/kolla/nova-libvirt/libvirtd.conf": "listen_tls = 1\n",  # no nova.conf: no nova program
        },
    )
    finding = judged(index, tmp_path, {"cinder": cinder}, ["cinder", "nova"])["OSSA-2023-003"]
    assert (finding.evidence["status"] == "mitigated") is mitigated, finding.message
    if not mitigated:
        assert finding.result.value != "PASS" or finding.evidence["status"] == "affected, within deadline"
        assert "nova-compute" in " ".join(finding.evidence["evidence"])


@pytest.mark.parametrize(
    "conf_d",
    [
        "[libvirt]\nimages_type = qcow2\n<Directory /srv>\n",  # oslo.config refuses it
        "images_type = qcow2\n",  # an assignment before any section: refused as well
    ],
)
def test_a_file_oslo_config_refuses_decides_nothing(
    index: AdvisoryIndex, tmp_path: Path, conf_d: str
) -> None:
    nova = affected_version(index, "nova", "OSSA-2026-002")
    write(
        tmp_path,
        {"etc/nova/nova.conf": "[libvirt]\nimages_type = qcow2\n", "etc/nova/nova.conf.d/50-x.conf": conf_d},
    )
    finding = judged(index, tmp_path, {"nova": nova}, ["nova"])["OSSA-2026-002"]
    assert finding.evidence["status"] != "not affected (precondition false)", finding.message
    assert "not read" in " ".join(finding.evidence["evidence"])
