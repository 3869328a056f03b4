"""Hostile and unlucky inputs of the judge, report and delivery commands (issue 14).

Each input is real: a FIFO, a link to /dev/zero, a billion-laughs YAML file, a subject of
300 characters, monitor URLs with credentials, queries and plain http. Every one ends at
once with one line naming the file or option and exit 4, or is handled, never a hang.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from patchcheck.deliver.delivery import spool_name
from tests.helpers import hibiscus_document, patchcheck_argv, write

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n"
    for n in range(12)
)


def run(*args: str | Path, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        patchcheck_argv(*args), capture_output=True, text=True, timeout=timeout, check=False
    )
    return done, time.monotonic() - start


def judge_args(tmp_path: Path, facts: Path, *extra: str | Path) -> list[str | Path]:
    return ["judge", "--facts", facts, "--verdicts", tmp_path / "out" / "verdicts.json", *extra]


@pytest.mark.parametrize("kind", ["fifo", "device link", "folder"])
def test_a_facts_file_that_is_not_a_regular_file_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    if kind == "fifo":
        os.mkfifo(facts)
    elif kind == "device link":
        facts.symlink_to("/dev/zero")
    else:
        facts.mkdir()
        facts = facts / "inner.json"
        os.mkfifo(facts)
    done, seconds = run(*judge_args(tmp_path, facts), timeout=30)
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip() == f"patchcheck: error: {facts}: not a regular file (a facts file must be one)"
    assert seconds < 15


def test_a_billion_laughs_declarations_file_is_refused_within_a_second(tmp_path: Path) -> None:
    facts = write(hibiscus_document(), tmp_path / "facts.json")
    declarations = tmp_path / "declarations.yaml"
    declarations.write_text(LAUGHS)
    done, seconds = run(*judge_args(tmp_path, facts, "--declarations", declarations), timeout=60)
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip() == (
        f"patchcheck: error: {declarations}: line 2: YAML aliases (*name) are not accepted here"
    )
    assert seconds < 10  # the command's own start-up included; the refusal itself takes milliseconds


@pytest.mark.parametrize("what", ["declarations", "token"])
def test_a_fifo_as_declarations_or_token_is_refused(what: str, tmp_path: Path) -> None:
    fifo = tmp_path / what
    os.mkfifo(fifo, 0o600)
    if what == "declarations":
        facts = write(hibiscus_document(), tmp_path / "facts.json")
        done, _seconds = run(*judge_args(tmp_path, facts, "--declarations", fifo), timeout=30)
    else:
        report = tmp_path / "report.yaml"
        report.write_text(yaml.safe_dump({"subject": "c", "run": {"uuid": "u"}, "checked_at": "2026-11-25"}))
        done, _seconds = run(
            "upload",
            "--token-file",
            fifo,
            "--monitor",
            "http://127.0.0.1:9",
            "--spool",
            tmp_path / "s",
            timeout=30,
        )
    assert done.returncode == 4, done.stderr
    assert "not a regular file" in done.stderr


def test_spool_names_are_bounded_and_distinct_whatever_the_subject(tmp_path: Path) -> None:
    names = set()
    for subject in ("a" * 300, "a" * 299 + "b", "../../etc/passwd", "ünïcødé subject", "x" * 5000):
        report = tmp_path / "report.yaml"
        report.write_text(
            yaml.safe_dump({"subject": subject, "checked_at": "2026-11-25 10:00:00", "run": {"uuid": "u-1"}})
        )
        name = spool_name(report)
        assert len(name.encode()) <= 160 and "/" not in name and not name.startswith(".")
        names.add(name)
    assert len(names) == 5


def test_a_report_of_a_long_subject_is_spooled(tmp_path: Path) -> None:
    subject = "s" * 300
    report = tmp_path / "report.yaml"
    report.write_text(
        yaml.safe_dump({"subject": subject, "checked_at": "2026-11-25 10:00:00", "run": {"uuid": "u-2"}})
    )
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=60)
    token = tmp_path / "token"
    token.write_text(base64.b64encode(f"{subject}:k".encode()).decode())
    token.chmod(0o600)
    done, _seconds = run(
        "deliver",
        "--report",
        report,
        "--key",
        key,
        "--token-file",
        token,
        "--monitor",
        "http://127.0.0.1:9",
        "--spool",
        tmp_path / "spool",
    )
    assert done.returncode == 5, done.stderr  # spooled, monitor unreachable
    assert len(list((tmp_path / "spool").glob("*.yaml"))) == 1


@pytest.mark.parametrize(
    ("url", "problem", "secret"),
    [
        ("http://monitor.example.net", "plain http would send the token in clear", None),
        ("https://monitor.example.net/?apikey=K3Y", "a query or fragment has no place", "K3Y"),
        ("ftp://user:PAss-w0rd@monitor.example.net", "credentials in the URL", "PAss-w0rd"),
        ("https://user:pa/ss@monitor.example.net/", "credentials in the URL", "pa/ss"),
        ("http://[::1", "not a valid URL", None),
        ("https://monitor.example.net:99999/", "not a valid URL", None),
    ],
)
def test_a_monitor_url_that_would_expose_the_token_is_refused(
    url: str, problem: str, secret: str | None, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text(base64.b64encode(b"c:k").decode())
    token.chmod(0o600)
    done, _seconds = run("upload", "--token-file", token, "--monitor", url, "--spool", tmp_path / "spool")
    assert done.returncode == 4, done.stderr
    assert problem in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    if secret:
        assert secret not in done.stderr + done.stdout
