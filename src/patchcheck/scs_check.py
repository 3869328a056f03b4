"""patchcheck as a test script of SCS's own suite (``scs-compliance-check.py``, ``scs-test-runner.py``).

SCS's nightly Zuul job runs ``scs-test-runner.py run --preset <p> --section <s>``: for every
subject of the preset, ``scs-compliance-check.py <scope> -s <subject> -a os_cloud=<subject> ...``
runs the scope's script (``patchcheck-scs-judge``, which calls ``patchcheck scs-check``) with the
testcase ids it wants, reads ``<testcase>: PASS|FAIL|ABORT`` from its standard output, keeps every
line in the report and counts the lines that start with ``ERROR:`` or ``CRITICAL:``. The runner
then concatenates the subjects' reports, signs them once and uploads them with one account.

What this command does with that (issue 29, point 3):

- With ``--facts`` (a folder gathered beforehand) it judges those; a facts file older than a
  testcase's lifetime is not judged for it (ABORT, with a WARNING): SCS's report stamps
  ``checked_at`` with the time of the run, so old facts would look fresh.
- Without, ``--os-cloud`` names the cloud (clouds.yaml as openstacksdk finds it): it gathers what
  a member of that cloud sees with the project's own collection playbook
  (``playbooks/collect_tenant_facts.yaml``: about ten requests), then judges.
- Every requested testcase gets its result line, ABORT where nothing was judged; the findings'
  sentences follow as log lines (published: no project ids, no internal addresses), so the
  report tells an auditor why.
- What keeps it from judging at all (no facts and no cloud, gathering failed, the cloud did not
  authenticate) is a ``CRITICAL:`` or ``ERROR:`` line, which SCS's library counts, and ABORT for
  every testcase: never an empty report that reads as a tentative pass.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from patchcheck.days import collected_moment
from patchcheck.errors import ExitCode, InputError
from patchcheck.judge.verdict import Result, combine
from patchcheck.judge.verdicts import Verdicts, load_verdicts
from patchcheck.report.line_protocol import log_line
from patchcheck.report.published import published
from patchcheck.scope import SHIPPED_SCOPES, load_scope

#: The checkout this package runs from, when it is an editable install: its playbooks gather.
REPO = Path(__file__).resolve().parents[2]
CHECKOUT_PLAYBOOK = REPO / "playbooks" / "collect_tenant_facts.yaml"
#: Installed from a wheel, the playbook comes from the installed collection scs.patchcheck.
COLLECTION_PLAYBOOK = "scs.patchcheck.collect_tenant_facts"
#: How old facts may be for a testcase of each lifetime (SCS's lifetimes).
LIFETIMES = {
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
    "month": dt.timedelta(days=30),
}
GATHER_TIMEOUT_S = 900
JUDGE_TIMEOUT_S = 900

Print = Callable[[str], None]


def lifetimes() -> dict[str, str | None]:
    """Each shipped testcase's lifetime, by id."""
    found: dict[str, str | None] = {}
    for name in SHIPPED_SCOPES.values():
        for testcase in load_scope(name).testcases:
            found[testcase.id] = testcase.lifetime
    return found


def gather_tenant(cloud: str, folder: Path) -> str | None:
    """Gather the tenant facts of ``cloud`` into ``folder``/facts; why it could not, or None."""
    folder.mkdir(parents=True, exist_ok=True)
    in_checkout = CHECKOUT_PLAYBOOK.is_file()
    playbook = str(CHECKOUT_PLAYBOOK) if in_checkout else COLLECTION_PLAYBOOK
    ansible = Path(sys.executable).parent / "ansible-playbook"
    try:
        done = subprocess.run(
            [
                str(ansible),
                playbook,
                "-e",
                f"patchcheck_cloud={cloud}",
                "-e",
                f"patchcheck_output_dir={folder}",
            ],
            cwd=REPO if in_checkout else folder,  # the checkout's ansible.cfg finds its collection
            env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
            capture_output=True,
            text=True,
            timeout=GATHER_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"gathering the tenant facts of cloud {cloud!r} did not finish: {exc}"
    if done.returncode != 0 or not list((folder / "facts").glob("*.json")):
        said = [line.strip() for line in done.stdout.splitlines() if '"msg"' in line or "msg:" in line]
        return published(
            f"gathering the tenant facts of cloud {cloud!r} failed (ansible-playbook exit {done.returncode})"
            + (f": {said[-1][:500]}" if said else "")
        )
    return None


def authentication_problems(facts: Path) -> list[str]:
    """An ERROR line for each tenant facts file whose cloud did not authenticate."""
    problems = []
    for path in sorted(facts.glob("*.json")) if facts.is_dir() else [facts]:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # the judge says why, with the place
        auth = document.get("auth") if isinstance(document, dict) else None
        if isinstance(auth, dict) and auth.get("ok") is False:
            problems.append(
                published(f"cloud {document.get('cloud')!r} did not authenticate: {auth.get('error')}")
            )
    return problems


def too_old(verdicts_facts: list[dict[str, object]], lifetime: str | None, now: dt.datetime) -> list[str]:
    """The facts files older than ``lifetime`` at ``now`` (what SCS would report as checked now)."""
    limit = LIFETIMES.get(lifetime or "day", LIFETIMES["day"])
    old = []
    for entry in verdicts_facts:
        moment = collected_moment(str(entry.get("collected_at")))
        if moment is not None and now - moment > limit:
            old.append(f"{entry.get('path')} (gathered {entry.get('collected_at')})")
    return old


def run(testcases: list[str], facts: str, cloud: str, now: dt.datetime, out: Print, err: Print) -> int:
    """The whole script: result lines to ``out``, log lines to ``err``; the exit code."""

    def abort_all(level: str, reason: str, code: int) -> int:
        err(f"{level}: patchcheck-scs-judge: {reason}")
        for testcase in testcases:
            out(f"{testcase}: ABORT")
        return code

    if not facts and not cloud:
        return abort_all(
            "CRITICAL",
            "neither facts nor os_cloud given (SCS's runner maps os_cloud from the subject: "
            'config.toml [subjects._.mapping] os_cloud = "{subject}")',
            ExitCode.BAD_INPUT,
        )
    with tempfile.TemporaryDirectory(prefix="patchcheck-scs-") as scratch:
        folder = Path(facts) if facts else Path(scratch) / "facts"
        if not facts:
            problem = gather_tenant(cloud, Path(scratch))
            if problem:
                return abort_all("CRITICAL", problem, ExitCode.ABORT)
        for problem in authentication_problems(folder):
            err(f"ERROR: patchcheck-scs-judge: {problem}")
        verdicts_path = Path(scratch) / "verdicts.json"
        pattern = "^(" + "|".join(testcase.replace(".", r"\.") for testcase in testcases) + ")$"
        try:
            judged = subprocess.run(
                [
                    *(sys.executable, "-m", "patchcheck.cli", "judge", "--facts", str(folder)),
                    *("--verdicts", str(verdicts_path), "--tests", pattern),
                ],
                capture_output=True,
                text=True,
                timeout=JUDGE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return abort_all("CRITICAL", f"patchcheck judge did not finish within {JUDGE_TIMEOUT_S} s", 70)
        if judged.returncode not in (0, 1, 3) or not verdicts_path.is_file():
            reason = (judged.stderr.strip().splitlines() or [f"exit {judged.returncode}"])[-1]
            return abort_all("CRITICAL", published(f"patchcheck judge: {reason}"), ExitCode.BAD_INPUT)
        verdicts = load_verdicts(verdicts_path)
    return report(verdicts, testcases, now, out, err)


def report(verdicts: Verdicts, testcases: list[str], now: dt.datetime, out: Print, err: Print) -> int:
    """Result lines for ``testcases``, then the log lines behind them; the combined exit code."""
    if verdicts.knowledge:
        from patchcheck.knowledge.update import describe

        err(f"INFO: {describe(verdicts.knowledge)}")
    by_id = {testcase.id: testcase for testcase in verdicts.testcases}
    known = lifetimes()
    results = []
    for testcase_id in testcases:
        judged = by_id.get(testcase_id)
        old = too_old(verdicts.facts, known.get(testcase_id), now)
        if old:
            err(
                f"WARNING: {testcase_id}: facts older than the testcase's lifetime "
                f"({known.get(testcase_id) or 'day'}): {', '.join(old)}; SCS's report would show them as "
                "checked now: gather again (give os_cloud and no facts)"
            )
            result = Result.ABORT
        elif judged is None or not judged.items:
            err(f"WARNING: {testcase_id}: nothing was judged for this testcase")
            result = Result.ABORT
        else:
            result = judged.result
            for item in judged.items:
                err(log_line(testcase_id, item))
        results.append(result)
        out(f"{testcase_id}: {result.value}")
    for entry in verdicts.facts:
        if entry.get("error"):
            err(published(f"CRITICAL: facts {entry['path']} unusable: {entry['error']}"))
    overall = combine(results)
    return {Result.PASS: ExitCode.PASS, Result.FAIL: ExitCode.FAIL}.get(overall, ExitCode.ABORT)


def main(testcases: list[str], facts: str, cloud: str) -> int:
    try:
        return run(
            testcases,
            facts,
            cloud,
            dt.datetime.now(dt.UTC),
            lambda line: print(line, flush=True),
            lambda line: print(line, file=sys.stderr, flush=True),
        )
    except InputError as exc:  # the verdicts could not be read back: say so as SCS counts it
        print(f"CRITICAL: patchcheck-scs-judge: {published(str(exc))}", file=sys.stderr)
        for testcase in testcases:
            print(f"{testcase}: ABORT")
        return ExitCode.BAD_INPUT
