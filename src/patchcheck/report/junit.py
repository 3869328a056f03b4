"""JUnit XML, for Zuul's build page and any CI that renders test results.

One ``<testsuite>`` per SCS testcase, one ``<testcase>`` per finding; FAIL is a
``<failure>``, ABORT an ``<error>`` (the check could not be decided), so that no
renderer shows an aborted check as passed. A testcase without findings gets one
``<error>`` entry saying so.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from patchcheck.files import atomic_write
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Verdicts


def build_junit(verdicts: Verdicts, subject: str) -> ET.ElementTree:
    suites = ET.Element("testsuites", name=f"patchcheck {subject}")
    for testcase in verdicts.testcases:
        items = testcase.items or []
        suite = ET.SubElement(suites, "testsuite", name=testcase.id)
        failures = sum(1 for item in items if item.result is Result.FAIL)
        errors = sum(1 for item in items if item.result is Result.ABORT) + (0 if items else 1)
        suite.set("tests", str(max(len(items), 1)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        if not items:
            case = ET.SubElement(suite, "testcase", classname=testcase.id, name="(no check ran)")
            ET.SubElement(case, "error", message="no check ran for this testcase", type="ABORT")
        for item in items:
            case = ET.SubElement(suite, "testcase", classname=testcase.id, name=item.subject)
            if item.result is Result.FAIL:
                ET.SubElement(case, "failure", message=item.message, type="FAIL").text = item.message
            elif item.result is Result.ABORT:
                ET.SubElement(case, "error", message=item.message, type="ABORT").text = item.message
            else:
                ET.SubElement(case, "system-out").text = item.message
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    return tree


def write_junit(verdicts: Verdicts, subject: str, path: Path) -> None:
    root = build_junit(verdicts, subject).getroot()
    atomic_write(path, ET.tostring(root, encoding="utf-8", xml_declaration=True).decode("utf-8"))
