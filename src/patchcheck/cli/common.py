"""Helpers more than one command group shares: exit codes of verdicts, day arguments, file names."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TypeAlias

from patchcheck.days import bounded_day
from patchcheck.errors import ExitCode
from patchcheck.judge.verdict import Result

#: What ``add_subparsers()`` returns: each command group adds its commands to it (no public name).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def exit_code_for(result: Result) -> ExitCode:
    return {Result.PASS: ExitCode.PASS, Result.FAIL: ExitCode.FAIL, Result.ABORT: ExitCode.ABORT}[result]


def parse_day(text: str) -> dt.date:
    """A day argument; argparse turns the refusal into a usage error naming the argument (exit 2)."""
    try:
        return bounded_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def previous_verdicts_path(verdicts: Path) -> Path:
    """Where the judge keeps the last run's verdicts and the report looks for them ("what changed")."""
    return verdicts.with_name(verdicts.stem + ".previous.json")
