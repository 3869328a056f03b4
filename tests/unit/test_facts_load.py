"""Facts files are validated before judging; every problem names the file and the place."""

import json
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.facts import load_facts
from tests.helpers import HIBISCUS_FACTS, hibiscus_document, write


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
