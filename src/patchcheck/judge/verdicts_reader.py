"""A verdicts file read piece by piece: items become objects as they are parsed, the text is never whole.

For 10,000 hosts the verdicts file is 211 MB. Read whole, its text sat beside the tree being
built from it, and loading was the report's highest point (530 MB; ``bench/end_to_end_scale.py``).
Here the file is decoded in chunks of ``CHUNK_BYTES`` and each value is parsed by ``json``'s own
decoder (``raw_decode``), so the text held is about one chunk, or one value where a value is
larger (the header's inventory: about 10 MB for 10,000 hosts). Each item is handed to a converter
as soon as it is parsed, so the item's JSON object does not outlive it either.

Only the shape the writer gives is read this way (any whitespace allowed): an object whose
``testcases`` is a list of objects whose ``items`` are lists. Anything else, and every error
(syntax, encoding, an item the converter refuses), raises ``ValueError``: the caller then reads
the file whole, as before, and reports the error with the same one-line message and place.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from patchcheck.errors import InputError
from patchcheck.files import open_regular

#: Bytes read at a time; doubled while one value is longer, back to this after it.
CHUNK_BYTES = 1024 * 1024
WHITESPACE = re.compile(r"[ \t\n\r]*")


class Shape(ValueError):
    """The file is not of the shape read piece by piece (or not JSON at all)."""


class ChunkedJson:
    """A UTF-8 JSON text read in chunks, consumed value by value."""

    def __init__(self, handle: BinaryIO, path: Path, limit: int, decoder: json.JSONDecoder) -> None:
        self.handle, self.path, self.limit, self.decoder = handle, path, limit, decoder
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buffer, self.pos, self.eof = "", 0, False
        self.read_bytes, self.chunk = 0, CHUNK_BYTES

    def fill(self) -> bool:
        """Append the next chunk to what is left of the buffer; False once the file has ended."""
        if self.eof:
            return False
        data = self.handle.read(self.chunk)
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:  # the file grew after its size was checked
            raise InputError(self.path, "", f"larger than {self.limit} bytes: not read")
        self.eof = not data
        self.buffer = self.buffer[self.pos :] + self.utf8.decode(data, final=self.eof)
        self.pos = 0
        return True

    def next_char(self) -> str:
        """The next character that is not whitespace, not consumed ('' at the end of the file)."""
        while True:
            match = WHITESPACE.match(self.buffer, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.fill():
                return ""

    def take(self, char: str) -> None:
        if self.next_char() != char:
            raise Shape(f"expected {char!r} at character {self.read_bytes}")
        self.pos += 1

    def value(self) -> Any:
        """The next JSON value, whole; read on while it is cut off by the chunk's end.

        A value ending exactly at the buffer's end may go on (a number), so it is parsed again
        with more text; the chunk doubles each time, so a long value costs about twice its length.
        """
        return self.value_and_text()[0]

    def value_and_text(self, decoder: json.JSONDecoder | None = None) -> tuple[Any, str]:
        """The next JSON value and its text as the file has it (``value`` says how it is read).

        ``decoder`` replaces the reader's own for this value (packed items need no shared strings).
        """
        decode = (decoder or self.decoder).raw_decode
        self.next_char()
        while True:
            try:
                value, end = decode(self.buffer, self.pos)
            except json.JSONDecodeError:
                end = -1
            if end >= 0 and (end < len(self.buffer) or self.eof):
                text = self.buffer[self.pos : end]
                self.pos, self.chunk = end, CHUNK_BYTES
                return value, text
            if not self.fill():
                raise Shape("a value is cut short or not JSON")
            self.chunk *= 2

    def members(self) -> Iterator[str]:
        """The keys of the object that comes next; the caller reads each member's value."""
        self.take("{")
        if self.next_char() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise Shape("an object key is not a string")
            self.take(":")
            yield key
            if self.separator("}"):
                return

    def elements(self) -> Iterator[None]:
        """One step per element of the array that comes next; the caller reads each element."""
        self.take("[")
        if self.next_char() == "]":
            self.pos += 1
            return
        while True:
            yield None
            if self.separator("]"):
                return

    def separator(self, closing: str) -> bool:
        """Consume ``,`` (False: more follows) or ``closing`` (True: the container ends)."""
        char = self.next_char()
        if char not in (",", closing):
            raise Shape(f"expected ',' or {closing!r}")
        self.pos += 1
        return char == closing


def read_pieces(
    path: Path,
    limit: int,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any],
    item: Callable[[Any], Any],
    what: str = "verdicts file",
    pack: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """The verdicts document with each testcase's items already made by ``item``.

    With ``pack`` (a factory of ``packed_items.PackedItems``), each testcase's items are checked
    by ``item`` and kept as their text in a new store from ``pack`` instead of as objects.
    ``InputError`` for a file that is no regular file or too large (final); ``ValueError`` for
    anything else this reader does not take (the caller reads the file whole to say why).
    """
    with open_regular(path, limit, what) as handle:
        reader = ChunkedJson(handle, path, limit, json.JSONDecoder(object_pairs_hook=object_pairs_hook))
        document: dict[str, Any] = {}
        for key in reader.members():
            if key == "testcases":
                document[key] = [testcase(reader, item, pack) for _ in reader.elements()]
            else:
                document[key] = reader.value()
        if reader.next_char() != "":
            raise Shape("more after the document")
    return document


def testcase(
    reader: ChunkedJson, item: Callable[[Any], Any], pack: Callable[[], Any] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for key in reader.members():
        if key == "items" and pack is not None:
            store, plain = pack(), json.JSONDecoder()
            entry[key] = store
            for _ in reader.elements():
                value, text = reader.value_and_text(plain)
                store.append(item(value).result, text)
        elif key == "items":
            entry[key] = [item(reader.value()) for _ in reader.elements()]
        else:
            entry[key] = reader.value()
    return entry
