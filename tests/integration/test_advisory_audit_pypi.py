"""The advisory audit on real sdists from PyPI: OSSA-2025-001's wrong first-fixed ironic releases.

OSSA-2025-001 names 24.1.3, 26.1.1 and 29.0.1 as the first fixed ironic releases; none of them
carries the fix, which came with 24.1.4, 26.1.2 and 29.0.2. The audit must find that from the
released code alone, with an empty overlay. At most a few downloads (the newest release of each
line the range calls fixed), cached between runs in ``~/.cache/patchcheck/audit``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from patchcheck.knowledge.audit import State
from patchcheck.knowledge.audit_report import markdown, run_audit
from patchcheck.knowledge.sdists import SdistError, SdistSource
from tests.helpers import shared_data

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "patchcheck" / "audit"


def test_ossa_2025_001_wrong_first_fixed_releases_are_found_without_the_overlay(tmp_path: Path) -> None:
    data = shared_data()
    empty = tmp_path / "overlay.yaml"
    empty.write_text("fixes: {}\nrules: {}\n")
    source = SdistSource(CACHE, max_downloads=10)
    try:
        source.files("ironic")
    except SdistError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PyPI's index is needed for this test: {exc}")
        pytest.skip(f"PyPI's index unreachable: {exc}")
    run = run_audit(data, source, ("ironic",), only={"OSSA-2025-001"}, overlay=empty)
    (audit,) = run.audits
    assert run.status(audit) == "UNREVIEWED"
    claims = "\n".join(audit.claim_disagreements)
    for claimed, truth in (("24.1.3", "24.1.4"), ("26.1.1", "26.1.2"), ("29.0.1", "29.0.2")):
        assert (
            f"<{claimed}: claimed first fixed release" in claims
            and f"first release with it: {truth})" in claims
        )
    states = {str(release.version): release.state for release in audit.releases}
    assert states["24.1.4"] is State.CONTAINS  # a release that truly has the fix is found fixed
    assert states["24.1.3"] is State.LACKS
    assert audit.proposed_range == "<24.1.4, >=25.0.0 <26.1.2, >=27.0.0, <29.0.2"
    assert source.downloads + source.cache_hits <= 10
    assert all(text.split(" sha256:")[1] for text in audit.sdists)  # every sdist read is named by its hash
    assert "OSSA-2025-001 | ironic" in markdown(run, data, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
