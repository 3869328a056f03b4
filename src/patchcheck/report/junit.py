"""JUnit XML, for Zuul's build page and any CI that renders test results.

One ``<testsuite>`` per SCS testcase, one ``<testcase>`` per finding; FAIL is a
``<failure>``, ABORT an ``<error>`` (the check could not be decided), so that no
renderer shows an aborted check as passed. A testcase without findings gets one
``<error>`` entry saying so.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TextIO

from patchcheck.files import atomic_writer
from patchcheck.judge.packed_items import result_counts
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


def start_tag(element: ET.Element) -> str:
    """``<tag attributes>`` as ElementTree writes it (same escaping and attribute order)."""
    text = ET.tostring(element, encoding="unicode", short_empty_elements=False)
    return text[: -len(f"</{element.tag}>")]


def testcase_element(testcase_id: str, subject: str, result: Result, message: str) -> ET.Element:
    case = ET.Element("testcase", classname=testcase_id, name=subject)
    if result is Result.FAIL:
        ET.SubElement(case, "failure", message=message, type="FAIL").text = message
    elif result is Result.ABORT:
        ET.SubElement(case, "error", message=message, type="ABORT").text = message
    else:
        ET.SubElement(case, "system-out").text = message
    return case


def write_junit_stream(verdicts: Verdicts, subject: str, stream: TextIO) -> None:
    """The document ``build_junit`` builds, indented as ``ET.indent`` does, one testcase at a time.

    The whole tree and its text held 290 MB more for 10,000 hosts (``bench/end_to_end_scale.py``);
    here one ``<testcase>`` element exists at a time. ``tests/unit/test_reports.py`` compares the
    text with ``build_junit``'s.
    """
    stream.write("<?xml version='1.0' encoding='utf-8'?>\n")
    root = ET.Element("testsuites", name=f"patchcheck {subject}")
    if not verdicts.testcases:  # no child: ElementTree writes the short empty element
        stream.write(ET.tostring(root, encoding="unicode"))
        return
    stream.write(start_tag(root) + "\n  ")
    for number, testcase in enumerate(verdicts.testcases):
        items = testcase.items or []
        counts = result_counts(items)  # packed items know their counts: one pass, not three
        failures = counts[Result.FAIL]
        errors = counts[Result.ABORT] + (0 if items else 1)
        suite = ET.Element("testsuite", name=testcase.id)
        suite.set("tests", str(max(len(items), 1)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        stream.write(start_tag(suite) + "\n    ")
        cases = (
            ((item.subject, item.result, item.message) for item in items)
            if items
            else [("(no check ran)", Result.ABORT, "no check ran for this testcase")]
        )
        for position, (name, result, message) in enumerate(cases, 1):
            case = testcase_element(testcase.id, name, result, message)
            if not items:  # the placeholder's error carries no text, as build_junit writes it
                case[0].text = None
            case.text = "\n      "
            case[0].tail = "\n    "
            case.tail = "\n    " if position < max(len(items), 1) else "\n  "
            stream.write(ET.tostring(case, encoding="unicode"))
        stream.write("</testsuite>" + ("\n  " if number < len(verdicts.testcases) - 1 else "\n"))
    stream.write("</testsuites>")


def write_junit(verdicts: Verdicts, subject: str, path: Path) -> None:
    with atomic_writer(path) as stream:
        write_junit_stream(verdicts, subject, stream)
