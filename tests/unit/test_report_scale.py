"""The CycloneDX VEX and SBOM grow with hosts in work and memory as a list does, not as a square.

cyclonedx-python-lib's ``Bom.validate`` registered each component's dependency entry by
searching all entries one by one (4,000 hosts took 828 s), and even once that was indexed its
model took 16 s and 450 MB for the VEX of 1,000 hosts. The writer is now plain JSON
(``patchcheck.report.cyclonedx_json``). These tests count work, not time: every Python and C
function call while writing (four times the hosts may cost a little over four times the calls,
never sixteen), and the memory the writer holds (less than the document it writes: elements
leave memory as they are written). Timings are in ``bench/end_to_end_scale.py``.
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, TestcaseVerdict, Verdicts, load_verdicts
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


class Sink:
    """A file that keeps nothing: counts what is written."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text)
        return len(text)


WRITERS = [vex.write_cyclonedx_vex, sbom.write_cyclonedx_sbom, vex.write_openvex]
IDS = ["vex", "sbom", "openvex"]


def calls_while(write: Callable[[], None]) -> int:
    """How many Python and C function calls ``write`` makes: the work, on any machine the same."""
    counted = [0]

    def count(_frame: Any, event: str, _arg: Any) -> None:
        if event in ("call", "c_call"):
            counted[0] += 1

    sys.setprofile(count)
    try:
        write()
    finally:
        sys.setprofile(None)
    return counted[0]


@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_cyclonedx_work_grows_about_linearly_with_hosts(write: Callable[[Verdicts, str, Any], None]) -> None:
    small_fleet, large_fleet = fleet(100), fleet(400)
    small = calls_while(lambda: write(small_fleet, "cloud", Sink()))
    large = calls_while(lambda: write(large_fleet, "cloud", Sink()))
    assert large < 5 * small, f"{small} calls for 100 hosts, {large} for 400: not linear"


@pytest.mark.parametrize("render", [vex.cyclonedx_vex, sbom.cyclonedx_sbom], ids=["vex", "sbom"])
def test_every_install_is_still_listed_and_has_its_dependency_entry(
    render: Callable[[Verdicts, str], str],
) -> None:
    document = json.loads(render(fleet(400), "cloud"))
    assert len(document["components"]) == 800
    assert len(document["dependencies"]) == 801  # one entry each, the cloud's own too
    assert len(document.get("vulnerabilities", [])) in (0, 800)


@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_cyclonedx_writers_hold_less_than_the_document_they_write(
    write: Callable[[Verdicts, str, Any], None],
) -> None:
    """The library held the whole model and text (580 MB for 1,000 hosts): here only sort keys stay."""
    verdicts, sink = fleet(1600), Sink()
    tracemalloc.start()
    try:
        write(verdicts, "cloud", sink)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < sink.written, f"held {peak} bytes while writing {sink.written}"


def held_by_loading(path: Path) -> int:
    """Bytes the loaded verdicts keep (traced, after the text is gone)."""
    tracemalloc.start()
    try:
        verdicts = load_verdicts(path)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert verdicts.testcases
    return held


def test_loaded_verdicts_hold_less_than_the_file(tmp_path: Path) -> None:
    """Items stay packed until read, the header's repeated strings are shared (issue 26).

    As objects the items took 4.2 times the file, 2.9 times with shared strings; packed, the
    whole loaded document is below the file's size.
    """
    path = tmp_path / "verdicts.json"
    fleet(400).write(path)
    verdicts = load_verdicts(path)
    first, last = verdicts.testcases[0].items[0].evidence, verdicts.testcases[0].items[-1].evidence
    assert first["url"] == last["url"] and first["host"] != last["host"]  # read back whole
    products = [host["components"][0]["product"] for host in verdicts.inventory]
    assert products[0] == products[-1] and products[0] is products[-1]
    size = path.stat().st_size
    held = held_by_loading(path)
    assert held < size, f"{held} bytes held for a {size}-byte verdicts file (4.2 times before sharing)"
