"""URLs read by parsing, never by pattern: credentials removed, schemes compared.

Rules the judge, the report and the delivery share (the tenant collector, an Ansible module
that cannot import patchcheck, carries a copy of ``without_userinfo`` that a unit test holds
equal; hosts are classified in ``judge/addresses.py``):

- *Credentials* leave no output. In free text a URL starts at ``://``; what follows up to the
  last ``@`` before the next ``://`` is its userinfo. A password may hold a space, a quote,
  ``/`` or ``@`` unencoded, so that whole span goes; cutting too much from a message is
  harmless, cutting too little is not. One pass over the text, no backtracking: 4 MiB of
  ``a://`` takes as long as 4 MiB of prose.
- *Schemes* are compared as urllib.parse reads them, lower-cased: ``HTTPS://`` is https.
"""

from __future__ import annotations

import string
from urllib.parse import urlsplit

#: What replaces a span that held credentials when the host after it cannot be trusted: the
#: ``@`` lay outside the URL's authority (a ``/`` or a space before it), so the text after it
#: is not the host a client reaches. No valid host looks like this, so a check reports it.
HIDDEN_HOST = "(credentials removed)"
#: Characters RFC 3986 allows in userinfo, and ``@`` (unencoded in passwords in the wild).
USERINFO_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:%@")


def without_userinfo(text: str) -> str:
    """``text`` with every URL's ``user:password@`` removed, in time linear in its length.

    From the end: the last ``@`` and the nearest ``://`` before it bound one URL's credentials;
    the search goes on before that ``://``. Each character is looked at once, by str.rfind.
    """
    if "@" not in text or "://" not in text:
        return text
    pieces: list[str] = []
    end = len(text)
    at = text.rfind("@")
    while at != -1:
        start = text.rfind("://", 0, at)
        if start == -1:
            break
        userinfo = text[start + 3 : at]
        pieces.append(text[at + 1 : end])
        pieces.append("" if USERINFO_CHARACTERS.issuperset(userinfo) else HIDDEN_HOST + "/")
        end = start + 3
        at = text.rfind("@", 0, start)
    pieces.append(text[:end])
    return "".join(reversed(pieces))


def scheme_of(url: object) -> str:
    """The URL's scheme as urllib.parse reads it (lower case), or ``""`` for what is no URL."""
    try:
        return urlsplit(str(url)).scheme
    except ValueError:
        return ""
