"""Configuration text read the way the services read it: oslo.config ini, paste.deploy ini, policy files.

A file means what its service makes of it, so the parsing follows oslo.config's iniparser line by
line (what it refuses raises ``IniError``), keeps paste.deploy's case-sensitive section names, and
reads policy files as JSON or as the flat YAML mapping oslo.policy files are, without a YAML library
on the host. Every parser is linear in its input: a hostile file cannot make it backtrack.
"""

from __future__ import annotations

import json
import os
from typing import Any


def config_lines(text: str) -> list[str]:
    """The lines oslo.config sees: it reads a file in text mode with ``readlines``.

    Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (Python's universal newlines); form feeds,
    vertical tabs, U+0085, U+2028 and U+2029 stay inside their line, unlike ``str.splitlines``.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def group_name(section: str) -> str:
    """oslo.config's ``_normalize_group_name``: DEFAULT as written, every other group in lower case."""
    return section if section == "DEFAULT" else section.lower()


class IniError(ValueError):
    """A line oslo.config's iniparser refuses: the service would not start with this file."""


def parse_ini(text: str, paste: bool = False) -> dict[str, dict[str, Any]]:
    """An ini file read the way oslo.config's iniparser reads it; repeated options become lists.

    Lines end only where oslo.config's ``readlines`` ends them; a line is stripped on the right
    only. The key ends at the first ``:`` or ``=``, whichever comes first (``password: X=`` is
    the option ``password``); a value in matching quotes loses them; lines starting with a space
    or tab continue the value (joined with newlines) until a blank line; ``#`` and ``;`` start
    comment lines. Section names are grouped as oslo.config groups them (``[LIBVIRT]`` is
    ``libvirt``; ``[DEFAULT]`` stays, ``[default]`` is another group), so a section given twice,
    in any case, is one section with its options in file order. A paste.deploy file
    (``paste``) keeps its section names as written: paste.deploy reads them case-sensitively.
    Whatever oslo.config refuses raises ``IniError``: the service would refuse the file too.
    """
    sections: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    key: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if key is None:
            return
        if current is None:
            raise IniError("an assignment before any section")
        value = "\n".join(lines)
        if key in current:
            previous = current[key]
            current[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            current[key] = value

    for raw in config_lines(text):
        line = raw.rstrip()
        if not line:
            flush()
            key, lines = None, []
            continue
        if line.startswith((" ", "\t")):
            if key is None:
                raise IniError("a continuation line without an option")
            lines.append(line.lstrip())
            continue
        flush()
        key, lines = None, []
        if line.startswith("["):
            if not line.endswith("]") or len(line) <= 2:
                raise IniError("a section without its name or its closing bracket")
            name = line[1:-1]
            current = sections.setdefault(name if paste else group_name(name), {})
        elif line.startswith(("#", ";")):
            continue
        else:
            key, value = split_assignment(line)
            if not key:
                raise IniError("an assignment without an option name")
            lines = [value]
    flush()
    return sections


def split_assignment(line: str) -> tuple[str | None, str]:
    """oslo.config's ``_split_key_value``: the key up to the first ``:`` or ``=``, quotes removed."""
    colon, equal = line.find(":"), line.find("=")
    if colon < 0 and equal < 0:
        raise IniError("a line that is neither a section, a comment nor an assignment")
    cut = equal if colon < 0 or (0 <= equal < colon) else colon
    key, value = line[:cut].strip(), line[cut + 1 :].strip()
    if value and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key or None, value


def is_paste(filename: str) -> bool:
    """A paste.deploy file (``api-paste.ini``): read by paste.deploy, not oslo.config."""
    return "paste" in os.path.basename(filename) and filename.endswith(".ini")


def parse_policy(text: str, filename: str) -> dict[str, dict[str, Any]] | None:
    """A policy file's rules, or None when it cannot be read as one (the caller records the gap).

    JSON nested deeper than Python's recursion limit (100,000 ``[``) raises ``RecursionError``
    in ``json.loads``: that is "not parseable" for this file, never a lost host.
    """
    try:
        if filename.endswith(".json") or text.lstrip().startswith("{"):  # JSON is YAML too
            document = json.loads(text)
        else:
            document = parse_flat_yaml(text)
        if not isinstance(document, dict):
            return None
        return {"": {str(key): str(value) for key, value in document.items()}}
    except (ValueError, RecursionError):
        return None


def parse_flat_yaml(text: str) -> dict[str, str] | None:
    """A policy file is a flat mapping of quoted names to rule strings; no YAML library on hosts.

    Plain string operations, linear in the text: the earlier pattern backtracked on one long
    line (256 KB took 99 s). A rule's value may continue on indented lines (a plain, quoted
    or ``>``/``|`` block scalar): they are joined with spaces, as the rule's text means the same.
    """
    rules: dict[str, str] = {}
    key: str | None = None
    parts: list[str] = []
    indent = 0  # of the name's line: a more indented line continues its value

    def close() -> None:
        if key is not None and parts:  # a name without a value sets no rule
            rules[key] = unquote(" ".join(parts))

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        if key is not None and depth > indent:
            parts.append(line.strip())
            continue
        close()
        assignment = split_policy_line(line)
        if assignment is None:
            return None
        (key, value), indent = assignment, depth
        parts = [] if value in BLOCK_SCALARS else [value] if value else []
    close()
    return rules


#: YAML block scalar indicators: the value is on the following, indented lines.
BLOCK_SCALARS = frozenset({"", "|", ">", "|-", ">-", "|+", ">+"})


def split_policy_line(line: str) -> tuple[str, str] | None:
    """``"name": value`` -> (name, value): a quoted name (the quotes removed) or a plain one up to ``:``.

    The same reading as the earlier pattern ``^\\s*(?:"([^"]+)"|'([^']+)'|([^:\\s][^:]*?))\\s*:\\s*(.*)$``,
    by ``find`` and ``strip`` instead of backtracking.
    """
    body = line.lstrip()
    if body[:1] in ('"', "'"):
        end = body.find(body[0], 1)
        if end > 1:
            rest = body[end + 1 :].lstrip()
            if rest.startswith(":"):
                return body[1:end], rest[1:].strip()
    colon = body.find(":")
    if colon <= 0:
        return None
    return body[:colon].rstrip(), body[colon + 1 :].strip()


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
