"""The plain-JSON CycloneDX writer writes the document cyclonedx-python-lib writes for the same verdicts.

The report writes VEX and SBOM without the library (``patchcheck.report.cyclonedx_json``: the
library took 16 s and 450 MB for 1,000 hosts). The library stays the authority: for generated
verdicts (odd host names, every status and declaration, duplicate CVEs, installs of every
source) both documents are built with the library's model (``tests/cyclonedx_library.py``,
the former writer) and with the new writer, and must be equal once the serial number and
timestamp are removed and lists sorted by bom-ref; each new one must also pass the library's
strict 1.6 schema validation.
"""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts
from patchcheck.report import sbom, vex
from tests.cyclonedx_library import library_sbom, library_vex, normalised

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)
STATUSES = sorted(vex.CYCLONEDX)
DECLARED = sorted(vex.DECLARED_CYCLONEDX)
URLS = [
    "https://security.openstack.org/ossa/OSSA-2026-001.html",
    "https://example.org/advisory with space/[1]",
    "https://example.org/a'b\"c<d>{e}#frag",
]
KNOWLEDGE = {"kind": "shipped", "patchcheck": "0.1.0", "built_at": "2026-01-01", "sources": {"ossa": "x"}}

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
installs = st.tuples(
    st.sampled_from(["ctl1", "ctl2", "höst-3"]) | names,
    st.sampled_from(["nova", "keystone", "glance-store"]),
    st.sampled_from(["29.0.1", "2:26.2.2-1~deb12u5", "1.0+x"]) | names,
    st.sampled_from(["dpkg", "rpm", "venv", "openstack-ansible", "container:nova_api", "kolla"]),
    st.sampled_from(["", "/openstack/venvs/nova-29.0.1", "python3-nova, nova-common"]),
    st.sampled_from([None, [["python3-nova", "amd64"], ["nova-common", "all"]], [["nova-common", None]]]),
)
findings = st.tuples(
    st.sampled_from(["OSSA-2026-001", "OSSA-2024-002", "OSSN-0090"]),
    st.sampled_from(STATUSES),
    st.none() | st.sampled_from(DECLARED),
    st.lists(st.sampled_from(["CVE-2026-0001", "CVE-2024-40767", "CVE-2024-32498"]), max_size=4),
    st.sampled_from(URLS),
    names,
)


def verdicts_of(
    fleet: list[tuple[Any, ...]], judged: list[tuple[int, tuple[Any, ...]]], knowledge: bool
) -> Verdicts:
    """Verdicts whose inventory is ``fleet`` and whose advisory items judge some of its installs."""
    by_host: dict[str, list[dict[str, Any]]] = {}
    for host, product, version, source, where, packages in fleet:
        found = {"product": product, "version": version, "source": source, "where": where}
        by_host.setdefault(host, []).append({**found, **({"packages": packages} if packages else {})})
    items = []
    for number, (advisory, status, declared, cves, url, message) in judged:
        host, product, version, source, where, _packages = fleet[number % len(fleet)]
        evidence: dict[str, Any] = {
            "host": host,
            "product": product,
            "version": version,
            "source": source,
            "where": where,
            "advisory": advisory,
            "url": url,
            "status": status,
            "band": "high",
            "cves": cves,
        }
        if declared:
            evidence["declared"] = {
                "status": declared,
                "owner": "ops@example.net",
                "expires": "2027-01-31",
                "justification": "backported",
            }
        items.append(Item(f"t[{host}]", host, Result.FAIL, message, evidence))
    return Verdicts(
        judged_at="2026-01-02T00:00:00+00:00",
        reference_date="2026-01-02",
        patchcheck_version="test",
        facts=[],
        testcases=[TestcaseVerdict(vex.ADVISORIES, "", items)],
        command=["patchcheck"],
        inventory=[{"host": host, "components": found} for host, found in by_host.items()],
        knowledge=KNOWLEDGE if knowledge else None,
    )


def assert_same_document(ours: str, library: str) -> None:
    assert VALIDATOR.validate_str(ours) is None
    assert normalised(json.loads(ours)) == normalised(json.loads(library))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fleet=st.lists(installs, min_size=1, max_size=6),
    judged=st.lists(st.tuples(st.integers(0, 20), findings), max_size=8),
    knowledge=st.booleans(),
)
def test_vex_and_sbom_are_the_documents_the_library_writes(
    fleet: list[tuple[Any, ...]], judged: list[tuple[int, tuple[Any, ...]]], knowledge: bool
) -> None:
    verdicts = verdicts_of(fleet, judged, knowledge)
    assert_same_document(vex.cyclonedx_vex(verdicts, "my cloud"), library_vex(verdicts, "my cloud"))
    assert_same_document(sbom.cyclonedx_sbom(verdicts, "my cloud"), library_sbom(verdicts, "my cloud"))


def test_documents_without_findings_or_inventory_are_the_library_s() -> None:
    empty = verdicts_of([("ctl1", "nova", "29.0.1", "venv", "", None)], [], knowledge=False)
    empty.inventory.clear()
    assert_same_document(vex.cyclonedx_vex(empty, "c"), library_vex(empty, "c"))
    assert_same_document(sbom.cyclonedx_sbom(empty, "c"), library_sbom(empty, "c"))


def test_the_text_is_the_library_s_apart_from_serial_number_and_timestamp() -> None:
    """Not only the content: key order, element order and indentation too (diffs of reports stay small)."""
    fleet = [
        ("ctl1", "nova", "29.0.1", "venv", "/opt/nova", None),
        ("ctl2", "nova", "2:26.2.2-1~deb12u5", "dpkg", "python3-nova", [["python3-nova", "amd64"]]),
        ("ctl1", "keystone", "26.0.0", "kolla", "/var/lib/kolla/venv", None),
    ]
    judged = [
        (number, (advisory, status, None, ["CVE-2026-0002", "CVE-2026-0001"], URLS[0], f"finding {number}"))
        for number, (advisory, status) in enumerate(
            [("OSSA-2026-001", "overdue"), ("OSSA-2024-002", "mitigated"), ("OSSA-2026-001", "unknown")] * 4
        )
    ]
    verdicts = verdicts_of(fleet, judged, knowledge=True)

    def stable(text: str) -> dict[str, Any]:
        document = json.loads(text)
        document.pop("serialNumber")
        document["metadata"].pop("timestamp")
        return document

    for ours, library in (
        (vex.cyclonedx_vex(verdicts, "c"), library_vex(verdicts, "c")),
        (sbom.cyclonedx_sbom(verdicts, "c"), library_sbom(verdicts, "c")),
    ):
        assert json.dumps(stable(ours), indent=1) == json.dumps(stable(library), indent=1)
        assert len(ours.splitlines()) == len(library.splitlines())
