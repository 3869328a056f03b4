#!/usr/bin/env python3
"""The real SCS compliance monitor on 127.0.0.1, for tests and for an operator who wants the dashboard.

SCS's own ``compliance-monitor`` and ``Tests`` (an unmodified snapshot in
``../shared/scs-standards``, or ``PATCHCHECK_SCS_STANDARDS``) run from a copy in
the state folder (``.monitor/`` by default, ``PATCHCHECK_MONITOR_DIR``) with
patchcheck's scopes added to that copy's ``Tests/``, against a private
PostgreSQL cluster on a free 127.0.0.1 port. Nothing of SCS's code is copied into
this project: it is run, as the test cloud's services are.

    python3 testbed/monitor.py up            # prints the dashboard URL
    python3 testbed/monitor.py add-subject S # an account: prints the key and token files
    python3 testbed/monitor.py down

``monitor.py`` always binds 0.0.0.0:8080 when run as ``__main__``; the launcher
below runs that same ``__main__`` block with uvicorn's host and port replaced,
so the monitor listens on 127.0.0.1 only. Accounts come from ``bootstrap.yaml``
(authoritative, as in production); ``add-subject`` runs SCS's ``add_subject.py``
and appends the entry it prints, then reloads the monitor with SIGHUP.

Standard library only, like ``testbed.py``: the monitor's own dependencies live
in ``.venv-monitor`` (``PATCHCHECK_MONITOR_VENV``), from SCS's pinned
``requirements.txt``, beside Debian's ``postgresql`` and ``libpq-dev`` (installed
with apt when missing and run as root).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCOPES = REPO / "src" / "patchcheck" / "data"
DEFAULT_STATE = REPO / ".monitor"
DEFAULT_STANDARDS = REPO.parent / "shared" / "scs-standards"
HOST = "127.0.0.1"
START_DEADLINE_S = 90.0
STOP_DEADLINE_S = 20.0
DEBIAN_PACKAGES = ("postgresql", "libpq-dev", "openssh-client")
LAUNCHER = """\
import runpy, sys
import uvicorn

host, port = sys.argv[1], int(sys.argv[2])
serve = uvicorn.run


def run_here(app, **options):
    serve(app, **{**options, "host": host, "port": port})


uvicorn.run = run_here
sys.argv = ["monitor.py"]
runpy.run_path("monitor.py", run_name="__main__")
"""


class MonitorError(RuntimeError):
    """A step of bringing the monitor up or down failed; the message says which and why."""


class LocalMonitor:
    def __init__(self, state: Path, standards: Path) -> None:
        self.state = state
        self.standards = standards
        self.venv = Path(os.environ.get("PATCHCHECK_MONITOR_VENV", REPO / ".venv-monitor"))
        self.srv = state / "srv"
        self.subjects = state / "subjects"
        self.settings_file = state / "settings.json"

    # -- installation -------------------------------------------------------------------------
    def requirements(self) -> Path:
        path = self.standards / "compliance-monitor" / "requirements.txt"
        if not path.is_file():
            raise MonitorError(f"{path}: no SCS compliance monitor here (set PATCHCHECK_SCS_STANDARDS)")
        return path

    def install(self) -> None:
        """Debian's PostgreSQL and libpq headers, then the monitor's venv; nothing when already there."""
        missing = [package for package in DEBIAN_PACKAGES if not debian_installed(package)]
        if missing:
            if os.geteuid() != 0:
                names = " ".join(missing)
                raise MonitorError(f"needs Debian packages {names}: apt-get install {names}")
            log(f"installing Debian packages: {' '.join(missing)}")
            run(["apt-get", "update", "-qq"])
            run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing])
        want = hashlib.sha256(self.requirements().read_bytes()).hexdigest()
        stamp = self.venv / ".patchcheck-lock"
        if stamp.is_file() and stamp.read_text() == want:
            return
        log(f"installing the compliance monitor's requirements into {self.venv}")
        run([sys.executable, "-m", "venv", "--clear", str(self.venv)])
        run(
            [
                str(self.venv / "bin" / "pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(self.requirements()),
            ],
            quiet_stderr=True,
        )
        stamp.write_text(want)

    # -- settings -----------------------------------------------------------------------------
    def settings(self) -> dict[str, object]:
        if self.settings_file.is_file():
            return json.loads(self.settings_file.read_text())
        return {}

    def url(self) -> str:
        return f"http://{HOST}:{self.settings()['monitor_port']}/"

    # -- PostgreSQL ---------------------------------------------------------------------------
    @property
    def pg_dir(self) -> Path:
        """Where the cluster lives: in the state folder, unless PostgreSQL's user cannot reach it.

        As root, PostgreSQL runs as Debian's ``postgres`` user, which cannot enter a private
        folder such as pytest's temporary ones; the cluster then goes to a folder of its own
        under the system's temporary folder, recorded in the settings and removed by ``purge``.
        """
        recorded = self.settings().get("pg_dir")
        if recorded:
            return Path(str(recorded))
        if os.geteuid() != 0 or reachable_by_postgres(self.state):
            return self.state / "pg"
        return Path(tempfile.mkdtemp(prefix="patchcheck-monitor-pg-"))

    @property
    def pgdata(self) -> Path:
        return self.pg_dir / "data"

    @property
    def run_dir(self) -> Path:
        return self.pg_dir / "run"

    def postgres_bin(self, name: str) -> str:
        found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        if not found:
            raise MonitorError(f"PostgreSQL's {name} not found (apt-get install postgresql)")
        return str(found[-1])

    def as_owner(self, argv: list[str]) -> list[str]:
        """PostgreSQL refuses to run as root: run its programs as Debian's ``postgres`` user then."""
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def start_postgres(self, port: int, password: str) -> None:
        owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if not (self.pgdata / "PG_VERSION").is_file():
            self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
            pwfile = self.pg_dir / "pgpass.init"
            pwfile.write_text(password + "\n")
            for path in (self.pg_dir, self.pgdata, pwfile):
                if owner:
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            run(
                self.as_owner(
                    [
                        self.postgres_bin("initdb"),
                        "-D",
                        str(self.pgdata),
                        "-U",
                        "postgres",
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                quiet_stderr=True,
            )
            pwfile.unlink()
        self.run_dir.mkdir(exist_ok=True)
        if owner:
            os.chown(self.run_dir, owner.pw_uid, owner.pw_gid)
        options = f"-c listen_addresses={HOST} -c port={port} -c unix_socket_directories={self.run_dir}"
        run(
            self.as_owner(
                [
                    self.postgres_bin("pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.run_dir / "postgres.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        )

    def stop_postgres(self) -> None:
        if (self.pgdata / "postmaster.pid").is_file():
            pg_ctl = self.postgres_bin("pg_ctl")
            run(self.as_owner([pg_ctl, "-D", str(self.pgdata), "-m", "fast", "-w", "stop"]))

    # -- the monitor --------------------------------------------------------------------------
    def prepare_tree(self) -> None:
        """A fresh copy of SCS's compliance-monitor and Tests, with patchcheck's scopes in Tests/."""
        shutil.rmtree(self.srv, ignore_errors=True)
        for name in ("compliance-monitor", "Tests"):
            shutil.copytree(self.standards / name, self.srv / name, symlinks=True)
        for path in self.srv.rglob("*"):  # the snapshot is read-only; the copy is ours
            path.chmod(path.stat().st_mode | 0o200)
        install_scopes(self.srv / "Tests")
        (self.srv / "compliance-monitor" / "bootstrap.yaml").write_text("accounts: []\n")
        (self.srv / "compliance-monitor" / "launch.py").write_text(LAUNCHER)

    def pid(self) -> int | None:
        path = self.state / "monitor.pid"
        if not path.is_file():
            return None
        pid = int(path.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None

    def up(self) -> str:
        if self.running():
            return self.url()
        self.install()
        self.state.mkdir(parents=True, exist_ok=True)
        settings = self.settings()
        password = str(settings.get("db_password") or secrets.token_urlsafe(24))
        db_port, monitor_port = free_port(), free_port()
        pg_dir = self.pg_dir
        self.settings_file.write_text(
            json.dumps(
                {
                    "db_port": db_port,
                    "monitor_port": monitor_port,
                    "db_password": password,
                    "pg_dir": str(pg_dir),
                }
            )
        )
        self.settings_file.chmod(0o600)
        self.prepare_tree()
        self.start_postgres(db_port, password)
        password_file = self.state / "db_password"
        password_file.write_text(password)
        password_file.chmod(0o600)
        self.restore_subjects()
        env = {
            **os.environ,
            "SCM_DB_HOST": HOST,
            "SCM_DB_PORT": str(db_port),
            "SCM_DB_USER": "postgres",
            "SCM_DB_PASSWORD_FILE": str(password_file),
            "SCM_BASE_URL": f"http://{HOST}:{monitor_port}/",
        }
        log_file = (self.state / "monitor.log").open("ab")
        process = subprocess.Popen(
            [str(self.venv / "bin" / "python"), "launch.py", HOST, str(monitor_port)],
            cwd=self.srv / "compliance-monitor",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (self.state / "monitor.pid").write_text(str(process.pid))
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise MonitorError(
                    f"the monitor exited at start-up; see {self.state / 'monitor.log'}: "
                    + last_lines(self.state / "monitor.log")
                )
            if answers(f"{self.url()}status"):
                log(f"compliance monitor at {self.url()} (log {self.state / 'monitor.log'})")
                return self.url()
            time.sleep(0.3)
        self.down()
        raise MonitorError(f"the monitor did not answer within {START_DEADLINE_S:.0f} s")

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_DEADLINE_S
            while self.pid() is not None and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.pid() is not None:
                os.killpg(pid, signal.SIGKILL)
        (self.state / "monitor.pid").unlink(missing_ok=True)
        self.stop_postgres()

    def purge(self) -> None:
        """Stop everything and remove the cluster and the state (accounts included)."""
        self.down()
        if self.settings().get("pg_dir"):
            shutil.rmtree(self.pg_dir, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)

    def reload(self) -> None:
        """SIGHUP: the monitor reads scopes, templates and bootstrap.yaml again."""
        pid = self.pid()
        if pid is None:
            raise MonitorError("the monitor is not running (testbed/monitor.py up)")
        before = (self.state / "monitor.log").stat().st_size
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = (self.state / "monitor.log").read_bytes()[before:].decode(errors="replace")
            if "loading static config" in text and answers(f"{self.url()}status"):
                time.sleep(0.5)  # the bootstrap import follows the log line
                return
            time.sleep(0.2)
        raise MonitorError("the monitor did not reload within 20 s")

    # -- accounts -----------------------------------------------------------------------------
    def add_subject(
        self, subject: str, roles: tuple[str, ...] = (), delegates: tuple[str, ...] = ()
    ) -> tuple[Path, Path]:
        """An account for ``subject`` made by SCS's own add_subject.py: (signing key, token file).

        ``roles`` (SCS's ``append_any`` for an account like ``zuul_ci`` that uploads for others)
        and ``delegates`` (the accounts that may upload this subject's reports) are added to the
        bootstrap entry as SCS's own bootstrap.yaml writes them. A delegate must exist before the
        subject naming it: SCS's importer silently drops a delegation to an unknown account.
        """
        folder = self.subjects / subject
        if (folder / "keyfile").is_file():
            return folder / "keyfile", folder / "tokenfile"
        missing = [delegate for delegate in delegates if not (self.subjects / delegate / "keyfile").is_file()]
        if missing:
            raise MonitorError(f"{subject}: add its delegates first ({', '.join(missing)})")
        tests = self.srv / "Tests"
        (tests / ".secret").mkdir(exist_ok=True)
        passphrase = secrets.token_urlsafe(18)
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "add_subject.py", subject],
            cwd=tests,
            input=f"{passphrase}\n{passphrase}\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            start_new_session=True,  # no terminal: getpass reads stdin
        )
        if done.returncode != 0:
            raise MonitorError(f"add_subject.py {subject}: {done.stderr.strip() or done.stdout.strip()}")
        marker = "Insert the following snippet into compliance-monitor/bootstrap.yaml:"
        entry = done.stdout.split(marker, 1)[1]
        entry = entry.split("Make sure to submit", 1)[0].strip("\n")
        entry += "".join(
            f"\n    {key}:" + "".join(f"\n      - {value}" for value in values)
            for key, values in (("roles", roles), ("delegates", delegates))
            if values
        )
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        for name in ("keyfile", "keyfile.pub", "tokenfile"):
            shutil.move(tests / ".secret" / name, folder / name)
        (folder / "bootstrap-entry.yaml").write_text(entry + "\n")
        (folder / "created").write_text(f"{time.time_ns()}\n")  # restored in this order
        self.append_account(entry)
        if self.running():
            self.reload()
        return folder / "keyfile", folder / "tokenfile"

    def append_account(self, entry: str) -> None:
        bootstrap = self.srv / "compliance-monitor" / "bootstrap.yaml"
        text = bootstrap.read_text()
        if text.strip() == "accounts: []":
            text = "accounts:\n"
        bootstrap.write_text(text + entry + "\n")

    def restore_subjects(self) -> None:
        """Accounts made before a restart: bootstrap.yaml is rebuilt from each subject's entry, in
        the order they were made (a delegate before the subjects naming it, as SCS's importer needs)."""

        def made(entry: Path) -> tuple[int, str]:
            stamp = entry.parent / "created"
            return (int(stamp.read_text()) if stamp.is_file() else 0, entry.parent.name)

        for entry in sorted(self.subjects.glob("*/bootstrap-entry.yaml"), key=made):
            self.append_account(entry.read_text().rstrip("\n"))


def install_scopes(tests: Path) -> list[Path]:
    """patchcheck's scope files and the program they name, into an SCS ``Tests/`` folder."""
    installed = []
    for source in sorted(SCOPES.glob("scs-*.yaml")) + sorted(SCOPES.glob("patchcheck-scs-judge")):
        target = tests / source.name
        shutil.copy2(source, target)
        installed.append(target)
    return installed


def reachable_by_postgres(folder: Path) -> bool:
    """Whether Debian's ``postgres`` user can enter ``folder`` (every parent must let it through)."""
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(folder)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def debian_installed(package: str) -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() == "install ok installed"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def last_lines(path: Path, count: int = 5) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.is_file() else []
    return " | ".join(lines[-count:])


def run(argv: list[str], quiet_stderr: bool = False) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = re.sub(r"\s+", " ", (done.stderr or done.stdout).strip())[-600:]
        raise MonitorError(f"{' '.join(argv[:3])} ... failed (exit {done.returncode}): {detail}")
    if not quiet_stderr and done.stderr.strip():
        log(done.stderr.strip().splitlines()[-1])


def log(message: str) -> None:
    print(f"monitor: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("install", "up", "down", "purge", "status", "url", "reload"):
        sub.add_parser(name)
    subject = sub.add_parser("add-subject", help="create an account with SCS's add_subject.py")
    subject.add_argument("subject")
    args = parser.parse_args(argv)
    state = Path(os.environ.get("PATCHCHECK_MONITOR_DIR", DEFAULT_STATE)).resolve()
    standards = Path(os.environ.get("PATCHCHECK_SCS_STANDARDS", DEFAULT_STANDARDS)).resolve()
    monitor = LocalMonitor(state, standards)
    try:
        if args.command == "install":
            monitor.install()
        elif args.command == "up":
            print(monitor.up())
        elif args.command == "down":
            monitor.down()
        elif args.command == "purge":
            monitor.purge()
        elif args.command == "reload":
            monitor.reload()
        elif args.command in ("status", "url"):
            if not monitor.running():
                print("not running", file=sys.stderr)
                return 1
            print(monitor.url())
        elif args.command == "add-subject":
            key, token = monitor.add_subject(args.subject)
            print(json.dumps({"subject": args.subject, "key": str(key), "token_file": str(token)}))
    except MonitorError as exc:
        print(f"monitor: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
