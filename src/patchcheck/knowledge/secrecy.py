"""Which configuration options hold secrets: what the services declare, then a name pattern.

"Redacted" is not "secret": a value is redacted on the host whenever it is not on the
allowlist, so most redacted values are harmless (rootwrap's ``filters_path``, ml2's
``[securitygroup]`` booleans). Secret is what the services themselves declare: oslo.config
options registered with ``secret=True`` and keystoneauth1's plugin options, read from the
released code by ``knowledge/secret_options_build.py`` into ``data/secret_options.json``.

The decision, in order:

1. a name the services declare secret (in a group the code names, or in any group when the
   group is not statically known) is secret;
2. a name the services declare and never mark secret is not secret;
3. a name no service declares (rootwrap.conf, paste filters, swift, a typo, a plugin not read)
   is secret when it looks like one (``password``, ``secret``, ``token``, ``key``, ``credential``
   ... as a word of the name, not a ``*_file``/``*_path``; swift's hash salts and tempauth
   ``user_*``). Besides the name, a URL value the host saw carrying credentials (user
   information, a ``?password=``) is secret whatever its option. This errs towards FAIL: it decides
   only whether a world-readable file is reported, never whether a value may leave the host
   (values still leave only by the allowlist).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Words that make an undeclared option name secret (split at ``_``, ``-``, ``.``).
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "kek",
        "psk",
        "credential",
        "credentials",
        "cred",
        "creds",
        "salt",
        "hmac",
        "private",
    }
)
#: Substrings that make a name secret wherever they appear (``adminpassword``, ``secretkey``).
SECRET_PARTS = ("password", "passwd", "secret", "token", "credential")
#: Undeclared names of secrets in files no oslo.config reads: swift.conf's hash path salts, and
#: swift's tempauth accounts (``user_<account>_<user> = <key> <groups>``, matched by prefix).
OTHER_SECRET_NAMES = frozenset({"swift_hash_path_suffix", "swift_hash_path_prefix"})
OTHER_SECRET_PREFIXES = ("user_",)
#: A last word that names where or how a secret is kept, not the secret (``ssl_key_file``).
NOT_A_VALUE = frozenset(
    {"file", "files", "path", "dir", "directory", "length", "size", "ttl", "timeout", "expiration", "type"}
)
WORD_BREAK = re.compile(r"[_.\-]+")


@dataclass(frozen=True)
class SecretOptions:
    """The knowledge: secret (group or None, option) pairs and every declared option name."""

    secret_anywhere: frozenset[str]
    secret_in_group: frozenset[tuple[str, str]]
    known: frozenset[str]
    sources: tuple[dict[str, str], ...]

    def is_secret(self, group: str, option: str) -> bool:
        """Whether ``option`` of ``[group]`` may hold a secret (module docstring: the order)."""
        if option in self.secret_anywhere or (group.lower(), option) in self.secret_in_group:
            return True
        if option in self.known:
            return False
        return looks_secret(option)

    @classmethod
    def from_json(cls, document: dict) -> SecretOptions:
        entries = document["secret"]
        return cls(
            frozenset(e["option"] for e in entries if e["group"] is None),
            frozenset((e["group"].lower(), e["option"]) for e in entries if e["group"] is not None),
            frozenset(document["known"]),
            tuple(document["sources"]),
        )


def looks_secret(option: str) -> bool:
    """An undeclared name that looks like a secret's (errs towards secret)."""
    name = option.lower()
    if name in OTHER_SECRET_NAMES or name.startswith(OTHER_SECRET_PREFIXES):
        return True
    words = [word.rstrip("0123456789") for word in WORD_BREAK.split(name) if word]  # key2 is a key
    if words and words[-1] in NOT_A_VALUE:
        return False
    return any(word in SECRET_WORDS for word in words) or any(part in name for part in SECRET_PARTS)


@cache
def secret_options() -> SecretOptions:
    """The shipped knowledge (``data/secret_options.json``)."""
    text = resources.files("patchcheck.data").joinpath("secret_options.json").read_text()
    return SecretOptions.from_json(json.loads(text))
