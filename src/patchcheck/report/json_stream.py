"""JSON documents written element by element, text for text as ``json.dumps(document, indent=1)``.

The report's largest documents (CycloneDX VEX and SBOM, OpenVEX) have one long list each. Built
whole and dumped, 10,000 hosts held about 600 MB of dicts and text for the OpenVEX alone
(``bench/end_to_end_scale.py``); written one element at a time, each element leaves memory
before the next is built, and the file is the same byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO


class Encoded(str):
    """An element already encoded by ``encoded`` at the depth it is written at (passed through)."""

    __slots__ = ()


def encoded(element: Any, depth: int) -> str:
    """``element`` as ``json.dumps(..., indent=1)`` writes it ``depth`` levels into a document.

    JSON strings never hold a raw line break, so indenting every line is safe.
    """
    if isinstance(element, Encoded):
        return element
    return json.dumps(element, indent=1).replace("\n", "\n" + " " * depth)


def write_array(stream: TextIO, elements: Iterable[Any], depth: int) -> None:
    """A JSON array ``depth`` levels deep (its ``[`` already placed), each element encoded alone."""
    inside = "\n" + " " * (depth + 1)
    count = 0
    for count, element in enumerate(elements, 1):
        stream.write(("," if count > 1 else "[") + inside + encoded(element, depth + 1))
    stream.write("\n" + " " * depth + "]" if count else "[]")


def write_object(stream: TextIO, members: dict[str, Any], arrays: dict[str, Iterable[Any]]) -> None:
    """A top-level object: ``members`` encoded whole, then ``arrays`` element by element, in order."""
    first = True
    for key, value in members.items():
        stream.write(("{\n " if first else ",\n ") + json.dumps(key) + ": " + encoded(value, 1))
        first = False
    for key, elements in arrays.items():
        stream.write(("{\n " if first else ",\n ") + json.dumps(key) + ": ")
        write_array(stream, elements, 1)
        first = False
    stream.write("\n}" if not first else "{}")
