"""The CycloneDX VEX and SBOM grow with hosts as a sort does, not as a square (issue 26, point 12).

cyclonedx-python-lib's ``Bom.validate`` registered each component's dependency entry by
searching all entries one by one: 4,000 hosts took 828 s. The test counts reference
comparisons (``BomRef.__eq__``, what that search did for each pair) instead of timing:
four times the hosts may cost a little over four times the comparisons (sorting), never
sixteen. Timings are in ``bench/end_to_end_scale.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cyclonedx.model.bom_ref import BomRef

from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts
from patchcheck.report import sbom, vex

PRODUCTS = ("nova", "glance")


def fleet(hosts: int) -> Verdicts:
    """``hosts`` hosts with two components each and one advisory finding per component."""
    inventory, items = [], []
    for number in range(hosts):
        host = f"host{number:05d}"
        components = [
            {"product": product, "version": "29.0.1", "source": "kolla", "where": f"/venvs/{product}"}
            for product in PRODUCTS
        ]
        inventory.append({"host": host, "reachable": True, "components": components})
        for component in components:
            evidence = {
                "host": host,
                **component,
                "advisory": "OSSA-2026-001",
                "url": "https://security.openstack.org/ossa/OSSA-2026-001.html",
                "status": "overdue",
                "band": "high",
                "deadline": "2026-01-01T00:00:00+00:00",
                "cves": ["CVE-2026-0001"],
            }
            items.append(Item(f"t[{host}]", host, Result.FAIL, f"{host}: overdue", evidence))
    return Verdicts(
        judged_at="2026-01-02T00:00:00+00:00",
        reference_date="2026-01-02",
        patchcheck_version="test",
        facts=[],
        testcases=[TestcaseVerdict(vex.ADVISORIES, "", items)],
        command=["patchcheck"],
        inventory=inventory,
    )


def comparisons(monkeypatch: pytest.MonkeyPatch, render: Callable[[], str]) -> tuple[int, dict[str, Any]]:
    """How many times ``BomRef.__eq__`` ran while rendering, and the rendered document."""
    counted = [0]
    original = BomRef.__eq__

    def counting(self: BomRef, other: object) -> bool:
        counted[0] += 1
        return original(self, other)

    with monkeypatch.context() as patch:
        patch.setattr(BomRef, "__eq__", counting)
        document = json.loads(render())
    return counted[0], document


@pytest.mark.parametrize("render", [vex.cyclonedx_vex, sbom.cyclonedx_sbom], ids=["vex", "sbom"])
def test_cyclonedx_work_grows_about_linearly_with_hosts(
    monkeypatch: pytest.MonkeyPatch, render: Callable[[Verdicts, str], str]
) -> None:
    small, small_document = comparisons(monkeypatch, lambda: render(fleet(100), "cloud"))
    large, large_document = comparisons(monkeypatch, lambda: render(fleet(400), "cloud"))
    assert len(small_document["components"]) == 200
    assert len(large_document["components"]) == 800  # every install is still listed
    assert len(large_document["dependencies"]) == 801  # and validated: one entry each, the root's too
    assert large < 8 * small, f"{small} comparisons for 100 hosts, {large} for 400: not linear"
