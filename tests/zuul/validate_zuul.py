"""Validate zuul.d/ offline with Zuul's own loader and configuration schemas.

Runs in its own virtual environment with the ``zuul`` package (about 500 MB;
scripts/validate-zuul creates it), never in the project's. Checks:

- every file loads with Zuul's YAML loader (it knows ``!encrypted/pkcs1-oaep``
  and refuses duplicate keys);
- every job, nodeset, secret, semaphore, project and project-template passes
  the schema Zuul's configloader applies to it (no scheduler needed);
- references resolve: each job's parent (or Zuul's ``base``), nodeset,
  semaphores and secrets, each job a project pipeline names, and every
  playbook a job runs exists in the repository; roles in those playbooks exist
  in roles/ or come from a repository the job lists under ``roles``;
- behaviour offline validation would otherwise miss: a secret on a job whose
  playbooks are all inherited reaches none of them without ``pass-to-parent``;
  a collecting role (``fetch-output`` ...) in a play's ``roles`` runs before
  that play's ``tasks``, so it collects nothing they produce.

Prints one line per problem (``file:line: what``) and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import voluptuous as vs
import yaml as pyyaml
from zuul import configloader, model

REPO = Path(__file__).resolve().parents[2]
#: Roles the jobs may take from zuul/zuul-jobs (listed under the job's `roles`).
ZUUL_JOBS_ROLES = frozenset(
    {"ensure-pip", "fetch-output", "fetch-zuul-cloner", "ensure-python", "add-build-sshkey"}
)
PLAYBOOK_KEYS = ("pre-run", "run", "post-run", "cleanup-run")
#: Roles that collect what earlier steps produced: they must run after the tasks that produce it.
COLLECTING_ROLES = frozenset(
    {"fetch-output", "fetch-subunit-output", "fetch-zuul-logs", "fetch-tox-output", "fetch-sphinx-output"}
)
INCLUDE_ROLE = frozenset(
    {"include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role"}
)


def parsers() -> dict[str, Any]:
    return {
        "job": configloader.JobParser.schema,
        "nodeset": configloader.NodeSetParser(None).schema,
        "secret": configloader.SecretParser(None).schema,
        "semaphore": configloader.SemaphoreParser(None).schema,
        "project": configloader.ProjectParser(None).schema,
        "project-template": configloader.ProjectTemplateParser(None).schema,
        "queue": configloader.QueueParser(None).schema,
    }


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def line_of(conf: dict[str, Any]) -> int:
    mark = conf.get("_start_mark")
    return mark.line + 1 if mark is not None else 0


def validate(zuul_dir: Path, repo: Path) -> list[str]:
    problems: list[str] = []
    schemas = parsers()
    found: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {kind: {} for kind in schemas}
    for path in sorted(zuul_dir.glob("*.yaml")):
        relative = path.relative_to(repo) if path.is_relative_to(repo) else path
        context = model.SourceContext(
            "opendev.org/patchcheck", "patchcheck", "gerrit", "master", str(relative)
        )
        try:
            documents = configloader.safe_load_yaml(path.read_text(), context)
        except Exception as exc:  # Zuul raises its own exception types for YAML problems
            problems.append(f"{relative}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        for item in documents or []:
            if not isinstance(item, dict) or len(item) != 1:
                problems.append(f"{relative}: every item is a mapping with one key (job, project, ...)")
                continue
            ((kind, conf),) = item.items()
            where = f"{relative}:{line_of(conf)}"
            if kind not in schemas:
                problems.append(f"{where}: unexpected {kind!r} in a project's zuul.d")
                continue
            found[kind][str(conf.get("name", "(project)"))] = (
                where,
                conf,
            )  # known even if invalid: no cascade
            try:
                schemas[kind](conf)
            except vs.MultipleInvalid as exc:
                problems += [f"{where}: {kind} {conf.get('name', '')}: {error}" for error in exc.errors]
                continue
            except vs.Invalid as exc:
                problems.append(f"{where}: {kind} {conf.get('name', '')}: {exc}")
                continue
    problems += check_references(found, repo)
    return problems


def check_references(found: dict[str, dict[str, tuple[str, dict[str, Any]]]], repo: Path) -> list[str]:
    problems = []
    jobs = found["job"]
    for name, (where, conf) in jobs.items():
        parent = conf.get("parent")
        if parent and parent != "base" and parent not in jobs:
            problems.append(f"{where}: job {name}: parent {parent!r} is not defined")
        nodeset = conf.get("nodeset")
        if isinstance(nodeset, str) and nodeset not in found["nodeset"]:
            problems.append(f"{where}: job {name}: nodeset {nodeset!r} is not defined")
        for semaphore in as_list(conf.get("semaphores")) + as_list(conf.get("semaphore")):
            semaphore_name = semaphore if isinstance(semaphore, str) else semaphore.get("name")
            if semaphore_name not in found["semaphore"]:
                problems.append(f"{where}: job {name}: semaphore {semaphore_name!r} is not defined")
        for secret in as_list(conf.get("secrets")):
            secret_name = secret if isinstance(secret, str) else secret.get("secret")
            if secret_name not in found["secret"]:
                problems.append(f"{where}: job {name}: secret {secret_name!r} is not defined")
        role_repos = [role.get("zuul") for role in as_list(conf.get("roles")) if isinstance(role, dict)]
        problems += check_secret_reach(name, where, conf)
        for key in PLAYBOOK_KEYS:
            for playbook in as_list(conf.get(key)):
                playbook_name = playbook if isinstance(playbook, str) else playbook.get("name")
                path = repo / str(playbook_name)
                if not path.is_file():
                    problems.append(f"{where}: job {name}: {key} playbook {playbook_name} does not exist")
                    continue
                problems += check_roles(path, where, name, role_repos, repo)
    run: set[str] = set()
    for project_name, (where, conf) in found["project"].items():
        for pipeline, settings in conf.items():
            if str(pipeline).startswith("_") or not isinstance(settings, dict):
                continue
            for job in as_list(settings.get("jobs")):
                job_name = job if isinstance(job, str) else next(iter(job))
                run.add(job_name)
                if job_name not in jobs:
                    problems.append(
                        f"{where}: project {project_name}: {pipeline} names unknown job {job_name!r}"
                    )
    problems += check_every_job_runs(jobs, run)
    problems += check_cloud_jobs(jobs)
    return problems


def check_every_job_runs(jobs: dict[str, tuple[str, dict[str, Any]]], run: set[str]) -> list[str]:
    """A job that is neither abstract nor named by any pipeline never runs: Zuul accepts it silently.

    The usual way to get one: copying a per-cloud job without adding it to ``periodic-daily``.
    """
    return [
        f"{where}: job {name} runs in no pipeline: add it to the project's pipeline "
        "(periodic-daily for a cloud's nightly check) or make it abstract"
        for name, (where, conf) in jobs.items()
        if not conf.get("abstract") and name not in run
    ]


TENANT_CHECK = "patchcheck-tenant-check"


def inherits(jobs: dict[str, tuple[str, dict[str, Any]]], name: str, ancestor: str) -> bool:
    seen: set[str] = set()
    while name in jobs and name not in seen:
        seen.add(name)
        name = jobs[name][1].get("parent") or ""
        if name == ancestor:
            return True
    return False


def check_cloud_jobs(jobs: dict[str, tuple[str, dict[str, Any]]]) -> list[str]:
    """Each cloud's job names its cloud and subject, holds its semaphore and attaches a secret.

    Two clouds' jobs sharing a subject would overwrite each other's results on the monitor; one
    without a semaphore may run twice at once against the same cloud.
    """
    problems = []
    subjects: dict[str, str] = {}
    for name, (where, conf) in jobs.items():
        if conf.get("abstract") or not inherits(jobs, name, TENANT_CHECK):
            continue
        variables = conf.get("vars") or {}
        for key in ("patchcheck_cloud", "patchcheck_subject"):
            if not str(variables.get(key) or "").strip():
                problems.append(f"{where}: job {name}: {key} is not set (each cloud's job names its own)")
        if not (as_list(conf.get("semaphores")) + as_list(conf.get("semaphore"))):
            problems.append(
                f"{where}: job {name}: no semaphore (a cloud must never be checked twice at once)"
            )
        if not as_list(conf.get("secrets")):
            problems.append(f"{where}: job {name}: no secret (the cloud's credential, key and token)")
        subject = str(variables.get("patchcheck_subject") or "")
        if subject and subject in subjects:
            problems.append(
                f"{where}: job {name}: patchcheck_subject {subject!r} is also {subjects[subject]}'s"
            )
        subjects.setdefault(subject, name)
    return problems


def check_secret_reach(name: str, where: str, conf: dict[str, Any]) -> list[str]:
    """A secret is given to the playbooks of the job that attaches it; to its parents' only if passed."""
    if any(conf.get(key) for key in PLAYBOOK_KEYS):
        return []
    problems = []
    for secret in as_list(conf.get("secrets")):
        if isinstance(secret, dict) and secret.get("pass-to-parent"):
            continue
        secret_name = secret if isinstance(secret, str) else secret.get("secret")
        problems.append(
            f"{where}: job {name}: secret {secret_name!r} reaches no playbook: every playbook of the job "
            f"is inherited, and Zuul gives a secret to a parent's playbooks only with pass-to-parent: true"
        )
    return problems


def included_roles(tasks: Any) -> list[str]:
    """Roles a task list includes (``include_role``/``import_role``), also inside blocks."""
    names = []
    for task in as_list(tasks):
        if not isinstance(task, dict):
            continue
        for key in INCLUDE_ROLE & task.keys():
            names.append(str((task[key] or {}).get("name")))
        for nested in ("block", "rescue", "always"):
            names += included_roles(task.get(nested))
    return names


def check_roles(playbook: Path, where: str, job: str, role_repos: list[str | None], repo: Path) -> list[str]:
    problems = []
    shown = playbook.relative_to(repo)
    for play in pyyaml.safe_load(playbook.read_text()) or []:
        listed = [
            str(role if isinstance(role, str) else role.get("role", role.get("name")))
            for role in as_list(play.get("roles"))
        ]
        for role_name in listed + included_roles(play.get("tasks")):
            if (repo / "roles" / role_name).is_dir():
                continue
            if role_name in ZUUL_JOBS_ROLES and "zuul/zuul-jobs" in role_repos:
                continue
            problems.append(
                f"{where}: job {job}: role {role_name!r} (in {shown}) is neither "
                f"in roles/ nor from a role repository the job lists"
            )
        if play.get("tasks"):
            problems += [
                f"{where}: job {job}: role {role_name!r} (in {shown}, play {play.get('name', '')!r}) runs "
                f"before the play's tasks and collects nothing they produce; include it as a task after them"
                for role_name in listed
                if role_name in COLLECTING_ROLES
            ]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zuul-dir", type=Path, default=REPO / "zuul.d")
    parser.add_argument("--repo", type=Path, default=REPO, help="where playbooks and roles are looked up")
    args = parser.parse_args()
    problems = validate(args.zuul_dir, args.repo)
    for problem in problems:
        print(f"zuul.d: {problem}")
    count = sum(1 for _ in args.zuul_dir.glob("*.yaml"))
    print(f"zuul.d: {count} files, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
