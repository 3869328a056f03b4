"""Build ``data/secret_options.json``: which configuration options the services declare secret.

Why from the released code: "redacted on the host" (not on the allowlist) is not "secret". What
is secret is what each project says it is: oslo.config options registered with ``secret=True``
(``cfg.StrOpt('password', secret=True)``) and keystoneauth1's plugin options
(``loading.Opt('password', secret=True)``). The builder reads the sdists of the services and of
the libraries whose options appear in service configuration, parses every module with ``ast``
(never imports it) and records

- every option name declared anywhere (``known``): a name the services declare and never mark
  secret is not secret;
- every option declared ``secret=True`` with its deprecated names (``secret``), and its group
  where the call itself names it (``group='...'``); otherwise the group is null, meaning "any
  group": options are registered under groups the caller chooses (keystoneauth's plugins go under
  ``[keystone_authtoken]``, ``[nova]``, ``[service_user]``...), so a name secret anywhere is
  treated as secret everywhere (errs towards secret, never leaks: values never leave the host).

Provenance per distribution: name, version, file name and sha256 of the sdist read. The build is
deterministic for the same sdists. ``scripts/build-secret-options`` downloads the sdists with pip
(``pip download --no-binary :all: --no-deps``) and runs :func:`main`.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

#: Distributions whose options appear in service configuration files (PyPI names).
DISTRIBUTIONS = (
    "aodh",
    "barbican",
    "cinder",
    "designate",
    "glance",
    "openstack-heat",
    "ironic",
    "keystone",
    "magnum",
    "manila",
    "neutron",
    "nova",
    "octavia",
    "openstack-placement",
    "trove",
    "zaqar",
    "keystoneauth1",
    "keystonemiddleware",
    "oslo.cache",
    "oslo.concurrency",
    "oslo.db",
    "oslo.log",
    "oslo.messaging",
    "oslo.middleware",
    "oslo.policy",
    "castellan",
    "glance-store",
    "os-brick",
    "ironic-lib",
)
#: Largest member read from an sdist; the largest OpenStack module is far below it.
MAX_MODULE_BYTES = 4 * 1024 * 1024
SDIST_NAME = re.compile(r"^(?P<name>.+?)-(?P<version>\d[^-]*)\.(?:tar\.gz|tgz)$")
OPTION_CALLS = frozenset({"Opt", "StrOpt", "BoolOpt", "IntOpt", "FloatOpt", "ListOpt", "DictOpt",
                          "MultiStrOpt", "MultiOpt", "PortOpt", "HostAddressOpt", "HostnameOpt",
                          "IPOpt", "URIOpt", "SubCommandOpt", "HostDomainOpt"})  # fmt: skip


def call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def text_of(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def option_name(node: ast.Call) -> str | None:
    """The first positional argument or ``name=``, when it is a literal string."""
    return text_of(node.args[0]) if node.args else text_of(keyword(node, "name"))


def config_names(name: str) -> set[str]:
    """A name as it is written in a file: keystoneauth's ``application-credential-secret`` is
    ``application_credential_secret`` there (its oslo.config ``dest``)."""
    return {name, name.replace("-", "_")}


def options_in_source(text: str) -> tuple[set[str], set[tuple[str | None, str]]]:
    """(every option name declared, the (group or None, name) of those declared secret) in one module.

    A module that does not parse (Python 2 leftovers in old sdists) declares nothing we can read.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set(), set()
    known: set[str] = set()
    secret: set[tuple[str | None, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or call_name(node) not in OPTION_CALLS:
            continue
        name = option_name(node)
        if name is None:
            continue
        names = config_names(name)
        deprecated = deprecated_names(node)
        known |= names | {n for _group, n in deprecated}
        flag = keyword(node, "secret")
        if isinstance(flag, ast.Constant) and flag.value is True:
            group = text_of(keyword(node, "group"))
            secret |= {(group, n) for n in names}
            secret |= deprecated
    return known, secret


def deprecated_names(node: ast.Call) -> set[tuple[str | None, str]]:
    """``deprecated_name='x'`` and ``deprecated_opts=[cfg.DeprecatedOpt('x', group='y')]``."""
    found: set[tuple[str | None, str]] = set()
    single = text_of(keyword(node, "deprecated_name"))
    if single:
        found |= {(text_of(keyword(node, "deprecated_group")), n) for n in config_names(single)}
    listed = keyword(node, "deprecated_opts")
    if isinstance(listed, (ast.List, ast.Tuple)):
        for item in listed.elts:
            if isinstance(item, ast.Call) and (name := option_name(item)):
                found |= {(text_of(keyword(item, "group")), n) for n in config_names(name)}
    return found


def scan_sdist(path: Path) -> tuple[dict[str, str], set[str], set[tuple[str | None, str]]]:
    """Provenance and the options of one sdist; test modules are skipped (their options are fakes)."""
    match = SDIST_NAME.match(path.name)
    if match is None:
        raise ValueError(f"{path.name}: not an sdist name (<name>-<version>.tar.gz)")
    known: set[str] = set()
    secret: set[tuple[str | None, str]] = set()
    with tarfile.open(path, "r:gz") as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            parts = member.name.split("/")
            if not member.isfile() or not member.name.endswith(".py") or member.size > MAX_MODULE_BYTES:
                continue
            if "tests" in parts or "test" in parts:
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            module_known, module_secret = options_in_source(handle.read().decode("utf-8", "replace"))
            known |= module_known
            secret |= module_secret
    provenance = {
        "distribution": match["name"],
        "version": match["version"],
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    return provenance, known, secret


def build(sdists: list[Path]) -> dict[str, Any]:
    """The knowledge document from ``sdists``: sorted, so the same sdists give the same bytes."""
    sources = []
    known: set[str] = set()
    secret: dict[tuple[str | None, str], set[str]] = {}
    for path in sorted(sdists, key=lambda p: p.name):
        provenance, names, secrets = scan_sdist(path)
        sources.append(provenance)
        known |= names
        for key in secrets:
            secret.setdefault(key, set()).add(provenance["distribution"])
    return {
        "format": 1,
        "about": "oslo.config and keystoneauth1 options declared secret=True in the released code; "
        "group null = any group. Built by scripts/build-secret-options.",
        "sources": sources,
        "secret": [
            {"group": group, "option": option, "declared_by": sorted(secret[(group, option)])}
            for group, option in sorted(secret, key=lambda k: (k[1], k[0] or ""))
        ],
        "known": sorted(known),
    }


def download(distributions: list[str], folder: Path) -> list[Path]:
    """The newest sdist of each distribution, by pip (the ordinary client of the registry)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--dest", str(folder), *distributions],
        check=True,
    )  # fmt: skip
    return sorted(p for p in folder.iterdir() if SDIST_NAME.match(p.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "requirements",
        nargs="*",
        help="what to download (name or name==version; default: the newest of each"
        " of DISTRIBUTIONS); to rebuild a shipped file, pass the versions its sources name",
    )
    parser.add_argument("--sdists", type=Path, help="read the sdists in this folder instead of downloading")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        if args.sdists:
            sdists = sorted(p for p in args.sdists.iterdir() if SDIST_NAME.match(p.name))
        else:
            sdists = download(args.requirements or list(DISTRIBUTIONS), Path(scratch))
        document = build(sdists)
    args.output.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"{len(document['sources'])} sdists, {len(document['secret'])} secret options, "
          f"{len(document['known'])} option names -> {args.output}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
