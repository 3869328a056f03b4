"""Builders for the project's own tests: facts documents shaped like the collector's."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Facts gathered by the real collector from the local test cloud (Hibiscus services).
HIBISCUS_FACTS = FIXTURES / "tenant-hibiscus.json"


def hibiscus_document() -> dict[str, Any]:
    return json.loads(HIBISCUS_FACTS.read_text())


def with_max_versions(document: dict[str, Any], **max_by_type: str) -> dict[str, Any]:
    """A copy of ``document`` whose endpoints announce other maximum microversions.

    Keys are catalog service types with ``-`` written as ``_`` (``block_storage``).
    """
    changed = copy.deepcopy(document)
    wanted = {key.replace("_", "-"): value for key, value in max_by_type.items()}
    for endpoint in changed["endpoints"]:
        for service_type in endpoint["service_types"]:
            if service_type in wanted:
                for version in endpoint["versions"]:
                    if version["version"]:
                        version["version"] = wanted[service_type]
    return changed


def write(document: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(document))
    return path
