"""What of a configuration value may leave the host: an allowlist, never a guess at secret names.

A value leaves as written only when its (file, section, option) is kept (the options the shipped
rules read, passed by the controller, and ``HARMLESS_OPTIONS``), it holds no URL and it is plain
(printable, bounded, on one line). Every other value leaves as a redaction record: whether it is
set and, for a URL, its scheme, whether it carries credentials, and its TLS query keys with short
values only. Looking at a value is linear in its length: a hostile value cannot make a pattern backtrack.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.scs.patchcheck.plugins.module_utils.config_parsing import is_paste

#: Options whose values may leave the host although no shipped rule reads them: known to hold no
#: secret. Everything else leaves as its redaction record (allowlist, not a guess at secret names).
#: Mostly paste.deploy's structure (factories, pipelines, URL maps), which packages ship world-readable.
HARMLESS_OPTIONS = (
    "*:*:debug",
    "*:*:verbose",
    *(
        f"*paste.ini:*:{option}"
        for option in (
            "use",
            "pipeline",
            "paste.*_factory",
            "/*",
            "noauth*",
            "keystone*",
            "oslo_config_project",
            "oslo_config_program",
            "delay_auth_decision",
            "disable_by_file_path",
            "backends",
            "default",
            "caching",
            "cachemanagement",
        )
    ),
    *(
        f"*ml2_conf.ini:ml2:{option}"
        for option in ("type_drivers", "tenant_network_types", "extension_drivers")
    ),
    "*ml2_conf.ini:ml2_type_*:*",
)
#: The only query keys of a URL value that leave the host (what rules about TLS read).
SAFE_QUERY_KEYS = frozenset({"ssl", "ssl_version", "tls"})
#: The shape of a safe query key's value that leaves as written (ssl=1, ssl_version=TLSv1_2).
SHORT_WORD = re.compile(r"\w{1,16}")
SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


#: The longest value that leaves a host as written; longer ones leave as a redaction record.
MAX_KEPT_VALUE = 1024


def plain(text: str, paste: bool) -> bool:
    """Whether an allowed value is a value and nothing else: printable, bounded, on one line.

    Continuation lines, form feeds, vertical tabs, U+0085, U+2028 and other separators are
    where text a reader of the file never meant as this option's value could hide (oslo.config
    keeps them in the value): such a value leaves as its redaction record. Paste.deploy
    pipelines may continue over lines (each line printable): they are structure, not values.
    """
    if len(text) > MAX_KEPT_VALUE:
        return False
    lines = text.split("\n")
    return (paste or len(lines) == 1) and all(line.isprintable() for line in lines)


def kept(filename: str, section: str, option: str, keep: list[str]) -> bool:
    """Whether ``option`` of ``[section]`` in ``filename`` may leave the host as it is written."""
    for pattern in keep:
        parts = pattern.split(":", 2)
        if len(parts) == 3 and all(
            fnmatch.fnmatchcase(value.lower(), wanted.lower())
            for value, wanted in zip((filename, section, option), parts, strict=True)
        ):
            return True
    return False


def leave(filename: str, section: str, option: str, value: Any, keep: list[str]) -> Any:
    """What of a configuration value leaves the host: the value only when it is allowed, holds
    no URL and is plain (``plain``); otherwise whether it is set, and of a URL its scheme and
    its TLS query keys."""
    if isinstance(value, list):
        return [leave(filename, section, option, item, keep) for item in value]
    text = str(value)
    scheme = url_scheme(text)
    if scheme is None and kept(filename, section, option, keep) and plain(text, is_paste(filename)):
        return value
    record: dict[str, Any] = {"redacted": True, "empty": text.strip() == ""}
    if scheme is not None:
        record["scheme"] = scheme.lower()
        # whether the URL carries credentials (user information, a secret-looking query key): the
        # judge then knows the value is secret whatever its option is called; only the yes leaves
        record["credentials"] = url_credentials(text)
        pairs = query_pairs(url_query(text.strip()))
        if pairs is not None:
            # a safe key's value leaves only as a short word; any other value as "?" (the key is
            # set, its value not shown), so a rule reading it says unknown instead of "absent"
            record["query"] = "&".join(
                f"{k}={v if SHORT_WORD.fullmatch(v) else '?'}"
                for k, v in pairs
                if k.lower() in SAFE_QUERY_KEYS
            )
    return record


#: Query fields read of one URL; a URL with more keeps no query (a rule reading it says unknown).
MAX_QUERY_FIELDS = 64


def query_pairs(query: str | None) -> list[tuple[str, str]] | None:
    """``parse_qsl`` of a query, None when there is none or it has more than MAX_QUERY_FIELDS fields."""
    if query is None:
        return None
    try:
        return parse_qsl(query, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        return None


#: Query keys that carry a credential (``?password=``, ``?access_token=``), matched as parts of the key.
CREDENTIAL_QUERY_PARTS = ("pass", "secret", "token", "key", "auth", "credential", "signature")


def url_credentials(text: str) -> bool:
    """Whether a value holding a URL may carry a credential: an ``@`` after its ``://`` (user
    information, as ``patchcheck.urls`` strips it: anything up to the last ``@``), or a query key
    containing a credential word. Errs towards yes; linear in the text."""
    found = text.find("://")
    if found >= 0 and "@" in text[found + 3 :]:
        return True
    pairs = query_pairs(text.split("?", 1)[1] if "?" in text else "")
    if pairs is None:
        return True  # too many fields to look at: errs towards yes
    return any(part in key.lower() for key, _value in pairs for part in CREDENTIAL_QUERY_PARTS)


def url_query(text: str) -> str | None:
    """The query of a value that is one URL, as ``urllib.parse.urlsplit`` (and so oslo.messaging's
    ``urlparse``) reads it: up to a ``#``; None when the value is not one URL or does not split.
    A URL inside other text has no query a service reads, so none is kept for it."""
    scheme = url_scheme(text)
    if scheme is None or not text.startswith(f"{scheme}://"):
        return None
    try:
        return urlsplit(text).query
    except ValueError:
        return None


def url_scheme(text: str) -> str | None:
    """The scheme of the first URL in ``text`` (``scheme://``), or None; linear in the text.

    The same answer as searching ``[a-zA-Z][a-zA-Z0-9+.-]*://``, whose search backtracks on a
    long run of letters without ``://`` (1 MiB of ``a``: half an hour). Each ``://`` is walked
    back over the scheme characters before it; these runs never overlap, so every character
    is looked at a bounded number of times.
    """
    found = text.find("://")
    while found >= 0:
        start = found
        while start > 0 and text[start - 1] in SCHEME_CHARACTERS:
            start -= 1
        for first in range(start, found):
            if text[first].isascii() and text[first].isalpha():
                return text[first:found]
        found = text.find("://", found + 3)
    return None


def leave_sections(
    filename: str, sections: dict[str, dict[str, Any]], keep: list[str]
) -> dict[str, dict[str, Any]]:
    return {
        name: {option: leave(filename, name, option, value, keep) for option, value in options.items()}
        for name, options in sections.items()
    }
