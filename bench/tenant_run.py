"""Benchmark: the tenant run against the local test cloud (issue 8, parts 3 and 4).

Part 3, tenant gathering: the HTTP requests the collection sends (from the test
cloud's access logs, by the collector's user agent), classified, next to
``openstack versions show`` from python-openstackclient on the same cloud in the
same run (its requests and wall time), and a playbook of one ``ping`` task as the
floor any playbook pays.

Part 4, end to end: the nightly tenant job stage by stage (collect, judge,
report, sign and deliver to a local receiver that verifies the signature as the
SCS compliance monitor does), each stage's wall time and peak memory, and the
whole playbook as Zuul runs it.

Needs the test cloud (``testbed/testbed.py up``; bench/run brings it up) and
``openstack`` in ``.venv-bench``. Prints tables; never fails on speed.
Usage: ``.venv/bin/python bench/tenant_run.py``
"""

from __future__ import annotations

import base64
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.integration.monitor_receiver import Receiver  # noqa: E402  (after the path is set)

BIN = Path(sys.executable).parent
OPENSTACK = REPO / ".venv-bench" / "bin" / "openstack"
STATE = Path(os.environ.get("PATCHCHECK_TESTBED_DIR", REPO / ".testbed"))
ROUNDS = 3
SUBJECT, APIKEY = "bench", "bench-apikey"
ENV = {
    **os.environ,
    "ANSIBLE_NOCOLOR": "1",
    "OS_CLIENT_CONFIG_FILE": str(STATE / "clouds.yaml"),
    "OS_CLOUD": "testbed",
}


def run(argv: list[str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, env=ENV, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if result.returncode not in ok:
        sys.exit(
            f"bench: {' '.join(argv[:3])} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    return elapsed


def measured(argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak MB of one command, in a fresh child (ru_maxrss of children is a maximum)."""
    probe = (
        "import resource, subprocess, sys, time; start = time.monotonic(); "
        "code = subprocess.run(sys.argv[1:]).returncode; "
        "print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *argv], cwd=REPO, env=ENV, capture_output=True, text=True, check=False
    )
    wall, peak_kb, code = result.stdout.split()[-3:]
    if int(code) not in ok:
        sys.exit(
            f"bench: {' '.join(argv[:3])} failed ({code}):\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    return float(wall), int(peak_kb) / 1024


def log_positions() -> dict[Path, int]:
    return {path: path.stat().st_size for path in (STATE / "log").glob("*-access.log")}


def requests_since(since: dict[Path, int], agent_prefix: str) -> list[tuple[str, str, str]]:
    """(service, method, path) of each request since ``since`` whose user agent starts with the prefix."""
    seen = []
    for path in (STATE / "log").glob("*-access.log"):
        with path.open() as handle:
            handle.seek(since.get(path, 0))
            for line in handle:
                _time, method, url_path, _query, _status, agent = line.rstrip("\n").split("\t")
                if agent.startswith(agent_prefix):
                    seen.append((path.name.removesuffix("-access.log"), method, url_path))
    return seen


VERSION_DOCUMENT = re.compile(r"^(/v[0-9.]+)?/?$")  # "", "/", "/v3", "/v2.1/": an API's version document


def classify(requests: list[tuple[str, str, str]]) -> collections.Counter[str]:
    kinds: collections.Counter[str] = collections.Counter()
    for service, method, path in requests:
        if method == "POST" and path == "/v3/auth/tokens":
            kinds["token"] += 1
        elif method == "GET" and VERSION_DOCUMENT.match(path):
            kinds["version documents"] += 1
        elif path.endswith("/info"):
            kinds["swift info"] += 1
        else:
            kinds[f"{service} {method} {path}"] += 1
    return kinds


def tenant_gathering(folder: Path) -> None:
    collect = [
        str(BIN / "ansible-playbook"), "bench/collect_tenant.yaml",
        "-e", "patchcheck_cloud=testbed", "-e", f"patchcheck_output_dir={folder / 'collect'}",
    ]  # fmt: skip
    versions = [str(OPENSTACK), "versions", "show", "-f", "value"]
    ping = [str(BIN / "ansible-playbook"), "bench/ping.yaml"]
    times: dict[str, list[float]] = {"collect": [], "versions": [], "ping": []}
    counted: dict[str, collections.Counter[str]] = {}
    for _round in range(ROUNDS):
        since = log_positions()
        times["collect"].append(run(collect))
        counted["collect"] = classify(requests_since(since, "patchcheck/"))
        since = log_positions()
        times["versions"].append(run(versions))
        counted["versions"] = classify(requests_since(since, "openstacksdk/"))
        times["ping"].append(run(ping))
    print(f"Tenant gathering against the local test cloud (median of {ROUNDS} alternating rounds)\n")
    print("| command | HTTP requests | of which | wall s |")
    print("|---|---|---|---|")
    for key, label in (
        ("collect", "collection play (collect_tenant_facts)"),
        ("versions", "`openstack versions show` (python-openstackclient)"),
    ):
        parts = ", ".join(f"{kind}: {count}" for kind, count in sorted(counted[key].items()))
        print(f"| {label} | {sum(counted[key].values())} | {parts} | {statistics.median(times[key]):.2f} |")
    print(
        f"| `ansible-playbook` (bench/ping.yaml: one ping task, the floor of any playbook) | 0 | | "
        f"{statistics.median(times['ping']):.2f} |"
    )
    print()


def end_to_end(folder: Path) -> None:
    keys = folder / "keys"
    keys.mkdir()
    key = keys / "report_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    allowed = keys / "allowed_signers"
    allowed.write_text(f'{SUBJECT} namespaces="report" {key.with_suffix(".pub").read_text()}')
    token = keys / "token"
    token.write_text(base64.b64encode(f"{SUBJECT}:{APIKEY}".encode()).decode() + "\n")
    token.chmod(0o600)
    receiver = Receiver(allowed, {SUBJECT: APIKEY}).start()
    try:
        out, spool = folder / "e2e", folder / "spool"
        patchcheck = str(BIN / "patchcheck")
        stages = [
            (
                "collect (Ansible, tenant_facts module)",
                [
                    str(BIN / "ansible-playbook"), "bench/collect_tenant.yaml",
                    "-e", "patchcheck_cloud=testbed", "-e", f"patchcheck_output_dir={out}",
                ],
                (0,),
            ),
            (
                "judge (`patchcheck judge`)",
                [patchcheck, "judge", "--facts", str(out / "facts"),
                 "--verdicts", str(out / "verdicts.json")],
                (0, 1, 3),
            ),
            (
                "report (`patchcheck report`)",
                [patchcheck, "report", "--verdicts", str(out / "verdicts.json"), "--subject", SUBJECT,
                 "--out-dir", str(out)],
                (0, 1, 3),
            ),
            (
                "sign and deliver (`patchcheck deliver`)",
                [patchcheck, "deliver", "--report", str(out / "report.yaml"), "--key", str(key),
                 "--token-file", str(token), "--monitor", receiver.url, "--spool", str(spool)],
                (0,),
            ),
        ]  # fmt: skip
        rows = []
        for label, argv, ok in stages:
            rows.append((label, *measured(argv, ok)))
        whole = [
            str(BIN / "ansible-playbook"), "playbooks/tenant_check.yaml",
            "-e", "patchcheck_cloud=testbed", "-e", f"patchcheck_output_dir={folder / 'whole'}",
            "-e", "patchcheck_fail_on_noncompliance=false", "-e", f"patchcheck_monitor_url={receiver.url}",
            "-e", f"patchcheck_signing_key={key}", "-e", f"patchcheck_token_file={token}",
            "-e", f"patchcheck_spool={folder / 'spool-whole'}",
        ]  # fmt: skip
        whole_wall, whole_peak = measured(whole)
        delivered = len(receiver.stored)
    finally:
        receiver.stop()
    total = sum(wall for _label, wall, _peak in rows)
    print("End to end: the nightly tenant job against the local test cloud, stage by stage\n")
    print("| stage | wall s | share | peak MB |")
    print("|---|---|---|---|")
    for label, wall, peak in rows:
        print(f"| {label} | {wall:.2f} | {wall / total:.0%} | {peak:.0f} |")
    print(f"| sum of the stages | {total:.2f} | | |")
    print(
        f"| `playbooks/tenant_check.yaml` as Zuul runs it (all stages, one play) | {whole_wall:.2f} | "
        f"| {whole_peak:.0f} |"
    )
    print(f"\nReports the receiver verified and stored: {delivered} (expected 2)\n")


def main() -> None:
    if subprocess.run(
        [sys.executable, "testbed/testbed.py", "status"], cwd=REPO, capture_output=True
    ).returncode:
        sys.exit("bench: the test cloud is not running (testbed/testbed.py up)")
    if not OPENSTACK.exists():
        sys.exit(f"bench: {OPENSTACK} missing (bench/run installs python-openstackclient there)")
    with tempfile.TemporaryDirectory(prefix="patchcheck-bench-") as scratch:
        tenant_gathering(Path(scratch))
        end_to_end(Path(scratch))


if __name__ == "__main__":
    main()
