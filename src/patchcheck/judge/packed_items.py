"""A testcase's items kept as compressed JSON text, made into ``Item`` objects only while read.

For 10,000 hosts a verdicts file holds about 195,000 items; as Python objects (evidence
dictionaries, sentences) they took about 270 MB of the report's 452 MB, while each writer of the
report (SCS YAML, JUnit, summaries, VEX, SBOM) needs one item at a time (issue 26: every process
under 300 MB). Here the item's own JSON text, as the verdicts file has it, is joined into batches
of about ``BATCH_CHARS`` characters and compressed (zlib's fastest level: the text repeats from
host to host and shrinks about tenfold). Iterating decompresses one batch at a time.

Why the text and not the objects: the text is what the file said, already checked once (each item
is parsed and made an ``Item`` while the file is read, so a malformed item is refused then, with
its place); parsing it again gives the same ``Item``. A batch is stored as one JSON array of its
items, so reading it is one call of ``json``'s C decoder.

Each batch remembers which results it holds, so readers that want only FAIL or ABORT items skip
the others without decompressing, and the testcase's result needs no pass at all.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from patchcheck.judge.verdict import Result

#: Characters of item text per compressed batch: large enough to compress well, small enough to
#: be a few hundred kilobytes while it is read.
BATCH_CHARS = 256 * 1024


class PackedItems(Sequence[Any]):
    """An append-only sequence of items stored as compressed text; iterating yields ``Item`` objects.

    ``make`` turns one parsed JSON object into an ``Item`` (the verdicts module's ``item_from``).
    """

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self.make = make
        self.batches: list[tuple[bytes, int, frozenset[Result]]] = []
        self.pending: list[str] = []
        self.pending_chars = 0
        self.pending_results: set[Result] = set()
        self.count = 0
        self.counts: Counter[Result] = Counter()
        """How many items have each result (a testcase's result is combined from them)."""

    def append(self, result: Result, text: str) -> None:
        """Keep one item's JSON ``text``, already parsed and checked by the caller."""
        self.pending.append(text)
        self.pending_chars += len(text)
        self.pending_results.add(result)
        self.counts[result] += 1
        self.count += 1
        if self.pending_chars >= BATCH_CHARS:
            self.seal()

    def seal(self) -> None:
        """Compress what is pending into a batch (done as batches fill, and before any read)."""
        if not self.pending:
            return
        data = zlib.compress(("[" + ",".join(self.pending) + "]").encode("utf-8"), 1)
        self.batches.append((data, len(self.pending), frozenset(self.pending_results)))
        self.pending, self.pending_chars, self.pending_results = [], 0, set()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        return self.having(None)

    def having(self, wanted: frozenset[Result] | None) -> Iterator[Any]:
        """The items, in order; with ``wanted``, only batches holding one of those results are read."""
        self.seal()
        for data, _count, results in self.batches:
            if wanted is not None and not (results & wanted):
                continue
            for entry in unpack(data):
                item = self.make(entry)
                if wanted is None or item.result in wanted:
                    yield item

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        """Random access (rare: tests and small runs); decompresses the batch holding the item."""
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self.count
        if not 0 <= index < self.count:
            raise IndexError("item index out of range")
        self.seal()
        for data, count, _results in self.batches:
            if index < count:
                return self.make(unpack(data)[index])
            index -= count
        raise IndexError("item index out of range")  # pragma: no cover - counts always add up

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def unpack(data: bytes) -> list[Any]:
    """A batch's items as parsed JSON objects."""
    return json.loads(zlib.decompress(data))


def items_having(items: Sequence[Any], wanted: frozenset[Result]) -> Iterator[Any]:
    """The items whose result is in ``wanted``; packed items skip batches without one."""
    if isinstance(items, PackedItems):
        return items.having(wanted)
    return (item for item in items if item.result in wanted)


def result_counts(items: Sequence[Any]) -> Counter[Result]:
    """How many of ``items`` have each result (no pass over packed items)."""
    if isinstance(items, PackedItems):
        return Counter(items.counts)
    return Counter(item.result for item in items)
