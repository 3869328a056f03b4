"""Read and validate a facts file; every problem names the file and the place.

Validation runs twice only for a bad file: ``jsonschema-rs`` (compiled, about
100 times faster) decides whether a document is valid, and only when it is not
does the pure-Python ``jsonschema`` find the error to report, so the one-line
messages stay exactly those of ``jsonschema.best_match``. Both validate formats
(``date-time``). Should the two ever disagree on a document, the stricter answer
wins: it is rejected with the compiled validator's own message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from patchcheck.days import MAX_CLOCK_SKEW, collected_moment
from patchcheck.errors import InputError
from patchcheck.facts.model import HostFacts, TenantFacts
from patchcheck.files import MAX_INPUT_BYTES, read_input_text

#: (kind, schema_version) -> schema file shipped in facts/schema/.
SCHEMAS = {("tenant", 1): "tenant-facts-v1.schema.json", ("host", 1): "host-facts-v1.schema.json"}


@cache
def schema_of(kind: str, version: int) -> dict[str, Any]:
    text = resources.files("patchcheck.facts").joinpath("schema", SCHEMAS[(kind, version)]).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def schema_validator(kind: str, version: int) -> jsonschema.protocols.Validator:
    """The reference validator: slow, and the source of every error message."""
    schema = schema_of(kind, version)
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@cache
def fast_validator(kind: str, version: int) -> Any:
    """The compiled validator that answers "valid?" for the common, valid case."""
    return jsonschema_rs.validator_for(schema_of(kind, version), validate_formats=True)


def schema_error(kind: str, version: int, document: dict[str, Any]) -> tuple[str, str] | None:
    """``(place, message)`` of the error that best explains why ``document`` is invalid, or None."""
    fast = fast_validator(kind, version)
    if fast.is_valid(document):
        return None
    error = jsonschema.exceptions.best_match(schema_validator(kind, version).iter_errors(document))
    if error is not None:
        return json_path(error.absolute_path), error.message
    strict = next(iter(fast.iter_errors(document)))
    return json_path(strict.instance_path), strict.message


def json_path(parts: Any) -> str:
    """``['endpoints', 2, 'url']`` -> ``$.endpoints[2].url``, the place an operator can find."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def read_json(path: Path, limit: int = MAX_INPUT_BYTES) -> Any:
    text = read_input_text(path, limit, what="facts file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {exc.lineno} column {exc.colno}", f"not JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(path, "$", "nested too deeply to be a facts file") from None


def shared_strings(node: Any) -> Any:
    """``node`` with every key and string interned: one object per distinct string in the process.

    Hosts of a fleet repeat the same products, versions, paths, option names and values; each
    document parsed alone held its own copies: 98 MB for 10,000 synthetic hosts, 53 MB shared,
    for 0.2 s more (issue 26: the judge under 300 MB). Interned strings are freed with their last
    user, so nothing stays in the process after the facts are gone.
    """
    if type(node) is dict:
        return {
            sys.intern(key): sys.intern(value) if type(value) is str else shared_strings(value)
            for key, value in node.items()
        }
    if type(node) is list:
        return [sys.intern(value) if type(value) is str else shared_strings(value) for value in node]
    return node


def expand_facts_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the ``*.json`` files directly in it, in name order.

    Folders keep the command line short: 10,000 ``--facts`` arguments made argument
    parsing (argparse, then pytest's) take longer than judging. An empty folder is
    an error, never a run that judges nothing; so is every ``*.json`` entry that is no
    regular file of the folder (a dangling link, a folder, a FIFO, a device, a link out
    of the folder): skipping it would pass a run without that host.
    """
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            entries = sorted(path.glob("*.json"))
            if not entries:
                raise InputError(path, "", "a facts folder without any *.json file")
            for entry in entries:
                problem = folder_entry_problem(path, entry)
                if problem:
                    raise InputError(entry, "", f"{problem}: not read (a facts file must be a regular file)")
            expanded += entries
        else:
            expanded.append(path)
    return expanded


def folder_entry_problem(folder: Path, entry: Path) -> str | None:
    """Why ``entry`` of a facts folder is not a facts file to read, or None; decided by ``lstat``
    and ``stat``, never by opening it (a FIFO would block, a device answer)."""
    try:
        info = entry.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = Path(os.path.realpath(entry, strict=True))
            if not target.is_relative_to(Path(os.path.realpath(folder, strict=True))):
                return f"a link out of the folder (to {target})"
            info = target.stat()
    except OSError as exc:
        return f"a dangling link or link loop ({exc.strerror or type(exc).__name__})"
    if stat.S_ISREG(info.st_mode):
        return None
    kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket"}
    kind = next((name for test, name in kinds.items() if test(info.st_mode)), "a device")
    return f"{kind}, not a file"


#: A facts file larger than this is refused for its host or cloud, not read (issue 26, point 13).
#: The largest real host (Kolla, 60 containers of 40 distributions each, every service's
#: configuration) writes about 2 MB, a cloud's tenant facts well under 1 MB; 8 MiB of JSON
#: parses to about 100 MB of Python objects, so one file cannot take the judge past its
#: 300 MB (``bench/end_to_end_scale.py``). A 15.9 MB file of 200,000 components took 130 s and
#: 1.2 GB to judge, and 298 MB of version documents was refused with no report at all.
MAX_FACTS_BYTES = 8 * 1024 * 1024


def load_facts(path: Path) -> TenantFacts | HostFacts:
    """Load one facts file, validated against the schema its header names."""
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_FACTS_BYTES:
        raise FactsTooLarge(path, size)
    try:
        return load_document(path, shared_strings(read_json(path, MAX_FACTS_BYTES)))
    except RecursionError:  # a document nested within json's limit, deeper than a check's
        raise InputError(path, "$", "nested too deeply to be a facts file") from None


def load_document(path: Path, document: Any) -> TenantFacts | HostFacts:
    if not isinstance(document, dict):
        raise InputError(path, "$", "a facts file is a JSON object")
    kind, version = document.get("kind"), document.get("schema_version")
    if not isinstance(kind, str) or not isinstance(version, int) or (kind, version) not in SCHEMAS:
        known = ", ".join(f"{k} v{v}" for k, v in SCHEMAS)
        raise InputError(
            path,
            "$.kind/$.schema_version",
            f"unknown facts kind {kind!r} version {version!r} (this patchcheck reads {known})",
        )
    error = schema_error(kind, version, document)
    if error is not None:
        raise InputError(path, *error)
    if kind == "host":
        return HostFacts.from_document(str(path), document)
    return TenantFacts.from_document(str(path), document)


class FactsRefused(InputError):
    """Valid facts the judge will not use: every check of that host or cloud ABORTs with this sentence."""

    def __init__(self, facts: TenantFacts | HostFacts, problem: str) -> None:
        super().__init__(facts.path, "$.collected_at", problem)
        self.kind = "host" if isinstance(facts, HostFacts) else "tenant"
        self.subject = facts.host if isinstance(facts, HostFacts) else facts.cloud


class FactsTooLarge(FactsRefused):
    """A facts file over ``MAX_FACTS_BYTES``: not read, and every check of its host or cloud ABORTs.

    Its content is never parsed, so the subject comes from the collectors' file names
    (``host-<host>.json``, ``tenant-<cloud>.json``; any other name is a host named by the file).
    """

    def __init__(self, path: Path, size: int) -> None:
        InputError.__init__(
            self,
            path,
            "",
            f"{size} bytes, over the judge's limit of {MAX_FACTS_BYTES} bytes for one facts file: "
            "not read, so nothing of it is judged (gather again; a real host writes about 2 MB at most)",
        )
        self.kind = "tenant" if path.name.startswith("tenant-") else "host"
        self.subject = path.name.removeprefix(f"{self.kind}-").removesuffix(".json")


def refused_if_future(
    facts: TenantFacts | HostFacts, now: dt.datetime
) -> TenantFacts | HostFacts | FactsRefused:
    """The facts, or their refusal when they say they were gathered after ``now`` (plus the skew).

    ``now`` is the judge's own clock, never the reference day: facts from 2099 would otherwise
    judge a host on evidence nobody can have gathered yet, and become the report's checked_at.
    """
    moment = collected_moment(facts.collected_at)
    if moment is None:
        return FactsRefused(
            facts, f"{facts.collected_at!r} is not a time: when they were gathered is unknown"
        )
    if moment > now + MAX_CLOCK_SKEW:
        return FactsRefused(
            facts,
            f"gathered at {facts.collected_at}, later than the judge's clock "
            f"({now.isoformat(timespec='seconds')} plus {MAX_CLOCK_SKEW.seconds // 60} minutes): "
            "the collecting host's clock is wrong; "
            "fix it and gather again",
        )
    return facts
