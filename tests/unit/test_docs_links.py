"""The README and the pages of ``docs/`` hold together (issue 31, "documentation by reader").

Every relative Markdown link of README.md and ``docs/*.md`` reaches a file of the repository, and
its ``#anchor`` a heading of that file (GitHub's anchors: lowercase, punctuation removed, spaces to
``-``, ``-1``, ``-2`` for repeated headings). Every command a fenced shell block shows whose program
is ``patchcheck`` or a script of this repository exists: a ``patchcheck`` sub-command is one of the
parser's and answers ``--help``; a script exists and is executable (or is run by the interpreter
the block names), and the few that answer ``--help`` without starting anything are asked. The
README stays a front door of at most 12 KiB and links every page of ``docs/``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from patchcheck import cli

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
README_LIMIT = 12_288  # bytes: the front door is about one screen of facts and a list of pages

FENCE = re.compile(r"^```")
SHELL_FENCE = re.compile(r"^```(sh|shell|bash|console)\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
#: [text](target) and ![alt](target); the target ends at the first blank or ")".
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+).*?\1", re.DOTALL)
#: Folders of this repository whose files a shell block may run.
SCRIPT_FOLDERS = ("scripts/", "testbed/", "bench/", "testhosts/")
#: Scripts that answer --help at once without installing or starting anything (each read for it:
#: argparse parses the command line before any action). Any other script is only checked to exist.
ANSWERS_HELP = {"testbed/testbed.py"}
PYTHONS = {"python", "python3", ".venv/bin/python", ".venv/bin/python3"}


def prose(text: str) -> str:
    """The text outside fenced blocks and code spans, where links are links."""
    kept, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            kept.append("")
            continue
        kept.append("" if fenced else line)
    return INLINE_CODE.sub("", "\n".join(kept))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation removed, spaces to '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines_with_headings(text):
        match = HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def prose_lines_with_headings(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def broken_links(page: Path) -> list[str]:
    """Every relative link of the page that reaches no file, or no heading of that file."""
    problems = []
    for target in LINK.findall(prose(page.read_text())):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, file: ...
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(REPO)}: ({target})"
        if not destination.exists():
            problems.append(f"{where}: {path_part} does not exist")
            continue
        if REPO not in destination.parents and destination != REPO:
            problems.append(f"{where}: leaves the repository")
            continue
        if anchor and destination.suffix == ".md" and anchor not in anchors(destination.read_text()):
            problems.append(f"{where}: {destination.name} has no heading with anchor #{anchor}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_reaches_a_file_and_a_heading(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_check_finds_a_planted_broken_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Its part\n")
    page = tmp_path / "README.md"
    page.write_text(
        "# Front\n\n[fine](docs/a.md#its-part) [own](#front) `[code](nowhere.md)`\n"
        "[gone](docs/b.md) [no heading](docs/a.md#its-whole)\n"
    )
    assert broken_links(page) == [
        "README.md: (docs/b.md): docs/b.md does not exist",
        "README.md: (docs/a.md#its-whole): a.md has no heading with anchor #its-whole",
    ]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Exit codes of `patchcheck`", "exit-codes-of-patchcheck"),
        ("SCS's own runner", "scss-own-runner"),
        (
            "Keeping the knowledge current: `patchcheck index update`",
            "keeping-the-knowledge-current-patchcheck-index-update",
        ),
        ("Reliability and security: what was tried", "reliability-and-security-what-was-tried"),
        (
            "Git ancestry: the ranges (`knowledge/git_history.py`)",
            "git-ancestry-the-ranges-knowledgegit_historypy",
        ),
    ],
)
def test_anchors_follow_github(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor


def shell_commands(text: str) -> list[list[str]]:
    """The commands of the page's fenced shell blocks, as words (continuations joined, comments cut)."""
    commands, block, language = [], None, ""
    for line in text.splitlines():
        if block is None:
            match = SHELL_FENCE.match(line)
            if match:
                block, language = [], match.group(1)
            elif FENCE.match(line):
                block, language = [], "other"
            continue
        if FENCE.match(line):
            if language != "other":
                commands.extend(split_block(block, console=language == "console"))
            block = None
            continue
        block.append(line)
    return commands


def split_block(lines: list[str], *, console: bool) -> list[list[str]]:
    if console:  # only the prompt lines are commands; the rest is output
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    joined, current = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    if current:
        joined.append(current)
    commands = []
    for line in joined:
        words = shlex.split(line, comments=True)
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):  # NAME=value before it
            words.pop(0)
        if words:
            commands.append(words)
    return commands


def concrete(words: list[str]) -> list[str]:
    """The words before the first placeholder (<...>, [...], ...)."""
    kept = []
    for word in words:
        if any(mark in word for mark in "<>[]") or word == "..." or word.isupper():
            break
        kept.append(word)
    return kept


def subcommand_path(
    parser: argparse.ArgumentParser, words: list[str]
) -> tuple[list[str], argparse.ArgumentParser]:
    path = []
    for word in words:
        inner = next(
            (action for action in parser._actions if isinstance(action, argparse._SubParsersAction)), None
        )  # argparse keeps subparsers here; there is no public accessor
        if inner is None or word not in inner.choices:
            break
        path.append(word)
        parser = inner.choices[word]
    return path, parser


def shown_shell_commands() -> list[tuple[str, list[str]]]:
    shown = []
    for page in PAGES:
        for words in shell_commands(page.read_text()):
            shown.append((str(page.relative_to(REPO)), words))
    return shown


SHOWN = shown_shell_commands()


def test_the_pages_show_shell_commands() -> None:
    programs = {words[0] for _, words in SHOWN}
    assert {"scripts/demo", "scripts/test", ".venv/bin/patchcheck"} <= programs, programs


def patchcheck_answers_help(path: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        cli.main([*path, "--help"])
    assert stopped.value.code == 0, f"patchcheck {' '.join(path)} --help exited {stopped.value.code}"
    return capsys.readouterr().out


@pytest.mark.parametrize(("page", "words"), SHOWN, ids=[" ".join(words)[:70] for _, words in SHOWN])
def test_every_shell_command_a_page_shows_exists(
    page: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    program = words[0]
    if program == "patchcheck" or program.endswith("/patchcheck"):
        path, parser = subcommand_path(cli.build_parser(), words[1:])
        assert path, f"{page}: {' '.join(words)}: no patchcheck sub-command"
        rest = words[1 + len(path) :]
        chooses = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        assert not chooses, (
            f"{page}: patchcheck {' '.join(path)} has no sub-command {rest[0] if rest else '(none given)'}"
        )
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", " ".join(rest)):
            assert option in {o for action in parser._actions for o in action.option_strings}, (
                f"{page}: patchcheck {' '.join(path)} has no option {option}"
            )
        assert "usage: patchcheck " + " ".join(path) in patchcheck_answers_help(path, capsys)
        return
    if program.endswith("ansible-playbook"):
        # a playbook of the checkout, or the same playbook by its collection name (scs.patchcheck.<name>)
        playbooks = [
            f"playbooks/{word.removeprefix('scs.patchcheck.')}.yaml"
            if word.startswith("scs.patchcheck.")
            else word
            for word in words
            if word.startswith(("playbooks/", "scs.patchcheck."))
        ]
        assert playbooks, f"{page}: {' '.join(words)}: no playbook of this repository"
        for playbook in playbooks:
            assert (REPO / playbook).is_file(), f"{page}: {playbook} does not exist"
        return
    interpreter = program in PYTHONS
    script = words[1] if interpreter and len(words) > 1 else program
    if not script.startswith(SCRIPT_FOLDERS):
        pytest.skip(f"{program} is not patchcheck or a script of this repository")
    assert (REPO / script).is_file(), f"{page}: {script} does not exist"
    if not interpreter:
        assert os.access(REPO / script, os.X_OK), f"{page}: {script} is not executable"
    if script in ANSWERS_HELP:
        arguments = concrete(words[words.index(script) + 1 :])
        answer = subprocess.run(
            [sys.executable, str(REPO / script), *arguments, "--help"],
            capture_output=True,
            text=True,
            timeout=20,
            cwd=REPO,
        )
        assert answer.returncode == 0, f"{page}: {script} {' '.join(arguments)} --help: {answer.stderr}"


def test_the_readme_is_a_front_door() -> None:
    size = len((REPO / "README.md").read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes, more than {README_LIMIT}: move depth into docs/"


def test_the_readme_links_every_page_of_docs() -> None:
    linked = {
        (REPO / target.partition("#")[0]).resolve()
        for target in LINK.findall(prose((REPO / "README.md").read_text()))
    }
    missing = sorted(page.name for page in PAGES[1:] if page.resolve() not in linked)
    assert missing == [], f"README.md links no page {missing}"
