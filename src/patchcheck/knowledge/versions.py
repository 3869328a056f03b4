"""Is a deployed version affected by an advisory range? Per source of the version.

- Python distributions (venvs, containers, pip): PEP 440 via ``packaging``. A pbr
  development build ``X.Y.Z.devN`` from a stable branch is newer than
  X.Y.(Z-1) and older than X.Y.Z; if X.Y.Z is the first fixed release, the build
  may or may not carry the fix, so without commit evidence the answer is
  UNKNOWN, never "fixed" and never "not affected".
- Debian packages: ``python-debian`` compares ``[epoch:]upstream[-revision]``
  (``2:22.0.2-0+deb12u6``, ``3:29.0.1-0ubuntu1~cloud0``). Distributions fix by
  backport under an unchanged upstream version, so the upstream part decides
  only together with changelog evidence (a CVE named in the package changelog
  counts as fixed).
- RPM packages: ``univers``' rpmvercmp port compares ``[epoch:]version-release``
  (``1:33.0.2-1.el10``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from debian.debian_support import Version as DebianVersion
from packaging.version import InvalidVersion, Version
from univers.versions import RpmVersion

from patchcheck.knowledge.ranges import VersionRange


class Match(StrEnum):
    AFFECTED = "affected"
    NOT_AFFECTED = "not affected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RangeMatch:
    match: Match
    reason: str


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """PEP 440 parsing, once per distinct string (thousands of hosts share a few hundred versions)."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def match_upstream(version_text: str, affected: VersionRange) -> RangeMatch:
    """Match an upstream (PEP 440) version against an advisory range."""
    version = parse_version(version_text)
    if version is None:
        return RangeMatch(Match.UNKNOWN, f"{version_text!r} is not a PEP 440 version")
    if version.is_devrelease:
        base = Version(version.base_version)
        for fixed in affected.fixed_versions:
            if fixed == base:
                return RangeMatch(
                    Match.UNKNOWN,
                    f"{version} is a development build between the previous release and {fixed}, the first "
                    f"fixed release; whether it carries the fix needs commit evidence",
                )
    alternative = affected.matching_alternative(version)
    if alternative is None:
        return RangeMatch(Match.NOT_AFFECTED, f"{version} is outside {affected}")
    return RangeMatch(Match.AFFECTED, f"{version} is in {alternative}")


@lru_cache(maxsize=65536)
def debian_upstream(version: str) -> str:
    """``2:22.0.2-0+deb12u6`` -> ``22.0.2``; ``3:29.0.1-0ubuntu1~cloud0`` -> ``29.0.1``."""
    parsed = DebianVersion(version)
    return upstream_release(parsed.upstream_version)


@lru_cache(maxsize=65536)
def rpm_upstream(version: str) -> str:
    """``1:33.0.2-1.el10`` -> ``33.0.2``."""
    without_epoch = version.split(":", 1)[-1]
    return upstream_release(without_epoch.rsplit("-", 1)[0] if "-" in without_epoch else without_epoch)


def upstream_release(text: str) -> str:
    """Drop distribution decorations after the release number (``~rc1`` stays a pre-release)."""
    text = text.replace("~", "")
    match = re.match(r"^\d+(?:\.\d+)*(?:(?:a|b|rc|\.dev)\d+)?", text)
    return match.group(0) if match else text


def compare_debian(left: str, right: str) -> int:
    """-1, 0 or 1, as dpkg --compare-versions orders them."""
    a, b = DebianVersion(left), DebianVersion(right)
    return (a > b) - (a < b)


def compare_rpm(left: str, right: str) -> int:
    """-1, 0 or 1, as rpmvercmp orders ``[epoch:]version-release``."""
    a, b = RpmVersion(left), RpmVersion(right)
    return (a > b) - (a < b)
