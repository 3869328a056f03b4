"""Files that hold secrets (the signing key, the upload token) must be private to their owner.

Like ssh itself, patchcheck refuses a key that others can read, with the
command that fixes it, instead of using it and leaking it further.
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.files import read_input_text


def check_private(path: Path, what: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(path, "", f"no such file ({what})") from None
    except OSError as exc:
        raise InputError(path, "", f"cannot read {what}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(
            path,
            "",
            f"{what} is readable by others (mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}",
        )


def read_token(path: Path) -> str:
    """The upload token: base64 of ``subject:apikey``, as the monitor's Basic authentication wants it."""
    check_private(path, "the upload token")
    token = read_input_text(path, 64 * 1024, "token file").strip()
    if not token or any(c.isspace() for c in token):
        raise InputError(path, "", "the upload token must be one line: base64 of subject:apikey")
    return token


def token_subject(token: str) -> str | None:
    """The subject a token authenticates (``subject`` of base64 ``subject:apikey``), never the key."""
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    subject, separator, _key = decoded.partition(":")
    return subject if separator and subject else None
