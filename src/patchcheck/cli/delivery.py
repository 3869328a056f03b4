"""``patchcheck deliver``, ``upload`` and ``scs-check``: signed reports to the SCS compliance monitor.

``deliver`` signs and spools a report and sends what is due, ``upload`` sends what waits in the
spool, and ``scs-check`` is the script SCS's own suite runs for patchcheck's scopes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from patchcheck.cli.common import Commands
from patchcheck.errors import ExitCode, InputError


def add_commands(commands: Commands) -> None:
    scs_check = commands.add_parser(
        "scs-check",
        help="the script of patchcheck's SCS scopes (patchcheck-scs-judge): gather if needed, judge, "
        "print SCS's line protocol",
    )
    scs_check.add_argument("--facts", default="", help="facts folder gathered beforehand (empty: gather)")
    scs_check.add_argument("--os-cloud", default="", help="the cloud to gather from (clouds.yaml name)")
    scs_check.add_argument("testcases", nargs="+", help="the testcase ids SCS's suite asks for")
    scs_check.set_defaults(func=cmd_scs_check)

    deliver_command = commands.add_parser(
        "deliver", help="sign a report, spool it and send it to the monitor"
    )
    deliver_command.add_argument("--report", type=Path, required=True)
    deliver_command.add_argument("--key", type=Path, required=True, help="ed25519 private key, mode 0600")
    add_monitor_options(deliver_command)
    deliver_command.set_defaults(func=cmd_deliver)
    upload_command = commands.add_parser("upload", help="send the reports waiting in the spool")
    add_monitor_options(upload_command)
    upload_command.add_argument("--all", action="store_true", help="also those whose backoff has not ended")
    upload_command.set_defaults(func=cmd_upload)


def add_monitor_options(command: argparse.ArgumentParser) -> None:
    """The options ``deliver`` and ``upload`` share: which monitor, with which token, from which spool."""
    command.add_argument("--monitor", required=True, help="base URL of the SCS compliance monitor")
    command.add_argument(
        "--token-file", type=Path, required=True, help="file holding base64(subject:apikey), mode 0600"
    )
    command.add_argument("--spool", type=Path, required=True, help="spool folder (kept until confirmed)")
    command.add_argument("--ca-file", type=Path, help="CA bundle for a monitor with a private CA")
    command.add_argument(
        "--delegated",
        action="store_true",
        help="the token's account appends for the subjects that delegate to it (SCS: an account "
        "with append_any, such as zuul_ci, named in each subject's delegates): reports of any "
        "subject are sent with it, and the monitor decides",
    )


def delivery_outcome(attempts: list[Any], spool: Any, token: str, delegated: bool = False) -> int:
    """One log line per attempt and the exit code: 6 if anything was refused, 5 if any of ours waits."""
    from patchcheck.deliver.monitor import Outcome
    from patchcheck.deliver.secrets import token_subject

    refused = 0
    for attempt in attempts:
        outcome = attempt.response.outcome
        level = {Outcome.REFUSED: "ERROR", Outcome.OTHER_SUBJECT: "INFO"}.get(
            outcome, "INFO" if attempt.response.confirmed else "WARNING"
        )
        print(f"{level}: {attempt.entry.report.name}: {outcome}: {attempt.response.detail}", file=sys.stderr)
        refused += outcome is Outcome.REFUSED
    from patchcheck.deliver.delivery import sendable

    subject = token_subject(token)
    waiting = [entry for entry in spool.entries() if sendable(entry, subject, delegated)]
    if waiting:
        print(
            f"WARNING: {len(waiting)} report(s) of {subject or 'this subject'} wait in {spool.folder}; "
            "`patchcheck upload` or the next run retries",
            file=sys.stderr,
        )
    if refused:
        print(
            f"ERROR: the monitor refused {refused} report(s) for good; they are in "
            f"{spool.folder / 'refused'} and will not be sent again: fix what the monitor said "
            "(key registered? token? subject?)",
            file=sys.stderr,
        )
        return ExitCode.REFUSED
    return ExitCode.NOT_DELIVERED if waiting else ExitCode.PASS


def cmd_scs_check(args: argparse.Namespace) -> int:
    """Gather (unless given facts), judge and print SCS's line protocol (patchcheck.scs_check)."""
    from patchcheck import scs_check

    return scs_check.main(args.testcases, args.facts, args.os_cloud)


def cmd_deliver(args: argparse.Namespace) -> int:
    """Sign a report, spool it, send everything due; the report stays spooled until confirmed."""
    from patchcheck.deliver.delivery import deliver, report_subjects
    from patchcheck.deliver.monitor import reports_url
    from patchcheck.deliver.secrets import read_token, token_subject
    from patchcheck.deliver.spool import Spool, SpoolBusy

    reports_url(args.monitor)  # a URL that would expose the token stops here, before anything is signed
    token = read_token(args.token_file)
    subjects, token_for = report_subjects(args.report), token_subject(token)
    others = sorted({subject for subject in subjects if subject != token_for})
    if token_for is not None and others and not args.delegated:
        raise InputError(
            args.report,
            "subject",
            f"{', '.join(map(repr, others))}, but {args.token_file} is the token of {token_for!r} "
            "(an account that appends for subjects delegating to it: --delegated)",
        )
    spool = Spool(args.spool)
    try:
        attempts = deliver(
            args.report,
            args.key,
            spool,
            args.monitor,
            token,
            args.ca_file,
            dt.datetime.now(dt.UTC),
            delegated=args.delegated,
        )
    except SpoolBusy as busy:  # the report is spooled: that run, upload or the next run sends it
        print(f"WARNING: {busy}", file=sys.stderr)
        return ExitCode.NOT_DELIVERED
    return delivery_outcome(attempts, spool, token, args.delegated)


def cmd_upload(args: argparse.Namespace) -> int:
    """Send what waits in the spool for the token's subject (due entries; --all: every one)."""
    from patchcheck.deliver.delivery import flush
    from patchcheck.deliver.monitor import reports_url
    from patchcheck.deliver.secrets import read_token
    from patchcheck.deliver.spool import Spool, SpoolBusy

    reports_url(args.monitor)
    token = read_token(args.token_file)
    spool = Spool(args.spool)
    try:
        attempts = flush(
            spool,
            args.monitor,
            token,
            args.ca_file,
            dt.datetime.now(dt.UTC),
            args.all,
            delegated=args.delegated,
        )
    except SpoolBusy as busy:
        print(f"WARNING: {busy}", file=sys.stderr)
        return ExitCode.NOT_DELIVERED
    return delivery_outcome(attempts, spool, token, args.delegated)
