"""The products a host is asked about, and the names under which a host may know them.

Every name met on a host (a dpkg source package, a dist-info folder, a METADATA ``Name``) is
compared as a PEP 503 product key, and a distribution that stands for another deliverable
(``openstack-heat`` for heat) is mapped by the table the controller passes: the host side knows
no product name by hand.
"""

from __future__ import annotations

import re
from typing import Any


def product_key(name: str) -> str:
    """PEP 503 name: ``oslo_messaging``, ``oslo.messaging`` and ``Oslo-Messaging`` meet."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Wanted(frozenset):
    """The product keys to report, and the Python distribution names that stand for them.

    A deliverable's distribution may have another name (heat is ``openstack-heat`` on PyPI and
    in a dist-info's ``Name``); the controller passes that map from the release data in force
    (``patchcheck advisories distributions``), so nothing here knows a name by hand.
    """

    aliases: dict[str, str]

    def __new__(cls, products: Any, aliases: dict[str, str] | None = None) -> Wanted:
        wanted = super().__new__(cls, (product_key(str(name)) for name in products))
        wanted.aliases = {product_key(str(k)): product_key(str(v)) for k, v in (aliases or {}).items()}
        return wanted


def product_of(name: str, wanted: Any) -> str:
    """The product a distribution name stands for: its PEP 503 name, or the deliverable it is an alias of."""
    key = product_key(name)
    return getattr(wanted, "aliases", {}).get(key, key)
