"""Which resolved addresses the crawler may connect to (SSRF guard)."""

from __future__ import annotations

import ipaddress

# NAT64 (RFC 6052): the last 32 bits are an IPv4 address the gateway connects to.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses a packet to ``ip`` may end up at: mapped, 6to4, Teredo (server and client), NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses.

    IPv6 transition addresses (IPv4-mapped, 6to4 2002::/16, Teredo 2001::/32, NAT64) are judged by the IPv4
    addresses they embed too: 2002:7f00:1:: reaches 127.0.0.1 through a 6to4 relay.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if ip.ipv4_mapped is not None:
            return _is_public_ip(ip.ipv4_mapped)
        if embedded and not all(_is_public_ip(v4) for v4 in embedded):
            return False
    return _is_public_ip(ip)


def may_connect(host: str, address: str, trusted_hosts: frozenset[str]) -> bool:
    """Public addresses always; others only for a host (or address) the operator allowed explicitly."""
    if is_public_address(address):
        return True
    return host.lower() in trusted_hosts or address in trusted_hosts
