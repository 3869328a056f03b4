"""The spool when it cannot do its job: busy, full or read-only, or with a malformed state file.

Each ends in one line and a documented exit code, loses no report and leaves no temporary
file (issue 26 points 14 and 15). A full or read-only spool is simulated by making
``os.replace`` raise ENOSPC or EROFS inside the spool module: the tests run as root, whom
a read-only mode does not stop, and tmpfs takes no ``chattr +i``.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import fcntl
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from patchcheck import cli
from patchcheck.deliver import delivery, spool
from patchcheck.deliver.monitor import Outcome, Response
from patchcheck.errors import ExitCode

SUBJECT = "cloud-a"


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """A report, an ed25519 key and a token for ``patchcheck deliver``."""
    report = tmp_path / "report.yaml"
    checked = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    report.write_text(yaml.safe_dump({"subject": SUBJECT, "checked_at": checked, "run": {"uuid": "u-1"}}))
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=60)
    token = tmp_path / "token"
    token.write_text(base64.b64encode(f"{SUBJECT}:k".encode()).decode())
    token.chmod(0o600)
    return {"report": report, "key": key, "token": token, "spool": tmp_path / "spool"}


def deliver(inputs: dict[str, Path]) -> int:
    return cli.main(
        [
            "deliver",
            "--report",
            str(inputs["report"]),
            "--key",
            str(inputs["key"]),
            "--token-file",
            str(inputs["token"]),
            "--monitor",
            "http://127.0.0.1:9",
            "--spool",
            str(inputs["spool"]),
        ]
    )


def test_a_busy_spool_is_said_in_one_line_after_a_short_wait_and_keeps_the_report(
    inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another delivery holds the lock: exit 5 (spooled, retried later), not 301 s and exit 70."""
    monkeypatch.setattr(spool, "LOCK_WAIT_S", 0.5)
    inputs["spool"].mkdir(mode=0o700)
    holder = os.open(inputs["spool"] / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another open file description: the CLI's flock conflicts
    try:
        start = time.monotonic()
        code = deliver(inputs)
        seconds = time.monotonic() - start
    finally:
        os.close(holder)
    err = capsys.readouterr().err
    assert code == ExitCode.NOT_DELIVERED, err
    assert seconds < 5
    assert len(err.strip().splitlines()) == 1
    assert f"another delivery holds the spool lock {inputs['spool'] / '.lock'}" in err
    assert "internal error" not in err
    assert len(list(inputs["spool"].glob("*.yaml"))) == 1  # spooled: that run or the next sends it


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_spool_is_one_line_and_leaves_nothing_behind(
    code: int,
    inputs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", refuse)  # Path.replace calls it
    before = inputs["report"].read_bytes()
    result = deliver(inputs)
    err = capsys.readouterr().err
    assert result == ExitCode.BAD_INPUT, err
    assert err.strip().splitlines() == [
        f"patchcheck: error: {inputs['spool']}: the spool cannot be written ({os.strerror(code)}); "
        "nothing was sent, the report stays where it was"
    ]
    assert sorted(path.name for path in inputs["spool"].iterdir()) == []  # no temporary, no half entry
    assert inputs["report"].read_bytes() == before


def spooled(folder: Path, name: str, state: str | None) -> spool.Entry:
    entry = spool.Entry(folder / f"{name}.yaml")
    entry.report.write_text(yaml.safe_dump({"subject": SUBJECT, "run": {"uuid": name}}))
    entry.signature.write_text("sig")
    if state is not None:
        entry.state_file.write_text(state)
    return entry


MALFORMED_STATES = [
    json.dumps({"attempts": 1, "next_try": "2026-01-01T00:00:00", "last_error": "x"}),  # naive
    json.dumps({"attempts": 1, "next_try": "tomorrow"}),
    json.dumps({"attempts": "many", "next_try": None}),
    json.dumps([1, 2]),
    "{not json",
    "[" * 100_000,
]


@pytest.mark.parametrize("state", MALFORMED_STATES, ids=range(len(MALFORMED_STATES)))
def test_a_malformed_state_file_is_that_entrys_problem_and_the_others_upload(
    state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    now = dt.datetime.now(dt.UTC)
    sent: list[str] = []

    def upload(report: Path, *_args: object) -> Response:
        sent.append(report.name)
        return Response(Outcome.RETRY, "monitor down")

    monkeypatch.setattr(delivery, "upload", upload)
    bad = spooled(folder, "a-bad", state)
    good = spooled(folder, "b-good", None)
    attempts = delivery.flush(spool.Spool(folder), "https://m.example", "dG9rZW4=", None, now)
    assert sorted(sent) == ["a-bad.yaml", "b-good.yaml"]  # the malformed one is retried, not fatal
    assert len(attempts) == 2
    aside = bad.state_file.with_name(bad.state_file.name + ".malformed")
    assert aside.read_text() == state  # kept for a look
    recorded = json.loads(bad.state_file.read_text())
    assert recorded["attempts"] == 1 and recorded["last_error"] == "monitor down"
    assert json.loads(good.state_file.read_text())["attempts"] == 1
