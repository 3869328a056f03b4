"""Files that hold a secret by what they are (keyrings, fernet keys, passwords.yml): owner and mode only.

Such a file is recognised by its name (``SECRET_FILES``) and only ``stat`` is called on it: its
content is never opened, so no secret can leave the host, and the judge still sees who may read it.
"""

from __future__ import annotations

import fnmatch
import grp
import os
import pwd
import stat

from ansible_collections.scs.patchcheck.plugins.module_utils.host_files import (
    incomplete,
    name_of,
    skipped_folder,
)

#: Files that hold a secret by what they are, outside oslo.config: (pattern on the path below a
#: searched folder, what it is). Only their owner and mode are read, never their content.
SECRET_FILES = (
    ("*.keyring", "Ceph keyring"),
    ("fernet-keys/*", "keystone fernet key"),
    ("credential-keys/*", "keystone credential key"),
    ("passwords.yml", "kolla-ansible passwords"),
    (".pgpass", "PostgreSQL password file"),
    ("clouds.yaml", "OpenStack client configuration"),
    ("secure.yaml", "OpenStack client secrets"),
    ("*openrc*", "OpenStack credentials for a shell"),
)
MAX_SECRET_FILES = 500
#: Folders outside the services' own where such files are kept, looked at without descending.
SECRET_PLACES = ("/etc/kolla", "/etc/ceph", "/etc/openstack", "/root", "/root/.config/openstack")


def secret_file_kind(relative: str) -> str | None:
    """What a file holds by its name (``SECRET_FILES``), or None."""
    for pattern, kind in SECRET_FILES:
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(os.path.basename(relative), pattern):
            return kind
    return None


def note_secret_file(
    path: str, folder: str, secrets: list[dict[str, str]], gaps: list[dict[str, str]]
) -> None:
    """Add ``path`` to ``secrets`` with owner and mode when its name says it holds a secret.

    Only ``stat`` is called: the content stays unread. A link is followed (Kolla links keyrings),
    a file that is no regular file is no secret file, one that cannot be looked at is a gap.
    """
    kind = secret_file_kind(os.path.relpath(path, folder))
    if kind is None or any(known["path"] == path for known in secrets):
        return
    if len(secrets) >= MAX_SECRET_FILES:
        incomplete(gaps, "config", path, f"more than {MAX_SECRET_FILES} secret-bearing files; not looked at")
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return  # a dangling link holds nothing
    except OSError as exc:
        incomplete(gaps, "config", path, f"{exc.strerror or type(exc).__name__}")
        return
    if stat.S_ISREG(info.st_mode):
        secrets.append(
            {
                "path": path,
                "kind": kind,
                "owner": name_of(pwd.getpwuid, info.st_uid),
                "group": name_of(grp.getgrgid, info.st_gid),
                "mode": f"{stat.S_IMODE(info.st_mode):04o}",
            }
        )


def secret_places(
    places: list[str], secrets: list[dict[str, str]], gaps: list[dict[str, str]]
) -> list[dict[str, str]]:
    """``secrets`` and the secret-bearing files directly in ``places`` (``/etc/kolla/passwords.yml``,
    ``/etc/ceph/*.keyring``)."""
    for place in places:
        try:
            with os.scandir(place) as entries:
                names = sorted(entry.name for entry in entries)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except PermissionError:
            # gathering without root meets /root at 0700: a folder an ordinary user may not
            # list exposes nothing to ordinary users either, which is what the check is about
            continue
        except OSError as exc:
            skipped_folder(exc, gaps)
            continue
        for name in names:
            note_secret_file(os.path.join(place, name), place, secrets, gaps)
    return secrets
