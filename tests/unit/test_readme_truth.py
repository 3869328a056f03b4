"""What the README and the pages of ``docs/`` name exists and says what the code does (issue 30,
"a README whose every sentence is true"; issue 31, the documentation split by reader).

Checked against the code, not a list kept by hand, in README.md and every ``docs/*.md``: every path
of this repository a page names exists; every ``patchcheck`` command it shows is a command of the
parser, and every option it gives one is that command's; every playbook and role variable it names
is defined by a playbook or a role; the exit-code table (on whichever page holds it) is
``errors.ExitCode``; the testcases of the scope table are the shipped scopes' testcases. Measured
figures (times, counts) are the closing measurement's and dated in the text; they are not checkable
offline. Links and the commands of shell blocks are checked by ``test_docs_links.py``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from patchcheck import cli
from patchcheck.errors import ExitCode
from patchcheck.scope import SHIPPED_SCOPES, shipped_scope

REPO = Path(__file__).resolve().parents[2]
#: README.md and every page of docs/, by their path in the repository.
PAGES = {
    path.relative_to(REPO).as_posix(): path.read_text()
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
}
#: Top folders of this repository: a backticked path starting with one of them must exist.
TOP = (
    "bench/",
    "docs/",
    "inventory/",
    "playbooks/",
    "roles/",
    "scripts/",
    "src/",
    "testbed/",
    "tests/",
    "zuul.d/",
)
#: Paths the pages name as examples or as what a run creates, not as files of the checkout.
CREATED = re.compile(r"^(out/|tests/.*<|docs/summary\.png$)")


def repository_paths() -> list[tuple[str, str]]:
    """(page, path) of every backticked path of this repository a page names."""
    named = set()
    for page, text in PAGES.items():
        for path in re.findall(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./<>-]*)`", text):
            if path.startswith(TOP) and not CREATED.match(path) and "<" not in path:
                named.add((page, path))
    return sorted(named)


@pytest.mark.parametrize(("page", "path"), repository_paths())
def test_every_path_a_page_names_exists(page: str, path: str) -> None:
    assert (REPO / path.rstrip("/")).exists(), f"{page} names {path}, which is not in the repository"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse keeps subparsers here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found.update({f"{name} {inner}": parser for inner, parser in subcommands(sub).items()})
    return found


def options_of(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def shown_commands(text: str) -> list[tuple[str, str]]:
    """(command, its arguments) of every ``patchcheck ...`` a page shows, in code or in text."""
    shown = []
    for match in re.finditer(
        r"(?:\.venv/bin/)?patchcheck ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)([^`\n]*)", text
    ):
        shown.append((match.group(1), match.group(2)))
    return shown


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_patchcheck_command_and_option_a_page_shows_exists(page: str) -> None:
    commands = subcommands(cli.build_parser())
    problems = []
    for words, arguments in shown_commands(PAGES[page]):
        command = words if words in commands else words.split()[0]
        if command not in commands:
            if words.split()[0] in {
                "judge",
                "report",
                "deliver",
                "upload",
                "index",
                "advisories",
                "series",
                "scs-check",
            }:
                problems.append(f"{page}: patchcheck {words}: no such command")
            continue  # prose ("patchcheck's ...") rather than a command
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", arguments):
            if option not in options_of(commands[command]) | {"--help"}:
                problems.append(f"{page}: patchcheck {command} {option}: no such option")
    assert problems == [], problems


def defined_variables() -> set[str]:
    """Every variable a playbook, a role's defaults or a role's argument specs define."""
    names: set[str] = set()
    for path in [
        *REPO.glob("playbooks/**/*.yaml"),
        *REPO.glob("roles/*/defaults/*.yaml"),
        *REPO.glob("zuul.d/*.yaml"),
    ]:
        names |= set(re.findall(r"^\s*(?:-\s*)?([a-z][a-z0-9_]*)\s*:", path.read_text(), re.MULTILINE))
        names |= set(re.findall(r"-e\s+\"?([a-z][a-z0-9_]*)=", path.read_text()))
        names |= set(re.findall(r"\b([a-z][a-z0-9_]*) \| default\(", path.read_text()))  # optional ones
    return names


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_variable_a_page_names_is_defined(page: str) -> None:
    prefixes = ("patchcheck_", "collect_host_facts_", "collect_tenant_facts_", "judge_facts_")
    prefixes += ("write_reports_", "deliver_reports_", "install_local_job_")
    named = set(re.findall(r"`(" + "|".join(prefixes) + r")([a-z0-9_]+)", PAGES[page]))
    missing = sorted(prefix + rest for prefix, rest in named if prefix + rest not in defined_variables())
    assert missing == [], f"{page} names variables nothing defines: {missing}"


EXIT_CODE_HEADING = re.compile(r"^(#+) Exit codes of `patchcheck`$", re.MULTILINE)


def test_the_exit_code_table_is_the_code() -> None:
    holders = [page for page, text in PAGES.items() if EXIT_CODE_HEADING.search(text)]
    assert len(holders) == 1, f"the exit code table should be on one page, found on {holders}"
    text = PAGES[holders[0]]
    section = text[EXIT_CODE_HEADING.search(text).end() :].split("\n#")[0]
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+)\|", section, re.MULTILINE))
    codes = {str(int(code)) for code in ExitCode}
    assert set(table) == codes, f"{holders[0]} table {sorted(table)} vs ExitCode {sorted(codes)}"


def test_the_scope_table_lists_the_shipped_testcases() -> None:
    for kind, name in SHIPPED_SCOPES.items():
        scope = shipped_scope(name)
        rows = [
            (page, line)
            for page, text in PAGES.items()
            for line in text.splitlines()
            if line.startswith(f"| `{name}` |")
        ]
        assert rows, f"no page has a scope table row for {name}"
        for page, row in rows:
            assert scope.uuid in row, (kind, page, row)
            testcases = [testcase.strip() for testcase in row.split("|")[3].split(",")]
            assert testcases == list(scope.testcase_ids), (page, row)
