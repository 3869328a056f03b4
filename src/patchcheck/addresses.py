"""Which hosts a visitor from the internet should never be handed or sent to: one rule for all.

Hosts are classified as a resolver would read them, never by pattern: ``127.1``, ``0x7f.1``
and ``2130706433`` are 127.0.0.1 (inet_aton's forms, which resolvers and browsers accept),
``[::ffff:10.0.0.1]`` is 10.0.0.1, ``localhost`` names are loopback. A host that is neither
an address nor a valid name is INVALID, which a check reports (ABORT) and never passes.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import socket
import string
from dataclasses import dataclass
from urllib.parse import urlsplit


class HostKind(enum.Enum):
    PUBLIC = "public"
    INTERNAL = "internal"
    INVALID = "invalid"


@dataclass(frozen=True)
class HostClass:
    """What a host is: its kind and, for a check's sentence, why (``loopback address 127.0.0.1``)."""

    kind: HostKind
    reason: str


#: Names every resolver answers with a loopback address (RFC 6761, Debian's /etc/hosts).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
#: A last label inet_aton reads as a number: then the whole host is an IPv4 address or nothing.
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
IPV4_CHARACTERS = frozenset(string.hexdigits + "xX.")


def classify_host(host: str | None) -> HostClass:
    """PUBLIC, INTERNAL (private, loopback, link-local, unspecified; localhost names) or INVALID."""
    if not host:
        return HostClass(HostKind.INVALID, "no host")
    text = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is None:
        return classify_name(host, text)
    return classify_address(address, written=host)


def classify_name(host: str, text: str) -> HostClass:
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    if NUMERIC_LABEL.match(labels[-1]):
        return classify_short_ipv4(host, name)
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return HostClass(HostKind.INTERNAL, f"loopback name {host}")
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return HostClass(HostKind.INVALID, f"invalid host name {host!r}")
    if len(ascii_name) > 253 or not all(LABEL.match(label) for label in ascii_name.split(".")):
        return HostClass(HostKind.INVALID, f"invalid host name {host!r}")
    return HostClass(HostKind.PUBLIC, f"name {host}")


def classify_short_ipv4(host: str, name: str) -> HostClass:
    """``127.1``, ``0x7f.1``, ``2130706433``: inet_aton's forms, which resolvers and browsers accept."""
    if not IPV4_CHARACTERS.issuperset(name):  # inet_aton ignores what follows a space: never pass that
        return HostClass(HostKind.INVALID, f"invalid host {host!r}")
    try:
        packed = socket.inet_aton(name)
    except OSError:
        return HostClass(HostKind.INVALID, f"invalid IPv4 address {host!r}")
    return classify_address(ipaddress.IPv4Address(packed), written=host)


def classify_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, written: str) -> HostClass:
    shown = str(address) if str(address) == written.strip("[]").lower() else f"{address} (written {written})"
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return classify_address(mapped, written=written)
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private"):
        if getattr(address, f"is_{kind}"):
            return HostClass(HostKind.INTERNAL, f"{kind.replace('_', '-')} address {shown}")
    return HostClass(HostKind.PUBLIC, f"address {shown}")


def url_host(url: str) -> tuple[str | None, HostClass]:
    """The URL's host and its class; a URL that does not parse, or names no valid port, is INVALID."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port out of range or not a number)
    except ValueError as exc:
        return None, HostClass(HostKind.INVALID, f"not a URL ({exc})")
    return parts.hostname, classify_host(parts.hostname)


def is_loopback(host: str | None) -> bool:
    """Whether the host reaches this machine only: a loopback address in any form, or a localhost name."""
    found = classify_host(host)
    return found.kind is HostKind.INTERNAL and found.reason.startswith("loopback")
