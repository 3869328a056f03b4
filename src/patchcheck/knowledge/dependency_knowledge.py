"""The dependency knowledge in force: Python advisories and distributions' security data, with their age.

It lives beside the OpenStack advisory index (the same folder: ``PATCHCHECK_KNOWLEDGE_DIR``, the
cache's ``current`` after ``patchcheck index update``, or the package's own data) and ages the
same way: data older than the limit cannot prove that a dependency is patched, so the
dependency testcase ABORTs and names the command that refreshes it.

- ``python-advisories.json``: the PyPA advisory database compiled (``python_advisories.py``);
  shipped from a snapshot, refreshed by ``index update``.
- ``distributions/<name>.json.gz``: a distribution's security data reduced
  (``distribution_security.py``): Debian's security tracker, or OSV records of another
  distribution. Nothing is shipped: the data is large and ages by the hour; ``index update``
  fetches it.

How old: an updated folder's data is as old as its fetch; the shipped Python data as old as its
newest record (a snapshot cannot be newer than what it holds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from patchcheck.knowledge.python_advisories import PythonAdvisoryIndex, load_python_advisories

DISTRIBUTIONS_FOLDER = "distributions"
REFRESH = "run `patchcheck index update` and judge again"


@dataclass
class DependencyKnowledge:
    python: PythonAdvisoryIndex | None
    distributions: dict[str, Any] = field(default_factory=dict)
    """Data set name -> ``DistributionSecurity``."""
    problems: list[str] = field(default_factory=list)
    """Data sets present but unreadable: named in every verdict, never silently absent."""

    def python_as_of(self) -> dt.datetime | None:
        if self.python is None:
            return None
        source = self.python.source
        return parse_moment(source.get("fetched_at") or source.get("newest_record"))

    def summary(self) -> dict[str, Any]:
        """Which dependency data judged, and as of when, for every output that cites knowledge."""
        summary: dict[str, Any] = {}
        if self.python is not None:
            source = self.python.source
            summary["python"] = {
                "name": "PyPA advisory database",
                "as_of": as_text(self.python_as_of()),
                "commit": source.get("commit"),
                "url": source.get("url"),
            }
        for name, data in sorted(self.distributions.items()):
            provenance = data.provenance
            summary[name] = {
                "name": provenance.source or name,
                "as_of": as_text(provenance.fetched_at),
                "url": provenance.url or None,
            }
        return summary

    def stale(self, now: dt.datetime, max_age_days: float) -> list[str]:
        """Why each data set cannot prove anything at ``now`` (too old or undated); empty when fresh."""
        reasons = []
        limit = dt.timedelta(days=max_age_days)
        entries: list[tuple[str, dt.datetime | None]] = []
        if self.python is not None:
            entries.append(("the PyPA advisory data", self.python_as_of()))
        for name, data in sorted(self.distributions.items()):
            entries.append((f"the {name} security data", data.provenance.fetched_at))
        for what, moment in entries:
            if moment is None:
                reasons.append(f"{what} does not say how old it is; {REFRESH}")
            elif now - moment > limit:
                reasons.append(
                    f"{what} is as of {moment.isoformat()}, {(now - moment).days} days before the judging "
                    f"moment (limit {max_age_days:g} days): an advisory published since is unknown to it; "
                    f"{REFRESH}"
                )
        return reasons


def parse_moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def as_text(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def load_dependency_knowledge(folder: Path | None) -> DependencyKnowledge:
    """The dependency data of an index folder (None: shipped in the package)."""
    from patchcheck.errors import InputError
    from patchcheck.knowledge.distribution_security import DistributionSecurity

    knowledge = DependencyKnowledge(load_python_advisories(folder))
    if folder is not None and (folder / DISTRIBUTIONS_FOLDER).is_dir():
        for path in sorted((folder / DISTRIBUTIONS_FOLDER).glob("*.json.gz")):
            name = path.name.removesuffix(".json.gz")
            try:
                knowledge.distributions[name] = DistributionSecurity.load(path)
            except (InputError, OSError, ValueError) as exc:
                knowledge.problems.append(f"{path}: {exc}")
    return knowledge


@cache
def shipped_cvss() -> dict[str, Any]:
    """The CVSS table shipped with patchcheck: CVE -> score, for distribution entries named by CVE."""
    from importlib import resources

    from patchcheck.knowledge.sources import read_cvss

    return read_cvss(Path(str(resources.files("patchcheck").joinpath("data", "openstack-cvss.csv"))))


@cache
def dependency_knowledge_in_force() -> DependencyKnowledge:
    from patchcheck.knowledge.update import knowledge_dir

    return load_dependency_knowledge(knowledge_dir())
