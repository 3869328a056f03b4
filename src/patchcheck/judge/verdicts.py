"""The verdicts file: the judge's output and the report stage's only input.

One JSON document per judge run: every testcase of the scope with its combined
result and the items (findings) behind it. Reports and delivery read this file
and nothing else, so they can be re-run, tested and replaced alone.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from patchcheck.errors import InputError
from patchcheck.files import MAX_INPUT_BYTES, atomic_writer, read_input_text
from patchcheck.judge.packed_items import PackedItems, result_counts
from patchcheck.judge.verdict import Result, combine
from patchcheck.judge.verdicts_reader import read_pieces

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Item:
    """One pytest item of the compliance layer and how it ended."""

    nodeid: str
    subject: str
    result: Result
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # by hand, not dataclasses.asdict: asdict deep-copies every evidence value (seconds at 10,000 hosts)
        return {
            "nodeid": self.nodeid,
            "subject": self.subject,
            "result": self.result.value,
            "message": self.message,
            "evidence": bounded_evidence(self.evidence),
        }


#: Sentences kept per evidence list of one item; the rest is counted ("… and N more").
MAX_EVIDENCE_LINES = 20
#: Evidence keys that hold sentences for people (no report reads them one by one as data).
SENTENCE_LISTS = ("evidence", "incomplete", "errors")


def bounded_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """``evidence`` with each list of sentences cut to ``MAX_EVIDENCE_LINES`` and a count of the rest.

    A host's gaps, errors or a verdict's reasons are repeated in every finding of the host:
    200,000 of them made a 528 MB verdicts file that ``report`` refused (issue 26, point 13),
    while the summary and VEX show a sentence, not the list. Lists that are data (CVE ids,
    candidates, packages) are kept whole: reports read them.
    """
    long = [key for key in SENTENCE_LISTS if len(evidence.get(key) or ()) > MAX_EVIDENCE_LINES]
    if not long:
        return evidence
    bounded = dict(evidence)
    for key in long:
        lines = list(evidence[key])
        bounded[key] = [*lines[:MAX_EVIDENCE_LINES], f"… and {len(lines) - MAX_EVIDENCE_LINES} more"]
    return bounded


@dataclass
class TestcaseVerdict:
    """An SCS testcase and the items behind its result."""

    __test__ = False  # a name pytest would otherwise collect

    id: str
    description: str
    items: Sequence[Item] = field(default_factory=list)
    """A list, or ``PackedItems`` when read from a file (compressed until iterated)."""

    @property
    def result(self) -> Result:
        return combine(list(result_counts(self.items)))


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
    scope: dict[str, Any] | None = None
    """The SCS scope judged against: ``uuid``, ``name``, ``url`` and ``file`` (shipped name or path)."""
    knowledge: dict[str, Any] | None = None
    """The advisory knowledge judged with: shipped or updated, its sources' commits, when fetched."""

    @property
    def overall(self) -> Result:
        return combine([testcase.result for testcase in self.testcases])

    def header(self) -> dict[str, Any]:
        """Everything but the testcases."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "verdicts",
            "judged_at": self.judged_at,
            "reference_date": self.reference_date,
            "patchcheck_version": self.patchcheck_version,
            "command": self.command,
            "tests": self.tests,
            "scope": self.scope,
            "knowledge": self.knowledge,
            "declarations": self.declarations,
            "inventory": self.inventory,
            "facts": self.facts,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.header(),
            "testcases": [
                {**testcase_head(testcase), "items": [item.to_json() for item in testcase.items]}
                for testcase in self.testcases
            ],
        }

    def write(self, path: Path) -> None:
        writer = VerdictsWriter(path)
        for testcase in self.testcases:
            for item in testcase.items:
                writer.add(testcase.id, item)
        writer.finish(self.header(), [(testcase.id, testcase.description) for testcase in self.testcases])


class VerdictsWriter:
    """Writes a verdicts file while the judge runs: each item leaves memory when it is judged.

    Items go to one anonymous temporary file per testcase as JSON lines; ``finish``
    joins them under the header and moves the file into place. Holding every
    finding until the end took over 1 GB for 10,000 hosts; this keeps the judge's
    memory to the facts and pytest's own items. One item per line keeps the file
    greppable; ``jq .`` shows it indented. Nothing is written at ``path`` until
    ``finish``, so an interrupted run leaves no partial verdicts behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encode = json.JSONEncoder(separators=(",", ":")).encode
        self.spools: dict[str, TextIO] = {}
        self.seen: dict[str, set[Result]] = {}

    def add(self, testcase: str, item: Item) -> None:
        spool = self.spools.get(testcase)
        if spool is None:
            spool = self.spools[testcase] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            self.seen[testcase] = set()
        else:
            spool.write(",")
        spool.write("\n" + self.encode(item.to_json()))
        self.seen[testcase].add(item.result)

    def result(self, testcase: str) -> Result:
        return combine(list(self.seen.get(testcase, ())))

    def finish(self, header: dict[str, Any], testcases: list[tuple[str, str]]) -> dict[str, Result]:
        """Write ``header`` and the testcases in this order (those without items too); their results.

        A header value that is an iterator (the inventory, the facts: one entry per host) is
        written as a JSON array element by element: built whole, with its text, it was the judge's
        highest point at 10,000 hosts (issue 26). The text is what encoding it whole gives.
        """
        results = {}
        try:
            with atomic_writer(self.path) as out:
                out.write("{")
                for number, (key, value) in enumerate(header.items()):
                    out.write(("," if number else "") + self.encode(key) + ":")
                    if isinstance(value, Iterator):
                        out.write("[")
                        for position, element in enumerate(value):
                            out.write(("," if position else "") + self.encode(element))
                        out.write("]")
                    else:
                        out.write(self.encode(value))
                out.write(',"testcases":[')
                for number, (testcase, description) in enumerate(testcases):
                    results[testcase] = self.result(testcase)
                    head = {"id": testcase, "description": description, "result": results[testcase].value}
                    out.write(("," if number else "") + "\n" + self.encode(head)[:-1] + ',"items":[')
                    spool = self.spools.get(testcase)
                    if spool is not None:
                        spool.seek(0)
                        shutil.copyfileobj(spool, out)
                    out.write("]}")
                out.write("]}\n")
        finally:
            self.discard()
        return results

    def discard(self) -> None:
        for spool in self.spools.values():
            spool.close()
        self.spools.clear()


def testcase_head(testcase: TestcaseVerdict) -> dict[str, Any]:
    return {"id": testcase.id, "description": testcase.description, "result": testcase.result.value}


#: Bytes of a verdicts file searched for the scope when the whole file cannot be used.
HEAD_BYTES = 1024 * 1024


def recorded_scope(path: Path) -> dict[str, Any] | None:
    """The scope a verdicts file names, read from its first MiB only; None if not found there.

    For a verdicts file the report refuses (too large, cut short, malformed): the writer puts
    the header first and the scope before the inventory and facts that grow with hosts, so
    the report can still say, for the right scope, that every testcase is ABORT.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    start = head.find('"scope":')
    if start < 0:
        return None
    try:
        scope, _end = json.JSONDecoder().raw_decode(head, start + len('"scope":'))
    except ValueError:
        return None
    return scope if isinstance(scope, dict) and isinstance(scope.get("file"), str) else None


def refused_verdicts(path: Path, problem: str, scope: Any, now: dt.datetime) -> Verdicts:
    """What a report says of a verdicts file it cannot use: every testcase of ``scope`` ABORT, with why.

    Never no report: the monitor would keep showing the last good one (issue 26, point 13).
    ``scope`` is a ``patchcheck.scope.Scope``.
    """
    sentence = f"the verdicts file {path} was refused, so nothing was judged: {problem}"
    return Verdicts(
        judged_at=now.isoformat(timespec="seconds"),
        reference_date=now.date().isoformat(),
        patchcheck_version="",
        facts=[],
        testcases=[
            TestcaseVerdict(testcase.id, testcase.description, [Item("", str(path), Result.ABORT, sentence)])
            for testcase in scope.testcases
        ],
        command=[],
        scope={"uuid": scope.uuid, "name": scope.name, "url": scope.url, "file": scope.origin},
    )


#: Keys whose string values differ in every item (a host's sentence, its pytest id): not worth sharing.
UNIQUE_STRINGS = frozenset({"message", "nodeid"})


def sharing_strings() -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A ``json`` object-pairs hook that makes equal keys and strings one object while a file is read.

    Most strings of a verdicts file repeat from host to host (products, versions, statuses,
    advisory ids, urls, sentences of evidence): 1,000 hosts held 400,000 strings of which 56,000
    differ, 34 MB where 8 MB say the same (``bench/end_to_end_scale.py``). This shares equal values
    in objects and lists, and equal keys: ``json`` shares keys only within one call, and the
    piecewise reader (``verdicts_reader``) parses one item per call. The table lives only while one
    file is read (no ``sys.intern``: nothing stays in a process-wide table).
    """
    table: dict[str, str] = {}
    share = table.setdefault

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping = {}
        for key, value in pairs:
            if type(value) is str:
                if key not in UNIQUE_STRINGS:
                    value = share(value, value)
            elif type(value) is list:
                for number, element in enumerate(value):
                    if type(element) is str:
                        value[number] = share(element, element)
            mapping[share(key, key)] = value
        return mapping

    return hook


def read_verdicts_document(path: Path) -> Any:
    """The verdicts file parsed, equal strings shared; errors as for any input file (one line, the place)."""
    text = read_input_text(path, what="verdicts file")
    try:
        return json.loads(text, object_pairs_hook=sharing_strings())
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {exc.lineno} column {exc.colno}", f"not JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(path, "$", "nested too deeply to be a verdicts file") from None


#: Result by its value (a dict lookup; ``Result(value)`` costs several times more per item).
RESULTS = {result.value: result for result in Result}


def item_from(entry: Any) -> Item:
    """An item of the verdicts file as an ``Item``; ``KeyError``/``ValueError`` for a malformed one."""
    if isinstance(entry, Item):  # made while the file was read piece by piece
        return entry
    value = entry["result"]
    return Item(
        entry["nodeid"],
        entry["subject"],
        (RESULTS.get(value) if type(value) is str else None) or Result(value),  # Result(): the error
        entry["message"],
        entry.get("evidence", {}),
    )


def read_document(path: Path) -> Any:
    """The verdicts document, read piece by piece (``verdicts_reader``), each testcase's items
    checked and kept packed (``packed_items``: compressed text, made into objects while read).

    A file that reader does not take (not of the writer's shape, not JSON, a malformed item) is
    read whole instead, so that its refusal says exactly what it said before, in the same order.
    """
    try:
        return read_pieces(
            path, MAX_INPUT_BYTES, sharing_strings(), item_from, pack=lambda: PackedItems(item_from)
        )
    except (ValueError, KeyError, TypeError, RecursionError):
        return read_verdicts_document(path)


def load_verdicts(path: Path) -> Verdicts:
    document = read_document(path)
    if not isinstance(document, dict) or document.get("kind") != "verdicts":
        raise InputError(path, "$.kind", "not a patchcheck verdicts file")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise InputError(path, "$.schema_version", f"this patchcheck reads version {SCHEMA_VERSION}")
    try:
        testcases = []
        for number, entry in enumerate(document["testcases"]):
            items = entry["items"]
            if not isinstance(items, PackedItems):
                items = [item_from(item) for item in items]
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
            scope=document.get("scope"),
            knowledge=document.get("knowledge"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, "$", f"malformed verdicts file: {exc!r}") from None
