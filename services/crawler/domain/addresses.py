"""Which resolved addresses the crawler may connect to (SSRF guard)."""

from __future__ import annotations

import ipaddress


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def may_connect(host: str, address: str, trusted_hosts: frozenset[str]) -> bool:
    """Public addresses always; others only for a host (or address) the operator allowed explicitly."""
    if is_public_address(address):
        return True
    return host.lower() in trusted_hosts or address in trusted_hosts
