#!/usr/bin/env python3
"""A real Zuul 14.3 on this machine, on 127.0.0.1 only, to run the project's jobs for real.

Parts (all from Debian and PyPI, nothing mocked): ZooKeeper over TLS (a CA made here with
openssl), zuul-scheduler, zuul-executor (bubblewrap), zuul-launcher with its built-in static
driver, zuul-web, and Debian's sshd as the static node (this machine, a user ``zuul-node``
with passwordless sudo, as build nodes have). Repositories come from the ``git`` driver over
``file://``; the tenant holds a config project, this repository as an untrusted project and
``zuul/zuul-jobs``, the test doubles of the standard library's roles the jobs use
(``testbed/zuul/zuul-jobs``).

Not needed and not run: nodepool, a merger (the executor merges), a finger gateway, a log
server (the base job copies logs into a folder and returns it as ``log_url``).

Loopback only: Zuul's executor binds its log streamer to every interface with no option to
change it, so the executor is started through a wrapper that binds it to 127.0.0.1; ``up``
then checks with ``ss`` that every listener of the started processes is on loopback.
``down`` stops every process group it started, and the sshd sessions Ansible's ControlPersist
left behind.

Standard library only, like testbed.py: ``python3 testbed/zuul_ci.py [--state-dir D] up|down|status``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE))  # appended: nothing installed is shadowed by this folder's files
import debian_packages  # noqa: E402  (testbed/debian_packages.py, beside this file)

REPO = HERE.parent
#: Outside the repository: the executor's bubblewrap binds the repository read-only, and a job
#: folder beneath it failed every build ("bwrap: Can't bind mount ... .venv-zuul-ansible").
DEFAULT_STATE = (
    Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "patchcheck" / "zuul-ci"
)
ZUUL_VENV = REPO / ".venv-zuul"
ANSIBLE_VENV = REPO / ".venv-zuul-ansible"
LOCK = REPO / "tests" / "zuul"
NODE_USER = "zuul-node"
TENANT = "patchcheck"
PACKAGES = ("zookeeper", "bubblewrap", "openssh-server", "rsync", "default-jre-headless", "sudo")
DEADLINE_S = 180.0
#: How ss shows a loopback listener (Java binds IPv6 sockets with IPv4-mapped addresses).
LOOPBACK = ("127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:")


class ZuulCiError(RuntimeError):
    """A step failed; the message says which and where to look."""


def log(message: str) -> None:
    print(f"zuul-ci: {message}", file=sys.stderr, flush=True)


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        tail = "\n  ".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ZuulCiError(
            f"{Path(argv[0]).name} {' '.join(argv[1:3])} failed (exit {result.returncode}):\n  {tail}"
        )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def locked_venv(venv: Path, python: str, requirements: Path, constraints: Path) -> None:
    """A venv installed from a requirements and constraints pair; reinstalled when they change.

    The stamp is the one scripts/validate-zuul writes (sha256 of both files), so the two
    share ``.venv-zuul`` without reinstalling it for each other.
    """
    stamp = venv / ".patchcheck-lock"
    want = hashlib.sha256(requirements.read_bytes() + constraints.read_bytes()).hexdigest() + "\n"
    if stamp.exists() and stamp.read_text() == want:
        return
    if not (venv / "bin" / "python").exists():
        run([python, "-m", "venv", str(venv)])
    log(f"installing {requirements.name} into {venv} (about a minute)")
    run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(constraints),
            "-r",
            str(requirements),
        ]
    )
    stamp.write_text(want)


class ZuulCi:
    """Paths and operations of one Zuul state folder."""

    def __init__(self, state: Path) -> None:
        self.state = state.resolve()
        self.etc = self.state / "etc"
        self.logs = self.state / "log"
        self.run_dir = self.state / "run"
        self.tls = self.state / "tls"
        self.repos = self.state / "repos"
        self.settings_file = self.state / "settings.json"

    # -- settings ------------------------------------------------------------

    def settings(self) -> dict[str, object]:
        if self.settings_file.exists():
            return json.loads(self.settings_file.read_text())
        values = {
            "zookeeper_port": free_port(),
            "web_port": free_port(),
            "ssh_port": free_port(),
            "finger_port": free_port(),
            "keystore_password": secrets.token_urlsafe(24),
            # Short on purpose: ssh's ControlPersist socket lives in each build's folder, and a
            # Unix socket path longer than 108 bytes fails every connection to the node.
            "job_dir": f"/tmp/zuul-ci-{secrets.token_hex(4)}",
            "auth_secret": secrets.token_urlsafe(32),
        }
        self.state.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps(values))
        self.settings_file.chmod(0o600)
        return values

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings()['web_port']}/"

    # -- install -------------------------------------------------------------

    def install(self) -> None:
        absent = debian_packages.missing(PACKAGES)
        if absent:
            log(f"installing Debian packages: {' '.join(absent)}")
            error = debian_packages.install(absent)
            if error:
                raise ZuulCiError(error)
        locked_venv(ZUUL_VENV, sys.executable, LOCK / "requirements.txt", LOCK / "constraints.txt")
        # Inside bubblewrap only system paths are mounted: Ansible's venv comes from Debian's python.
        locked_venv(
            ANSIBLE_VENV,
            "/usr/bin/python3",
            LOCK / "ansible-requirements.txt",
            LOCK / "ansible-constraints.txt",
        )

    # -- configuration -------------------------------------------------------

    def configure(self) -> None:
        for folder in (self.etc, self.logs, self.run_dir, self.tls, self.repos, self.state / "ssh"):
            folder.mkdir(parents=True, exist_ok=True)
        self.make_tls()
        self.make_node()
        self.write_zookeeper_config()
        self.write_zuul_config()
        self.write_repos()

    def make_tls(self) -> None:
        """A CA, a server certificate for ZooKeeper and a client certificate for Zuul (Zuul needs TLS)."""
        if (self.tls / "client.pem").exists():
            return
        ca_key, ca = self.tls / "ca.key", self.tls / "ca.pem"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", "/CN=patchcheck zuul-ci CA", "-keyout", str(ca_key), "-out", str(ca)])  # fmt: skip
        for name in ("server", "client"):
            key, csr, cert = self.tls / f"{name}.key", self.tls / f"{name}.csr", self.tls / f"{name}.pem"
            run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", str(key), "-out", str(csr)])  # fmt: skip
            extensions = self.tls / f"{name}.ext"
            extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
                 "-CAcreateserial", "-days", "30", "-extfile", str(extensions),
                 "-out", str(cert)])  # fmt: skip
        # ZooKeeper's PEM key store: the key and its certificate in one file.
        (self.tls / "server-keystore.pem").write_text(
            (self.tls / "server.key").read_text() + (self.tls / "server.pem").read_text()
        )
        for path in self.tls.iterdir():
            path.chmod(0o600)

    def make_node(self) -> None:
        """This machine as the static node: sshd on a private port, the node user, Zuul's key."""
        ssh = self.state / "ssh"
        if not (ssh / "zuul_id").exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zuul-ci", "-f", str(ssh / "zuul_id")])
            run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "node", "-f", str(ssh / "host_ed25519")]
            )
        if subprocess.run(["id", NODE_USER], capture_output=True, check=False).returncode != 0:
            run(["useradd", "--create-home", "--shell", "/bin/bash", NODE_USER])
            # useradd leaves the account locked ("!"), which sshd refuses even for keys
            run(["usermod", "-p", "*", NODE_USER])
        sudoers = Path("/etc/sudoers.d") / "patchcheck-zuul-node"
        sudoers.write_text(f"{NODE_USER} ALL=(ALL) NOPASSWD: ALL\n")
        sudoers.chmod(0o440)
        home = Path(f"~{NODE_USER}").expanduser()
        (home / ".ssh").mkdir(mode=0o700, exist_ok=True)
        (home / ".ssh" / "authorized_keys").write_text((ssh / "zuul_id.pub").read_text())
        run(["chown", "-R", f"{NODE_USER}:{NODE_USER}", str(home / ".ssh")])
        (home / ".ssh" / "authorized_keys").chmod(0o600)
        port = self.settings()["ssh_port"]
        (self.etc / "sshd_config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {ssh / 'host_ed25519'}\n"
            f"PidFile {self.run_dir / 'sshd-own.pid'}\nPasswordAuthentication no\n"
            f"KbdInteractiveAuthentication no\nPermitRootLogin no\nAllowUsers {NODE_USER}\nUsePAM yes\n"
            "Subsystem sftp internal-sftp\n"
        )

    def write_zookeeper_config(self) -> None:
        s = self.settings()
        (self.state / "zookeeper").mkdir(exist_ok=True)
        (self.etc / "zoo.cfg").write_text(
            "\n".join(
                [
                    "tickTime=2000",
                    f"dataDir={self.state / 'zookeeper'}",
                    f"secureClientPort={s['zookeeper_port']}",
                    "secureClientPortAddress=127.0.0.1",
                    "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
                    "authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
                    f"ssl.keyStore.location={self.tls / 'server-keystore.pem'}",
                    "ssl.keyStore.type=PEM",
                    f"ssl.trustStore.location={self.tls / 'ca.pem'}",
                    "ssl.trustStore.type=PEM",
                    "admin.enableServer=false",
                    "4lw.commands.whitelist=",
                    "",
                ]
            )
        )

    def write_zuul_config(self) -> None:
        s = self.settings()
        lib = self.state / "lib"
        ansible_root = self.state / "ansible"
        ansible_root.mkdir(exist_ok=True)
        for version in ("9", "11"):  # the executor checks every supported version's folder
            link = ansible_root / version
            if not link.exists():
                link.symlink_to(ANSIBLE_VENV)
        Path(str(s["job_dir"])).mkdir(mode=0o700, exist_ok=True)
        (self.state / "build-logs").mkdir(exist_ok=True)
        tls = "".join(
            f"{option}={self.tls / name}\n"
            for option, name in (("tls_cert", "client.pem"), ("tls_key", "client.key"), ("tls_ca", "ca.pem"))
        )
        sockets = {
            name: self.run_dir / f"{name}.socket" for name in ("scheduler", "executor", "web", "launcher")
        }
        (self.etc / "zuul.conf").write_text(
            f"""[zookeeper]
hosts=127.0.0.1:{s["zookeeper_port"]}
{tls}session_timeout=40

[keystore]
password={s["keystore_password"]}

[database]
dburi=sqlite:///{self.state / "zuul.sqlite"}

[scheduler]
tenant_config={self.etc / "main.yaml"}
state_dir={lib}
command_socket={sockets["scheduler"]}

[merger]
git_dir={lib / "merger-git"}
git_user_email=zuul-ci@localhost
git_user_name=zuul-ci

[executor]
private_key_file={self.state / "ssh" / "zuul_id"}
default_username={NODE_USER}
job_dir={s["job_dir"]}
state_dir={lib / "executor"}
git_dir={lib / "executor-git"}
command_socket={sockets["executor"]}
manage_ansible=false
ansible_root={ansible_root}
finger_port={s["finger_port"]}
trusted_ro_paths={REPO}:{ANSIBLE_VENV}
untrusted_ro_paths={REPO}:{ANSIBLE_VENV}
trusted_rw_paths={self.state / "build-logs"}
load_multiplier=100
min_avail_mem=1
min_avail_hdd=1

[launcher]
state_dir={lib / "launcher"}
command_socket={sockets["launcher"]}

[web]
listen_address=127.0.0.1
port={s["web_port"]}
root={self.web_url}
command_socket={sockets["web"]}

[auth zuul_operator]
driver=HS256
allow_authz_override=true
realm=zuul-ci
client_id=zuul-ci
issuer_id=zuul_operator
secret={s["auth_secret"]}

[connection git]
driver=git
baseurl=file://{self.repos}
poll_delay=2

[connection static]
driver=static
"""
        )
        (self.etc / "main.yaml").write_text(
            f"""- tenant:
    name: {TENANT}
    source:
      git:
        config-projects:
          - zuul-config
        untrusted-projects:
          - zuul/zuul-jobs
          - patchcheck
"""
        )

    # -- repositories --------------------------------------------------------

    def config_project(self) -> str:
        """The config project's zuul.yaml: pipelines, the base job, and this machine as the static node."""
        s = self.settings()
        host_key = (self.state / "ssh" / "host_ed25519.pub").read_text().split()[:2]
        return f"""---
- pipeline:
    name: periodic-daily
    manager: independent
    precedence: low
    # secrets are for post-review jobs only (OpenDev's periodic pipelines say the same)
    post-review: true
    trigger:
      timer:
        - time: '0 3 * * *'
- pipeline:
    name: check
    manager: independent
    trigger:
      git:
        - event: ref-updated
          ref: ^refs/heads/never$
- pipeline:
    name: gate
    manager: independent
    trigger:
      git:
        - event: ref-updated
          ref: ^refs/heads/never$
- job:
    name: base
    parent: null
    description: The test Zuul's base job (workspace onto the node, logs kept in a folder).
    pre-run: playbooks/base/pre.yaml
    post-run: playbooks/base/post.yaml
    roles:
      - zuul: zuul/zuul-jobs
    timeout: 1800
    vars:
      zuul_ci_build_logs: {self.state / "build-logs"}
- image:
    name: this-machine
    type: cloud
- flavor:
    name: this-machine
- label:
    name: debian-bookworm
    image: this-machine
    flavor: this-machine
- section:
    name: this-machine
    connection: static
    images:
      - name: this-machine
        username: {NODE_USER}
    flavors:
      - this-machine
    labels:
      - debian-bookworm
- provider:
    name: this-machine
    section: this-machine
    labels:
      - name: debian-bookworm
    nodes:
      - name: 127.0.0.1
        label: debian-bookworm
        connection-port: {s["ssh_port"]}
        username: {NODE_USER}
        host-key: {" ".join(host_key)}
"""

    def write_repos(self, project_source: Path = REPO) -> None:
        """The tenant's three repositories under ``repos/``: config, zuul-jobs doubles, this project."""
        config = self.repos / "zuul-config"
        if not (config / ".git").exists():
            shutil.copytree(HERE / "zuul" / "config", config)
            (config / "zuul.yaml").write_text(self.config_project())
            commit_all(config, "config project of the test Zuul")
        jobs = self.repos / "zuul" / "zuul-jobs"
        if not (jobs / ".git").exists():
            shutil.copytree(HERE / "zuul" / "zuul-jobs", jobs)
            commit_all(jobs, "test doubles of zuul-jobs")
        project = self.repos / "patchcheck"
        if not (project / ".git").exists():
            run(
                [
                    "git",
                    "clone",
                    "--quiet",
                    "--branch",
                    current_branch(project_source),
                    str(project_source),
                    str(project),
                ]
            )
            run(["git", "-C", str(project), "checkout", "--quiet", "-B", "master"])
            # one branch only: Zuul reads every branch's zuul.d, and a second copy of the
            # secret with other ciphertexts is a configuration error
            for branch in run(
                ["git", "-C", str(project), "branch", "--format", "%(refname:short)"]
            ).stdout.split():
                if branch != "master":
                    run(["git", "-C", str(project), "branch", "-D", branch])
            run(["git", "-C", str(project), "remote", "remove", "origin"])

    def reconfigure_tenant(self) -> None:
        run(
            [
                str(ZUUL_VENV / "bin" / "zuul-scheduler"),
                "-c",
                str(self.etc / "zuul.conf"),
                "tenant-reconfigure",
                TENANT,
            ]
        )

    def token(self) -> str:
        return run(
            [str(ZUUL_VENV / "bin" / "zuul-admin"), "-c", str(self.etc / "zuul.conf"), "create-auth-token",
             "--auth-config", "zuul_operator", "--user", "patchcheck-test", "--tenant", TENANT,
             "--expires-in", "900"]
        ).stdout.strip()  # fmt: skip

    def enqueue(self, project: str, pipeline: str) -> None:
        """Enqueue the project's master branch into a pipeline, as ``zuul-client enqueue-ref`` does."""
        # oldrev is the parent: the git driver diffs oldrev..newrev for the files changed, and
        # zuul-client's default of forty zeros makes that diff (and the enqueue) fail.
        head, parent = run(
            ["git", "-C", str(self.repos / project), "rev-parse", "HEAD", "HEAD^"]
        ).stdout.split()
        self.post(
            f"project/{project}/enqueue",
            {"pipeline": pipeline, "ref": "refs/heads/master", "oldrev": parent, "newrev": head},
        )

    def dequeue(self, project: str, pipeline: str) -> None:
        """Take the project's master branch out of a pipeline (its running build is cancelled)."""
        self.post(f"project/{project}/dequeue", {"pipeline": pipeline, "ref": "refs/heads/master"})

    def post(self, path: str, body: dict[str, str]) -> None:
        """An administrative call of the tenant's REST API, with a fresh operator token."""
        request = urllib.request.Request(
            f"{self.web_url}api/tenant/{TENANT}/{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": self.token(), "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    # -- processes -----------------------------------------------------------

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        """One daemon in a session (process group) of its own, logging to log/<name>.log."""
        if self.alive(name):
            return
        with (self.logs / f"{name}.log").open("ab") as output:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        self.pid_file(name).write_text(f"{process.pid}\n")

    def alive(self, name: str) -> int | None:
        """The pid of a started process that still runs (an exited, unreaped child counts as gone)."""
        try:
            pid = int(self.pid_file(name).read_text())
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError):
            return None
        return None if state in ("Z", "X") else pid

    def zookeeper_classpath(self) -> str:
        java = Path("/usr/share/java")
        jars = [java / "zookeeper.jar"]
        # Debian's zookeeper.jar manifest lacks these: without them the TLS handshake fails
        # with NoClassDefFoundError.
        for name in ("netty-codec.jar", "netty-resolver.jar", "netty-handler.jar", "netty-transport.jar",
                     "netty-buffer.jar", "netty-common.jar", "netty-transport-native-unix-common.jar",
                     "slf4j-api.jar", "slf4j-simple.jar", "log4j-1.2.jar"):  # fmt: skip
            if (java / name).exists():
                jars.append(java / name)
        return ":".join(str(jar) for jar in jars)

    def up(self) -> None:
        started = time.monotonic()
        self.install()
        self.configure()
        self.start(
            "zookeeper",
            ["java", "-Xmx256m", "-cp", self.zookeeper_classpath(),
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(self.etc / "zoo.cfg")],
        )  # fmt: skip
        self.wait_port(int(self.settings()["zookeeper_port"]), "zookeeper")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        self.start("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", str(self.etc / "sshd_config")])
        self.wait_port(int(self.settings()["ssh_port"]), "sshd")
        # ZUUL_CI_DEBUG=1: debug logging, and the executor keeps each build's job folder
        conf = ["-c", str(self.etc / "zuul.conf"), *(["-d"] if os.environ.get("ZUUL_CI_DEBUG") else [])]
        zuul = ZUUL_VENV / "bin"
        self.start("scheduler", [str(zuul / "zuul-scheduler"), *conf, "-f"])
        self.start(
            "executor",
            [str(ZUUL_VENV / "bin" / "python"), str(HERE / "zuul" / "executor_on_loopback.py"), *conf, "-f"],
        )
        self.start("launcher", [str(zuul / "zuul-launcher"), *conf, "-f"])
        self.start("web", [str(zuul / "zuul-web"), *conf, "-f"])
        self.wait_tenant()
        if os.environ.get("ZUUL_CI_DEBUG"):
            run([str(zuul / "zuul-executor"), *conf, "keep"])
        self.check_loopback_only()
        log(f"Zuul up in {time.monotonic() - started:.0f} s: {self.web_url}")

    def wait_port(self, port: int, name: str) -> None:
        end = time.monotonic() + DEADLINE_S
        while time.monotonic() < end:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            if not self.alive(name):
                raise ZuulCiError(f"{name} exited; see {self.logs / (name + '.log')}")
            time.sleep(0.3)
        raise ZuulCiError(f"{name} did not listen on {port} within {DEADLINE_S:.0f} s")

    def api(self, path: str) -> object:
        with urllib.request.urlopen(self.web_url + "api/" + path, timeout=10) as response:
            return json.loads(response.read())

    def wait_tenant(self) -> None:
        """Until zuul-web answers and the tenant's configuration is loaded."""
        end = time.monotonic() + DEADLINE_S
        last = "no answer"
        while time.monotonic() < end:
            for name in ("zookeeper", "sshd", "scheduler", "executor", "launcher", "web"):
                if not self.alive(name):
                    raise ZuulCiError(f"{name} exited; see {self.logs / (name + '.log')}")
            try:
                tenants = self.api("tenants")
                if any(t.get("name") == TENANT for t in tenants):  # type: ignore[union-attr]
                    return
                last = f"tenants: {tenants}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(1)
        raise ZuulCiError(f"tenant {TENANT} not loaded within {DEADLINE_S:.0f} s ({last})")

    def group_pids(self) -> dict[str, list[int]]:
        """Every process of each started group, by name."""
        groups = {}
        for pid_file in self.run_dir.glob("*.pid"):
            name = pid_file.stem
            if name == "sshd" and not self.alive(name):
                continue
            pid = self.alive(name)
            if pid is None:
                continue
            members = run(["pgrep", "-g", str(os.getpgid(pid))]).stdout.split()
            groups[name] = [int(member) for member in members]
        return groups

    def listeners(self) -> list[tuple[str, int]]:
        """(local address, pid) of every TCP listener of the started process groups."""
        ours = {pid for pids in self.group_pids().values() for pid in pids}
        found = []
        for line in run(["ss", "-Hltnp"]).stdout.splitlines():
            fields = line.split()
            for pid in (int(p.split("=")[1]) for p in fields[-1].split(",") if p.startswith("pid=")):
                if pid in ours:
                    found.append((fields[3], pid))
        return found

    def check_loopback_only(self) -> None:
        outside = [address for address, _pid in self.listeners() if not address.startswith(LOOPBACK)]
        if outside:
            self.down()
            raise ZuulCiError(
                f"a Zuul process listens beyond loopback: {', '.join(outside)}; stopped everything"
            )

    def down(self) -> None:
        for name in ("web", "launcher", "executor", "scheduler", "sshd", "zookeeper"):
            pid = self.alive(name)
            if pid is None:
                self.pid_file(name).unlink(missing_ok=True)
                continue
            group = os.getpgid(pid)
            if group == os.getpgrp():
                raise ZuulCiError(f"{name} runs in the caller's process group; not killing it")
            os.killpg(group, signal.SIGTERM)
            end = time.monotonic() + 20
            while time.monotonic() < end and group_alive(group):
                reap(pid)
                time.sleep(0.2)
            if group_alive(group):
                os.killpg(group, signal.SIGKILL)
            self.pid_file(name).unlink(missing_ok=True)
        # Ansible's ControlPersist masters (the executor's) and their sshd sessions outlive both,
        # and so does what a cancelled build left running on the node.
        self.stop_node_processes()
        subprocess.run(["pkill", "-f", str(self.settings()["job_dir"])], capture_output=True, check=False)

    def purge(self) -> None:
        """Stop everything and remove the state and the build folders."""
        self.down()
        if self.settings_file.exists():
            shutil.rmtree(str(self.settings()["job_dir"]), ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)

    @property
    def job_dir(self) -> Path:
        return Path(str(self.settings()["job_dir"]))

    def stop_node_processes(self) -> None:
        """Every process of the node's user, and every process working in its home (also as root)."""
        home = str(Path(f"~{NODE_USER}").expanduser())
        subprocess.run(["pkill", "-KILL", "-u", NODE_USER], capture_output=True, check=False)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cwd = os.readlink(proc / "cwd")
            except OSError:
                continue
            if cwd == home or cwd.startswith(home + "/"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(proc.name), signal.SIGKILL)

    def status(self) -> dict[str, int | None]:
        return {
            name: self.alive(name)
            for name in ("zookeeper", "sshd", "scheduler", "executor", "launcher", "web")
        }


def commit_all(folder: Path, message: str) -> None:
    git = ["git", "-C", str(folder), "-c", "user.name=zuul-ci", "-c", "user.email=zuul-ci@localhost"]
    if not (folder / ".git").exists():
        run(["git", "init", "--quiet", "--initial-branch", "master", str(folder)])
    run([*git, "add", "-A"])
    run([*git, "commit", "--quiet", "--allow-empty", "-m", message])


def current_branch(folder: Path) -> str:
    return run(["git", "-C", str(folder), "rev-parse", "--abbrev-ref", "HEAD"]).stdout.strip()


def reap(pid: int) -> None:
    """Collect the exit of a process started by this one (``up`` here), so no zombie holds its group."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    parser.add_argument("command", choices=("install", "up", "down", "status", "url", "purge"))
    args = parser.parse_args(argv)
    if args.state_dir.resolve().is_relative_to(REPO):
        parser.error(
            f"--state-dir {args.state_dir} is inside the repository; the executor's sandbox binds the "
            "repository read-only and every build would fail there: choose a folder outside it"
        )
    ci = ZuulCi(args.state_dir)
    try:
        if args.command == "install":
            ci.install()
        elif args.command == "up":
            ci.up()
        elif args.command == "down":
            ci.down()
        elif args.command == "status":
            print(json.dumps(ci.status()))
        elif args.command == "url":
            print(ci.web_url)
        elif args.command == "purge":
            ci.purge()
    except (ZuulCiError, OSError) as exc:
        print(f"zuul-ci: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
