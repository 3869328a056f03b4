"""Which distribution security data judges which host, and under which release key.

A host's os-release (``{"id": "debian", "version_codename": "bookworm"}``) names its
distribution and release; the data is keyed differently per source: the Debian tracker by
codename, OSV by ecosystem (``Ubuntu:24.04:LTS``, ``AlmaLinux:9``). ``COVERAGE`` lists the
distributions some data covers, with the reason, so that the judge reports every other host as
"not judged" instead of letting it pass with no issues found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from patchcheck.knowledge.distribution_security_tracker import SOURCE as TRACKER_SOURCE

#: Debian VERSION_ID -> codename, for an os-release without VERSION_CODENAME (old images).
DEBIAN_CODENAMES = {"10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie", "14": "forky"}


@dataclass(frozen=True)
class Coverage:
    distribution: str
    """os-release ID."""
    source: str
    """The document source that judges it."""
    reason: str


COVERAGE = (
    Coverage(
        "debian",
        TRACKER_SOURCE,
        "the Debian security team's own triage per release; only the tracker says no-dsa, ignored, "
        "postponed (Debian's OSV export does not), so it is preferred to osv:Debian",
    ),
    Coverage(
        "ubuntu",
        "osv:Ubuntu",
        "Canonical publishes its CVE tracker as OSV (canonical/ubuntu-security-notices); the "
        "ecosystem is Ubuntu:<version>:LTS, or Ubuntu:<version> for an interim release; Ubuntu Pro "
        "(ESM) ecosystems are separate and not read",
    ),
    Coverage(
        "almalinux",
        "osv:AlmaLinux",
        "AlmaLinux publishes its errata as OSV (AlmaLinux/osv-database), ecosystem AlmaLinux:<major>; "
        "package names are the binary RPMs of an erratum, the source-named one among them",
    ),
    Coverage(
        "rocky",
        "osv:Rocky Linux",
        "Rocky Linux publishes its errata as OSV (errata.rockylinux.org), ecosystem Rocky Linux:<major>",
    ),
)
"""Distributions some data covers. Any other (Red Hat Enterprise Linux: its OSV ecosystems name
a product stream, not a release; CentOS Stream; SUSE) is not judged, and said so."""


def coverage_of(os_release: Mapping[str, Any]) -> Coverage | None:
    distribution = _facts(os_release).get("id", "").lower()
    return next((coverage for coverage in COVERAGE if coverage.distribution == distribution), None)


def release_key(os_release: Mapping[str, Any]) -> str | None:
    """The release key a host's os-release has in the data that covers it; None: no data does.

    Debian: the codename (``bookworm``). Ubuntu: ``Ubuntu:24.04:LTS`` when LTS (os-release's
    VERSION says so; without it, an even year's .04), else ``Ubuntu:24.10``. AlmaLinux and
    Rocky Linux: ``AlmaLinux:9``, ``Rocky Linux:9`` (errata are per major release).
    """
    facts = _facts(os_release)
    distribution = facts.get("id", "").lower()
    version = facts.get("version_id", "")
    if distribution == "debian":
        return facts.get("version_codename") or DEBIAN_CODENAMES.get(version.split(".")[0])
    if distribution == "ubuntu":
        if not re.fullmatch(r"\d{2}\.\d{2}", version):
            return None
        if "version" in facts:
            lts = "LTS" in facts["version"]
        else:
            lts = version.endswith(".04") and int(version[:2]) % 2 == 0
        return f"Ubuntu:{version}:LTS" if lts else f"Ubuntu:{version}"
    names = {"almalinux": "AlmaLinux", "rocky": "Rocky Linux"}
    major = version.split(".")[0]
    if distribution in names and major.isdigit():
        return f"{names[distribution]}:{major}"
    return None


def _facts(os_release: Mapping[str, Any]) -> dict[str, str]:
    """os-release as facts give it: keys in either case, only text values."""
    return {str(key).lower(): value.strip() for key, value in os_release.items() if isinstance(value, str)}
