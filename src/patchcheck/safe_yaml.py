"""YAML from users, read without letting the document choose its own size.

A few hundred bytes of nested aliases ("billion laughs") expand to gigabytes when
a YAML library builds the document. patchcheck's YAML inputs (declarations, scope
files, reports) never need anchors or aliases, so any alias is refused before
anything is built: one line naming the file and the line, exit 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from patchcheck.errors import InputError


def refuse_aliases(text: str, origin: Path | str) -> None:
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise InputError(origin, f"line {line}", "YAML aliases (*name) are not accepted here")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(origin, f"line {mark.line + 1}" if mark else "", "not YAML") from None


def load(text: str, origin: Path | str) -> Any:
    """``yaml.safe_load`` of a document without aliases."""
    refuse_aliases(text, origin)
    return yaml.safe_load(text)


def load_all(text: str, origin: Path | str) -> list[Any]:
    refuse_aliases(text, origin)
    return list(yaml.safe_load_all(text))
