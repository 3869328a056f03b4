"""The command line's paths still point where they did before it moved into a package (issue 31).

``cli/judge.py`` and ``cli/index.py`` sit one folder deeper than ``cli.py`` did: the compliance layer
is still ``src/patchcheck/compliance`` and the checkout's root (for ``../shared/data``) still the root.
"""

from __future__ import annotations

from pathlib import Path

from patchcheck.cli import build_parser, judge

CHECKOUT = Path(__file__).resolve().parents[2]


def test_the_judge_runs_the_compliance_layer_shipped_in_the_package() -> None:
    assert judge.COMPLIANCE_DIR == CHECKOUT / "src" / "patchcheck" / "compliance"
    assert (judge.COMPLIANCE_DIR / "pytest.ini").exists()
    args = build_parser().parse_args(["judge", "--facts", "f.json", "--verdicts", "v.json"])
    assert args.compliance_dir == judge.COMPLIANCE_DIR


def test_index_build_and_ancestry_read_the_shared_snapshots_beside_the_checkout() -> None:
    shared = CHECKOUT.parent / "shared" / "data"
    assert build_parser().parse_args(["index", "build"]).data == shared
    assert build_parser().parse_args(["index", "ancestry", "--repo", "nova=https://x"]).data == shared
