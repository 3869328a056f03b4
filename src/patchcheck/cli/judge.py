"""``patchcheck judge``: run the compliance layer with pytest on gathered facts and write the verdicts."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from patchcheck.cli.common import Commands, exit_code_for, parse_day, previous_verdicts_path
from patchcheck.errors import ExitCode, InputError
from patchcheck.files import output_lock
from patchcheck.judge.verdict import combine

#: The compliance layer ships inside the package, so an installed ``patchcheck judge`` finds it.
COMPLIANCE_DIR = Path(__file__).resolve().parent.parent / "compliance"


def add_commands(commands: Commands) -> None:
    judge = commands.add_parser("judge", help="judge facts files with the compliance layer")
    judge.add_argument(
        "--facts",
        type=Path,
        action="append",
        required=True,
        help="facts file, or a folder of *.json facts files (repeatable)",
    )
    judge.add_argument("--verdicts", type=Path, required=True, help="where to write the verdicts file")
    judge.add_argument("--reference-date", type=parse_day, help="judge as of this day (default: today, UTC)")
    judge.add_argument(
        "--scope",
        type=Path,
        help="SCS scope file (default: the shipped scope of the facts' kind, tenant or operator)",
    )
    judge.add_argument(
        "--tests",
        help="regular expression of testcase ids to report (default: every testcase of the scope)",
    )
    judge.add_argument(
        "--unscored-severity",
        choices=["critical", "high", "medium", "low"],
        default="high",
        help="band for advisories without a CVSS score (default: high)",
    )
    judge.add_argument(
        "--declarations", type=Path, help="operator declarations (YAML; see docs/operator-guide.md)"
    )
    judge.add_argument(
        "--max-knowledge-age",
        type=float,
        default=float(os.environ.get("PATCHCHECK_MAX_KNOWLEDGE_AGE", "2")),
        help="days the advisory knowledge may be old before it cannot prove scs-0124-ossa-patched "
        "(default 2, or $PATCHCHECK_MAX_KNOWLEDGE_AGE)",
    )
    judge.add_argument(
        "--hosts",
        help="also look at these hosts live with testinfra (its host specs, "
        "e.g. ansible://all?ansible_inventory=hosts.yaml)",
    )
    judge.add_argument(
        "--ansible-inventory",
        action="append",
        help="inventory source for ansible:// host specs, as given to ansible-playbook -i (repeatable)",
    )
    judge.add_argument(
        "--ansible-config",
        type=Path,
        help="the ansible.cfg the gathering used, so live checks reach hosts the same way",
    )
    judge.add_argument("--compliance-dir", type=Path, default=COMPLIANCE_DIR, help=argparse.SUPPRESS)
    judge.set_defaults(func=cmd_judge)


def cmd_judge(args: argparse.Namespace) -> int:
    """Run the compliance layer (``patchcheck/compliance``) with pytest on the facts."""
    with output_lock(args.verdicts.parent):  # a second run on the same folder waits its turn
        return run_judge(args)


def run_judge(args: argparse.Namespace) -> int:
    import pytest

    from patchcheck.facts import HostFacts, load_facts
    from patchcheck.facts.load import FactsTooLarge, expand_facts_paths
    from patchcheck.judge.declarations import load_declarations
    from patchcheck.judge.handoff import Handoff
    from patchcheck.judge.live_hosts import ansible_environment
    from patchcheck.scope import load_scope, scope_for_kinds

    load_declarations(args.declarations)  # validate first: bad input stops here with one line
    preloaded, kinds = {}, set()
    for path in expand_facts_paths(args.facts):
        try:
            preloaded[path] = load_facts(path)  # bad input stops here with one line
        except FactsTooLarge as refused:  # ... but one too large is a refused host or cloud: ABORT
            kinds.add(refused.kind)
    kinds |= {"host" if isinstance(facts, HostFacts) else "tenant" for facts in preloaded.values()}
    scope = load_scope(args.scope) if args.scope else scope_for_kinds(kinds)
    if not (args.compliance_dir / "pytest.ini").exists():
        raise InputError(args.compliance_dir, "", "no compliance layer here (expected pytest.ini)")
    pytest_args = [
        "-c",
        str(args.compliance_dir / "pytest.ini"),
        "--rootdir",
        str(args.compliance_dir),
        "-p",
        "patchcheck.judge.pytest_plugin",
        "-p",
        "testinfra.plugin",  # the live checks' --hosts; other installed plugins stay out (see below)
        "-p",
        "no:unraisableexception",  # its forced garbage collections cost a fixed 0.4 s and find nothing here
        "-p",
        "no:warnings",  # it records warnings around every item (10,000s of them); the judge raises none
        "-q",
        "--no-header",
        "--tb=no",
        "-rN",
        "--verdicts",
        str(args.verdicts),
        "--scope",
        str(args.scope or scope.origin),
        "--unscored-severity",
        args.unscored_severity,
        *[arg for path in args.facts for arg in ("--facts", str(path))],
        str(args.compliance_dir),
    ]
    if args.reference_date:
        pytest_args += ["--reference-date", args.reference_date.isoformat()]
    if args.hosts:
        pytest_args += ["--hosts", args.hosts]
        # ansible and ansible-inventory (testinfra runs both) see what ansible-playbook saw
        os.environ.update(ansible_environment(args.ansible_config, args.ansible_inventory or []))
    if args.tests:
        pytest_args += ["--tests", args.tests]
    if args.declarations:
        pytest_args += ["--declarations", str(args.declarations)]
    pytest_args += ["--max-knowledge-age", str(args.max_knowledge_age)]
    # Tools of the same venv (ansible-inventory for testinfra's ansible:// hosts) come first on PATH.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    if args.verdicts.exists():  # keep the last run for "what changed"; never report it as this run
        args.verdicts.replace(previous_verdicts_path(args.verdicts))
    # Only the plugins named above: auto-loaded ones (hypothesis in a dev venv) cost seconds and
    # could change how a compliance item ends.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    handoff = Handoff(preloaded)
    code = pytest.main(pytest_args, plugins=[handoff])
    results = handoff.results
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or results is None:
        print(
            f"patchcheck: error: the compliance layer did not run (pytest exit {int(code)})", file=sys.stderr
        )
        return ExitCode.INTERNAL
    for testcase, result in results.items():
        print(f"{testcase}: {result.value}")
    return exit_code_for(combine(list(results.values())))
