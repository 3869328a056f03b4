#!/usr/bin/env python3
"""The local test cloud: real OpenStack API services from PyPI on 127.0.0.1.

Keystone, glance, placement, nova (API only), cinder (API only) and neutron-server
run under gunicorn with SQLite databases and oslo.messaging's ``fake://``
transport. Nothing here is a mock: the tenant check talks to the same code a
production cloud runs, only without hypervisors, volumes or networks behind it.

This script needs only the Python standard library, so it runs with any
``python3``; the services live in their own virtual environment under the state
folder (``.testbed/`` by default, ``PATCHCHECK_TESTBED_DIR`` to move it).

Every wait has a deadline and every process is tracked by a PID file:
gunicorn is started with ``--daemon --pid``, never with ``&``, because a
backgrounded child keeps the caller's stdout pipe open and hangs CI.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_STATE = REPO / ".testbed"
HOST = "127.0.0.1"
REGION = "RegionOne"
START_DEADLINE_S = 120.0
STOP_DEADLINE_S = 20.0
#: How long a port a moment's client connection holds is waited for before starting a service.
PORT_WAIT_S = 30

#: The access log line: method, path, status and user agent, tab-separated, so a
#: test can prove which requests the check sent (see tests/integration).
ACCESS_LOG_FORMAT = "%(t)s\t%(m)s\t%(U)s\t%(q)s\t%(s)s\t%(a)s"

#: Horizon's settings a test may flip (``reconfigure horizon_<name>=<value>``), read by
#: testbed/wsgi/horizon_settings.py. The defaults are Horizon's own, except that sessions live in
#: the database (SQLite) instead of memcached: one process less, and a backend Horizon supports.
HORIZON_DEFAULTS = {
    "horizon_session_engine": "db",
    "horizon_session_cookie_secure": "false",
    "horizon_csrf_cookie_secure": "false",
    "horizon_session_cookie_httponly": "true",
    "horizon_x_frame_options": "DENY",
    "horizon_compression": "false",
    "horizon_hsts_seconds": "0",
    "horizon_regions": "",
}


@dataclass(frozen=True)
class Service:
    """One API service of the test cloud."""

    name: str
    port: int
    wsgi_module: str
    service_type: str
    #: Path after host:port in the catalog, ``%(project_id)s`` left for keystone.
    catalog_path: str
    #: Environment that points the service at its configuration.
    env_var: str
    #: The dashboard is not in the catalog (clouds.yaml names it as ``dashboard_url``).
    in_catalog: bool = True

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


# Standard ports shifted by 30000 so that the test cloud never collides with a
# real deployment on the same machine and stays easy to recognise.
SERVICES: tuple[Service, ...] = (
    Service("keystone", 35000, "keystone_app", "identity", "/v3", "OS_KEYSTONE_CONFIG_DIR"),
    Service("glance", 39292, "glance_app", "image", "", "OS_GLANCE_CONFIG_DIR"),
    Service("placement", 38778, "placement_app", "placement", "", "OS_PLACEMENT_CONFIG_DIR"),
    Service("nova", 38774, "nova_app", "compute", "/v2.1", "OS_NOVA_CONFIG_DIR"),
    Service("cinder", 38776, "cinder_app", "block-storage", "/v3/%(project_id)s", "TESTBED_CINDER_CONF"),
    Service("neutron", 39696, "neutron_app", "network", "", "OS_NEUTRON_CONFIG_DIR"),
    Service("horizon", 30080, "horizon_app", "dashboard", "/", "TESTBED_HORIZON_SETTINGS", in_catalog=False),
)
BY_NAME = {service.name: service for service in SERVICES}


@dataclass(frozen=True)
class Release:
    """One release series the test cloud can run, each beside the others.

    The newest (Hibiscus) proves the newest column of the microversion table;
    an older one (Caracal) proves that the judge names an older series right.
    Each has its own locked requirements, ports (shifted by ``port_shift``) and
    state folder, so both can run side by side.
    """

    name: str
    lock_dir: Path
    port_shift: int
    default_state: Path
    #: Searched first: a series' own entry modules where its services' factories differ.
    wsgi_dirs: tuple[Path, ...]
    #: gunicorn worker class per service where the default threaded one hangs.
    worker_class: dict[str, str]
    #: Extra environment per service.
    extra_env: dict[str, dict[str, str]]
    #: Whether this series' cloud serves a dashboard (Horizon).
    dashboard: bool = True

    def services(self) -> tuple[Service, ...]:
        return tuple(
            dataclasses.replace(s, port=s.port + self.port_shift)
            for s in SERVICES
            if s.in_catalog or self.dashboard
        )


RELEASES: dict[str, Release] = {
    "hibiscus": Release("hibiscus", HERE, 0, DEFAULT_STATE, (HERE / "wsgi",), {}, {}),
    "caracal": Release(
        "caracal",
        HERE / "caracal",
        100,
        REPO / ".testbed-caracal",
        (HERE / "caracal" / "wsgi",),
        {"neutron": "sync"},
        {"nova": {"OS_NOVA_DISABLE_EVENTLET_PATCHING": "1"}},
        dashboard=False,
    ),
}


class TestbedError(RuntimeError):
    """A step of the bring-up failed; the message says which and where to look."""


class Testbed:
    """Paths and operations of one test cloud state folder."""

    def __init__(self, state: Path, release: Release = RELEASES["hibiscus"]) -> None:
        self.release = release
        self.services = release.services()
        self.by_name = {service.name: service for service in self.services}
        self.state = state.resolve()
        self.venv = self.state / "venv"
        self.etc = self.state / "etc"
        self.log = self.state / "log"
        self.run = self.state / "run"
        self.secrets_file = self.state / "secrets.json"
        self.clouds_yaml = self.state / "clouds.yaml"
        self.initialised_marker = self.state / "initialised"

    # -- install ---------------------------------------------------------------

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def lock_hash(self) -> str:
        digest = hashlib.sha256()
        for name in ("requirements.txt", "constraints.txt"):
            digest.update((self.release.lock_dir / name).read_bytes())
        return digest.hexdigest()

    def install(self) -> None:
        """Create the services' venv, or refresh it when the lock files changed."""
        stamp = self.venv / "patchcheck-lock.sha256"
        if stamp.exists() and stamp.read_text().strip() == self.lock_hash():
            return
        self.state.mkdir(parents=True, exist_ok=True)
        if not (self.venv / "bin" / "python").exists():
            run([sys.executable, "-m", "venv", str(self.venv)])
        log(f"installing the test cloud's services into {self.venv} (about a minute)")
        run(
            [
                self.bin("python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-c",
                str(self.release.lock_dir / "constraints.txt"),
                "-r",
                str(self.release.lock_dir / "requirements.txt"),
            ],
            quiet_stderr=True,
        )
        stamp.write_text(self.lock_hash() + "\n")

    def lock(self) -> None:
        """Rewrite constraints.txt from what the venv holds now."""
        frozen = subprocess.run(
            [self.bin("python"), "-m", "pip", "freeze", "--disable-pip-version-check"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        top = {
            line.split("==")[0].lower()
            for line in (self.release.lock_dir / "requirements.txt").read_text().splitlines()
            if "==" in line
        }
        kept = [line for line in frozen if line.split("==")[0].lower() not in top]
        (self.release.lock_dir / "constraints.txt").write_text("\n".join(kept) + "\n")

    # -- configuration ---------------------------------------------------------

    def secrets(self) -> dict[str, str]:
        values = {}
        if self.secrets_file.exists():
            values = json.loads(self.secrets_file.read_text())
            if "horizon_secret_key" in values:
                return values
        values = {
            "admin_password": secrets.token_urlsafe(18),
            "service_password": secrets.token_urlsafe(18),
            "member_password": secrets.token_urlsafe(18),
            **values,
            "horizon_secret_key": secrets.token_urlsafe(48),
        }
        self.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
        return values

    def settings(self) -> dict[str, str]:
        """Switches a test may flip with ``reconfigure`` (kept in settings.json)."""
        path = self.state / "settings.json"
        defaults = {
            "glance_show_multiple_locations": "false",
            "glance_show_image_direct_url": "false",
            **HORIZON_DEFAULTS,
        }
        if path.exists():
            defaults.update(json.loads(path.read_text()))
        return defaults

    def write_configuration(self) -> None:
        keystone_url = self.by_name["keystone"].base_url
        values = dict(self.secrets())
        values.update(self.settings())
        values.update(state=str(self.state), keystone_url=keystone_url)
        for directory in (
            "db",
            "keystone/fernet-keys",
            "keystone/credential-keys",
            "glance/images",
            "glance/staging",
            "glance/tasks",
            "nova/locks",
            "cinder/locks",
            "neutron/locks",
        ):
            (self.state / directory).mkdir(parents=True, exist_ok=True)
        for name, files in {
            "keystone": ("keystone.conf",),
            "glance": ("glance-api.conf",),
            "placement": ("placement.conf",),
            "nova": ("nova.conf",),
            "cinder": ("cinder.conf",),
            "neutron": ("neutron.conf",),
        }.items():
            target = self.etc / name
            target.mkdir(parents=True, exist_ok=True)
            authtoken = render(
                "authtoken.part",
                {**values, "service_user": name, "service_password": values["service_password"]},
            )
            for filename in files:
                text = render(filename, {**values, "authtoken": authtoken, "service_user": name})
                write_private(target / filename, text)
        # Paste pipelines ship with the packages' data files.
        shipped = self.venv / "etc"
        shutil.copy(shipped / "glance" / "glance-api-paste.ini", self.etc / "glance" / "glance-api-paste.ini")
        shutil.copy(shipped / "nova" / "api-paste.ini", self.etc / "nova" / "api-paste.ini")
        shutil.copy(shipped / "cinder" / "api-paste.ini", self.etc / "cinder" / "api-paste.ini")
        shutil.copy(shipped / "neutron" / "api-paste.ini", self.etc / "neutron" / "api-paste.ini")
        (self.etc / "neutron" / "plugins" / "ml2").mkdir(parents=True, exist_ok=True)
        shutil.copy(
            HERE / "templates" / "ml2_conf.ini", self.etc / "neutron" / "plugins" / "ml2" / "ml2_conf.ini"
        )
        if self.release.dashboard:
            self.write_horizon_settings(values)

    def write_horizon_settings(self, values: dict[str, str]) -> None:
        """The switches Horizon's settings module reads (testbed/wsgi/horizon_settings.py)."""
        target = self.etc / "horizon"
        target.mkdir(parents=True, exist_ok=True)
        switches = {key.removeprefix("horizon_"): values[key] for key in HORIZON_DEFAULTS}
        switches.update(
            secret_key=values["horizon_secret_key"],
            keystone_url=self.by_name["keystone"].base_url + "/v3",
            database=str(self.state / "db" / "horizon.sqlite"),
            static_root=str(self.state / "horizon-static"),
        )
        write_private(target / "settings.json", json.dumps(switches, indent=1) + "\n")

    def service_env(self, service: Service) -> dict[str, str]:
        env = dict(os.environ)
        if service.name == "cinder":
            env[service.env_var] = str(self.etc / "cinder" / "cinder.conf")
        elif service.name == "horizon":
            env[service.env_var] = str(self.etc / "horizon" / "settings.json")
        else:
            env[service.env_var] = str(self.etc / service.name)
        env.update(self.release.extra_env.get(service.name, {}))
        return env

    # -- databases -------------------------------------------------------------

    def initialise(self) -> None:
        """Create the databases and the keystone bootstrap once per state folder."""
        if self.initialised_marker.exists():
            return
        log("creating databases")
        etc = self.etc
        user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        group = subprocess.run(["id", "-gn"], capture_output=True, text=True, check=True).stdout.strip()
        keystone = [self.bin("keystone-manage"), "--config-file", str(etc / "keystone" / "keystone.conf")]
        run([*keystone, "db_sync"])
        # WAL lets keystone's readers and its one writer overlap; without it older keystone
        # answered "database is locked" while the services were being registered.
        with sqlite3.connect(self.state / "db" / "keystone.sqlite") as database:
            database.execute("PRAGMA journal_mode=WAL")
        run([*keystone, "fernet_setup", "--keystone-user", user, "--keystone-group", group])
        run([*keystone, "credential_setup", "--keystone-user", user, "--keystone-group", group])
        keystone_url = self.by_name["keystone"].base_url + "/v3"
        run(
            [
                *keystone,
                "bootstrap",
                "--bootstrap-password",
                self.secrets()["admin_password"],
                "--bootstrap-admin-url",
                keystone_url,
                "--bootstrap-internal-url",
                keystone_url,
                "--bootstrap-public-url",
                keystone_url,
                "--bootstrap-region-id",
                REGION,
            ]
        )
        run([self.bin("glance-manage"), "--config-file", str(etc / "glance" / "glance-api.conf"), "db_sync"])
        run(
            [
                self.bin("placement-manage"),
                "--config-file",
                str(etc / "placement" / "placement.conf"),
                "db",
                "sync",
            ]
        )
        nova = [self.bin("nova-manage"), "--config-file", str(etc / "nova" / "nova.conf")]
        run([*nova, "api_db", "sync"])
        run(
            [
                *nova,
                "cell_v2",
                "map_cell0",
                "--database_connection",
                f"sqlite:///{self.state}/db/nova_cell0.sqlite",
            ]
        )
        run([*nova, "cell_v2", "create_cell", "--name", "cell1"])
        run([*nova, "db", "sync"])
        run([self.bin("cinder-manage"), "--config-file", str(etc / "cinder" / "cinder.conf"), "db", "sync"])
        # neutron's alembic migrations use ALTER of constraints, which SQLite
        # lacks: create the tables from the models, then stamp the heads.
        run(
            [self.bin("python"), str(HERE / "neutron_schema.py"), f"sqlite:///{self.state}/db/neutron.sqlite"]
        )
        run(
            [
                self.bin("neutron-db-manage"),
                "--config-file",
                str(etc / "neutron" / "neutron.conf"),
                "--config-file",
                str(etc / "neutron" / "plugins" / "ml2" / "ml2_conf.ini"),
                "stamp",
                "heads",
            ]
        )
        self.initialised_marker.write_text("ok\n")

    def initialise_dashboard(self) -> None:
        """Horizon's session table, once per state folder (its own marker: older states lack it)."""
        marker = self.state / "horizon-initialised"
        if not self.release.dashboard or marker.exists():
            return
        env = {
            **self.service_env(self.by_name["horizon"]),
            "DJANGO_SETTINGS_MODULE": "horizon_settings",
            "PYTHONPATH": os.pathsep.join(str(path) for path in self.release.wsgi_dirs),
        }
        run([self.bin("django-admin"), "migrate", "sessions", "--noinput"], env=env)
        marker.write_text("ok\n")

    # -- processes -------------------------------------------------------------

    def pid_file(self, service: Service) -> Path:
        return self.run / f"{service.name}.pid"

    def pid(self, service: Service) -> int | None:
        try:
            pid = int(self.pid_file(service).read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def start_service(self, service: Service) -> None:
        if self.pid(service):
            return
        # The ports lie in Linux's ephemeral range: a client's outgoing connection may hold one
        # for a moment (seen while a Zuul build talked to the other test cloud); wait for it.
        end = time.monotonic() + PORT_WAIT_S
        while port_taken(service.port):
            if time.monotonic() > end:
                raise TestbedError(
                    f"port {service.port} for {service.name} is taken by {port_holder(service.port)} "
                    "(another test cloud, e.g. one with another PATCHCHECK_TESTBED_DIR?); stop it first"
                )
            time.sleep(0.5)
        self.run.mkdir(parents=True, exist_ok=True)
        self.log.mkdir(parents=True, exist_ok=True)
        worker = self.release.worker_class.get(service.name, "gthread")
        run(
            [
                self.bin("gunicorn"),
                "--daemon",
                "--pid",
                str(self.pid_file(service)),
                "--bind",
                f"{HOST}:{service.port}",
                "--workers",
                "1",
                "--worker-class",
                worker,
                "--threads",  # gunicorn turns a sync worker with threads into gthread
                "1" if worker == "sync" else "4",
                "--timeout",
                "120",
                # A worker that said "exiting" but kept a thread alive (Horizon's did) held the
                # port until the stop deadline; the master kills it after this many seconds.
                "--graceful-timeout",
                "3",
                "--pythonpath",
                ",".join(str(path) for path in self.release.wsgi_dirs),
                "--access-logfile",
                str(self.log / f"{service.name}-access.log"),
                "--access-logformat",
                ACCESS_LOG_FORMAT,
                "--error-logfile",
                str(self.log / f"{service.name}.log"),
                "--capture-output",
                f"{service.wsgi_module}:application",
            ],
            env=self.service_env(service),
        )

    def wait_ready(self, service: Service, deadline_s: float = START_DEADLINE_S) -> None:
        """Wait until the service answers its version document (below HTTP 500)."""
        end = time.monotonic() + deadline_s
        last = "no answer yet"
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(service.base_url + "/", timeout=5) as response:
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.3)
        raise TestbedError(
            f"{service.name} did not answer on {service.base_url} within {deadline_s:.0f} s ({last}); "
            f"see {self.log / (service.name + '.log')}"
        )

    def stop_service(self, service: Service) -> None:
        """Stop the master and every worker, then make sure the port is free.

        gunicorn's daemon master runs in its own session and process group. Workers patched for
        eventlet (older nova and neutron) outlived their master and kept the port,
        so the whole group goes, and a port still held afterwards is an error.
        """
        pid = self.pid(service)
        if pid is None and port_taken(service.port):  # nothing of ours ran there (issue 30)
            log(
                f"{service.name} was not running; port {service.port} is held by "
                f"{port_holder(service.port)}, not by this test cloud: left alone"
            )
            return
        if pid is not None:
            # the daemon's own session and group (its leader, the first fork, has exited); never ours
            group = os.getpgid(pid)
            if group == os.getpgrp() or os.getsid(pid) != group:
                group = None
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + STOP_DEADLINE_S
            while time.monotonic() < end and (self.pid(service) or (group and group_alive(group))):
                time.sleep(0.1)
            if group and group_alive(group):
                os.killpg(group, signal.SIGKILL)
            elif self.pid(service):
                os.kill(pid, signal.SIGKILL)
        self.pid_file(service).unlink(missing_ok=True)
        end = time.monotonic() + STOP_DEADLINE_S
        while port_taken(service.port):
            if time.monotonic() > end:
                holder = port_holder(service.port)
                raise TestbedError(
                    f"{service.name} stopped, but port {service.port} is still held by {holder}"
                )
            time.sleep(0.1)

    def running(self) -> list[str]:
        return [service.name for service in self.services if self.pid(service)]

    # -- top-level operations --------------------------------------------------

    def up(self, only: list[str] | None = None) -> None:
        """Install, configure, initialise and start; idempotent."""
        started = time.monotonic()
        self.install()
        self.write_configuration()
        self.initialise()
        self.initialise_dashboard()
        chosen = [self.by_name[name] for name in only] if only else list(self.services)
        keystone = self.by_name["keystone"]
        self.start_service(keystone)
        self.wait_ready(keystone)
        if not (self.state / "catalog-ready").exists():
            log("registering services, endpoints and the member account in keystone")
            run([self.bin("python"), str(HERE / "setup_cloud.py"), str(self.state), self.release.name])
            (self.state / "catalog-ready").write_text("ok\n")
        for service in chosen:
            self.start_service(service)
        for service in chosen:
            self.wait_ready(service)
        if self.by_name["glance"] in chosen and not (self.state / "image-ready").exists():
            log("the member uploads one small image (so that a tenant can see what owners are shown)")
            run(
                [
                    self.bin("python"),
                    str(HERE / "setup_cloud.py"),
                    str(self.state),
                    self.release.name,
                    "image",
                ]
            )
            (self.state / "image-ready").write_text("ok\n")
        log(f"test cloud up in {time.monotonic() - started:.0f} s: {', '.join(self.running())}")
        log(f"clouds.yaml: {self.clouds_yaml} (cloud 'testbed' is a member, 'testbed-admin' the admin)")

    def down(self, only: list[str] | None = None) -> None:
        chosen = [self.by_name[name] for name in only] if only else list(reversed(self.services))
        for service in chosen:
            self.stop_service(service)

    def reconfigure(self, assignments: list[str]) -> None:
        """Change settings (KEY=VALUE) and restart what reads a changed one.

        Only services whose settings changed restart: a glance restart alone takes about
        20 s, and a test restoring Horizon's defaults should not pay for it.
        """
        path = self.state / "settings.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        before = self.settings()
        changed = set()
        for assignment in assignments:
            key, _, value = assignment.partition("=")
            if key not in before:
                raise TestbedError(f"unknown setting {key!r}; known: {', '.join(sorted(before))}")
            current[key] = value
            if before[key] != value:
                changed.add(key)
        path.write_text(json.dumps(current))
        self.write_configuration()
        affected = sorted({key.split("_", 1)[0] for key in changed})
        for name in affected:
            if self.pid(self.by_name[name]):
                self.stop_service(self.by_name[name])
                self.start_service(self.by_name[name])
                self.wait_ready(self.by_name[name])


def port_holder(port: int) -> str:
    """Who holds ``port``, listening or connected from it (``ss``'s process column), for a message."""
    try:
        listing = subprocess.run(
            ["ss", "-Htanp", f"sport = :{port}"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        listing = ""
    found = re.findall(r'\("([^"]+)",pid=(\d+)', listing)
    return ", ".join(f"{name} (pid {pid})" for name, pid in dict.fromkeys(found)) or "another process"


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def render(template: str, values: dict[str, str]) -> str:
    return string.Template((HERE / "templates" / template).read_text()).substitute(values)


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def run(argv: list[str], env: dict[str, str] | None = None, quiet_stderr: bool = False) -> None:
    """Run a step; on failure raise with the step's own output, never a traceback."""
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        if quiet_stderr:
            output = [
                line for line in output if "is ignored: it is neither a file nor a directory" not in line
            ]
        tail = "\n  ".join(output[-15:])
        raise TestbedError(
            f"{Path(argv[0]).name} {' '.join(argv[1:3])} failed (exit {result.returncode}):\n  {tail}"
        )


def log(message: str) -> None:
    print(f"testbed: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", choices=RELEASES, default="hibiscus", help="release series of the cloud")
    parser.add_argument(
        "--state-dir", type=Path, help="state folder (default: PATCHCHECK_TESTBED_DIR or the series' own)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="create or refresh the services' virtual environment")
    up = commands.add_parser("up", help="install, initialise and start (idempotent)")
    up.add_argument("services", nargs="*", choices=[*BY_NAME, []], metavar="SERVICE")
    down = commands.add_parser("down", help="stop the services")
    down.add_argument("services", nargs="*", choices=[*BY_NAME, []], metavar="SERVICE")
    commands.add_parser("status", help="list running services; exit 1 when none runs")
    commands.add_parser("clouds-yaml", help="print the path of the generated clouds.yaml")
    reconfigure = commands.add_parser("reconfigure", help="set KEY=VALUE and restart what reads it")
    reconfigure.add_argument("assignments", nargs="+")
    commands.add_parser("lock", help="rewrite testbed/constraints.txt from the venv")
    commands.add_parser("destroy", help="stop everything and delete the state folder")
    args = parser.parse_args(argv)
    release = RELEASES[args.series]
    default = os.environ.get("PATCHCHECK_TESTBED_DIR") if release.name == "hibiscus" else None
    bed = Testbed(args.state_dir or Path(default or release.default_state), release)
    try:
        if args.command == "install":
            bed.install()
        elif args.command == "up":
            bed.up(args.services or None)
        elif args.command == "down":
            bed.down(args.services or None)
        elif args.command == "status":
            names = bed.running()
            print("\n".join(names) if names else "not running")
            return 0 if names else 1
        elif args.command == "clouds-yaml":
            print(bed.clouds_yaml)
        elif args.command == "reconfigure":
            bed.reconfigure(args.assignments)
        elif args.command == "lock":
            bed.lock()
        elif args.command == "destroy":
            bed.down()
            shutil.rmtree(bed.state, ignore_errors=True)
    except (TestbedError, OSError) as exc:
        print(f"testbed: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
