"""Spool, sign and send: the order that loses nothing.

``deliver`` signs a report, puts it into the spool, then sends every due entry;
``flush`` (``patchcheck upload``) only sends. Each entry is removed only after
the monitor confirmed it; anything else leaves it spooled with a backoff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchcheck import safe_yaml
from patchcheck.deliver.monitor import Outcome, Response, upload
from patchcheck.deliver.secrets import token_subject
from patchcheck.deliver.signing import sign
from patchcheck.deliver.spool import Entry, Spool
from patchcheck.errors import InputError
from patchcheck.files import read_input_text


@dataclass(frozen=True)
class Attempt:
    entry: Entry
    response: Response


def report_documents(report: Path) -> list[dict[str, Any]]:
    """The report's YAML documents (a regular file, bounded, no aliases)."""
    text = read_input_text(report, 64 * 1024 * 1024, "report")
    return [document for document in safe_yaml.load_all(text, report) if isinstance(document, dict)]


def spool_name(report: Path) -> str:
    """``<checked_at>_<subject>_<run uuid>`` of the report's first document, safe as a file name.

    A report of several documents (SCS's nightly run concatenates one per subject) is named by
    its first, ``+<n>`` after the subject saying how many more it holds.
    """
    documents = report_documents(report)
    for number, document in enumerate(documents):
        if not isinstance(document.get("run"), dict) or "uuid" not in document["run"]:
            raise InputError(report, f"document {number + 1}: run.uuid", "missing: not an SCS report")
    if not documents:
        raise InputError(report, "run.uuid", "missing: not an SCS report")
    first = documents[0]
    stamp = re.sub(r"[^0-9T-]+", "", str(first.get("checked_at", ""))[:19].replace(" ", "T"))[:17]
    subject = re.sub(r"[^A-Za-z0-9._-]+", "-", str(first.get("subject", "subject")))[:SUBJECT_CHARS]
    more = f"+{len(documents) - 1}" if len(documents) > 1 else ""
    run = re.sub(r"[^A-Za-z0-9-]+", "-", str(first["run"]["uuid"]))[:40]
    # bounded whatever the subject (file names end at 255 bytes); the hash keeps cut names apart
    every = "\0".join(f"{document.get('subject')}\0{document['run']['uuid']}" for document in documents)
    digest = hashlib.sha256(every.encode()).hexdigest()[:12]
    return f"{stamp}_{subject.strip('.')}{more}_{run}_{digest}"


#: Characters of the subject kept in a spool file name.
SUBJECT_CHARS = 64


def report_subject(report: Path) -> str:
    """The ``subject`` of a report's first document."""
    return report_subjects(report)[0]


def report_subjects(report: Path) -> list[str]:
    """The ``subject`` of each document of a report, in order (one per subject SCS's runner checked)."""
    documents = report_documents(report)
    if not documents:
        raise InputError(report, "subject", "missing: not an SCS report")
    for number, document in enumerate(documents):
        if not document.get("subject"):
            where = "subject" if len(documents) == 1 else f"document {number + 1}: subject"
            raise InputError(report, where, "missing: not an SCS report")
    return [str(document["subject"]) for document in documents]


def deliver(
    report: Path,
    key: Path,
    spool: Spool,
    monitor: str,
    token: str,
    ca_file: Path | None,
    now: dt.datetime,
    delegated: bool = False,
) -> list[Attempt]:
    signature = sign(report, key)
    spool.add(report, signature, spool_name(report))
    return flush(spool, monitor, token, ca_file, now, delegated=delegated)


def sendable(entry: Entry, token_for: str | None, delegated: bool) -> bool:
    """Whether ``entry`` goes out with a token of ``token_for``.

    Without ``delegated``, only reports whose every document is the token's own subject: the
    monitor would answer 401 otherwise, and the report would be refused for a mistake in the
    command line. With it (an account that appends for the subjects delegating to it, as SCS's
    ``zuul_ci`` does), every report goes: the monitor decides, and a refusal stays a refusal.
    """
    return delegated or token_for is None or all(subject == token_for for subject in entry.subjects())


def flush(
    spool: Spool,
    monitor: str,
    token: str,
    ca_file: Path | None,
    now: dt.datetime,
    everything: bool = False,
    delegated: bool = False,
) -> list[Attempt]:
    """Send the due entries this token may send (``sendable``); a permanent refusal moves the
    entry aside. An entry of another subject waits for its own token."""
    attempts = []
    subject = token_subject(token)
    with spool.locked():
        for entry in spool.entries():
            if not entry.report.exists() or not (everything or entry.due(now)):
                continue
            if not sendable(entry, subject, delegated):
                others = ", ".join(sorted(set(entry.subjects()) - {subject or ""})) or "unknown"
                attempts.append(Attempt(entry, Response(Outcome.OTHER_SUBJECT, f"for {others}")))
                continue
            response = upload(entry.report, entry.signature, monitor, token, ca_file)
            if response.confirmed:
                entry.remove()
            elif response.outcome is Outcome.REFUSED:
                entry = Entry(entry.refuse(response.detail, now))
            else:
                entry.failed(response.detail, now)
            attempts.append(Attempt(entry, response))
    return attempts
