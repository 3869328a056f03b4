"""Facts files are validated before judging; every problem names the file and the place."""

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from patchcheck.errors import ExitCode, InputError
from patchcheck.facts import load_facts
from patchcheck.facts.load import expand_facts_paths
from tests.helpers import HIBISCUS_FACTS, hibiscus_document, host_facts_document, run_patchcheck, write


def test_collector_output_loads() -> None:
    facts = load_facts(HIBISCUS_FACTS)
    assert facts.cloud == "testbed"
    assert facts.auth_ok
    assert {t for e in facts.endpoints for t in e.service_types} >= {"compute", "block-storage", "placement"}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"facts.json: no such file$"):
        load_facts(tmp_path / "facts.json")


def test_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text('{"kind": "tenant",\n  "cloud": }')
    with pytest.raises(InputError) as caught:
        load_facts(path)
    assert str(caught.value).startswith(f"{path}: line 2 column 12: not JSON")


def test_schema_violation_names_the_json_path(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["endpoints"][2]["http_status"] = "200"
    with pytest.raises(InputError) as caught:
        load_facts(write(document, tmp_path / "facts.json"))
    assert "$.endpoints[2].http_status" in str(caught.value)


def test_missing_required_section_is_refused(tmp_path: Path) -> None:
    document = hibiscus_document()
    del document["auth"]
    with pytest.raises(InputError, match=r"\$: 'auth' is a required property"):
        load_facts(write(document, tmp_path / "facts.json"))


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    document = hibiscus_document()
    document["schema_version"] = 2
    with pytest.raises(InputError, match=r"unknown facts kind 'tenant' version 2"):
        load_facts(write(document, tmp_path / "facts.json"))


def test_a_list_is_not_a_facts_file(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(InputError, match=r"\$: a facts file is a JSON object"):
        load_facts(path)


# -- a facts folder holds facts files, or the run says which entry it is not ----------------------


def fifo(entry: Path) -> None:
    os.mkfifo(entry)


def device(entry: Path) -> None:
    os.mknod(entry, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers


def loop(entry: Path) -> None:
    entry.symlink_to(entry.with_name("host-loop.json"))
    entry.with_name("host-loop.json").symlink_to(entry)


def outside(entry: Path) -> None:
    entry.symlink_to(write(host_facts_document("stranger"), entry.parents[1] / "elsewhere.json"))


ODD_ENTRIES = {
    "a dangling link": lambda entry: entry.symlink_to(entry.with_name("gone.json")),
    "a folder": lambda entry: entry.mkdir(),
    "a FIFO": fifo,
    "a device": device,
    "a link out of the folder": outside,
    "a link loop": loop,
}


@pytest.mark.parametrize("shape", sorted(ODD_ENTRIES))
def test_an_entry_that_is_no_regular_file_stops_the_run_by_name(tmp_path: Path, shape: str) -> None:
    folder = tmp_path / "facts"
    folder.mkdir()
    write(host_facts_document("ctl1"), folder / "host-ctl1.json")
    ODD_ENTRIES[shape](folder / "host-cmp9.json")
    with pytest.raises(InputError) as caught:
        expand_facts_paths([folder])
    assert caught.value.path in {str(folder / "host-cmp9.json"), str(folder / "host-loop.json")}
    assert shape.split()[-1] in str(caught.value)  # "link", "folder", "FIFO", "device", "loop"


def test_links_inside_the_folder_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "facts"
    (folder / "2026-12-05").mkdir(parents=True)
    write(host_facts_document("ctl1"), folder / "2026-12-05" / "host-ctl1.json")
    (folder / "host-ctl1.json").symlink_to(folder / "2026-12-05" / "host-ctl1.json")
    assert expand_facts_paths([folder]) == [folder / "host-ctl1.json"]


@pytest.mark.parametrize("shape", ["a dangling link", "a FIFO", "a device"])
def test_the_judge_refuses_the_folder_naming_the_entry_without_hanging(tmp_path: Path, shape: str) -> None:
    """Before: the entry was skipped and inventory-complete PASSed on the hosts left."""
    folder = tmp_path / "facts"
    folder.mkdir()
    write(host_facts_document("ctl1", collected_at=recent()), folder / "host-ctl1.json")
    ODD_ENTRIES[shape](folder / "host-cmp9.json")
    judged = run_patchcheck("judge", "--facts", folder, "--verdicts", tmp_path / "verdicts.json", timeout=120)
    assert judged.returncode == ExitCode.BAD_INPUT, judged.stderr
    assert judged.stderr.startswith(f"patchcheck: error: {folder / 'host-cmp9.json'}: ")
    assert not (tmp_path / "verdicts.json").exists()


def recent() -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(timespec="seconds")


@pytest.mark.parametrize("text", ["[" * 100_000, '{"kind": ' + "[" * 100_000])
def test_json_nested_too_deep_is_bad_input_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "host-deep.json"
    path.write_text(text)
    with pytest.raises(InputError, match="nested too deeply"):
        load_facts(path)
