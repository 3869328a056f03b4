"""Spool, sign and send: the order that loses nothing.

``deliver`` signs a report, puts it into the spool, then sends every due entry;
``flush`` (``patchcheck upload``) only sends. Each entry is removed only after
the monitor confirmed it; anything else leaves it spooled with a backoff.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from patchcheck.deliver.monitor import Outcome, Response, upload
from patchcheck.deliver.secrets import token_subject
from patchcheck.deliver.signing import sign
from patchcheck.deliver.spool import Entry, Spool
from patchcheck.errors import InputError


@dataclass(frozen=True)
class Attempt:
    entry: Entry
    response: Response


def spool_name(report: Path) -> str:
    """``<checked_at>_<subject>_<run uuid>`` of the report's first document, safe as a file name."""
    try:
        documents = [d for d in yaml.safe_load_all(report.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(report, "", f"not a readable report: {exc}") from None
    if not documents or "run" not in documents[0] or "uuid" not in (documents[0]["run"] or {}):
        raise InputError(report, "run.uuid", "missing: not an SCS report")
    first = documents[0]
    stamp = str(first.get("checked_at", ""))[:19].replace(" ", "T").replace(":", "")
    text = f"{stamp}_{first.get('subject', 'subject')}_{first['run']['uuid']}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)


def report_subject(report: Path) -> str:
    """The ``subject`` of a report's first document."""
    try:
        documents = [d for d in yaml.safe_load_all(report.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(report, "", f"not a readable report: {exc}") from None
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
