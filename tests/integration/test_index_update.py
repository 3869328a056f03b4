"""``patchcheck index update`` from real git repositories built from the upstream snapshots.

Three bare repositories (openstack/ossa, security-doc, releases) are made from ``../shared/data``
and served as ``file://`` URLs: a first update, a second with nothing new, a new advisory that
affects a deployed version (judged again from unchanged facts), a fetch that fails (the old index
stays), and a host whose changelog names an advisory the knowledge does not know.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from bench.upstream_repos import publish, upstream_repositories
from patchcheck.knowledge.advisories import shipped_index
from tests.helpers import host_facts_document, patchcheck_argv, shared_data, write

#: Debian's security tracker JSON, written from its documented format (see the fixture's README).
TRACKER = Path(__file__).resolve().parents[1] / "fixtures" / "distribution-security" / "tracker.json"
NEW_ADVISORY = """date: 2026-11-20
id: OSSA-2026-099
title: A test advisory that affects nova 29.0.1
affected-products:
  - product: Nova
    version: '<29.9.0'
vulnerabilities:
  - cve-id: CVE-2026-99999
"""


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    return upstream_repositories(tmp_path_factory.mktemp("upstream"), shared_data())


def nova_host(folder: Path, version: str = "29.0.1") -> Path:
    """Facts of a host running nova ``version`` in a venv, gathered once."""
    folder.mkdir(parents=True, exist_ok=True)
    document = host_facts_document(
        "cmp1",
        python=[
            {
                "kind": "venv",
                "path": "/opt/nova",
                "service": "nova",
                "distributions": [{"name": "nova", "product": "nova", "version": version, "git_sha": None}],
            }
        ],
    )
    return write(document, folder / "host-cmp1.json")


def patchcheck(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        patchcheck_argv(*args),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )


def update(
    cache: Path, upstream: dict[str, tuple[Path, Path]], **urls: str
) -> subprocess.CompletedProcess[str]:
    chosen = {
        name: urls.get(name.replace("-", "_"), bare.as_uri()) for name, (_work, bare) in upstream.items()
    }
    return patchcheck(
        "index",
        "update",
        "--cache",
        cache,
        "--ossa-url",
        chosen["ossa"],
        "--security-doc-url",
        chosen["security-doc"],
        "--releases-url",
        chosen["releases"],
        "--pypa-url",
        chosen["advisory-database"],
        "--debian-tracker-url",
        urls.get("debian_tracker", TRACKER.as_uri()),
    )


def judge_run(
    facts: Path, out: Path, knowledge: Path | str, day: str = "2026-11-25", *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict]:
    """`patchcheck judge` with the given knowledge ("shipped" or an index folder): result, verdicts."""
    out.mkdir(parents=True, exist_ok=True)
    done = patchcheck(
        "judge",
        "--facts",
        facts,
        "--verdicts",
        out / "verdicts.json",
        "--reference-date",
        day,
        *extra,
        env={"PATCHCHECK_KNOWLEDGE_DIR": str(knowledge)},
    )
    assert done.returncode in (0, 1, 3), done.stderr
    return done, json.loads((out / "verdicts.json").read_text())


def judge(facts: Path, out: Path, knowledge: Path) -> dict:
    return judge_run(facts, out, knowledge)[1]


def advisories_of(verdicts: dict) -> dict[str, dict]:
    testcase = next(t for t in verdicts["testcases"] if t["id"] == "scs-0124-ossa-patched")
    return {item["subject"]: item for item in testcase["items"]}


def test_update_rejudge_and_failure(upstream: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = update(cache, upstream)
    assert first.returncode == 0, first.stderr
    provenance = json.loads((cache / "current" / "knowledge.json").read_text())
    assert provenance["kind"] == "updated" and set(provenance["sources"]) == {
        "ossa",
        "security-doc",
        "releases",
    }
    assert all(len(source["commit"]) == 40 for source in provenance["sources"].values())

    start = time.monotonic()
    again = update(cache, upstream)
    assert again.returncode == 0 and "nothing new upstream" in again.stderr
    assert time.monotonic() - start < 60

    # a deployed nova 29.0.1, gathered once
    facts = nova_host(tmp_path / "host")
    before = advisories_of(judge(facts, tmp_path / "before", cache / "current"))
    assert not any("OSSA-2026-099" in subject for subject in before)

    publish(*upstream["ossa"], {"ossa/OSSA-2026-099.yaml": NEW_ADVISORY}, "OSSA-2026-099")
    newer = update(cache, upstream)
    assert newer.returncode == 0, newer.stderr
    verdicts = judge(facts, tmp_path / "after", cache / "current")  # the same facts, judged again
    after = advisories_of(verdicts)
    new = after["cmp1 nova 29.0.1 OSSA-2026-099"]
    assert new["evidence"]["deadline"].startswith("2026-11-2")  # the new advisory's own clock
    assert verdicts["knowledge"]["kind"] == "updated"
    assert verdicts["knowledge"]["sources"]["ossa"].startswith(
        json.loads((cache / "current" / "knowledge.json").read_text())["sources"]["ossa"]["commit"][:12]
    )

    index_before = (cache / "current").resolve()
    failed = update(cache, upstream, ossa=(tmp_path / "no-such-repository.git").as_uri())
    assert failed.returncode == 7
    assert "stays in force" in failed.stderr and "days old" in failed.stderr
    assert (cache / "current").resolve() == index_before


SHIPPED_INDEX = Path(__file__).resolve().parents[2] / "src" / "patchcheck" / "data" / "advisories.json"
#: An advisory id no index knows (OSSA-2026-030 was used here until the shipped index learnt it).
UNKNOWN_ID = "OSSA-2026-900"


def test_a_changelog_naming_an_unknown_advisory_aborts_that_host(tmp_path: Path) -> None:
    assert not any(advisory.id == UNKNOWN_ID for advisory in shipped_index().advisories)
    document = host_facts_document(
        "swift1",
        packages=[
            {
                "manager": "dpkg",
                "name": "python3-swift",
                "source": "swift",
                "product": "swift",
                "version": "2.30.1-0+deb12u2",
                "architecture": "all",
                "changelog_cves": [],
                "changelog_refs": {
                    UNKNOWN_ID: {"version": "2.30.1-0+deb12u2", "line": f"* {UNKNOWN_ID}: fix"}
                },
            }
        ],
    )
    facts = write(document, tmp_path / "host-swift1.json")
    done, verdicts = judge_run(facts, tmp_path / "out", "shipped")
    assert done.returncode in (1, 3), done.stderr
    items = advisories_of(verdicts)
    behind = items[f"swift1 {UNKNOWN_ID} (unknown to the index)"]
    assert behind["result"] == "ABORT"
    assert f"python3-swift 2.30.1-0+deb12u2 names {UNKNOWN_ID}" in behind["message"]
    assert "patchcheck index update" in behind["message"]


@pytest.mark.parametrize(("days_after_build", "stale"), [(1, False), (5, True)])
def test_knowledge_older_than_the_limit_cannot_prove_compliance(
    days_after_build: int, stale: bool, tmp_path: Path
) -> None:
    """The shipped index ages from its build: past the limit (2 days) it cannot prove a host patched.

    The days judged are counted from the index's own ``built_at``, so the test holds after a rebuild."""
    built_at = dt.datetime.fromisoformat(json.loads(SHIPPED_INDEX.read_text())["built_at"])
    day = (built_at + dt.timedelta(days=days_after_build)).date().isoformat()
    facts = nova_host(tmp_path / "host", "34.0.0")
    done, verdicts = judge_run(facts, tmp_path / "out", "shipped", day, "--max-knowledge-age", "2")
    items = advisories_of(verdicts)
    too_old = items.get("cmp1 (advisory knowledge too old)")
    if stale:
        assert too_old is not None and too_old["result"] == "ABORT"
        assert "run `patchcheck index update`" in too_old["message"] and "limit 2 days" in too_old["message"]
        assert done.returncode == 3
    else:
        assert too_old is None


BROKEN_ADVISORY = """date: 2026-11-21
id: OSSA-2026-098
title: A new advisory whose range the grammar cannot read
affected-products:
  - product: Nova
    version: '<<29 and then some'
vulnerabilities:
  - cve-id: CVE-2026-pending
"""


def test_a_malformed_advisory_or_a_changed_repaired_one_never_blocks_the_update(
    upstream: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    assert update(cache, upstream).returncode == 0
    work = upstream["ossa"][0]
    repaired = (work / "ossa" / "OSSA-2025-001.yaml").read_text() + "\nerrata: 1\n"  # upstream edits it
    publish(
        *upstream["ossa"],
        {"ossa/OSSA-2026-098.yaml": BROKEN_ADVISORY, "ossa/OSSA-2025-001.yaml": repaired},
        "a malformed advisory and an errata",
    )
    done = update(cache, upstream)
    assert done.returncode == 0, done.stderr  # the rest of the knowledge still updates
    assert "OSSA-2026-098.yaml: Nova" in done.stderr and "indexed as unparsable" in done.stderr
    assert "OSSA-2025-001: the repair was made for another text" in done.stderr
    index = json.loads((cache / "current" / "advisories.json").read_text())
    by_id = {entry["id"]: entry for entry in index["advisories"]}
    assert by_id["OSSA-2026-098"]["products"][0]["unparsable"]
    assert by_id["OSSA-2026-098"]["cves"] == []  # a placeholder is not a CVE
    assert by_id["OSSA-2025-001"]["products"][0]["unparsable"].startswith("its overlay repair needs a review")
    facts = nova_host(tmp_path / "host")
    items = advisories_of(judge(facts, tmp_path / "out", cache / "current"))
    unknown = items["cmp1 nova 29.0.1 OSSA-2026-098"]
    assert unknown["result"] == "ABORT" and "cannot be read" in unknown["message"]


def test_the_hourly_knowledge_job_judges_kept_facts_again_when_a_new_advisory_holds_them(
    upstream: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """scripts/local-job --knowledge, as its hourly timer runs it, and the `advisories new` view."""
    state = tmp_path / "state"
    facts_dir = tmp_path / "operator-facts"
    nova_host(facts_dir)
    env = {
        **os.environ,
        "PATCHCHECK_CLOUD": "c",
        "PATCHCHECK_CLOUDS_YAML": str(tmp_path / "clouds.yaml"),
        "PATCHCHECK_STATE_DIR": str(state),
        "PATCHCHECK_FACTS_DIRS": str(facts_dir),
        "PATCHCHECK_OSSA_URL": upstream["ossa"][1].as_uri(),
        "PATCHCHECK_SECURITY_DOC_URL": upstream["security-doc"][1].as_uri(),
        "PATCHCHECK_RELEASES_URL": upstream["releases"][1].as_uri(),
        "PATCHCHECK_PYPA_URL": upstream["advisory-database"][1].as_uri(),
        "PATCHCHECK_DEBIAN_TRACKER_URL": TRACKER.as_uri(),
        "PATCHCHECK_MAX_KNOWLEDGE_AGE": "36500",
    }
    env.pop("PATCHCHECK_KNOWLEDGE_DIR", None)  # the job reads the knowledge it keeps in its state folder
    job = Path(__file__).resolve().parents[2] / "scripts" / "local-job"
    first = subprocess.run(
        [str(job), "--knowledge"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert first.returncode in (0, 1, 3), first.stderr  # a first index
    (state / "knowledge" / "last-update").write_text("2026-11-19\n")  # as if updated days ago
    newest = NEW_ADVISORY.replace("OSSA-2026-099", "OSSA-2026-097")
    publish(*upstream["ossa"], {"ossa/OSSA-2026-097.yaml": newest}, "OSSA-2026-097")
    second = subprocess.run(
        [str(job), "--knowledge"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert second.returncode == 1, second.stdout + second.stderr  # judged again: the new advisory is overdue
    assert "OSSA-2026-097" in second.stdout
    verdicts = json.loads((state / "rejudged" / "verdicts.json").read_text())
    assert "cmp1 nova 29.0.1 OSSA-2026-097" in advisories_of(verdicts)
    assert (state / "rejudged" / "report.yaml").is_file()
    feed = (state / "rejudged" / "new-advisories.atom").read_text()
    assert feed.startswith("<?xml") and "urn:patchcheck:c:OSSA-2026-097" in feed


def ironic_host(folder: Path, version: str) -> Path:
    """Facts of a host running ironic ``version`` in an OpenStack-Ansible venv."""
    folder.mkdir(parents=True, exist_ok=True)
    document = host_facts_document(
        "bm1",
        python=[
            {
                "kind": "venv",
                "path": f"/openstack/venvs/ironic-{version}",
                "service": "ironic",
                "distributions": [
                    {"name": "ironic", "product": "ironic", "version": version, "git_sha": None}
                ],
            }
        ],
    )
    return write(document, folder / "host-bm1.json")


def test_the_update_audits_new_and_changed_advisories_against_git_before_it_switches(
    tmp_path: Path,
) -> None:
    """Issue 28: an advisory whose range is wrong for a release never yields PASS for it.

    openstack/ironic's real history (``../shared/data/git/ironic.bundle``) is served beside the
    ossa repository, as on opendev.org. Upstream publishes a new advisory with the range of
    OSSA-2026-017 (which stops below 36.0.0, tagged from master before the fix landed) and
    revises OSSA-2026-013's range (the same mistake): both are audited inside `index update`,
    36.0.0 judged affected with the commit that proves it, the unchanged ones are not audited again.
    """
    (tmp_path / "upstream").mkdir()
    upstream = upstream_repositories(tmp_path / "upstream", shared_data())
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(shared_data() / "git" / "ironic.bundle"), "ironic.git"],
        cwd=tmp_path / "upstream",
        check=True,
        capture_output=True,
        timeout=600,
    )
    cache = tmp_path / "cache"
    first = update(cache, upstream)
    assert first.returncode == 0, first.stderr
    facts = ironic_host(tmp_path / "facts", "36.0.0")

    work = upstream["ossa"][0]
    new_text = (work / "ossa" / "OSSA-2026-017.yaml").read_text().replace("OSSA-2026-017", "OSSA-2026-096")
    revised = (work / "ossa" / "OSSA-2026-013.yaml").read_text()
    assert ">=23.0.4 <29.0.6" in revised
    revised = revised.replace(">=23.0.4 <29.0.6", ">=23.0.3 <29.0.6")  # an errata that keeps the mistake
    publish(
        *upstream["ossa"],
        {"ossa/OSSA-2026-096.yaml": new_text, "ossa/OSSA-2026-013.yaml": revised},
        "OSSA-2026-096 and an errata of OSSA-2026-013",
    )
    done = patchcheck(
        "index",
        "update",
        "--cache",
        cache,
        "--ossa-url",
        upstream["ossa"][1].as_uri(),
        "--security-doc-url",
        upstream["security-doc"][1].as_uri(),
        "--releases-url",
        upstream["releases"][1].as_uri(),
        "--facts",
        facts.parent,
    )
    assert done.returncode == 0, done.stderr
    for advisory in ("OSSA-2026-096", "OSSA-2026-013"):
        assert f"git ancestry: {advisory} ironic 36.0.0 affected" in done.stderr, done.stderr
    assert "audit: 2 (advisory, product) pair(s)" in done.stderr  # only the new and the changed one
    assert "new: OSSA-2026-096: ironic >=17.0.0 <26.1.7" in done.stdout
    assert "changed: OSSA-2026-013: ironic range" in done.stdout
    assert "in its range now: bm1 ironic 36.0.0" in done.stdout
    ancestry = (cache / "ancestry.yaml").read_text()
    assert "OSSA-2026-096:" in ancestry and "tag 36.0.0 lacks I" in ancestry

    items = advisories_of(judge(facts, tmp_path / "out", cache / "current"))
    for advisory in ("OSSA-2026-096", "OSSA-2026-013"):
        item = items[f"bm1 ironic 36.0.0 {advisory}"]
        assert item["result"] != "PASS", item
        assert "git ancestry: tag 36.0.0 lacks" in item["message"] + json.dumps(item["evidence"])

    again = update(cache, upstream)  # nothing new: no audit, no rebuild
    assert again.returncode == 0 and "nothing new upstream" in again.stderr
