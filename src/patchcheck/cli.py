"""patchcheck: judge gathered facts against scs-0124, report to SCS, keep the advisory knowledge current.

    patchcheck judge  --facts F [--facts F ...] --verdicts V [--reference-date D]
    patchcheck report --verdicts V --subject S --out-dir D
    patchcheck series [--date D]
    patchcheck index build --data ../shared/data

Collection is Ansible's job (playbooks/, roles/); this command never talks to
a cloud. Exit codes are ``errors.ExitCode``: 0 PASS, 1 FAIL, 2 usage, 3 ABORT,
4 bad input, 70 internal error. Bad input is reported as one line naming the
file and the place.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from patchcheck import __version__
from patchcheck.days import bounded_day
from patchcheck.errors import ExitCode, InputError
from patchcheck.files import atomic_write, atomic_writer, output_lock
from patchcheck.judge.verdict import Result, combine

REPO = Path(__file__).resolve().parents[2]
COMPLIANCE_DIR = REPO / "tests" / "compliance"


def exit_code_for(result: Result) -> ExitCode:
    return {Result.PASS: ExitCode.PASS, Result.FAIL: ExitCode.FAIL, Result.ABORT: ExitCode.ABORT}[result]


def parse_day(text: str) -> dt.date:
    """A day argument; argparse turns the refusal into a usage error naming the argument (exit 2)."""
    try:
        return bounded_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_judge(args: argparse.Namespace) -> int:
    """Run the compliance layer (tests/compliance) with pytest on the facts."""
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


def previous_verdicts_path(verdicts: Path) -> Path:
    return verdicts.with_name(verdicts.stem + ".previous.json")


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


def cmd_series(args: argparse.Namespace) -> int:
    """Print every release series since Wallaby with its status on a day."""
    from patchcheck.knowledge.series import shipped_series

    table = shipped_series()
    day = args.date or dt.datetime.now(dt.UTC).date()
    print(f"{'series':<24} {'status on ' + day.isoformat():<24} next phase (after that day)")
    for series in table.ordered[table.index("wallaby") :]:
        planned = series.upcoming_after(day)  # from the version of the file in force that day
        upcoming = f"{planned[0]} on {planned[1]}" if planned else ""
        print(f"{series.title:<24} {series.status_on(day):<24} {upcoming}")
    return ExitCode.PASS


def cmd_advisories(args: argparse.Namespace) -> int:
    """The knowledge base, queried directly: list, show one, or what affects a product version."""
    from patchcheck.knowledge.advisories import shipped_index
    from patchcheck.knowledge.series import shipped_series

    index = shipped_index()
    if args.action == "products":
        print(
            "\n".join(
                sorted(set(index.by_product) | set(index.releases) | index.services | set(index.projects))
            )
        )
        return ExitCode.PASS
    if args.action == "services":
        print("\n".join(sorted(index.services)))
        return ExitCode.PASS
    if args.action == "distributions":
        from patchcheck.knowledge.sources import distribution_aliases

        print(json.dumps(distribution_aliases(), sort_keys=True))
        return ExitCode.PASS
    if args.action == "options":
        from patchcheck.knowledge.rules import options_read

        wanted = {
            pattern
            for advisory in index.advisories
            for rule in advisory.rules
            for pattern in options_read(rule.expr, rule.service)
        }
        print("\n".join(sorted(wanted)))
        return ExitCode.PASS
    if args.action == "list":
        for advisory in index.advisories:
            if args.product and not advisory.product(args.product):
                continue
            if not args.all and not advisory.checkable:
                continue
            products = ", ".join(f"{p.name} {p.range}" for p in advisory.products) or "(prose, not checkable)"
            day = advisory.disclosed or (f"by {advisory.disclosed_by}" if advisory.disclosed_by else "?")
            print(f"{advisory.id}  {day}  {advisory.band(args.unscored_severity):<8}  {products}")
        return ExitCode.PASS
    if args.action == "new":
        from patchcheck.judge.new_advisories import atom_feed, lines, new_advisories, write_feed

        now = dt.datetime.now(dt.UTC)
        since = args.since or (now - dt.timedelta(days=7)).date()
        items = new_advisories(index, args.facts, since)
        print("\n".join(lines(items, now)) or f"no advisory published since {since} affects these facts")
        if args.atom:
            write_feed(args.atom, atom_feed(items, args.subject, now))
        return ExitCode.FAIL if items else ExitCode.PASS
    if args.action == "show":
        advisory = index.by_id.get(args.id.upper())
        if advisory is None:
            raise InputError("advisories", args.id, "no such advisory in the index")
        print(f"{advisory.id}: {advisory.title}\n  {advisory.url}")
        print(f"  disclosed: {advisory.disclosed or f'unknown (published by {advisory.disclosed_by})'}")
        severity = advisory.severity
        print(
            f"  severity: {advisory.band(args.unscored_severity)}"
            + (
                f" (CVSS {severity.cvss_version} {severity.score} of {severity.cve}, {severity.source})"
                if severity
                else " (no score; default for unscored advisories)"
            )
        )
        deadline = advisory.deadline(args.unscored_severity)
        print(f"  deadline: {deadline.isoformat() if deadline else 'unknown'}")
        print(f"  CVEs: {', '.join(advisory.cves) or 'none'}")
        if advisory.historic:
            print("  historic: prose ranges before September 2015, end-of-life releases only; never matched")
        for product in advisory.products:
            print(
                f"  {product.name}{f' ({product.qualifier})' if product.qualifier else ''}: {product.range}"
            )
            for fix in product.series:
                remedy = f"fixed in {fix.fixed_in}" if fix.fixed_in else "no fixed release"
                print(f"    {fix.series:<12} {remedy}")
        for rule in advisory.rules:
            print(f"  {rule.kind} {rule.id} ({rule.service}): {rule.reason}")
        for line in advisory.overlay:
            print(f"  overlay: {line}")
        for product in advisory.products:
            for version, affected, proof in product.ancestry:
                verdict = "affected" if affected else "fixed"
                print(f"  git ancestry: {product.name} {version} {verdict} against the range: {proof}")
        return ExitCode.PASS
    day = args.date or dt.datetime.now(dt.UTC).date()
    moment = dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=dt.UTC)
    findings = index.affecting(args.product, args.version)
    series = index.series_of(args.product, args.version)
    status = shipped_series()[series].status_on(day) if series in shipped_series().by_name else "unknown"
    print(
        f"{args.product} {args.version}: series {series or 'unknown'} ({status} on {day}); "
        f"{len(findings)} advisories apply"
    )
    for finding in findings:
        advisory = finding.advisory
        deadline = advisory.deadline(args.unscored_severity)
        due = (
            "unknown"
            if deadline is None
            else (
                f"overdue since {deadline:%Y-%m-%d %H:%M}"
                if deadline < moment
                else f"due {deadline:%Y-%m-%d %H:%M}"
            )
        )
        fix = finding.product.series_fix(series) if series else None
        remedy = (
            f"fixed in {fix.fixed_in}"
            if fix and fix.fixed_in
            else "no fixed release in this series"
            if fix
            else "see the advisory"
        )
        print(
            f"  {advisory.id} [{finding.match.match}] {advisory.band(args.unscored_severity)}, {due}: "
            f"{finding.match.reason}; {remedy}"
        )
        for rule in advisory.rules_of("precondition", finding.product.key):
            print(f"    only if {rule.id}: {rule.reason}")
        for rule in advisory.rules_of("mitigation", finding.product.key):
            print(f"    mitigated by {rule.id}: {rule.reason}")
    return ExitCode.PASS


def cmd_index_build(args: argparse.Namespace) -> int:
    """Rebuild the shipped knowledge from upstream snapshots; nothing is replaced if a problem is found."""
    import shutil
    import tempfile

    from patchcheck.knowledge.build import DATA_DIR, Sources, build_index

    shared = Sources.from_shared(args.data, args.notes_as_of)
    sources = Sources(
        releases=args.releases or shared.releases,
        ossa=args.ossa or shared.ossa,
        notes=args.notes or shared.notes,
        cvss=args.cvss or shared.cvss,
        notes_as_of=args.notes_as_of,
        built_at=args.built_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    target: Path = args.out or DATA_DIR
    with tempfile.TemporaryDirectory() as scratch:
        report = build_index(sources, Path(scratch))
        for problem in report.problems:
            print(f"index build: problem: {problem}", file=sys.stderr)
        counts = report.counts
        print(
            f"index build: {counts['ossa']} OSSA ({counts['historic']} historic), {counts['ossn']} OSSN "
            f"({counts['prose notes']} prose); {counts['machine-readable']} machine-readable, "
            f"{counts['fixed up']} fixed up by the overlay, {counts['rules']} configuration rules; "
            f"{counts['scored']} scored, {counts['unscored']} unscored; {counts['series']} series, "
            f"{counts['services']} services, {counts['distribution names']} distribution names mapped"
        )
        if report.problems:
            print(f"index build: {len(report.problems)} problem(s); {target} left unchanged", file=sys.stderr)
            return ExitCode.BAD_INPUT
        target.mkdir(parents=True, exist_ok=True)
        for built in sorted(Path(scratch).iterdir()):
            shutil.copyfile(built, target / built.name)
    return ExitCode.PASS


def cmd_index_update(args: argparse.Namespace) -> int:
    """Fetch the upstream advisory data, rebuild the index in the cache and switch to it."""
    from importlib import resources

    from patchcheck.knowledge.update import UpdateFailed, age, default_cache, provenance_of, update

    cache: Path = args.cache or default_cache()
    urls = {"ossa": args.ossa_url, "security-doc": args.security_doc_url, "releases": args.releases_url}
    cvss = args.cvss or Path(str(resources.files("patchcheck").joinpath("data", "openstack-cvss.csv")))
    now = dt.datetime.now(dt.UTC)
    try:
        result = update(
            cache,
            {k: v for k, v in urls.items() if v},
            cvss,
            now,
            git_urls=repository_urls(args.repo),
            audit_budget_s=args.audit_budget,
            progress=lambda line: print(f"index update: {line}", file=sys.stderr),
        )
    except UpdateFailed as exc:
        previous = provenance_of(cache / "current" if (cache / "current").exists() else None)
        old = age(previous, now)
        which = (
            f"the index fetched {previous.get('fetched_at')}"
            if previous.get("kind") == "updated"
            else f"the index shipped with patchcheck (built {previous.get('built_at')})"
        )
        kept = f"{which} stays in force" + (f", {old.days} days old" if old is not None else "")
        print(f"index update: error: {exc}; {kept}", file=sys.stderr)
        return ExitCode.NOT_UPDATED
    for message in result.messages:
        print(f"index update: {message}", file=sys.stderr)
    print_changes(result.changes, args.facts, result.index)
    sources = result.provenance.get("sources", {})
    for name, source in sources.items():
        print(f"{name}: {source['commit'][:12]} ({source['commit_date']}) from {source['url']}")
    print(f"index in force: {cache / 'current'} -> {result.index.name}")
    return ExitCode.PASS


def repository_urls(pairs: list[str]) -> dict[str, str]:
    """``--repo PRODUCT=URL`` arguments as product key -> URL."""
    from patchcheck.knowledge.sources import product_key

    urls = {}
    for pair in pairs:
        product, _, url = pair.partition("=")
        if not product or not url:
            raise InputError(
                "--repo", pair, "expected PRODUCT=GIT-URL (e.g. ironic=https://opendev.org/openstack/ironic)"
            )
        urls[product_key(product)] = url
    return urls


def print_changes(changes: list[Any], facts: list[Path], index_folder: Path) -> None:
    """What the update changed, one advisory per line, each with the kept installs it now holds."""
    from patchcheck.judge.new_advisories import installs_in_range, kept_hosts
    from patchcheck.knowledge.advisories import load_index

    if not changes:
        print("no advisory is new or judges differently")
        return
    hosts = kept_hosts(facts) if facts else []
    index = load_index(index_folder) if hosts else None
    for change in changes:
        print(change.line())
        if index is not None and (advisory := index.by_id.get(change.advisory)) is not None:
            for install in installs_in_range(index, hosts, advisory):
                print(f"  in its range now: {install}")


def cmd_index_ancestry(args: argparse.Namespace) -> int:
    """Audit the ranges in force against the products' git histories and write ancestry.yaml."""
    from patchcheck.knowledge.ancestry import ANCESTRY, audit_advisories
    from patchcheck.knowledge.ancestry import load as load_ancestry
    from patchcheck.knowledge.build import Sources, ranges_in_force

    urls = repository_urls(args.repo)
    target: Path = args.write or ANCESTRY
    shared = Sources.from_shared(args.data)
    raws, ranges = ranges_in_force(shared)
    cache = (
        args.cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "patchcheck" / "git"
    )
    run = audit_advisories(
        raws,
        ranges,
        urls,
        cache,
        previous=load_ancestry(target),
        budget_s=args.budget,
        progress=lambda line: print(f"index ancestry: {line}", file=sys.stderr),
    )
    atomic_write(target, run.ancestry.to_yaml())
    for (advisory, product), entry in sorted(run.ancestry.entries.items()):
        for correction in entry.corrections:
            verdict = "affected" if correction.affected else "fixed"
            print(f"{advisory} {product} {correction.version}: {verdict} ({correction.reason})")
    for line in run.skipped:
        print(f"index ancestry: not audited: {line}", file=sys.stderr)
    print(
        f"index ancestry: {len(run.audited)} decided, {len(run.undecided)} without a fix commit in git "
        f"(the range stands), {len(run.skipped)} not audited, in {run.seconds:.0f} s; wrote {target}",
        file=sys.stderr,
    )
    return ExitCode.NOT_UPDATED if run.skipped else ExitCode.PASS


def cmd_index_audit(args: argparse.Namespace) -> int:
    """Check the advisories' ranges against the released sdists; 1 if a disagreement is unreviewed."""
    from patchcheck.knowledge.audit_report import DEFAULT_PRODUCTS, markdown, proposed_overlay, run_audit
    from patchcheck.knowledge.sdists import SdistSource

    cache = (
        args.cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "patchcheck" / "audit"
    )
    source = SdistSource(cache, args.max_downloads)
    run = run_audit(
        args.data,
        source,
        tuple(args.product) if args.product else DEFAULT_PRODUCTS,
        args.since,
        set(args.advisory) if args.advisory else None,
    )
    text = markdown(run, args.data, dt.datetime.now(dt.UTC))
    if args.report:
        atomic_write(args.report, text)
    else:
        print(text)
    if args.proposed_overlay:
        atomic_write(args.proposed_overlay, proposed_overlay(run))
    for audit in run.unreviewed:
        print(
            f"index audit: unreviewed: {audit.advisory} {audit.product}: {audit.disagreements[0]}",
            file=sys.stderr,
        )
    print(
        f"index audit: {len(run.audits)} audited, {run.downloads} downloaded, {run.cache_hits} cached, "
        f"{len(run.unreviewed)} unreviewed disagreement(s)",
        file=sys.stderr,
    )
    return ExitCode.FAIL if run.unreviewed else ExitCode.PASS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="patchcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"patchcheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    def monitor_options(command: argparse.ArgumentParser) -> None:
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
    monitor_options(deliver_command)
    deliver_command.set_defaults(func=cmd_deliver)
    upload_command = commands.add_parser("upload", help="send the reports waiting in the spool")
    monitor_options(upload_command)
    upload_command.add_argument("--all", action="store_true", help="also those whose backoff has not ended")
    upload_command.set_defaults(func=cmd_upload)

    series = commands.add_parser("series", help="release series and their status on a day")
    series.add_argument("--date", type=parse_day)
    series.set_defaults(func=cmd_series)

    advisories = commands.add_parser("advisories", help="query the advisory index")
    advisories.add_argument(
        "--unscored-severity",
        choices=["critical", "high", "medium", "low"],
        default="high",
        help="band for advisories without a CVSS score (default: high)",
    )
    actions = advisories.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="checkable advisories (--all: every one)")
    listing.add_argument("--product")
    listing.add_argument("--all", action="store_true")
    actions.add_parser("products", help="every product the index knows (what the host collector reports)")
    actions.add_parser(
        "services",
        help="every deliverable openstack/releases calls a service (whose configuration folders a host has)",
    )
    actions.add_parser(
        "distributions",
        help="Python distribution name -> product where they differ, as JSON (openstack-heat -> heat)",
    )
    actions.add_parser(
        "options", help="file:section:option the shipped rules read (the only values a host sends as written)"
    )
    fresh_list = actions.add_parser(
        "new", help="advisories published since a day that affect the installs in facts files, newest first"
    )
    fresh_list.add_argument("--facts", type=Path, action="append", required=True, help="facts file or folder")
    fresh_list.add_argument(
        "--since", type=parse_day, help="published on or after this day (default: 7 days ago)"
    )
    fresh_list.add_argument("--atom", type=Path, help="also write an Atom feed here")
    fresh_list.add_argument("--subject", default="cloud", help="the cloud's name in the feed")
    show = actions.add_parser("show", help="one advisory")
    show.add_argument("id")
    affecting = actions.add_parser("affecting", help="what affects PRODUCT at VERSION, and why")
    affecting.add_argument("product")
    affecting.add_argument("version")
    affecting.add_argument("--date", type=parse_day, help="judge deadlines as of this day (default: today)")
    advisories.set_defaults(func=cmd_advisories)

    index = commands.add_parser("index", help="the shipped knowledge")
    index_commands = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    build = index_commands.add_parser("build", help="rebuild src/patchcheck/data from upstream snapshots")
    build.add_argument(
        "--data",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="folder with all upstream snapshots in the shared layout (default: ../shared/data)",
    )
    build.add_argument("--releases", type=Path, help="checkout of openstack/releases")
    build.add_argument("--ossa", type=Path, help="openstack/ossa's ossa/ folder")
    build.add_argument("--notes", type=Path, help="openstack/security-doc's security-notes/ folder")
    build.add_argument("--cvss", type=Path, help="the CVSS table (openstack-cvss.csv)")
    build.add_argument(
        "--notes-as-of",
        type=parse_day,
        help="day the notes were taken: notes carry no date, so this bounds their disclosure",
    )
    build.add_argument(
        "--built-at",
        help="the build's time, ISO 8601 (default: now); the shipped knowledge ages from it",
    )
    build.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    build.set_defaults(func=cmd_index_build)
    fresh = index_commands.add_parser(
        "update",
        help="fetch openstack/ossa, security-doc and releases with git and switch to a rebuilt index",
    )
    fresh.add_argument("--cache", type=Path, help="where sources and indexes live (default: XDG cache)")
    fresh.add_argument(
        "--ossa-url",
        default=os.environ.get("PATCHCHECK_OSSA_URL"),
        help="git URL of openstack/ossa (default: $PATCHCHECK_OSSA_URL, else opendev.org)",
    )
    fresh.add_argument(
        "--security-doc-url",
        default=os.environ.get("PATCHCHECK_SECURITY_DOC_URL"),
        help="git URL of openstack/security-doc ($PATCHCHECK_SECURITY_DOC_URL)",
    )
    fresh.add_argument(
        "--releases-url",
        default=os.environ.get("PATCHCHECK_RELEASES_URL"),
        help="git URL of openstack/releases ($PATCHCHECK_RELEASES_URL)",
    )
    fresh.add_argument("--cvss", type=Path, help="CVSS table (default: the one shipped with patchcheck)")
    fresh.add_argument(
        "--repo",
        action="append",
        default=[],
        metavar="PRODUCT=URL",
        help="a product's git repository for the audit (repeatable; default: beside openstack/ossa)",
    )
    fresh.add_argument(
        "--audit-budget",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time the git audit of new and changed advisories may take (default 600; the rest waits)",
    )
    fresh.add_argument(
        "--facts",
        type=Path,
        action="append",
        default=[],
        help="facts files or folders kept from the last gathering: name the installs each change touches",
    )
    fresh.set_defaults(func=cmd_index_update)
    ancestry = index_commands.add_parser(
        "ancestry", help="decide the advisories' ranges from the products' git history (maintenance)"
    )
    ancestry.add_argument(
        "--repo",
        action="append",
        required=True,
        metavar="PRODUCT=URL",
        help="a product's git repository (repeatable), e.g. ironic=https://opendev.org/openstack/ironic",
    )
    ancestry.add_argument(
        "--data",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="upstream snapshots in the shared layout (default: ../shared/data)",
    )
    ancestry.add_argument(
        "--cache", type=Path, help="partial clones (default: $XDG_CACHE_HOME/patchcheck/git)"
    )
    ancestry.add_argument("--budget", type=float, default=1800.0, help="seconds at most (default 1800)")
    ancestry.add_argument(
        "--write", type=Path, help="the ancestry file (default: src/patchcheck/knowledge/ancestry.yaml)"
    )
    ancestry.set_defaults(func=cmd_index_ancestry)
    audit = index_commands.add_parser(
        "audit", help="check the advisories' ranges against the released sdists on PyPI (maintenance)"
    )
    audit.add_argument("--data", type=Path, required=True, help="upstream snapshots (ossa/, releases/)")
    audit.add_argument("--advisory", action="append", help="only this advisory (repeatable)")
    audit.add_argument(
        "--product", action="append", help="only this product (repeatable; default: ten services)"
    )
    audit.add_argument("--since", type=int, default=2017, help="advisories from this year on (default 2017)")
    audit.add_argument("--cache", type=Path, help="sdist cache (default: $XDG_CACHE_HOME/patchcheck/audit)")
    audit.add_argument(
        "--max-downloads", type=int, default=1000, help="sdists fetched at most (default 1000)"
    )
    audit.add_argument("--report", type=Path, help="write the Markdown report here (default: stdout)")
    audit.add_argument("--proposed-overlay", type=Path, help="write overlay entries for review here")
    audit.set_defaults(func=cmd_index_audit)
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


if __name__ == "__main__":
    sys.exit(main())
