"""VEX: what the verdicts say about each (host, product, advisory), in CycloneDX 1.6 and OpenVEX.

The verdict statuses map onto VEX as follows (CycloneDX analysis state and
justification / OpenVEX status and justification):

- not affected (precondition false) -> not_affected, requires_configuration /
  not_affected, vulnerable_code_not_in_execute_path;
- mitigated -> not_affected, protected_by_mitigating_control /
  not_affected, inline_mitigations_already_exist;
- fixed (backport) -> resolved / fixed;
- declared patched downstream -> resolved_with_pedigree / fixed; declared
  mitigated or not applicable -> not_affected (the detail says *declared*);
- affected, within deadline and overdue -> exploitable / affected (with the deadline as action);
- unknown -> in_triage / under_investigation.

Both documents read the verdicts file only; the CycloneDX one is written as plain
JSON by ``cyclonedx_json`` (why, and how it stays the library's document: see there).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO
from urllib.parse import quote

from patchcheck import __version__
from patchcheck.judge.verdicts import Verdicts
from patchcheck.knowledge.update import describe
from patchcheck.report import cyclonedx_json, json_stream
from patchcheck.report.sbom import Install, install_ref, knowledge_of, purl_for, sorted_installs

ADVISORIES = "scs-0124-ossa-patched"

#: verdict status -> CycloneDX analysis (state, justification)
CYCLONEDX: dict[str, tuple[str, str | None]] = {
    "not affected (precondition false)": ("not_affected", "requires_configuration"),
    "mitigated": ("not_affected", "protected_by_mitigating_control"),
    "fixed (backport)": ("resolved", None),
    "affected, within deadline": ("exploitable", None),
    "overdue": ("exploitable", None),
    "unknown": ("in_triage", None),
}
#: declared status -> CycloneDX analysis (state, justification)
DECLARED_CYCLONEDX: dict[str, tuple[str, str | None]] = {
    "patched-downstream": ("resolved_with_pedigree", None),
    "mitigated": ("not_affected", "protected_by_mitigating_control"),
    "not-applicable": ("not_affected", "requires_environment"),
}
OPENVEX = {
    "not affected (precondition false)": ("not_affected", "vulnerable_code_not_in_execute_path"),
    "mitigated": ("not_affected", "inline_mitigations_already_exist"),
    "fixed (backport)": ("fixed", None),
    "affected, within deadline": ("affected", None),
    "overdue": ("affected", None),
    "unknown": ("under_investigation", None),
}
DECLARED_OPENVEX = {
    "patched-downstream": ("fixed", None),
    "mitigated": ("not_affected", "inline_mitigations_already_exist"),
    "not-applicable": ("not_affected", "component_not_present"),
}


def advisory_items(verdicts: Verdicts) -> Iterator[tuple[dict[str, Any], str]]:
    """(evidence, message) of every judged (host, product, advisory), one at a time."""
    return (
        (item.evidence, item.message)
        for testcase in verdicts.testcases
        if testcase.id == ADVISORIES
        for item in testcase.items
        if "advisory" in item.evidence
    )


def has_advisory_items(verdicts: Verdicts) -> bool:
    """Whether any (host, product, advisory) was judged (OpenVEX needs at least one statement)."""
    return next(advisory_items(verdicts), None) is not None


def install_of(evidence: dict[str, Any], packages: dict[tuple[str, str, str], Any]) -> Install:
    where = evidence.get("where", "")
    return Install(
        evidence["host"],
        evidence["product"],
        evidence["version"],
        evidence["source"],
        where,
        packages.get((evidence["host"], evidence["source"], where)),
    )


def vulnerability(number: int, evidence: dict[str, Any], message: str, ref: str) -> dict[str, Any]:
    """The CycloneDX vulnerability of one judged (host, product, advisory), keys in the library's order."""
    declared = evidence.get("declared")
    state, justification = (
        DECLARED_CYCLONEDX[declared["status"]] if declared else CYCLONEDX[evidence["status"]]
    )
    detail = (
        f"DECLARED by {declared['owner']} until {declared['expires']}: {declared['justification']}"
        if declared
        else message
    )
    analysis = {
        "detail": detail,
        **({"justification": justification} if justification else {}),
        "state": state,
    }
    references = [
        {
            "id": cve,
            "source": {"name": "NVD", "url": cyclonedx_json.uri(f"https://nvd.nist.gov/vuln/detail/{cve}")},
        }
        for cve in sorted(set(evidence.get("cves") or ()))
    ]
    return {
        "affects": [{"ref": ref}],
        "analysis": analysis,
        "bom-ref": f"vuln-{number}-{evidence['advisory']}",
        "id": evidence["advisory"],
        **({"references": references} if references else {}),
        "source": {
            "name": "OpenStack Vulnerability Management Team",
            "url": cyclonedx_json.uri(evidence["url"]),
        },
    }


def write_cyclonedx_vex(verdicts: Verdicts, subject: str, stream: TextIO) -> None:
    """The CycloneDX VEX: one vulnerability per judged (host, product, advisory), affecting its install.

    One pass over the advisory findings: each vulnerability is encoded as it is met and spilled
    to an anonymous temporary file, its sort key and place kept; then they are written in the
    library's order (id, then bom-ref) from there. Holding the findings for the sort took about
    300 MB at 10,000 hosts (issue 26); the keys and the distinct installs are a tenth of it.
    """
    packages = inventory_packages(verdicts)
    table: dict[str, str] = {}
    share = table.setdefault
    installs: dict[str, Install] = {}  # by bom-ref, the first seen (as sorted_installs keeps it)
    order: list[tuple[str, str, int, int]] = []
    with tempfile.TemporaryFile() as spill:
        for number, (evidence, message) in enumerate(advisory_items(verdicts)):
            found = install_of(evidence, packages)
            ref = found.ref
            if ref not in installs:
                parts = (found.host, found.product, found.version, found.source, found.where)
                installs[ref] = Install(*(share(part, part) for part in parts), found.packages)
            text = json_stream.encoded(vulnerability(number, evidence, message, ref), 2).encode("utf-8")
            # the bom-ref is vuln-<number>-<id>: within one id, its order is that of str(number)
            order.append(
                (share(evidence["advisory"], evidence["advisory"]), str(number), spill.tell(), len(text))
            )
            spill.write(text)
        order.sort()
        components = sorted_installs(installs.values())

        def vulnerabilities() -> Iterator[json_stream.Encoded]:
            for _advisory, _number, offset, length in order:
                spill.seek(offset)
                yield json_stream.Encoded(spill.read(length).decode("utf-8"))

        cyclonedx_json.write_document(
            stream,
            subject,
            knowledge_of(verdicts),
            (install.component() for install in components),
            [install.ref for install in components],
            vulnerabilities(),
        )


def cyclonedx_vex(verdicts: Verdicts, subject: str) -> str:
    """The VEX as text (tests, small runs); ``write_outputs`` streams it to the file."""
    text = io.StringIO()
    write_cyclonedx_vex(verdicts, subject, text)
    return text.getvalue()


def inventory_packages(verdicts: Verdicts) -> dict[tuple[str, str, str], list[list[str | None]]]:
    """(host, source, where) -> the binary packages (name, architecture) of that install."""
    return {
        (host["host"], found["source"], found["where"]): found["packages"]
        for host in verdicts.inventory
        for found in host["components"]
        if found.get("packages")
    }


def openvex_statements(verdicts: Verdicts, subject: str) -> Iterator[dict[str, Any]]:
    """One OpenVEX statement per judged (host, product, advisory), built when asked for."""
    packages = inventory_packages(verdicts)
    for evidence, message in advisory_items(verdicts):
        where = evidence.get("where", "")
        install = install_ref(
            evidence["host"], evidence["product"], evidence["version"], evidence["source"], where
        )
        declared = evidence.get("declared")
        status, justification = (
            DECLARED_OPENVEX[declared["status"]] if declared else OPENVEX[evidence["status"]]
        )
        statement: dict[str, Any] = {
            "vulnerability": {
                "@id": evidence["url"],
                "name": evidence["advisory"],
                **({"aliases": evidence["cves"]} if evidence.get("cves") else {}),
            },
            "products": [
                {
                    "@id": f"urn:patchcheck:{quote(subject, safe='')}:{quote(install, safe='/:@')}",
                    "identifiers": {
                        "purl": purl_for(
                            evidence["product"],
                            evidence["version"],
                            evidence["source"],
                            where,
                            packages.get((evidence["host"], evidence["source"], where)),
                        )
                    },
                }
            ],
            "status": status,
            "status_notes": (
                f"DECLARED by {declared['owner']} until {declared['expires']}: {declared['justification']}"
            )
            if declared
            else message,
        }
        if justification:
            statement["justification"] = justification
        if status == "affected":
            deadline = evidence.get("deadline") or "unknown"
            todo = evidence.get("remedy") or "see the advisory for the fixed releases"
            statement["action_statement"] = f"{todo}; due {deadline}"
        yield statement


def write_openvex(verdicts: Verdicts, subject: str, stream: TextIO) -> None:
    """The OpenVEX document, statement by statement (the text ``json.dumps(indent=1)`` gave whole)."""
    head = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"urn:patchcheck:{subject}:{verdicts.judged_at}",
        "author": f"patchcheck {__version__} for {subject}",
        "timestamp": verdicts.judged_at,
        "version": 1,
        "tooling": f"patchcheck {__version__}"
        + (f"; judged with {describe(verdicts.knowledge)}" if verdicts.knowledge else ""),
    }
    json_stream.write_object(stream, head, {"statements": openvex_statements(verdicts, subject)})
    stream.write("\n")


def openvex(verdicts: Verdicts, subject: str) -> str:
    """The OpenVEX document as text (tests, small runs); ``write_outputs`` streams it to the file."""
    text = io.StringIO()
    write_openvex(verdicts, subject, text)
    return text.getvalue()
