"""The host module's text handling is linear: hostile file contents cost seconds at most, never hours.

Every pattern the module applies to what it reads from a host was checked: the policy parser
(was a backtracking pattern: 256 KB on one line took 99 s) and the URL finder for
configuration values (was ``[a-zA-Z][a-zA-Z0-9+.-]*://`` searched: 1 MiB of letters took
about half an hour) are plain string operations now, proven equal to the patterns they
replace on generated lines; the changelog, CVE and name patterns are fed their worst shapes.
Limits are generous upper bounds (timings belong in bench/): 4 MiB in under two seconds.
"""

from __future__ import annotations

import re
import time

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import (
    config_allowlist,
    config_parsing,
    host_packages,
    products,
    python_environments,
)
from hypothesis import given, settings
from hypothesis import strategies as st

MIB = 1024 * 1024
LIMIT_SECONDS = 2.0
#: The patterns the linear code replaced, kept as the reference it must agree with.
OLD_POLICY_LINE = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([^:\s][^:]*?))\s*:\s*(.*)$""")
OLD_URL_IN_VALUE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def timed(work: object) -> float:
    """CPU seconds of this process: a busy shared machine cannot fail a bound, quadratic work would."""
    start = time.process_time()
    work()  # type: ignore[operator]
    return time.process_time() - start


HOSTILE_POLICY_LINES = {
    "spaces without a colon": "a" + " " * (4 * MIB),
    "colons": ":" * (4 * MIB),
    "double quotes": '"' * (4 * MIB),
    "single quotes": "'" * (4 * MIB),
    "an unterminated quoted name": '"' + "a " * (2 * MIB) + ": x",
    "spaced colons": "a" + " :" * (2 * MIB),
    "quote, spaces, colon": '"a"' + " " * (4 * MIB) + "x",
    "a long value": '"rule": "' + "role:admin or " * (MIB // 4) + '"',
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_POLICY_LINES))
def test_4_mib_of_hostile_policy_yaml_on_one_line_parses_in_seconds(shape: str) -> None:
    text = HOSTILE_POLICY_LINES[shape]
    assert timed(lambda: config_parsing.parse_policy(text, "policy.yaml")) < LIMIT_SECONDS


def test_4_mib_of_many_policy_lines_parses_in_seconds() -> None:
    text = '"a:b": "rule:x"\n' * (4 * MIB // 16)
    assert timed(lambda: config_parsing.parse_policy(text, "policy.yaml")) < LIMIT_SECONDS


def old_split(line: str) -> tuple[str, str] | None:
    match = OLD_POLICY_LINE.match(line)
    if not match:
        return None
    return match.group(1) or match.group(2) or match.group(3), match.group(4).strip()


policy_lines = st.text(
    alphabet=st.sampled_from(["a", "b", ":", " ", "\t", '"', "'", "#", "!", "x", "\u3000"]), max_size=24
)


@settings(max_examples=2000, deadline=None)
@given(policy_lines)
def test_the_policy_line_reading_is_the_old_patterns(line: str) -> None:
    if not line.strip():
        return  # blank lines never reach it
    assert config_parsing.split_policy_line(line.rstrip()) == old_split(line.rstrip())


def test_policy_values_continued_on_indented_lines() -> None:
    text = '"a": rule:x or\n  rule:y\n"b": >\n  role:admin\n  or role:member\n"c":\n  "!"\n'
    assert config_parsing.parse_flat_yaml(text) == {
        "a": "rule:x or rule:y",
        "b": "role:admin or role:member",
        "c": "!",
    }
    indented = '  "a": "rule:x"\n  "b": "rule:y"\n'  # a top-level mapping indented as a whole
    assert config_parsing.parse_flat_yaml(indented) == {"a": "rule:x", "b": "rule:y"}
    assert config_parsing.parse_policy('{"a": "rule:x"}\n', "policy.yaml") == {"": {"a": "rule:x"}}


HOSTILE_VALUES = {
    "letters": "a" * (4 * MIB),
    "letters and colons": "a:" * (2 * MIB),
    "almost schemes": "a:/" * (MIB + MIB // 3),
    "digit schemes": "1://" * MIB,
    "at signs and schemes": "@" + "a://" * MIB,
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_VALUES))
def test_4_mib_configuration_values_are_redacted_in_seconds(shape: str) -> None:
    value = HOSTILE_VALUES[shape]
    assert (
        timed(lambda: config_allowlist.leave("nova.conf", "DEFAULT", "x", value, ["*:*:*"])) < LIMIT_SECONDS
    )


values = st.text(
    alphabet=st.sampled_from(["a", "Z", "1", "+", ".", "-", ":", "/", "@", " ", "é"]), max_size=20
)


@settings(max_examples=3000, deadline=None)
@given(values)
def test_the_url_finder_is_the_old_pattern(text: str) -> None:
    found = OLD_URL_IN_VALUE.search(text)
    assert config_allowlist.url_scheme(text) == (found.group(0)[:-3] if found else None)


HOSTILE_CHANGELOG_LINES = {
    "rpm entry dashes": "* " + " - a" * MIB,
    "rpm entry epochs": "* Mon Jan 1 2024 x - " + "1:" * (2 * MIB),
    "rpm entry spaces": "* " + " " * (4 * MIB) + "-",
    "debian entry": "nova " + "a" * (4 * MIB),
    "debian entry parenthesis": "nova (" + "1" * (4 * MIB),
    "almost references": "CVE-2024-" * (MIB // 2) + "OSSA-2024-" * (MIB // 3),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_CHANGELOG_LINES))
def test_4_mib_changelog_lines_are_read_in_seconds(shape: str) -> None:
    line = HOSTILE_CHANGELOG_LINES[shape]
    for entry in (host_packages.DEBIAN_ENTRY, host_packages.RPM_ENTRY):
        assert timed(lambda entry=entry: host_packages.changelog_references(line, entry)) < LIMIT_SECONDS
    assert timed(lambda: host_packages.CVE_TEXT.findall(line)) < LIMIT_SECONDS


def test_4_mib_names_are_read_in_seconds() -> None:
    name = "nova_" * (4 * MIB // 5)
    assert timed(lambda: products.product_key(name)) < LIMIT_SECONDS
    assert timed(lambda: python_environments.folder_product(name + ".dist-info")) < LIMIT_SECONDS
    assert timed(lambda: host_packages.distribution_key("python-" * (MIB // 2))) < LIMIT_SECONDS


HOSTILE_PACKAGE_FIELDS = {
    "relations": "a (" * (MIB + MIB // 3),
    "alternatives": "a | " * MIB,
    "qualifiers": "a:" * (2 * MIB),
    "source rpm dashes": "-" * (4 * MIB) + ".src.rpm",
    "source rpm words": "a-" * (2 * MIB) + ".src.rpm",
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_PACKAGE_FIELDS))
def test_4_mib_package_fields_are_read_in_seconds(shape: str) -> None:
    text = HOSTILE_PACKAGE_FIELDS[shape]
    assert timed(lambda: host_packages.relation_names(text, text)) < LIMIT_SECONDS
    assert timed(lambda: host_packages.source_rpm_parts(text)) < LIMIT_SECONDS
    line = "\t".join(["nova", "0", "1", "1", "noarch", text])
    assert timed(lambda: host_packages.rpm_package(line)) < LIMIT_SECONDS
