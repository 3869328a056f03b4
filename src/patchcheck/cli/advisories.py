"""``patchcheck series`` and ``advisories``: the shipped knowledge, queried directly.

The operator playbook calls ``advisories products``, ``services``, ``distributions`` and ``options``
before every gathering, so the knowledge is imported inside the commands: start-up stays short.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from patchcheck.cli.common import Commands, parse_day
from patchcheck.errors import ExitCode, InputError


def add_commands(commands: Commands) -> None:
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
