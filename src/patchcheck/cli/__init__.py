"""patchcheck: judge gathered facts against scs-0124, report to SCS, keep the advisory knowledge current.

    patchcheck judge  --facts F [--facts F ...] --verdicts V [--reference-date D]
    patchcheck report --verdicts V --subject S --out-dir D
    patchcheck series [--date D]
    patchcheck index build --data ../shared/data

Collection is Ansible's job (playbooks/, roles/); this command never talks to
a cloud. Exit codes are ``errors.ExitCode``: 0 PASS, 1 FAIL, 2 usage, 3 ABORT,
4 bad input, 70 internal error. Bad input is reported as one line naming the
file and the place.

One module per command group (judge, report, delivery, advisories, index) holds
its commands' bodies and adds their sub-parsers; common holds what they share.
Commands import their stage's packages when they run, so start-up stays short.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from patchcheck import __version__
from patchcheck.cli import advisories, delivery, index, judge, report
from patchcheck.errors import ExitCode, InputError


def build_parser() -> argparse.ArgumentParser:
    """The commands in the order ``--help`` lists them; each group adds its own (cli/<group>.py)."""
    parser = argparse.ArgumentParser(prog="patchcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"patchcheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    judge.add_commands(commands)  # judge
    report.add_commands(commands)  # report
    delivery.add_commands(commands)  # scs-check, deliver, upload
    advisories.add_commands(commands)  # series, advisories
    index.add_commands(commands)  # index build, update, ancestry, audit
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(handler(args))
    except InputError as exc:
        print(f"patchcheck: error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head or less and closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.PASS
    except Exception as exc:  # a bug: one line and a pointer, not a traceback
        print(
            f"patchcheck: internal error: {type(exc).__name__}: {exc} "
            "(please report it with the command line; PATCHCHECK_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        if os.environ.get("PATCHCHECK_DEBUG"):
            raise
        return ExitCode.INTERNAL
