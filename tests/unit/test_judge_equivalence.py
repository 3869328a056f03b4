"""The judge's outputs for the benchmark's facts stay what they were (issue 18).

Speed work on the judge (caches, a compiled schema validator, a leaner pytest
protocol) must not change a single verdict. This test judges a fixed seed of the
benchmark's synthetic hosts and compares the verdicts file and every output of
``patchcheck report`` with the outputs recorded before that work
(``tests/fixtures/judge-equivalence.json.gz``), apart from what differs from run
to run: timestamps, run ids and temporary paths.

When a verdict is meant to change (new knowledge, a corrected judge), record the
outputs again with ``PATCHCHECK_RECORD_EQUIVALENCE=1 .venv/bin/pytest
tests/unit/test_judge_equivalence.py`` and say in the commit which verdicts
changed and why.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from bench.synthetic_hosts import write_hosts
from tests.helpers import FIXTURES, run_patchcheck

REPO = Path(__file__).resolve().parents[2]
GOLDEN = FIXTURES / "judge-equivalence.json.gz"
HOSTS, SEED = 40, 18
OUTPUTS = ("junit.xml", "summary.md", "summary.html", "vex.cdx.json", "vex.openvex.json")
#: Run ids, timestamps, ages derived from them and the scratch folder: the only parts that may differ.
VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"time=\"[0-9.]+\""), 'time="<s>"'),
    # the knowledge's age when judged: judged_at (a time above) minus its build time
    (re.compile(r"[0-9.]+ days old when judged"), "<age> days old when judged"),
]


def normalised(text: str, scratch: Path) -> str:
    text = text.replace(str(scratch), "<scratch>").replace(str(REPO), "<repo>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def judge_outputs(scratch: Path) -> dict[str, Any]:
    facts = scratch / "facts"
    write_hosts(facts, HOSTS, SEED)
    verdicts, out = scratch / "verdicts.json", scratch / "out"
    judged = run_patchcheck(
        "judge", "--facts", facts, "--verdicts", verdicts, "--reference-date", "2026-11-23"
    )
    assert judged.returncode == 1, judged.stderr  # the synthetic fleet runs overdue releases
    out.mkdir()
    reported = run_patchcheck("report", "--verdicts", verdicts, "--subject", "bench", "--out-dir", out)
    assert reported.returncode == 1, reported.stderr
    document = json.loads(verdicts.read_text())
    for volatile in ("judged_at", "command", "patchcheck_version"):
        document.pop(volatile)
    outputs: dict[str, Any] = {
        "verdicts": json.loads(normalised(json.dumps(document), scratch)),
        "stdout": normalised(judged.stdout.splitlines()[-4:].__str__(), scratch),
        "report stdout": normalised(reported.stdout, scratch),
    }
    for name in OUTPUTS:
        outputs[name] = normalised((out / name).read_text(), scratch)
    # parsed: YAML folds long lines, and where depends on the length of the checkout's path
    report = yaml.safe_load((out / "report.yaml").read_text())
    outputs["report.yaml"] = json.loads(normalised(json.dumps(report, default=str), scratch))
    sbom = json.loads((out / "sbom.cdx.json").read_text())
    outputs["sbom components"] = sorted(c["bom-ref"] for c in sbom["components"])
    return outputs


def test_judge_outputs_match_the_recorded_ones(tmp_path: Path) -> None:
    outputs = judge_outputs(tmp_path)
    if os.environ.get("PATCHCHECK_RECORD_EQUIVALENCE") == "1":
        GOLDEN.write_bytes(gzip.compress(json.dumps(outputs, indent=1, sort_keys=True).encode(), mtime=0))
    recorded = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    assert outputs["verdicts"]["testcases"] == recorded["verdicts"]["testcases"]
    for key in sorted(recorded):
        assert outputs[key] == recorded[key], f"{key} differs from the recorded output"
