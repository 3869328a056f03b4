"""``patchcheck index build``: derive the shipped knowledge from upstream snapshots.

Inputs are checkouts (or snapshots) of the upstream repositories; outputs are
JSON files of facts with their attribution, committed under
``src/patchcheck/data``. The build is deterministic: the same inputs give the
same bytes, so a refresh shows as a reviewable diff.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.knowledge.series import parse_series_status

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Sources:
    """Where each upstream repository's checkout is."""

    releases: Path

    @classmethod
    def from_shared(cls, data: Path) -> Sources:
        """The layout of the shared snapshot folder (``../shared/data``)."""
        return cls(releases=data / "releases")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def build_series(sources: Sources, out_dir: Path) -> dict[str, int]:
    status_file = sources.releases / "data" / "series_status.yaml"
    if not status_file.exists():
        raise InputError(status_file, "", "missing: point --releases at a checkout of openstack/releases")
    table = parse_series_status(status_file)
    write_json(
        out_dir / "series.json",
        {
            "attribution": {
                "source": "openstack/releases data/series_status.yaml",
                "url": "https://opendev.org/openstack/releases",
                "license": "Apache-2.0",
                "input_sha256": sha256(status_file),
            },
            "series": table.to_json(),
        },
    )
    return {"series": len(table.ordered)}


def build_index(sources: Sources, out_dir: Path = DATA_DIR) -> dict[str, int]:
    """Build every shipped knowledge file; returns counts for the summary line."""
    counts: dict[str, int] = {}
    counts.update(build_series(sources, out_dir))
    return counts
