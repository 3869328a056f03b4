"""Text a cloud sent, made fit for the facts: credentials stripped, one line, clipped, hosts found.

Everything here reads text an untrusted server chose (URLs in the catalog, exception messages
that quote an answer, cookie values, form fields), so every function runs in time linear in
its input and uses no regular expression that could backtrack. What it guarantees: credentials
in a URL (``user:password@``) never leave the module (``without_userinfo`` runs over the whole
facts before they are returned), an error is one line, and a recorded piece of free text is at
most ``MAX_TEXT`` characters.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

#: The longest piece of free text recorded (a cookie's name, a header, a host), in characters.
MAX_TEXT = 256


#: Replaces a span that held credentials when the text after its ``@`` is not the host a
#: client reaches (a ``/``, a space or a quote came before it): no valid host looks like this,
#: so the judge reports such a URL instead of judging a host nobody connects to.
HIDDEN_HOST = "(credentials removed)"
#: Characters RFC 3986 allows in userinfo, and ``@`` (unencoded in passwords in the wild).
USERINFO_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:%@")
#: Characters that may start or continue a URL scheme (RFC 3986: a letter, then these).
SCHEME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "+.-")
#: Characters that end a URL's authority in free text.
AUTHORITY_END = frozenset("/\"';?#<>" + string.whitespace)


def one_line(exc: BaseException) -> str:
    """An exception as its type and first line: a message may quote a whole answer."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def clip(value: Any) -> str:
    """The value as text of at most ``MAX_TEXT`` characters (and ``...`` when cut)."""
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


def text_or_none(value: Any) -> str | None:
    """A JSON value as text, or None: a number or list where text belongs never breaks the reader."""
    return None if value is None else str(value)


def text_without_userinfo(text: str) -> str:
    """``text`` with every URL's credentials removed, in time linear in its length.

    A copy of ``patchcheck.urls.without_userinfo`` (this module cannot import patchcheck; a
    unit test holds the two equal). A password may hold a space, a quote, ``/``, ``@`` or
    ``://``, so the span from the first ``://`` to the last ``@`` after it goes; cutting too
    much is harmless where cutting too little is not. No regular expression: the one used
    before backtracked for minutes on a few MiB of ``a://``.
    """
    start = text.find("://")
    at = text.rfind("@")
    if start == -1 or at < start + 3:
        return text
    userinfo = text[start + 3 : at]
    marker = "" if USERINFO_CHARACTERS.issuperset(userinfo) else HIDDEN_HOST + "/"
    return text[: start + 3] + marker + text[at + 1 :]


def without_userinfo(value: Any) -> Any:
    """Every string of the facts with URL credentials removed: they leave the module nowhere."""
    if isinstance(value, str):
        return text_without_userinfo(value)
    if isinstance(value, dict):
        return {key: without_userinfo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_userinfo(item) for item in value]
    return value


def scheme_of(url: Any) -> str:
    """The URL's scheme as urllib.parse reads it (lower case: ``HTTPS://`` is https), or ``""``."""
    try:
        return urlsplit(str(url)).scheme
    except ValueError:
        return ""


def url_hosts(text: str) -> list[str]:
    """Hosts of the URLs in a text (no userinfo, no port, at most five): what OSSN-0073 is about."""
    hosts: list[str] = []
    for authority in url_authorities(text):
        host = authority.rpartition("@")[2]
        host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
        if host and host not in hosts:
            hosts.append(clip(host))
        if len(hosts) == 5:
            break
    return hosts


def url_authorities(text: str) -> Iterator[str]:
    """The authority (``user@host:port``) of each ``scheme://`` in the text, in time linear in it.

    Plain parsing where a pattern (``[a-zA-Z][a-zA-Z0-9+.-]*://...``) retried the scheme from
    every letter of a long word: 4 MiB of ``a`` took minutes. A scheme is a run of scheme
    characters holding a letter right before ``://``; the authority runs to the first
    ``/ \\ " ' ; ? # < >`` or white space. Each character is looked at a bounded number of times.
    """
    done = 0  # nothing before this index is looked at again
    position = text.find("://")
    while position != -1:
        begin = position
        while begin > done and text[begin - 1] in SCHEME_CHARACTERS:
            begin -= 1
        scheme = text[begin:position]
        end = position + 3
        while end < len(text) and text[end] not in AUTHORITY_END:
            end += 1
        # a letter among scheme characters is their only cased one: no per-character loop
        if end > position + 3 and scheme.lower() != scheme.upper():
            yield text[position + 3 : end]
        done = end
        position = text.find("://", max(end, position + 1))
