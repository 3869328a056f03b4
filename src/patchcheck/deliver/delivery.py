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
    """``<checked_at>_<subject>_<run uuid>`` of the report's first document, safe as a file name."""
    documents = report_documents(report)
    if not documents or "run" not in documents[0] or "uuid" not in (documents[0]["run"] or {}):
        raise InputError(report, "run.uuid", "missing: not an SCS report")
    first = documents[0]
    stamp = re.sub(r"[^0-9T-]+", "", str(first.get("checked_at", ""))[:19].replace(" ", "T"))[:17]
    subject = re.sub(r"[^A-Za-z0-9._-]+", "-", str(first.get("subject", "subject")))[:SUBJECT_CHARS]
    run = re.sub(r"[^A-Za-z0-9-]+", "-", str(first["run"]["uuid"]))[:40]
    # bounded whatever the subject (file names end at 255 bytes); the hash keeps cut names apart
    digest = hashlib.sha256(f"{first.get('subject')}\0{first['run']['uuid']}".encode()).hexdigest()[:12]
    return f"{stamp}_{subject.strip('.')}_{run}_{digest}"


#: Characters of the subject kept in a spool file name.
SUBJECT_CHARS = 64


def report_subject(report: Path) -> str:
    """The ``subject`` of a report's first document."""
    documents = report_documents(report)
    if not documents or not documents[0].get("subject"):
        raise InputError(report, "subject", "missing: not an SCS report")
    return str(documents[0]["subject"])


def deliver(
    report: Path, key: Path, spool: Spool, monitor: str, token: str, ca_file: Path | None, now: dt.datetime
) -> list[Attempt]:
    signature = sign(report, key)
    spool.add(report, signature, spool_name(report))
    return flush(spool, monitor, token, ca_file, now)


def flush(
    spool: Spool, monitor: str, token: str, ca_file: Path | None, now: dt.datetime, everything: bool = False
) -> list[Attempt]:
    """Send the due entries of the token's subject; a permanent refusal moves the entry aside.

    An entry of another subject is never sent with this token (the monitor would answer 401,
    and the report would be refused for a mistake in the command line): it waits for its own.
    """
    attempts = []
    subject = token_subject(token)
    with spool.locked():
        for entry in spool.entries():
            if not entry.report.exists() or not (everything or entry.due(now)):
                continue
            if subject is not None and entry.subject() != subject:
                attempts.append(Attempt(entry, Response(Outcome.OTHER_SUBJECT, f"for {entry.subject()!r}")))
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
