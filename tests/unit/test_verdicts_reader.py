"""The verdicts file read piece by piece is the document read whole, and the text is never held whole."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.files import MAX_INPUT_BYTES
from patchcheck.judge import packed_items, verdicts_reader
from patchcheck.judge import verdicts as verdicts_module
from patchcheck.judge.verdicts import item_from, load_verdicts, read_verdicts_document, sharing_strings
from tests.unit.test_report_scale import fleet


def whole(path: Path) -> dict:
    document = read_verdicts_document(path)
    for testcase in document["testcases"]:
        testcase["items"] = [item_from(item) for item in testcase["items"]]
    return document


@pytest.mark.parametrize("chunk", [1, 7, 4096])
@pytest.mark.parametrize("indent", [None, 3])
def test_pieces_are_the_whole_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, indent: int | None
) -> None:
    """Chunks cut values, keys, numbers and escapes anywhere; re-indented files read the same."""
    path = tmp_path / "verdicts.json"
    fleet(3).write(path)
    if indent:
        path.write_text(json.dumps(json.loads(path.read_text()), indent=indent, ensure_ascii=False) + "\n")
    monkeypatch.setattr(verdicts_reader, "CHUNK_BYTES", chunk)
    pieces = verdicts_reader.read_pieces(path, MAX_INPUT_BYTES, sharing_strings(), item_from)
    assert pieces == whole(path)


def test_a_writer_made_file_never_falls_back_to_whole_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verdicts.json"
    fleet(5).write(path)

    def refused(_path: Path) -> None:
        raise AssertionError("read whole")

    monkeypatch.setattr(verdicts_module, "read_verdicts_document", refused)
    assert len(load_verdicts(path).testcases[0].items) == 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"kind": "verdicts", "testcases": [', "not JSON"),
        ('{"kind": "verdicts"} {}', "not JSON: Extra data"),
        ("[]", "not a patchcheck verdicts file"),
        (
            '{"kind":"verdicts","schema_version":1,"testcases":[{"id":"t","items":[{"nodeid":"x"}]}]}',
            "malformed",
        ),
    ],
)
def test_refusals_say_what_reading_whole_said(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "verdicts.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_verdicts(path)


#: zlib's working memory while a batch of items is packed (window, hash tables): a constant.
ZLIB_WORKSPACE = 320 * 1024


def test_the_text_is_never_held_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What loading needs beyond what it keeps stays far below the file's size (chunks, one value),
    and what it keeps of the items is a fraction of their text (packed)."""
    path = tmp_path / "verdicts.json"
    fleet(1200).write(path)
    monkeypatch.setattr(verdicts_reader, "CHUNK_BYTES", 16 * 1024)
    monkeypatch.setattr(packed_items, "BATCH_CHARS", 16 * 1024)
    tracemalloc.start()
    try:
        verdicts = load_verdicts(path)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdicts.testcases
    size = path.stat().st_size
    transient = peak - held - ZLIB_WORKSPACE
    assert transient < size / 4, f"{peak - held} bytes above what is kept, for a {size}-byte file"
    packed = sum(len(data) for testcase in verdicts.testcases for data, *_ in testcase.items.batches)
    assert packed < size / 5, f"items packed into {packed} bytes, from a {size}-byte file"
