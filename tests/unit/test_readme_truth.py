"""What the README names exists and says what the code does (issue 30, "a README whose every
sentence is true").

Checked against the code, not a list kept by hand: every path of this repository the README
names exists; every ``patchcheck`` command it shows is a command of the parser, and every option
it gives one is that command's; every playbook and role variable it names is defined by a
playbook or a role; the exit-code table is ``errors.ExitCode``; the testcases of the scope table
are the shipped scopes' testcases. Measured figures (times, counts) are the closing measurement's
and dated in the text; they are not checkable offline.
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
README = (REPO / "README.md").read_text()
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
#: Paths the README names as examples or as what a run creates, not as files of the checkout.
CREATED = re.compile(r"^(out/|tests/.*<|docs/summary\.png$)")


def repository_paths() -> list[str]:
    paths = re.findall(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./<>-]*)`", README)
    return sorted(
        {path for path in paths if path.startswith(TOP) and not CREATED.match(path) and "<" not in path}
    )


@pytest.mark.parametrize("path", repository_paths())
def test_every_path_the_readme_names_exists(path: str) -> None:
    assert (REPO / path.rstrip("/")).exists(), f"README names {path}, which is not in the repository"


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


def shown_commands() -> list[tuple[str, str]]:
    """(command, its arguments) of every ``patchcheck ...`` the README shows, in code or in text."""
    shown = []
    for match in re.finditer(
        r"(?:\.venv/bin/)?patchcheck ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)([^`\n]*)", README
    ):
        shown.append((match.group(1), match.group(2)))
    return shown


def test_every_patchcheck_command_and_option_the_readme_shows_exists() -> None:
    commands = subcommands(cli.build_parser())
    problems = []
    for words, arguments in shown_commands():
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
                problems.append(f"patchcheck {words}: no such command")
            continue  # prose ("patchcheck's ...") rather than a command
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", arguments):
            if option not in options_of(commands[command]) | {"--help"}:
                problems.append(f"patchcheck {command} {option}: no such option")
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


def test_every_variable_the_readme_names_is_defined() -> None:
    prefixes = ("patchcheck_", "collect_host_facts_", "collect_tenant_facts_", "judge_facts_")
    prefixes += ("write_reports_", "deliver_reports_", "install_local_job_")
    named = set(re.findall(r"`(" + "|".join(prefixes) + r")([a-z0-9_]+)", README))
    missing = sorted(prefix + rest for prefix, rest in named if prefix + rest not in defined_variables())
    assert missing == [], f"README names variables nothing defines: {missing}"


def test_the_exit_code_table_is_the_code() -> None:
    section = README.split("### Exit codes of `patchcheck`")[1].split("\n#")[0]
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+)\|", section, re.MULTILINE))
    codes = {str(int(code)) for code in ExitCode}
    assert set(table) == codes, f"README table {sorted(table)} vs ExitCode {sorted(codes)}"


def test_the_scope_table_lists_the_shipped_testcases() -> None:
    for kind, name in SHIPPED_SCOPES.items():
        scope = shipped_scope(name)
        row = next(line for line in README.splitlines() if line.startswith(f"| `{name}` |"))
        assert scope.uuid in row, (kind, row)
        assert [testcase.strip() for testcase in row.split("|")[3].split(",")] == list(scope.testcase_ids)
