"""``patchcheck index update``: advisory knowledge fetched from upstream, rebuilt, switched atomically.

The shipped index ages from the day it was built; a 3-hour deadline needs knowledge of the
last hours. This fetches openstack/ossa, openstack/security-doc and openstack/releases with
git (shallow clones, then shallow fetches), rebuilds the index with the same build as
``index build`` into a new folder of the cache, and switches ``<cache>/current`` to it with
one rename: a judge reading the knowledge sees the old index or the new one, never half of
one. A fetch or build that fails keeps the previous index and says how old it is. With
nothing new upstream, nothing is rebuilt.

Before the switch, every new or changed advisory is audited against its products' git
history (``update_audit.py``); the corrections the audits found are kept in
``<cache>/ancestry.yaml`` (starting from the one shipped with patchcheck) and built into the
new index. The update says what changed: new advisories and those that now judge
differently (``changes.py``).

Where the judge finds the knowledge: ``PATCHCHECK_KNOWLEDGE_DIR`` (an index folder), else the
cache's ``current`` (``PATCHCHECK_KNOWLEDGE_CACHE``, default ``$XDG_CACHE_HOME/patchcheck/knowledge``),
else the index shipped inside the package. ``PATCHCHECK_KNOWLEDGE_DIR=shipped`` forces the latter.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from patchcheck import __version__
from patchcheck.files import atomic_write
from patchcheck.knowledge.ancestry import Ancestry
from patchcheck.knowledge.ancestry import load as load_ancestry
from patchcheck.knowledge.build import OVERLAY, BuildReport, Sources, build_index, sha256
from patchcheck.knowledge.changes import IndexChange, index_changes
from patchcheck.knowledge.series import shipped_series
from patchcheck.knowledge.update_audit import DEFAULT_AUDIT_BUDGET_S, audit_update

#: name -> (default URL, the folders of it the build reads)
UPSTREAM = {
    "ossa": ("https://opendev.org/openstack/ossa", ("ossa",)),
    "security-doc": ("https://opendev.org/openstack/security-doc", ("security-notes",)),
    "releases": ("https://opendev.org/openstack/releases", ("deliverables", "data")),
}
#: The dependency data (scs-0124's dependency clause, ``dependency_knowledge.py``): fetched with the
#: advisories, but a failure to fetch it keeps the previous copy (its age then shows in every verdict)
#: instead of holding back the OpenStack advisories. "none" as a URL leaves a source out.
PYPA_URL = "https://github.com/pypa/advisory-database"
DEBIAN_TRACKER = "debian-security-tracker"
DOWNLOAD_TIMEOUT_S = 600
GIT_TIMEOUT_S = 600
PROVENANCE = "knowledge.json"
ANCESTRY_FILE = "ancestry.yaml"


class UpdateFailed(RuntimeError):
    """A fetch or the build failed; the previous index stays in force."""


@dataclass
class Update:
    changed: bool
    index: Path
    provenance: dict[str, Any]
    messages: list[str] = field(default_factory=list)
    changes: list[IndexChange] = field(default_factory=list)


def default_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("PATCHCHECK_KNOWLEDGE_CACHE") or base / "patchcheck" / "knowledge")


def knowledge_dir() -> Path | None:
    """The index folder the judge reads, or None for the one shipped in the package."""
    explicit = os.environ.get("PATCHCHECK_KNOWLEDGE_DIR")
    if explicit:
        return None if explicit == "shipped" else Path(explicit)
    current = default_cache() / "current"
    return current if (current / "advisories.json").is_file() else None


def provenance_of(folder: Path | None) -> dict[str, Any]:
    """What the knowledge in use was built from, and when its sources were last fetched."""
    if folder is not None and (folder / PROVENANCE).is_file():
        return json.loads((folder / PROVENANCE).read_text(encoding="utf-8"))
    data = resources.files("patchcheck").joinpath("data")
    document = json.loads(data.joinpath("advisories.json").read_text(encoding="utf-8"))
    return {
        "kind": "shipped",
        "patchcheck": __version__,
        "built_at": document.get("built_at"),
        "attribution": document.get("attribution", {}),
    }


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_S,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise UpdateFailed(f"git {args[0]}: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout.strip()


def fetch(name: str, url: str, sources: Path) -> tuple[str, str, bool]:
    """(commit, commit date, whether it moved) of a shallow checkout of ``url`` in ``sources/name``."""
    checkout = sources / name
    if not (checkout / ".git").is_dir():
        shutil.rmtree(checkout, ignore_errors=True)
        git("clone", "--quiet", "--depth", "1", url, str(checkout))
        before = None
    else:
        before = git("rev-parse", "HEAD", cwd=checkout)
        git("remote", "set-url", "origin", url, cwd=checkout)
        git("fetch", "--quiet", "--depth", "1", "origin", "HEAD", cwd=checkout)
        git("reset", "--quiet", "--hard", "FETCH_HEAD", cwd=checkout)
    commit = git("rev-parse", "HEAD", cwd=checkout)
    date = git("log", "-1", "--format=%cI", cwd=checkout)
    return commit, date, commit != before


def update(
    cache: Path,
    urls: dict[str, str],
    cvss: Path,
    now: dt.datetime,
    overlay: Path = OVERLAY,
    git_urls: dict[str, str] | None = None,
    audit_budget_s: float = DEFAULT_AUDIT_BUDGET_S,
    progress: Callable[[str], None] = lambda line: None,
) -> Update:
    """Fetch, audit what is new and rebuild when anything moved; raises ``UpdateFailed`` and keeps
    the old index. ``git_urls``: product -> repository, where it is not beside openstack/ossa."""
    sources = cache / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    fetched: dict[str, dict[str, str]] = {}
    moved = False
    for name in UPSTREAM:
        url = urls.get(name) or UPSTREAM[name][0]
        try:
            commit, date, changed = fetch(name, url, sources)
        except (UpdateFailed, subprocess.TimeoutExpired) as exc:
            raise UpdateFailed(f"{name} ({without_credentials(url)}): {exc}") from None
        fetched[name] = {"url": without_credentials(url), "commit": commit, "commit_date": date}
        moved |= changed
    current = cache / "current"
    dependencies = fetch_dependencies(cache, urls, now, current)
    overlay_sha = sha256(overlay)
    previous = provenance_of(current) if (current / PROVENANCE).is_file() else None
    retry = list((previous or {}).get("unaudited") or [])
    if previous and not moved and not retry and previous.get("overlay_sha256") == overlay_sha:
        previous["fetched_at"] = now.isoformat(timespec="seconds")
        dependencies.write(current.resolve(), cvss)
        (current / PROVENANCE).write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")
        return Update(
            False,
            current.resolve(),
            previous,
            [*dependencies.messages, "nothing new upstream; the index stays (dependency data refreshed)"],
        )
    notes_as_of = dt.datetime.fromisoformat(fetched["security-doc"]["commit_date"]).date()
    inputs = Sources(
        releases=sources / "releases",
        ossa=sources / "ossa" / "ossa",
        notes=sources / "security-doc" / "security-notes",
        cvss=cvss,
        notes_as_of=notes_as_of,
        built_at=now.isoformat(timespec="seconds"),
        previous_series=shipped_series(),
        status_since=dt.datetime.fromisoformat(fetched["releases"]["commit_date"]).date(),
    )
    ancestry_path = cache / ANCESTRY_FILE
    ancestry = load_ancestry(ancestry_path) if ancestry_path.is_file() else load_ancestry()
    before = index_document(current if (current / "advisories.json").is_file() else None)
    target, report = build(inputs, cache, overlay, ancestry)
    changes = index_changes(before, index_document(target))
    audited = audit_update(
        inputs,
        overlay,
        changes,
        ancestry,
        urls.get("ossa") or UPSTREAM["ossa"][0],
        git_urls or {},
        cache / "git",
        audit_budget_s,
        progress,
        retry,
    )
    if audited.run is not None:  # built again with what the audit proved
        shutil.rmtree(target, ignore_errors=True)
        target, report = build(inputs, cache, overlay, audited.ancestry)
        changes = index_changes(before, index_document(target))
    dependencies.write(target, cvss)
    provenance = {
        "kind": "updated",
        "sources": fetched,
        "fetched_at": now.isoformat(timespec="seconds"),
        "built_at": now.isoformat(timespec="seconds"),
        "overlay_sha256": overlay_sha,
        "patchcheck": __version__,
        "counts": dict(report.counts),
        "unparsable": report.warnings,
        "ancestry": audited.ancestry.repositories,
        "unaudited": audited.unaudited,
    }
    (target / PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n", encoding="utf-8")
    atomic_write(ancestry_path, audited.ancestry.to_yaml())
    switch(current, target)
    prune(cache, keep=target)
    built_from = ", ".join(f"{name} {value['commit'][:10]}" for name, value in fetched.items())
    warnings = [
        f"indexed as unparsable (judged unknown until repaired): {warning}"
        for warning in provenance["unparsable"]
    ]
    return Update(
        True,
        target,
        provenance,
        [*warnings, *dependencies.messages, *audited.messages, f"index rebuilt from {built_from}"],
        changes,
    )


@dataclass
class DependencyFetch:
    """What ``index update`` fetched of the dependency data, and the previous copy to keep otherwise."""

    previous: Path | None
    pypa: Path | None = None
    pypa_source: dict[str, Any] | None = None
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def write(self, folder: Path, cvss: Path) -> None:
        """The dependency data into an index folder: what was fetched, else the previous copy."""
        from patchcheck.knowledge.dependency_knowledge import DISTRIBUTIONS_FOLDER
        from patchcheck.knowledge.distribution_security import DistributionSecurity
        from patchcheck.knowledge.python_advisories import (
            FILE_NAME,
            build_python_advisories,
            write_python_advisories,
        )
        from patchcheck.knowledge.sources import read_cvss

        if self.pypa is not None and self.pypa_source is not None:
            document, report = build_python_advisories(self.pypa, read_cvss(cvss), self.pypa_source)
            write_python_advisories(document, folder / FILE_NAME)
            self.messages += [f"PyPA record left out: {problem}" for problem in report.problems[:20]]
        elif (
            self.previous is not None
            and (self.previous / FILE_NAME).is_file()
            and self.previous.resolve() != folder.resolve()
        ):
            shutil.copyfile(self.previous / FILE_NAME, folder / FILE_NAME)
        (folder / DISTRIBUTIONS_FOLDER).mkdir(exist_ok=True)
        if self.previous is not None and self.previous.resolve() != folder.resolve():
            for kept in sorted((self.previous / DISTRIBUTIONS_FOLDER).glob("*.json.gz")):
                if kept.name.removesuffix(".json.gz") not in self.distributions:
                    shutil.copyfile(kept, folder / DISTRIBUTIONS_FOLDER / kept.name)
        for name, document in self.distributions.items():
            DistributionSecurity(document).write(folder / DISTRIBUTIONS_FOLDER / f"{name}.json.gz")


def fetch_dependencies(cache: Path, urls: dict[str, str], now: dt.datetime, current: Path) -> DependencyFetch:
    """Fetch the PyPA advisory database (git) and Debian's security tracker (one JSON document).

    A source that fails is a message, not a failed update: its previous copy stays, and its age
    decides in the judge whether it can still prove anything.
    """
    from patchcheck.errors import InputError
    from patchcheck.knowledge.dependency_knowledge import DISTRIBUTIONS_FOLDER
    from patchcheck.knowledge.distribution_security import DistributionSecurity, merge_history, read_tracker
    from patchcheck.knowledge.distribution_security_tracker import URL as TRACKER_URL

    previous = current.resolve() if (current / "advisories.json").is_file() else None
    fetched = DependencyFetch(previous)
    sources = cache / "sources"
    pypa_url = urls.get("advisory-database") or PYPA_URL
    if pypa_url != "none":
        try:
            commit, date, _moved = fetch("advisory-database", pypa_url, sources)
            fetched.pypa = sources / "advisory-database"
            fetched.pypa_source = {
                "kind": "updated",
                "url": without_credentials(pypa_url),
                "commit": commit,
                "commit_date": date,
                "fetched_at": now.isoformat(timespec="seconds"),
            }
        except (UpdateFailed, subprocess.TimeoutExpired) as exc:
            fetched.messages.append(
                f"PyPA advisory database ({without_credentials(pypa_url)}) not fetched: {exc}; the previous "
                "copy stays"
            )
    tracker_url = urls.get(DEBIAN_TRACKER) or TRACKER_URL
    if tracker_url != "none":
        try:
            path = download(tracker_url, sources / f"{DEBIAN_TRACKER}.json")
            document = read_tracker(path, url=without_credentials(tracker_url))
            kept = previous / DISTRIBUTIONS_FOLDER / f"{DEBIAN_TRACKER}.json.gz" if previous else None
            before = DistributionSecurity.load(kept).document if kept and kept.is_file() else None
            fetched.distributions[DEBIAN_TRACKER] = merge_history(before, document, now)
        except (UpdateFailed, InputError, OSError, ValueError) as exc:
            fetched.messages.append(
                f"Debian security tracker ({without_credentials(tracker_url)}) not fetched: {exc}; the "
                "previous copy stays"
            )
    return fetched


def download(url: str, target: Path) -> Path:
    """``url`` (https, file:// or a path) into ``target``, bounded in size and time."""
    import urllib.request

    from patchcheck.knowledge.distribution_security_reading import MAX_SOURCE_BYTES

    if "://" not in url:
        return Path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as answer, partial.open("wb") as out:  # noqa: S310
            total = 0
            while chunk := answer.read(1024 * 1024):
                total += len(chunk)
                if total > MAX_SOURCE_BYTES:
                    raise UpdateFailed(f"larger than {MAX_SOURCE_BYTES} bytes: not read")
                out.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UpdateFailed(f"download failed: {exc}") from None
    partial.replace(target)
    return target


def build(inputs: Sources, cache: Path, overlay: Path, ancestry: Ancestry) -> tuple[Path, BuildReport]:
    """A new index folder in the cache, or ``UpdateFailed`` (and no folder) when the build found problems."""
    target = Path(tempfile.mkdtemp(prefix="index-", dir=cache))
    report = build_index(inputs, target, overlay, tolerant=True, ancestry=ancestry)
    if report.problems:
        shutil.rmtree(target, ignore_errors=True)
        raise UpdateFailed(f"the build found {len(report.problems)} problem(s): {report.problems[0]}")
    return target, report


def index_document(folder: Path | None) -> dict[str, Any]:
    """The advisory index of ``folder``, or the one shipped in the package."""
    if folder is not None:
        return dict(json.loads((folder / "advisories.json").read_text(encoding="utf-8")))
    data = resources.files("patchcheck").joinpath("data")
    return dict(json.loads(data.joinpath("advisories.json").read_text(encoding="utf-8")))


def switch(current: Path, target: Path) -> None:
    """Point ``current`` at ``target`` with one rename: readers see the old index or the new one."""
    link = current.with_name(f".current-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(target.name)
    link.replace(current)


def prune(cache: Path, keep: Path) -> None:
    """Older index folders go; the one in force and the newest previous one stay."""
    folders = sorted(
        (p for p in cache.glob("index-*") if p.is_dir() and p != keep), key=lambda p: p.stat().st_mtime
    )
    for old in folders[:-1]:
        shutil.rmtree(old, ignore_errors=True)


def without_credentials(url: str) -> str:
    from patchcheck.urls import without_userinfo

    return without_userinfo(url)


def as_of(provenance: dict[str, Any]) -> dt.datetime | None:
    """Since when the knowledge ages: the last successful fetch, or the shipped index's build."""
    moment = provenance.get("fetched_at") or provenance.get("built_at")
    if not moment:
        return None
    parsed = dt.datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def age(provenance: dict[str, Any], now: dt.datetime) -> dt.timedelta | None:
    """How old the knowledge is at ``now`` (None when nothing says)."""
    moment = as_of(provenance)
    return None if moment is None else now - moment


def stale_reason(now: dt.datetime, max_age_days: float) -> str | None:
    """Why the knowledge in force cannot prove compliance at ``now``, or None when it is fresh enough."""
    provenance = provenance_of(knowledge_dir())
    moment = as_of(provenance)
    if moment is None:
        return (
            "the advisory knowledge does not say when it was fetched or built; run `patchcheck index update`"
        )
    old = now - moment
    if old.total_seconds() <= max_age_days * 86400:
        return None
    what = "fetched" if provenance.get("fetched_at") else "built (shipped with patchcheck)"
    return (
        f"the advisory knowledge was {what} {moment.isoformat()}, {old.days} days before the judging moment "
        f"(limit {max_age_days:g} days): an advisory published since is unknown to it, so it cannot prove "
        "compliance; run `patchcheck index update` and judge again"
    )


def knowledge_summary() -> dict[str, Any]:
    """The knowledge in force, in a few fields, for every output that judges with it: the advisory
    index, and the dependency data beside it (``dependency_knowledge.py``) under ``dependencies``."""
    from patchcheck.knowledge.dependency_knowledge import dependency_knowledge_in_force

    dependencies = dependency_knowledge_in_force().summary()
    return {**advisory_summary(), **({"dependencies": dependencies} if dependencies else {})}


def advisory_summary() -> dict[str, Any]:
    provenance = provenance_of(knowledge_dir())
    if provenance.get("kind") == "updated":
        return {
            "kind": "updated",
            "fetched_at": provenance.get("fetched_at"),
            "sources": {
                name: f"{source['commit'][:12]} {source['commit_date']}"
                for name, source in provenance.get("sources", {}).items()
            },
        }
    attribution = provenance.get("attribution", {})
    return {
        "kind": "shipped",
        "patchcheck": provenance.get("patchcheck"),
        "built_at": provenance.get("built_at"),
        "sources": {
            name: f"sha256 {str(entry.get('input_sha256', ''))[:12]}"
            for name, entry in attribution.items()
            if isinstance(entry, dict) and entry.get("input_sha256")
        },
    }


def describe(summary: dict[str, Any]) -> str:
    """One line naming the knowledge a run judged with."""
    sources = ", ".join(f"{name} {value}" for name, value in summary.get("sources", {}).items())
    dependencies = "; ".join(
        f"{entry.get('name') or name} as of {entry.get('as_of') or 'an unknown date'}"
        + (f" ({str(entry['commit'])[:12]})" if entry.get("commit") else "")
        for name, entry in (summary.get("dependencies") or {}).items()
        if isinstance(entry, dict)
    )
    dependencies = f"; dependency data: {dependencies}" if dependencies else ""
    if summary.get("kind") == "updated":
        return f"advisory knowledge fetched {summary.get('fetched_at')} ({sources}){dependencies}"
    return (
        f"advisory knowledge shipped with patchcheck {summary.get('patchcheck')}, built "
        f"{summary.get('built_at')} ({sources}){dependencies}"
    )
