"""Operator declarations: proof that cannot be gathered, stated with a reason, an owner and an expiry.

A downstream patch or a compensating control does not show in versions or
configuration, so the operator may declare it::

    declarations:
      - advisory: OSSA-2024-002
        status: patched-downstream        # patched-downstream | mitigated | not-applicable
        patch: https://git.example.net/nova/commit/1a2b3c   # required for patched-downstream
        hosts: ["cmp*"]                   # optional: fnmatch patterns of inventory hosts
        products: [nova]                  # optional
        justification: backported the upstream fix to our nova build 29.0.1+ex1
        owner: ops@example.net
        expires: 2027-01-31

A declaration turns a failing or undecided item into *declared* (PASS for the
SCS result, but "declared" in every output, never "verified"). An expired
declaration has no effect and is reported as expired; one that matches nothing
is reported as stale. A file that is not valid stops the judge with one line
naming the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from patchcheck.errors import InputError
from patchcheck.files import read_input_text
from patchcheck.judge.verdict import Finding, Result
from patchcheck.safe_yaml import refuse_aliases

STATUSES = ("patched-downstream", "mitigated", "not-applicable")
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["declarations"],
    "additionalProperties": False,
    "properties": {
        "declarations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["advisory", "status", "justification", "owner", "expires"],
                "additionalProperties": False,
                "properties": {
                    "advisory": {"type": "string", "pattern": r"^(OSSA-\d{4}-\d{3}|OSSN-\d{4})$"},
                    "status": {"enum": list(STATUSES)},
                    "patch": {"type": "string", "minLength": 1},
                    "hosts": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                    "products": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                    "justification": {"type": "string", "minLength": 10},
                    "owner": {"type": "string", "minLength": 1},
                    "expires": {"type": "string", "format": "date"},
                },
                "if": {"required": ["status"], "properties": {"status": {"const": "patched-downstream"}}},
                "then": {"required": ["patch"]},
            },
        }
    },
}


@dataclass
class Declaration:
    index: int
    line: int
    advisory: str
    status: str
    justification: str
    owner: str
    expires: dt.date
    patch: str | None = None
    hosts: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    matched: int = 0

    def expired(self, day: dt.date) -> bool:
        return day > self.expires

    def covers(self, evidence: dict[str, Any]) -> bool:
        if evidence.get("advisory") != self.advisory:
            return False
        if self.hosts and not any(fnmatch.fnmatchcase(str(evidence.get("host", "")), p) for p in self.hosts):
            return False
        return not self.products or evidence.get("product") in self.products

    def describe(self) -> str:
        what = f"patched downstream ({self.patch})" if self.status == "patched-downstream" else self.status
        return f"DECLARED {what} by {self.owner} until {self.expires}: {self.justification}"

    def to_json(self, day: dt.date) -> dict[str, Any]:
        state = "expired" if self.expired(day) else ("applied" if self.matched else "stale")
        return {
            "index": self.index,
            "line": self.line,
            "advisory": self.advisory,
            "status": self.status,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "state": state,
            "matched": self.matched,
        }


@dataclass
class Declarations:
    path: str | None
    entries: list[Declaration] = field(default_factory=list)

    def apply(self, finding: Finding, day: dt.date) -> Finding:
        """A FAIL or ABORT item covered by a live declaration becomes a declared PASS, saying so."""
        if finding.result is Result.PASS:
            return finding
        for declaration in self.entries:
            if declaration.covers(finding.evidence) and not declaration.expired(day):
                declaration.matched += 1
                evidence = {
                    **finding.evidence,
                    "declared": declaration.to_json(day)
                    | {
                        "justification": declaration.justification,
                        "patch": declaration.patch,
                        "verdict_without_declaration": finding.result.value,
                    },
                }
                return Finding(
                    finding.testcase,
                    finding.subject,
                    Result.PASS,
                    f"{finding.message} -> {declaration.describe()}",
                    evidence,
                )
            if declaration.covers(finding.evidence):
                declaration.matched += 1  # matched, but expired: no effect, reported as expired
        return finding


def line_of(node: yaml.Node, path: list[Any]) -> int:
    """The 1-based line of the YAML node at ``path`` (or of its closest existing parent)."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
    return node.start_mark.line + 1


#: A declarations file is a few kilobytes; a megabyte is already absurd.
MAX_DECLARATIONS_BYTES = 4 * 1024 * 1024


def load_declarations(path: Path | None) -> Declarations:
    if path is None:
        return Declarations(None)
    text = read_input_text(path, MAX_DECLARATIONS_BYTES, "declarations file")
    refuse_aliases(text, path)  # a billion-laughs file never gets built
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"line {mark.line + 1}" if mark else "", "not YAML") from None
    if node is None:
        raise InputError(path, "line 1", "empty: expected a mapping with 'declarations'")
    document = stringify_dates(document)
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top)"
        raise InputError(path, f"line {line_of(node, list(error.absolute_path))}, {where}", error.message)
    entries = []
    for index, entry in enumerate(document["declarations"]):
        line = line_of(node, ["declarations", index])
        try:
            expires = dt.date.fromisoformat(entry["expires"])
        except ValueError:
            raise InputError(path, f"line {line}, declarations.{index}.expires", "not a date") from None
        entries.append(
            Declaration(
                index=index,
                line=line,
                advisory=entry["advisory"],
                status=entry["status"],
                justification=entry["justification"],
                owner=entry["owner"],
                expires=expires,
                patch=entry.get("patch"),
                hosts=tuple(entry.get("hosts", ())),
                products=tuple(entry.get("products", ())),
            )
        )
    return Declarations(str(path), entries)


def stringify_dates(value: Any) -> Any:
    """YAML reads 2027-01-31 as a date; the schema checks the text form."""
    if isinstance(value, dict):
        return {key: stringify_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify_dates(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
