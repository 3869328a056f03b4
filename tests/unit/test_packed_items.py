"""Packed items: a testcase's findings kept as compressed text, read back as the same ``Item``s."""

from __future__ import annotations

import json

import pytest

from patchcheck.judge import packed_items
from patchcheck.judge.packed_items import PackedItems, items_having, result_counts
from patchcheck.judge.verdict import Result
from patchcheck.judge.verdicts import Item, item_from

RESULTS = [Result.PASS, Result.FAIL, Result.ABORT]


def items(count: int) -> list[Item]:
    return [
        Item(f"t::h{n}", f"h{n}", RESULTS[n % 7 % 3], f'host {n} … "quoted"\nline', {"n": n, "l": [n, None]})
        for n in range(count)
    ]


def packed(made: list[Item]) -> PackedItems:
    store = PackedItems(item_from)
    for entry in made:
        store.append(entry.result, json.dumps(entry.to_json(), ensure_ascii=False))
    return store


@pytest.mark.parametrize("batch", [1, 50, 1 << 20])
@pytest.mark.parametrize("count", [0, 1, 7, 300])
def test_reads_back_what_was_packed(monkeypatch: pytest.MonkeyPatch, batch: int, count: int) -> None:
    monkeypatch.setattr(packed_items, "BATCH_CHARS", batch)
    made = items(count)
    store = packed(made)
    assert list(store) == made and list(store) == made  # twice: reading does not consume
    assert len(store) == count and bool(store) == bool(count)
    assert store == made
    if count:
        assert store[0] == made[0] and store[-1] == made[-1] and store[count // 2] == made[count // 2]
        assert store[1:3] == made[1:3]
    with pytest.raises(IndexError):
        store[count]
    assert result_counts(store) == result_counts(made)
    for wanted in (frozenset({Result.FAIL}), frozenset({Result.ABORT, Result.PASS})):
        assert list(items_having(store, wanted)) == [entry for entry in made if entry.result in wanted]


def test_batches_without_a_wanted_result_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packed_items, "BATCH_CHARS", 1)  # one item per batch
    store = packed(items(30))
    opened = []
    real = packed_items.unpack
    monkeypatch.setattr(packed_items, "unpack", lambda data: opened.append(data) or real(data))
    fails = list(store.having(frozenset({Result.FAIL})))
    assert len(opened) == len(fails) < 30


def test_packing_shrinks_repeated_findings() -> None:
    made = [
        Item(f"t::h{n}", f"h{n}", Result.PASS, "nova 29.0.1: fixed in 29.0.1", {"x": "y" * 50})
        for n in range(2000)
    ]
    store = packed(made)
    store.seal()
    text = sum(len(json.dumps(entry.to_json())) for entry in made)
    assert sum(len(data) for data, *_ in store.batches) < text / 10
