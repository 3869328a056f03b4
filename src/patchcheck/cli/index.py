"""``patchcheck index``: keep the advisory knowledge current (build, update, ancestry, audit).

``update`` fetches upstream into a cache and switches the index in force (run before judging);
``build``, ``ancestry`` and ``audit`` are maintenance in a checkout, reading upstream snapshots
(``build`` and ``ancestry`` by default the shared ones beside the checkout).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from patchcheck.cli.common import Commands, parse_day
from patchcheck.errors import ExitCode, InputError
from patchcheck.files import atomic_write

#: The checkout's root (src/patchcheck/cli/ is three folders down); the shared snapshots sit beside it.
REPO = Path(__file__).resolve().parents[3]


def add_commands(commands: Commands) -> None:
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
        "--pypa", type=Path, help="checkout of pypa/advisory-database (the Python dependencies' advisories)"
    )
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
    fresh.add_argument(
        "--pypa-url",
        default=os.environ.get("PATCHCHECK_PYPA_URL"),
        help="git URL of pypa/advisory-database, or none ($PATCHCHECK_PYPA_URL, else github.com)",
    )
    fresh.add_argument(
        "--debian-tracker-url",
        default=os.environ.get("PATCHCHECK_DEBIAN_TRACKER_URL"),
        help="Debian's security tracker JSON (URL, file:// or path), or none "
        "($PATCHCHECK_DEBIAN_TRACKER_URL, else security-tracker.debian.org)",
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
        pypa=args.pypa or shared.pypa,
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
            f"{counts['services']} services, {counts['distribution names']} distribution names mapped; "
            f"{counts['python advisories']} Python advisories of {counts['python packages']} packages"
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
    urls = {
        "ossa": args.ossa_url,
        "security-doc": args.security_doc_url,
        "releases": args.releases_url,
        "advisory-database": args.pypa_url,
        "debian-security-tracker": args.debian_tracker_url,
    }
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
