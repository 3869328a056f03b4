"""Bad input, generated: every parser either accepts its input or refuses it with one line naming
the file and the place; none crashes, none lets a secret through. The example counts are the
figures in the reliability table of docs/reliability.md (``settings(max_examples=...)``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from ansible_collections.scs.patchcheck.plugins.module_utils import config_parsing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.errors import InputError
from patchcheck.facts import load_facts
from patchcheck.facts.load import fast_validator, schema_validator
from patchcheck.judge.declarations import load_declarations
from patchcheck.knowledge.ranges import parse_range
from patchcheck.knowledge.versions import compare_debian, debian_upstream, match_upstream
from tests.helpers import hibiscus_document, host_facts_document, load_module

REPO = Path(__file__).resolve().parents[2]
TENANT_MODULE = load_module(REPO / "plugins/modules/tenant_facts.py", "tenant_facts_props")
EXAMPLES = 300
QUICK = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def scratch_file(content: str | bytes, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(handle, "wb") as stream:
        stream.write(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
    return Path(name)


def assert_one_line_naming(error: InputError, path: Path) -> None:
    text = str(error)
    assert "\n" not in text, text
    assert text.startswith(str(path)), text


def mutated(document: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The document with one value somewhere replaced by arbitrary JSON."""
    copy = json.loads(json.dumps(document))
    node: Any = copy
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return copy
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            node = child
            continue
        node[key] = data.draw(json_values)
        return copy


@QUICK
@given(st.data())
def test_compiled_and_reference_schema_validators_agree(data: st.DataObject) -> None:
    """The fast path decides validity alone: it must accept exactly what ``jsonschema`` accepts."""
    kind, base = data.draw(
        st.sampled_from([("tenant", hibiscus_document()), ("host", host_facts_document("ctl1"))])
    )
    document = mutated(base, data)
    assert fast_validator(kind, 1).is_valid(document) == schema_validator(kind, 1).is_valid(document)


@QUICK
@given(st.data())
def test_facts_files_load_or_are_refused_with_one_line(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from([hibiscus_document(), host_facts_document("ctl1")]))
    document = data.draw(st.one_of(json_values, st.just(None).map(lambda _: mutated(base, data))))
    path = scratch_file(json.dumps(document), ".json")
    try:
        load_facts(path)
    except InputError as error:
        assert_one_line_naming(error, path)
    finally:
        path.unlink()


@QUICK
@given(st.binary(max_size=200))
def test_facts_files_of_arbitrary_bytes(content: bytes) -> None:
    path = scratch_file(content, ".json")
    try:
        load_facts(path)
    except InputError as error:
        assert_one_line_naming(error, path)
    finally:
        path.unlink()


VALID_DECLARATION = {
    "declarations": [
        {
            "advisory": "OSSA-2025-002",
            "status": "mitigated",
            "justification": "the affected API is not deployed",
            "owner": "ops@example.org",
            "expires": "2027-01-31",
        }
    ]
}


@QUICK
@given(st.data())
def test_declarations_load_or_are_refused_with_one_line(data: st.DataObject) -> None:
    text = data.draw(
        st.one_of(
            st.text(max_size=200),
            json_values.map(lambda value: yaml.safe_dump(value)),
            st.just(None).map(lambda _: yaml.safe_dump(mutated(VALID_DECLARATION, data))),
        )
    )
    path = scratch_file(text, ".yaml")
    try:
        load_declarations(path)
    except InputError as error:
        assert_one_line_naming(error, path)
    finally:
        path.unlink()


@QUICK
@given(st.text(max_size=300))
def test_the_host_configuration_parser_never_crashes(text: str) -> None:
    """Its only exception is IniError: a file oslo.config refuses too, kept unread by the module."""
    try:
        sections = config_parsing.parse_ini(text)
    except config_parsing.IniError:
        return
    for options in sections.values():
        for value in options.values():
            assert isinstance(value, str) or all(isinstance(v, str) for v in value)


identifier = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


@QUICK
@given(st.dictionaries(identifier, st.dictionaries(identifier, identifier, max_size=4), max_size=4))
def test_the_host_configuration_parser_reads_back_what_was_written(
    written: dict[str, dict[str, str]],
) -> None:
    text = "".join(
        f"[{section}]\n" + "".join(f"{key} = {value}\n" for key, value in options.items())
        for section, options in written.items()
    )
    assert config_parsing.parse_ini(text) == written


debian_versions = st.builds(
    lambda epoch, upstream, revision: f"{epoch}{upstream}{revision}",
    st.sampled_from(["", "1:", "2:"]),
    st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,3}(~rc[0-9])?", fullmatch=True),
    st.sampled_from(["", "-0", "-1", "-0+deb12u1", "-0+deb12u10", "-0ubuntu1~cloud0", "-1.1"]),
)


@QUICK
@given(debian_versions, debian_versions, debian_versions)
def test_debian_comparison_is_a_total_order(a: str, b: str, c: str) -> None:
    assert compare_debian(a, b) == -compare_debian(b, a)
    assert compare_debian(a, a) == 0
    if compare_debian(a, b) <= 0 and compare_debian(b, c) <= 0:
        assert compare_debian(a, c) <= 0
    debian_upstream(a)  # never raises on a valid Debian version


@QUICK
@given(st.text(max_size=30))
def test_any_version_string_is_matched_or_unknown_never_a_crash(text: str) -> None:
    match_upstream(text, parse_range("<29.2.1, >=30.0.0 <30.1.1"))


CANARY = "CANARY-clouds-yaml-5d2e"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_clouds_yaml_is_one_line_in_the_facts_and_keeps_its_secret(data: st.DataObject) -> None:
    cloud = {
        "auth": {
            "auth_url": "http://127.0.0.1:9/v3",
            "username": "u",
            "password": CANARY,
            "project_name": "p",
        },
        "region_name": "RegionOne",
    }
    document = data.draw(
        st.one_of(
            st.text(max_size=100),
            st.just(None).map(lambda _: yaml.safe_dump({"clouds": {"c": mutated(cloud, data)}})),
            st.just(None).map(lambda _: yaml.safe_dump(mutated({"clouds": {"c": cloud}}, data))),
        )
    )
    path = scratch_file(document, ".yaml")
    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
    try:
        facts = TENANT_MODULE.gather("c", ["public"], timeout=2, scan_tls=False)
    finally:
        path.unlink()
        if previous is None:
            del os.environ["OS_CLIENT_CONFIG_FILE"]
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = previous
    if not facts["auth"]["ok"]:
        assert "\n" not in (facts["auth"]["error"] or "")
    assert CANARY not in json.dumps(facts)
