"""Which addresses a visitor from the internet should never be handed or sent to."""

from __future__ import annotations

import ipaddress


def private_address(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address when ``host`` is a private, loopback or link-local IP; None for names and public IPs."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    return address if address.is_private or address.is_loopback or address.is_link_local else None
