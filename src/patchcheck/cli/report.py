"""``patchcheck report``: the SCS report YAML, JUnit XML, summaries, VEX and SBOM from a verdicts file."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from patchcheck.cli.common import Commands, exit_code_for, previous_verdicts_path
from patchcheck.errors import InputError
from patchcheck.files import atomic_writer, output_lock


def add_commands(commands: Commands) -> None:
    report = commands.add_parser("report", help="write the SCS report and JUnit from a verdicts file")
    report.add_argument("--verdicts", type=Path, required=True)
    report.add_argument("--subject", required=True, help="the cloud's name in the SCS compliance monitor")
    report.add_argument("--out-dir", type=Path, required=True)
    report.add_argument("--scope", type=Path, help="SCS scope file (default: the one the verdicts name)")
    report.add_argument(
        "--previous",
        type=Path,
        help="verdicts of the previous run, for what changed (default: <verdicts>.previous.json)",
    )
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the SCS report YAML, JUnit XML, summaries, VEX and SBOM; print the line protocol."""
    with output_lock(args.out_dir):  # a second run on the same folder waits its turn
        return write_outputs(args)


def write_outputs(args: argparse.Namespace) -> int:
    from patchcheck.judge.verdicts import load_verdicts, refused_verdicts
    from patchcheck.report import sbom, summary, vex
    from patchcheck.report.junit import write_junit
    from patchcheck.report.line_protocol import result_lines
    from patchcheck.report.scs_report import build_report, write_report
    from patchcheck.scope import load_scope

    # the previous run first: only its open advisories are kept, and its whole verdicts are gone
    # before the current ones are read (both at once doubled the report's memory)
    previous = previous_verdicts(args.previous or previous_verdicts_path(args.verdicts))
    try:
        verdicts = load_verdicts(args.verdicts)
    except InputError as refused:  # too large, cut short, malformed: a report of ABORTs, never none
        verdicts = refused_verdicts(
            args.verdicts, str(refused), refused_scope(args, refused), dt.datetime.now(dt.UTC)
        )
    rc = int(exit_code_for(verdicts.overall))
    scope = load_scope(args.scope) if args.scope else scope_of(verdicts, args.verdicts)
    report = build_report(verdicts, scope, args.subject, ["patchcheck", *sys.argv[1:]], rc)
    out: Path = args.out_dir
    write_report(report, out / "report.yaml")
    write_junit(verdicts, args.subject, out / "junit.xml")
    with atomic_writer(out / "summary.md") as markdown, atomic_writer(out / "summary.html") as page:
        summary.write_summaries(verdicts, args.subject, previous, markdown, page)
    # the VEX documents and the SBOM are streamed to their files, element by element (report/json_stream.py)
    with atomic_writer(out / "vex.cdx.json") as stream:
        vex.write_cyclonedx_vex(verdicts, args.subject, stream)
    # OpenVEX needs at least one statement; an SBOM needs an inventory (host runs)
    if vex.has_advisory_items(verdicts):
        with atomic_writer(out / "vex.openvex.json") as stream:
            vex.write_openvex(verdicts, args.subject, stream)
    else:  # never leave an earlier run's file beside this run's report
        (out / "vex.openvex.json").unlink(missing_ok=True)
    if verdicts.inventory:
        with atomic_writer(out / "sbom.cdx.json") as stream:
            sbom.write_cyclonedx_sbom(verdicts, args.subject, stream)
    else:
        (out / "sbom.cdx.json").unlink(missing_ok=True)
    for line in next(iter(report["run"]["invocations"].values()))["stderr"]:
        print(line, file=sys.stderr)
    for line in result_lines(verdicts):
        print(line)
    print(f"INFO: report written to {out / 'report.yaml'} (run {report['run']['uuid']})", file=sys.stderr)
    return rc


def refused_scope(args: argparse.Namespace, refused: InputError) -> Any:
    """The scope of a refused verdicts file: --scope, or the one its head names; else the refusal stands."""
    from patchcheck.judge.verdicts import recorded_scope
    from patchcheck.scope import load_scope

    if args.scope:
        return load_scope(args.scope)
    recorded = recorded_scope(args.verdicts)
    if recorded is None:
        raise refused  # no scope, no report the monitor could file: exit 4 with the reason
    return load_scope(recorded["file"])


def previous_verdicts(path: Path) -> Any:
    """What "what changed" needs of the previous run (``summary.PreviousRun``), or None; one that
    cannot be read is left out."""
    from patchcheck.judge.verdicts import load_verdicts
    from patchcheck.report.summary import PreviousRun

    if not path.exists():
        return None
    try:
        return PreviousRun.of(load_verdicts(path))
    except InputError as exc:
        print(f"WARNING: previous verdicts not compared: {exc}", file=sys.stderr)
        return None


def scope_of(verdicts: Any, path: Path) -> Any:
    """The scope the judge reported against, as the verdicts file names it."""
    from patchcheck.scope import load_scope

    recorded = verdicts.scope or {}
    if not recorded.get("file"):
        raise InputError(path, "$.scope", "names no scope (judged by an older patchcheck): give --scope")
    scope = load_scope(recorded["file"])
    if scope.uuid != recorded.get("uuid"):
        raise InputError(
            path, "$.scope.uuid", f"{recorded.get('uuid')} is not the uuid of {recorded['file']}"
        )
    return scope
