"""Bounded reading for distribution security data: what the tracker and OSV readers share.

The Debian tracker's JSON is about 70 MB in one object, and a download can be anything: a
truncated transfer, an HTML error page, a gzip bomb, a FIFO an operator pointed at by mistake.
So every input here is

- opened without blocking and refused unless it is a regular file (a FIFO or a device would
  block or never end), and refused unread when larger than the limit (a sparse 2 GB file is
  never read);
- decompressed (gzip, recognised by its magic bytes) with the decompressed size counted and
  refused past the same limit, so a small bomb cannot fill memory;
- hashed (sha256 of the bytes as stored) for the document's provenance;
- parsed as a stream of top-level members (``iter_object_members``): one source package of the
  tracker at a time, so memory holds the compact result and one package, not the whole tree.

Problems of the input as a whole are ``InputError``s naming the file and the place
(``character 1234``); problems of one entry are counted in ``Skips`` and never stop a run.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from patchcheck.errors import InputError
from patchcheck.files import open_regular as open_input

#: The compact document's format; a reader refuses any other.
FORMAT = "patchcheck-distribution-security/1"
#: The largest input read, compressed or decompressed: the tracker's JSON is about 70 MB today.
MAX_SOURCE_BYTES = 512 * 1024 * 1024
#: Bytes read from the file per step while streaming.
CHUNK_BYTES = 1024 * 1024
#: At most this many skipped entries are described in a document (all are counted).
MAX_SKIP_EXAMPLES = 20
GZIP_MAGIC = b"\x1f\x8b"
CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
WHITESPACE = " \t\r\n"


@dataclass
class Skips:
    """Entries of a wrong shape: counted, the first few described, none fatal."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, place: str, problem: str) -> None:
        self.count += 1
        if len(self.examples) < MAX_SKIP_EXAMPLES:
            self.examples.append(f"{place}: {problem}")

    def as_document(self) -> dict[str, Any]:
        return {"count": self.count, "examples": list(self.examples)}


def open_regular(path: Path, limit: int) -> BinaryIO:
    """``path`` opened for reading if it is a regular file of at most ``limit`` bytes."""
    return open_input(path, limit, "security data file")


class BoundedSource:
    """The file's bytes, decompressed when gzip, at most ``limit`` of either; hashed as stored."""

    def __init__(self, path: Path, limit: int = MAX_SOURCE_BYTES) -> None:
        self.path = path
        self.limit = limit
        self._handle = open_regular(path, limit)
        self._digest = hashlib.sha256()
        self._stored = 0
        self._delivered = 0
        head = self._read_stored(2)
        self._gzip = head == GZIP_MAGIC
        self._inflater = zlib.decompressobj(wbits=31) if self._gzip else None
        self._pending = self._inflate(head) if self._gzip else head

    def _read_stored(self, size: int) -> bytes:
        data = self._handle.read(size)
        self._stored += len(data)
        if self._stored > self.limit:  # the file grew while being read
            raise InputError(self.path, f"byte {self.limit}", f"larger than the limit of {self.limit}")
        self._digest.update(data)
        return data

    def _inflate(self, data: bytes) -> bytes:
        assert self._inflater is not None
        try:
            # at most one byte past the limit per step: a bomb never expands in memory
            out = self._inflater.decompress(data, self.limit - self._delivered + 1)
        except zlib.error as exc:
            raise InputError(self.path, f"byte {self._stored}", f"not valid gzip ({exc})") from None
        return out

    def read(self) -> bytes:
        """The next decompressed chunk; ``b""`` at the end."""
        if self._pending:
            data, self._pending = self._pending, b""
        elif self._inflater is None:
            data = self._read_stored(CHUNK_BYTES)
        else:
            data = b""
            while not data:
                if self._inflater.unconsumed_tail:
                    data = self._inflate(self._inflater.unconsumed_tail)
                    continue
                if self._inflater.eof:
                    break
                stored = self._read_stored(CHUNK_BYTES)
                if not stored:
                    raise InputError(self.path, f"byte {self._stored}", "gzip stream ends early (truncated)")
                data = self._inflate(stored)
        self._delivered += len(data)
        if self._delivered > self.limit:
            raise InputError(self.path, "", f"decompresses to more than {self.limit} bytes: refused")
        return data

    def sha256(self) -> str:
        """The digest of the stored bytes; complete once ``read`` has returned ``b""``."""
        return self._digest.hexdigest()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> BoundedSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Text:
    """The source decoded as UTF-8, with a window that keeps only what is not parsed yet."""

    def __init__(self, source: BoundedSource) -> None:
        self.source = source
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buffer = ""
        self.position = 0
        self.dropped = 0  # characters before the window, for places in messages
        self.eof = False

    def place(self, position: int | None = None) -> str:
        return f"character {self.dropped + (self.position if position is None else position)}"

    def fill(self, at_least: int = 1) -> None:
        """Read at least ``at_least`` more characters (or to the end of the input)."""
        if self.position:
            self.dropped += self.position
            self.buffer = self.buffer[self.position :]
            self.position = 0
        wanted = len(self.buffer) + at_least
        while len(self.buffer) < wanted and not self.eof:
            data = self.source.read()
            try:
                self.buffer += self.decoder.decode(data, final=not data)
            except UnicodeDecodeError:
                raise InputError(self.source.path, self.place(len(self.buffer)), "not UTF-8 text") from None
            self.eof = not data

    def skip_whitespace(self) -> str:
        """The next character that is not whitespace, ``""`` at the end of the input."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in WHITESPACE:
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if self.eof:
                return ""
            self.fill()

    def expect(self, wanted: str, what: str) -> None:
        found = self.skip_whitespace()
        if found != wanted:
            shown = repr(found) if found else "the end of the input (truncated?)"
            raise InputError(self.source.path, self.place(), f"expected {what}, found {shown}")
        self.position += 1


_DECODER = json.JSONDecoder()


def _needs_more(error: json.JSONDecodeError, length: int) -> bool:
    """Did parsing fail because the window ends (more input may complete it)?"""
    return error.msg.startswith("Unterminated string") or error.pos >= length - 8


def _decode(text: _Text, key: bool) -> Any:
    """One JSON value (or member name) from the window, reading more until it is complete."""
    while True:
        try:
            if key:
                value, end = json.decoder.scanstring(text.buffer, text.position + 1)  # type: ignore[attr-defined]
            else:
                value, end = _DECODER.raw_decode(text.buffer, text.position)
        except json.JSONDecodeError as exc:
            if text.eof or not _needs_more(exc, len(text.buffer)):
                where = text.place(exc.pos)
                ending = " (the input ends: truncated?)" if text.eof else ""
                raise InputError(text.source.path, where, f"not valid JSON: {exc.msg}{ending}") from None
            # at least double the window: a large member costs linear time, not quadratic
            text.fill(max(CHUNK_BYTES, len(text.buffer) - text.position))
            continue
        if end >= len(text.buffer) and not text.eof and not isinstance(value, dict | list):
            # a number (or name) that ends with the window may go on in the next chunk
            text.fill(CHUNK_BYTES)
            continue
        text.position = end
        return value


def iter_object_members(source: BoundedSource) -> Iterator[tuple[str, Any, str]]:
    """(name, value, place) for each member of the top-level JSON object, read as a stream.

    Anything but one object (an array, a number, trailing text, a truncated end) is an
    ``InputError`` naming the character where it was found.
    """
    text = _Text(source)
    first = text.skip_whitespace()
    if first != "{":
        found = repr(first) if first else "an empty file"
        raise InputError(source.path, text.place(), f"expected a JSON object at the top level, found {found}")
    text.position += 1
    if text.skip_whitespace() == "}":
        text.position += 1
    else:
        while True:
            text.expect('"', "a member name")
            text.position -= 1
            place = text.place()
            name = _decode(text, key=True)
            text.expect(":", "':'")
            text.skip_whitespace()
            value = _decode(text, key=False)
            yield name, value, place
            following = text.skip_whitespace()
            if following == "}":
                text.position += 1
                break
            text.expect(",", "',' or '}'")
    if text.skip_whitespace():
        raise InputError(source.path, text.place(), "text after the top-level object")


def read_bounded(path: Path, limit: int) -> tuple[bytes, str]:
    """A small file's bytes (decompressed when gzip) and the sha256 of what is stored."""
    with BoundedSource(path, limit) as source:
        parts = []
        while chunk := source.read():
            parts.append(chunk)
        return b"".join(parts), source.sha256()


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no timestamp): the same document gives the same file."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def sorted_releases(reduced: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Releases, packages and entries in a stable order: the same data gives the same file."""
    return {
        release: {
            package: sorted(entries, key=lambda entry: (entry["id"], entry["fixed_version"] or ""))
            for package, entries in sorted(packages.items())
        }
        for release, packages in sorted(reduced.items())
    }


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "text", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
