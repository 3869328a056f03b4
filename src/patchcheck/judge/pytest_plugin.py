"""pytest plugin that turns compliance-test outcomes into the verdicts file.

Loaded by ``patchcheck judge`` (``-p patchcheck.judge.pytest_plugin``). Every
compliance test carries ``@pytest.mark.scs_testcase("scs-0124-...")``. An item
that passes is PASS; a failed assertion is FAIL; ``AbortCheck``, an error in a
fixture, a skip or an xfail is ABORT (a skipped check proves nothing). Each
testcase of the scope is written, with no items ABORT.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from patchcheck import __version__
from patchcheck.days import bounded_day
from patchcheck.errors import InputError
from patchcheck.facts import HostFacts, TenantFacts, load_facts
from patchcheck.facts.load import FactsRefused, expand_facts_paths, refused_if_future
from patchcheck.judge.declarations import Declarations, load_declarations
from patchcheck.judge.handoff import Handoff
from patchcheck.judge.verdict import AbortCheck, Finding, FindingGroup, Result, combine
from patchcheck.judge.verdicts import Item, Verdicts, VerdictsWriter
from patchcheck.knowledge.update import knowledge_summary
from patchcheck.scope import Scope, known_testcase_ids, load_scope

MARKER = "scs_testcase"
ParamT = TypeVar("ParamT")
NOT_APPLICABLE = "patchcheck_not_applicable"
DECLARATIONS = pytest.StashKey[Declarations]()
#: Where the compliance layer's conftest leaves the facts it loaded: (path, facts or the load error).
LOADED_FACTS = pytest.StashKey[list[tuple[Path, "TenantFacts | HostFacts | InputError"]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("patchcheck")
    group.addoption(
        "--facts", action="append", default=[], type=Path, help="facts file or folder of them (repeatable)"
    )
    group.addoption("--reference-date", default=None, help="judge as of this day (YYYY-MM-DD); default today")
    group.addoption("--verdicts", type=Path, default=None, help="write the verdicts file here")
    group.addoption("--scope", default=None, help="SCS scope file, or a shipped scope's file name")
    group.addoption("--tests", default=None, help="regular expression: report only the testcases it matches")
    group.addoption("--unscored-severity", default="high", help="band for advisories without a CVSS score")
    group.addoption("--declarations", type=Path, default=None, help="operator declarations file")
    group.addoption("--max-knowledge-age", type=float, default=2.0, help="days before knowledge is stale")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(id): the SCS testcase this check contributes to")
    config.addinivalue_line("markers", f"{NOT_APPLICABLE}: no finding to check here (deselected)")
    preloaded = handoff_of(config)
    loaded: list[tuple[Path, TenantFacts | HostFacts | InputError]] = []
    try:
        paths = expand_facts_paths(config.getoption("--facts"))
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None
    now = dt.datetime.now(dt.UTC)  # the judge's clock, not the reference day: see refused_if_future
    for path in paths:
        try:
            facts = preloaded.facts[path] if preloaded and path in preloaded.facts else load_facts(path)
        except InputError as exc:
            loaded.append((path, exc))
            continue
        loaded.append((path, refused_if_future(facts, now)))
    config.stash[LOADED_FACTS] = loaded
    config.stash[DECLARATIONS] = load_declarations(config.getoption("--declarations"))
    config.pluginmanager.register(VerdictRecorder(config), "patchcheck-verdicts")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> pytest.TestReport | None:
    """A failing or aborting group's report with its sentence, without pytest's traceback rendering.

    pytest renders a traceback for every failure, parsing the test's source each
    time, even with ``--tb=no``: two thirds of the run for 1,000 hosts. The
    outcome of a group is its findings' sentences; the traceback adds nothing.
    The report keeps the sentence's start only: pytest holds every report until
    the end, and each finding's full sentence is in the verdicts file already.
    """
    if call.when != "call" or param_of(item, FindingGroup) is None:
        return None
    if call.excinfo is None:
        outcome, summary = "passed", None
    elif call.excinfo.errisinstance((AssertionError, AbortCheck)):
        outcome, summary = "failed", first_line(str(call.excinfo.value))
        if len(summary) > REPORT_TEXT:
            summary = summary[:REPORT_TEXT] + " ... (every finding: the verdicts file)"
    else:
        return None
    return pytest.TestReport(
        item.nodeid,
        lean_location(item),
        report_keywords(item),
        outcome,
        summary,
        "call",
        duration=call.duration,
        start=call.start,
        stop=call.stop,
        user_properties=item.user_properties,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Run a host's judged group with the reports pytest would make, without its per-test machinery.

    pytest's protocol sets up fixtures, captures output and logs, and records warnings
    around each of three phases: about 0.3 ms per item, more than judging a host, and
    40,000 items for 10,000 hosts. An item whose only arguments are its parametrised
    values (a ``FindingGroup``), with no fixture, no skip or xfail mark, needs none of
    that: its function is called with those values, and the setup, call and teardown
    reports go through the usual hooks, so the verdicts, the terminal and any JUnit
    plugin see exactly what they would otherwise. Every other item runs as usual.
    """
    if not runs_lean(item):
        return None
    ihook, nodeid, location = item.ihook, item.nodeid, lean_location(item)
    keywords = report_keywords(item)
    log = functools.partial(log_and_forget, item.config, ihook)
    ihook.pytest_runtest_logstart(nodeid=nodeid, location=location)
    log(pytest.TestReport(nodeid, location, keywords, "passed", None, "setup"))
    item.funcargs = dict(item.callspec.params)  # type: ignore[attr-defined]
    try:
        call = pytest.CallInfo.from_call(
            item.runtest, when="call", reraise=(pytest.exit.Exception, KeyboardInterrupt)
        )
        log(ihook.pytest_runtest_makereport(item=item, call=call))
    finally:
        item.funcargs = None  # type: ignore[attr-defined]
    log(pytest.TestReport(nodeid, location, keywords, "passed", None, "teardown"))
    ihook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
    del item.stash[KEYWORDS]  # its reports are logged: the dict need not outlive them
    return True


class Counted:
    """What the terminal keeps of a lean item's report once it has shown it: that it counts.

    pytest's terminal keeps every report in its ``stats`` until the end, where it only counts
    them for the summary line (``--tb=no -rN``: no failure or pass sections). For 10,000 hosts
    those were 120,000 reports, about 120 MB of the judge (issue 26). One shared object per
    report keeps the counts right; the verdicts were recorded from the report before this.
    """

    __slots__ = ()
    count_towards_summary = True
    when = ""
    nodeid = ""
    sections: tuple[Any, ...] = ()


COUNTED = Counted()


def log_and_forget(config: pytest.Config, ihook: Any, report: pytest.TestReport) -> None:
    """Log ``report`` through the item's hooks, then let the terminal keep only ``COUNTED`` for it."""
    ihook.pytest_runtest_logreport(report=report)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None or config.option.tbstyle != "no" or config.option.reportchars not in ("", "N"):
        return  # the terminal may show this report in a section: keep it
    for reports in terminal.stats.values():
        if reports and reports[-1] is report:
            reports[-1] = COUNTED
            return


def lean_location(item: pytest.Item) -> tuple[str, int | None, str]:
    """``item.location`` with the file and line found once per test function, not once per item.

    pytest resolves the function's source file and line for every item (a quarter of
    the protocol's cost); the items of one function share them and differ in the name.
    """
    known = item.config.stash.setdefault(LOCATIONS, {})
    function = getattr(item, "function", None)
    if function not in known:
        known[function] = item.location
    path, line, _name = known[function]
    return path, line, item.getmodpath()  # type: ignore[attr-defined]


def report_keywords(item: pytest.Item) -> dict[str, int]:
    """The keywords of an item's reports: one dict for all of them (pytest keeps every report)."""
    keywords = item.stash.get(KEYWORDS, None)
    if keywords is None:
        keywords = item.stash[KEYWORDS] = {name: 1 for name in item.keywords}
    return keywords


KEYWORDS = pytest.StashKey[dict[str, int]]()
#: Characters of a group's summary kept in its pytest report.
REPORT_TEXT = 300
LOCATIONS = pytest.StashKey[dict[Any, tuple[str, int | None, str]]]()
LEAN_BLOCKERS = frozenset({"skip", "skipif", "xfail", "usefixtures", "filterwarnings"})


def runs_lean(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return (
        callspec is not None
        and any(isinstance(value, FindingGroup) for value in callspec.params.values())
        and set(getattr(item, "fixturenames", ())) == set(callspec.params)
        and not LEAN_BLOCKERS.intersection(mark.name for mark in item.iter_markers())
    )


def param_of(item: pytest.Item, kind: type[ParamT]) -> ParamT | None:
    """The item's first parameter of this type (a FindingGroup or a Finding), if any."""
    params = getattr(getattr(item, "callspec", None), "params", {}).values()
    return next((value for value in params if isinstance(value, kind)), None)


def handoff_of(config: pytest.Config) -> Handoff | None:
    return next(
        (plugin for plugin in config.pluginmanager.get_plugins() if isinstance(plugin, Handoff)), None
    )


def loaded_facts(config: pytest.Config) -> list[tuple[Path, TenantFacts | HostFacts | InputError]]:
    """Each ``--facts`` file with its facts, or the error that kept it from loading.

    A file that cannot be loaded is kept as its error, so that every check
    depending on it ABORTs with that reason instead of vanishing from the report.
    """
    return config.stash[LOADED_FACTS]


def refused_findings(config: pytest.Config, kind: str, testcase: str) -> list[Finding]:
    """An ABORT finding per refused facts file of this kind (``host`` or ``tenant``), with its sentence.

    Refused facts (gathered in the future) are valid but not evidence: each check of that host
    or cloud ends ABORT, named by its subject, instead of vanishing from the testcase.
    """
    return [
        Finding(testcase, refusal.subject, Result.ABORT, f"{refusal.subject}: facts refused: {refusal}")
        for _path, refusal in loaded_facts(config)
        if isinstance(refusal, FactsRefused) and refusal.kind == kind
    ]


def reference_date(config: pytest.Config) -> dt.date:
    value = config.getoption("--reference-date")
    if not value:
        return dt.datetime.now(dt.UTC).date()
    try:
        return bounded_day(value)
    except ValueError as exc:  # also when pytest runs the layer without the patchcheck command
        raise pytest.UsageError(f"--reference-date: {exc}") from None


class VerdictRecorder:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        target = config.getoption("--verdicts")
        self.writer = VerdictsWriter(target) if target is not None else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        for item in items:
            if item.get_closest_marker(MARKER) is None:
                raise pytest.UsageError(f"{item.nodeid}: compliance tests must carry @pytest.mark.{MARKER}")
        idle = [item for item in items if item.get_closest_marker(NOT_APPLICABLE)]
        if idle:
            items[:] = [item for item in items if item not in idle]
            config.hook.pytest_deselected(items=idle)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        report = yield
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.record(item, call, report)
        return report

    def record(self, item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport) -> None:
        marker = item.get_closest_marker(MARKER)
        assert marker is not None
        group = param_of(item, FindingGroup)
        finding = getattr(item, "patchcheck_finding", None) or param_of(item, Finding)
        subject = group.subject if group else finding.subject if finding else item.name
        evidence = finding.evidence if finding else {}
        if report.passed:
            result, message = Result.PASS, finding.message if finding else "passed"
        elif call.excinfo is not None and call.excinfo.errisinstance(AbortCheck):
            result, message = Result.ABORT, str(call.excinfo.value)
        elif report.skipped:
            result, message = Result.ABORT, f"{subject}: not checked ({skip_reason(report)})"
        elif report.when == "setup":
            result, message = Result.ABORT, f"{subject}: could not be checked: {exception_line(call)}"
        elif call.excinfo is not None and call.excinfo.errisinstance(AssertionError):
            result, message = Result.FAIL, first_line(str(call.excinfo.value))
        else:
            result, message = Result.ABORT, f"{subject}: the check itself broke: {exception_line(call)}"
        if self.writer is None or not self.chosen(marker.args[0]):
            if group is not None:
                group.release()  # judged but not reported: its findings need not stay in memory
            return
        add = functools.partial(self.writer.add, marker.args[0])
        if group is None:
            add(Item(item.nodeid, subject, result, message, evidence))
            return
        findings = group.judged
        if findings is None:  # judging itself broke (or never ran): one ABORT for the subject
            add(Item(item.nodeid, subject, Result.ABORT, message))
        elif result is (combine([f.result for f in findings]) if findings else Result.PASS):
            for f in findings:  # the item ended as its findings say: each keeps its own result
                add(Item(item.nodeid, f.subject, f.result, f.message, f.evidence))
        else:  # the check broke, was skipped or disagrees: no finding of it may count as PASS
            for f in findings:
                add(Item(item.nodeid, f.subject, Result.ABORT, f"{f.subject}: {message}", f.evidence))
        group.release()

    def chosen(self, testcase_id: str) -> bool:
        """In this run's scope (or in no shipped scope at all) and, with ``--tests``, matched by it."""
        pattern = self.config.getoption("--tests")
        if pattern is not None and re.search(pattern, testcase_id) is None:
            return False
        return testcase_id in self.scope.testcase_ids or testcase_id not in known_testcase_ids()

    @functools.cached_property
    def scope(self) -> Scope:
        chosen = self.config.getoption("--scope")
        if chosen is None:
            raise pytest.UsageError("--scope is required (patchcheck judge chooses it by the facts' kind)")
        return load_scope(chosen)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.writer is None:
            return
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            self.writer.discard()  # an interrupted session (collection error, usage error) writes no verdicts
            return
        scope = self.scope
        order = [(tc.id, tc.description) for tc in scope.testcases if self.chosen(tc.id)]
        order += [
            (unknown, "(not in the scope file)")
            for unknown in self.writer.spools
            if unknown not in scope.testcase_ids
        ]
        sources = self.config.stash.get(LOADED_FACTS, [])
        header = Verdicts(
            judged_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            reference_date=reference_date(self.config).isoformat(),
            patchcheck_version=__version__,
            facts=[],
            testcases=[],
            command=["patchcheck", *sys.argv[1:]]
            if Path(sys.argv[0]).name == "patchcheck"
            else list(sys.argv),
            tests=self.config.getoption("--tests"),
            scope={"uuid": scope.uuid, "name": scope.name, "url": scope.url, "file": scope.origin},
            # the limit judged against, for the summaries' "N days old (limit M days)"
            knowledge={**knowledge_summary(), "max_age_days": self.config.getoption("--max-knowledge-age")},
            declarations=[
                d.to_json(reference_date(self.config)) for d in self.config.stash[DECLARATIONS].entries
            ],
            inventory=[],
        ).header()
        # one host at a time: VerdictsWriter.finish writes iterators element by element
        header["facts"] = (
            {
                "path": str(path),
                "cloud": getattr(loaded, "cloud", None),
                "host": getattr(loaded, "host", None),
                "collected_at": getattr(loaded, "collected_at", None),
                "error": str(loaded) if isinstance(loaded, InputError) else None,
            }
            for path, loaded in sources
        )
        header["inventory"] = (
            {
                "host": loaded.host,
                "reachable": loaded.reachable,
                "components": [
                    {
                        "product": c.product,
                        "version": c.version,
                        "source": c.source,
                        "where": c.where,
                        **({"packages": [list(pair) for pair in c.packages]} if c.packages else {}),
                    }
                    for c in loaded.components
                ],
            }
            for _path, loaded in sources
            if isinstance(loaded, HostFacts)
        )
        results = self.writer.finish(header, order)
        handoff = handoff_of(self.config)
        if handoff is not None:
            handoff.results = results


def parametrize_findings(metafunc: pytest.Metafunc, name: str, findings: list[Finding]) -> None:
    """One item per finding, named by its subject; none at all when there is nothing to judge here."""
    declarations = metafunc.config.stash[DECLARATIONS]
    day = reference_date(metafunc.config)
    findings = [declarations.apply(finding, day) for finding in findings]
    parametrize_or_not_applicable(metafunc, name, findings, [finding.subject for finding in findings])


def parametrize_or_not_applicable(
    metafunc: pytest.Metafunc, name: str, values: list[Any], ids: list[str]
) -> None:
    """The values as items; with none, one item marked not applicable (deselected, so no verdict)."""
    if values:
        metafunc.parametrize(name, values, ids=ids)
    else:
        metafunc.parametrize(
            name, [pytest.param(None, marks=getattr(pytest.mark, NOT_APPLICABLE))], ids=["not-applicable"]
        )


def parametrize_groups(
    metafunc: pytest.Metafunc, name: str, judges: list[tuple[str, Callable[[], Sequence[Finding]]]]
) -> None:
    """One item per (subject, judge) pair, judged when it runs, with operator declarations applied.

    A list, not a dict: two facts files naming the same host both get an item (pytest
    numbers the ids), instead of one silently replacing the other.
    """
    declarations = metafunc.config.stash[DECLARATIONS]
    day = reference_date(metafunc.config)

    def declared(judge: Callable[[], Sequence[Finding]]) -> Callable[[], list[Finding]]:
        return lambda: [declarations.apply(finding, day) for finding in judge()]

    groups = [FindingGroup(subject, declared(judge)) for subject, judge in judges]
    parametrize_or_not_applicable(metafunc, name, groups, [group.subject for group in groups])


def reference_moment(config: pytest.Config) -> dt.datetime:
    """Deadlines are judged at this moment: now, or the end of a reference day given explicitly."""
    if not config.getoption("--reference-date"):
        return dt.datetime.now(dt.UTC)
    day = reference_date(config)
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "assertion failed"


def exception_line(call: pytest.CallInfo[Any]) -> str:
    if call.excinfo is None:
        return "unknown error"
    return f"{call.excinfo.typename}: {first_line(str(call.excinfo.value))}"


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return "skipped"
