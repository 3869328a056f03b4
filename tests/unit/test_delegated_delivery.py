"""Reports of several subjects (SCS's nightly run: one document per subject) and delegated tokens.

What the monitor does with them is tested against the real one
(tests/integration/test_scs_monitor.py); here the client's side: which spooled report a token
sends, how a multi-document report is named, and what a token of another subject is told.
"""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
from pathlib import Path

import pytest
import yaml

from patchcheck import cli
from patchcheck.deliver import delivery
from patchcheck.deliver.monitor import Outcome, Response
from patchcheck.deliver.spool import Spool
from patchcheck.errors import ExitCode, InputError

NOW = dt.datetime.now(dt.UTC)


def document(subject: str, run: str) -> dict[str, object]:
    return {"subject": subject, "checked_at": NOW.strftime("%Y-%m-%d %H:%M:%S"), "run": {"uuid": run}}


def report(path: Path, *subjects: str) -> Path:
    path.write_text(
        yaml.safe_dump_all(
            [document(subject, f"run-{n}") for n, subject in enumerate(subjects)], sort_keys=False
        )
    )
    return path


def token(path: Path, subject: str) -> Path:
    path.write_text(base64.b64encode(f"{subject}:apikey".encode()).decode())
    path.chmod(0o600)
    return path


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=60)
    return path


def test_every_document_names_its_subject(tmp_path: Path) -> None:
    both = report(tmp_path / "r.yaml", "cloud-a", "cloud-b")
    assert delivery.report_subjects(both) == ["cloud-a", "cloud-b"]
    name = delivery.spool_name(both)
    assert "_cloud-a+1_run-0_" in name
    assert name != delivery.spool_name(report(tmp_path / "s.yaml", "cloud-a", "cloud-c"))
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump_all([document("cloud-a", "r"), {"run": {"uuid": "x"}}]))
    with pytest.raises(InputError, match="document 2: subject"):
        delivery.report_subjects(broken)


@pytest.mark.parametrize(
    ("subjects", "token_for", "delegated", "sent"),
    [
        (("cloud-a",), "cloud-a", False, True),
        (("cloud-a", "cloud-a"), "cloud-a", False, True),
        (("cloud-a", "cloud-b"), "cloud-a", False, False),  # one document is another's
        (("cloud-b",), "cloud-a", False, False),
        (("cloud-a", "cloud-b"), "zuul_ci", True, True),  # the monitor decides
    ],
)
def test_which_reports_a_token_sends(
    tmp_path: Path,
    key: Path,
    monkeypatch: pytest.MonkeyPatch,
    subjects: tuple[str, ...],
    token_for: str,
    delegated: bool,
    sent: bool,
) -> None:
    spool = Spool(tmp_path / "spool")
    source = report(tmp_path / "r.yaml", *subjects)
    spool.add(source, b"signature", delivery.spool_name(source))
    uploads: list[Path] = []

    def upload(report: Path, *_args: object) -> Response:
        uploads.append(report)
        return Response(Outcome.DELIVERED, "HTTP 200")

    monkeypatch.setattr(delivery, "upload", upload)
    secret = base64.b64encode(f"{token_for}:apikey".encode()).decode()
    attempts = delivery.flush(spool, "http://127.0.0.1:9/", secret, None, NOW, delegated=delegated)
    assert bool(uploads) is sent
    if not sent:
        (attempt,) = attempts
        assert attempt.response.outcome is Outcome.OTHER_SUBJECT
        assert set(subjects) - {token_for} <= set(attempt.response.detail.removeprefix("for ").split(", "))


def test_deliver_names_the_other_subjects_and_the_option(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = report(tmp_path / "r.yaml", "cloud-a", "cloud-b")
    argv = [
        "deliver",
        "--report",
        str(both),
        "--key",
        str(key),
        "--token-file",
        str(token(tmp_path / "t", "cloud-a")),
    ]
    code = cli.main([*argv, "--monitor", "http://127.0.0.1:9/", "--spool", str(tmp_path / "spool")])
    assert code == ExitCode.BAD_INPUT
    error = capsys.readouterr().err
    assert "'cloud-b', but" in error and "--delegated" in error
    assert not (tmp_path / "spool").exists() or not list(
        (tmp_path / "spool").glob("*.yaml")
    )  # nothing spooled
