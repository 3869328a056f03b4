"""The services' configuration files as they are on disk: owner, mode, and what of each value may leave.

The services' folders under each configuration root (``/etc/nova``, ``/etc/kolla/nova-api``) are
walked two levels deep, at most ``MAX_CONFIG_FILES`` files per service; each file is read bounded and never
through a link out of its folder, parsed as its service parses it (``config_parsing``) and its values
filtered by the allowlist (``config_allowlist``). A folder or file that cannot be read is a gap; a
file its service would refuse is kept as refused, never judged.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.config_allowlist import leave_sections
from ansible_collections.scs.patchcheck.plugins.module_utils.config_parsing import (
    IniError,
    is_paste,
    parse_ini,
    parse_policy,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.host_files import (
    Skipped,
    incomplete,
    name_of,
    read_regular,
    skipped_folder,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.secret_files import note_secret_file

MAX_CONFIG_BYTES = 1024 * 1024
CONFIG_SUFFIXES = (".conf", ".ini", ".yaml", ".yml", ".json")
#: Files read per service's configuration folders.
MAX_CONFIG_FILES = 500


def configuration(
    services: list[str],
    roots: list[str],
    keep: list[str],
    errors: list[str],
    gaps: list[dict[str, str]],
    secrets: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Every configuration file of every service's folders, per file as it is on disk.

    A service's folders are ``<root>/<service>`` and ``<root>/<service>-*`` (Kolla: one per
    container); below them ``<service>.conf.d/`` (oslo.config's config-dir), per-program files
    (``nova-compute.conf``) and keystone's ``domains/`` are read like the main file. The judge
    merges them as oslo.config does (``patchcheck.judge.effective_config``). Secret-bearing
    files met on the way (``SECRET_FILES``) are added to ``secrets`` by owner and mode.
    """
    listed = {root: service_folders(root, services, gaps) for root in roots}
    result: dict[str, Any] = {}
    for service in services:
        folders = [path for root in roots for name, path in listed[root] if of_service(name, service)]
        files: dict[str, Any] = {}
        for folder in folders:
            for directory, subdirectories, names in os.walk(
                folder, onerror=lambda exc: skipped_folder(exc, gaps)
            ):
                subdirectories[:] = [
                    d for d in subdirectories if directory.count(os.sep) - folder.count(os.sep) < 2
                ]
                for name in sorted(names):
                    if secrets is not None:
                        note_secret_file(os.path.join(directory, name), folder, secrets, gaps)
                    if not name.endswith(CONFIG_SUFFIXES):
                        continue
                    if len(files) >= MAX_CONFIG_FILES:
                        incomplete(
                            gaps, "config", folder, f"more than {MAX_CONFIG_FILES} files; the rest not read"
                        )
                        break
                    path = os.path.join(directory, name)
                    record = read_config_file(path, folder, keep, errors, gaps)
                    if record is not None:
                        files[record["path"]] = record
        if files:
            result[service] = files
    return result


def of_service(name: str, service: str) -> bool:
    return name == service or name.startswith(f"{service}-")


def service_folders(root: str, services: list[str], gaps: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(name, path) of the services' folders directly under ``root``, sorted; what cannot be listed
    is a gap.

    Gathering without root meets ``/etc/kolla`` at 0700 or a service folder it may not enter:
    a glob would find nothing there and say nothing, so the folder is listed by hand and every
    refusal (the root itself, an entry it may not stat) is recorded as incomplete.
    """
    try:
        with os.scandir(root) as entries:
            names = sorted(entry.name for entry in entries)
    except FileNotFoundError:
        return []  # no such root on this host (no Kolla): nothing to read, nothing missed
    except NotADirectoryError:
        return []
    except OSError as exc:
        skipped_folder(exc, gaps)
        return []
    folders = []
    for name in names:
        if not any(of_service(name, service) for service in services):
            continue
        path = os.path.join(root, name)
        try:
            if stat.S_ISDIR(os.stat(path).st_mode):
                folders.append((name, path))
        except FileNotFoundError:
            continue  # removed while listing, or a dangling link: no folder
        except OSError as exc:
            skipped_folder(exc, gaps)
    return folders


def read_config_file(
    path: str, folder: str, keep: list[str], errors: list[str], gaps: list[dict[str, str]]
) -> dict[str, Any] | None:
    base = os.path.basename(path)
    policy = base.startswith("policy") and base.endswith((".yaml", ".yml", ".json"))
    if not policy and not base.endswith((".conf", ".ini")):
        return None
    try:
        info = os.stat(path)
    except OSError as exc:
        incomplete(gaps, "config", path, f"{exc.strerror or type(exc).__name__}")
        return None
    record: dict[str, Any] = {
        "path": path,
        "folder": folder,
        "name": os.path.relpath(path, folder),
        "owner": name_of(pwd.getpwuid, info.st_uid),
        "group": name_of(grp.getgrgid, info.st_gid),
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "readable": False,
        "format": "policy" if policy else "ini",
        "sections": {},
    }
    try:
        text = read_regular(path, MAX_CONFIG_BYTES, folder).decode("utf-8", errors="replace")
    except Skipped as exc:
        incomplete(gaps, "config", path, str(exc))
        return record
    try:
        sections = parse_policy(text, base) if policy else parse_ini(text, paste=is_paste(base))
    except IniError as exc:
        # oslo.config refuses the file, so no service reads it as configuration (an Apache site
        # in a Kolla folder, a broken nova.conf): it is kept unread, and a rule that needs it is
        # unknown, never decided on it.
        record["refused"] = f"not parseable as ini: {exc}"
        return record
    if sections is None:
        errors.append(f"{path}: not parseable as {record['format']}")
        incomplete(gaps, "config", path, f"not parseable as {record['format']}")
        return record
    record["readable"] = True
    # policy files hold rules, never credentials: they leave as they are
    record["sections"] = sections if policy else leave_sections(record["name"], sections, keep)
    return record
