"""URLs read by parsing, never by pattern: credentials removed, schemes compared.

Rules the judge, the report and the delivery share (the tenant collector, an Ansible module
that cannot import patchcheck, carries a copy of ``without_userinfo`` that a unit test holds
equal; hosts are classified in ``judge/addresses.py``):

- *Credentials* leave no output. In free text a URL starts at ``://`` and a password may hold
  a space, a quote, ``/``, ``@`` or even ``://`` unencoded, so nothing tells where one URL's
  credentials begin: everything from the first ``://`` to the last ``@`` after it goes (every
  character that could be a password lies in that span). Cutting too much from a message is
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
    """``text`` with every URL's credentials removed, in time linear in its length.

    The span from the first ``://`` to the last ``@`` after it goes: ``https://u:p@h/`` keeps
    ``h``, and ``https://u:pa://ss@h/`` loses ``u:pa://ss`` (a nearer ``://`` would have left
    ``u:pa``). When the span holds what no userinfo holds (``/``, a space, a quote, a second
    URL), the text after its ``@`` may not be the host a client reaches: ``HIDDEN_HOST`` marks it.
    """
    start = text.find("://")
    at = text.rfind("@")
    if start == -1 or at < start + 3:
        return text
    userinfo = text[start + 3 : at]
    marker = "" if USERINFO_CHARACTERS.issuperset(userinfo) else HIDDEN_HOST + "/"
    return text[: start + 3] + marker + text[at + 1 :]


def scheme_of(url: object) -> str:
    """The URL's scheme as urllib.parse reads it (lower case), or ``""`` for what is no URL."""
    try:
        return urlsplit(str(url)).scheme
    except ValueError:
        return ""
