"""The verdicts file: the judge's output and the report stage's only input.

One JSON document per judge run: every testcase of the scope with its combined
result and the items (findings) behind it. Reports and delivery read this file
and nothing else, so they can be re-run, tested and replaced alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.facts.load import read_json
from patchcheck.judge.verdict import Result, combine

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Item:
    """One pytest item of the compliance layer and how it ended."""

    nodeid: str
    subject: str
    result: Result
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class TestcaseVerdict:
    """An SCS testcase and the items behind its result."""

    __test__ = False  # a name pytest would otherwise collect

    id: str
    description: str
    items: list[Item] = field(default_factory=list)

    @property
    def result(self) -> Result:
        return combine([item.result for item in self.items])


@dataclass
class Verdicts:
    judged_at: str
    reference_date: str
    patchcheck_version: str
    facts: list[dict[str, Any]]
    testcases: list[TestcaseVerdict]
    command: list[str]
    tests: str | None = None
    """The regular expression that chose the testcases of this run (SCS ``forced_tests``), if any."""
    declarations: list[dict[str, Any]] = field(default_factory=list)
    """Each operator declaration with its state: applied, expired or stale."""
    inventory: list[dict[str, Any]] = field(default_factory=list)
    """Per host, the components found (product, version, source): what the SBOM lists."""

    @property
    def overall(self) -> Result:
        return combine([testcase.result for testcase in self.testcases])

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "verdicts",
            "judged_at": self.judged_at,
            "reference_date": self.reference_date,
            "patchcheck_version": self.patchcheck_version,
            "command": self.command,
            "tests": self.tests,
            "declarations": self.declarations,
            "inventory": self.inventory,
            "facts": self.facts,
            "testcases": [
                {
                    "id": testcase.id,
                    "description": testcase.description,
                    "result": testcase.result.value,
                    "items": [{**asdict(item), "result": item.result.value} for item in testcase.items],
                }
                for testcase in self.testcases
            ],
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        temporary.replace(path)


def load_verdicts(path: Path) -> Verdicts:
    document = read_json(path)
    if not isinstance(document, dict) or document.get("kind") != "verdicts":
        raise InputError(path, "$.kind", "not a patchcheck verdicts file")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise InputError(path, "$.schema_version", f"this patchcheck reads version {SCHEMA_VERSION}")
    try:
        testcases = []
        for number, entry in enumerate(document["testcases"]):
            items = [
                Item(
                    item["nodeid"],
                    item["subject"],
                    Result(item["result"]),
                    item["message"],
                    item.get("evidence", {}),
                )
                for item in entry["items"]
            ]
            verdict = TestcaseVerdict(entry["id"], entry.get("description", ""), items)
            if verdict.result.value != entry["result"]:
                raise InputError(
                    path,
                    f"$.testcases[{number}].result",
                    f"says {entry['result']} but its items give {verdict.result.value}",
                )
            testcases.append(verdict)
        return Verdicts(
            judged_at=document["judged_at"],
            reference_date=document["reference_date"],
            patchcheck_version=document["patchcheck_version"],
            facts=document["facts"],
            testcases=testcases,
            command=document["command"],
            tests=document.get("tests"),
            declarations=document.get("declarations", []),
            inventory=document.get("inventory", []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, "$", f"malformed verdicts file: {exc!r}") from None
