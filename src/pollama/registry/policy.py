"""Where a registry may send us: the redirect and upload-location policy (security.md).

Pure functions of URLs; nothing here resolves a host name or opens a connection. The rules, for a
``target`` URL named by a registry at ``origin``:

1. only ``http`` and ``https``;
2. the same host name as the registry (any port) is allowed, except a downgrade from https to http;
3. any other host needs ``https``;
4. an IP literal (in any form the C resolver accepts, such as ``2852039166`` or ``0xa9.254.0.1``)
   must be a public address: link-local (cloud metadata), unspecified, multicast and reserved
   addresses are always refused, loopback and private ones unless the registry itself is on
   loopback (a test or development registry);
5. ``localhost`` and ``*.localhost`` count as loopback.

Host names are not resolved, so a public name that resolves to a private address is not caught
here; that is the job of a proxy or a firewall.
"""

from __future__ import annotations

import ipaddress
import socket

import httpx

from pollama.errors import RegistryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` denotes when it is an IP literal, else None (no DNS lookup)."""
    address: IPAddress | None
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = _legacy_ipv4(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    # inet_aton parses the numeric forms getaddrinfo would (decimal, octal, hex, short dotted)
    # without touching the network; anything with letters outside hex digits is a name.
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is a loopback IP literal or a ``localhost`` name."""
    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return True
    address = ip_literal(host)
    return address is not None and address.is_loopback


def same_authority(a: httpx.URL, b: httpx.URL) -> bool:
    """Same scheme, host and port: the only URLs that may receive our credentials."""
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def authority(url: httpx.URL) -> str:
    """``host[:port]`` as a registry name writes it (IPv6 in brackets)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port is not None else host


def redirect_refusal(origin: httpx.URL, target: httpx.URL) -> str | None:
    """Why ``origin`` may not send us to ``target``, or None when it may."""
    if target.scheme not in ("http", "https"):
        return f"scheme {target.scheme!r} is not allowed"
    if not target.host:
        return "no host"
    if target.host == origin.host:
        if origin.scheme == "https" and target.scheme == "http":
            return "downgrade from https to http"
        return None
    if target.scheme != "https":
        return "a different host must use https"
    return _address_refusal(target.host, is_loopback_host(origin.host))


def _address_refusal(host: str, origin_on_loopback: bool) -> str | None:
    address = ip_literal(host)
    if address is None:
        if is_loopback_host(host) and not origin_on_loopback:
            return "loopback host"
        return None
    if (
        address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    ):
        return "link-local, unspecified, multicast or reserved address"
    if (address.is_loopback or address.is_private) and not origin_on_loopback:
        return "loopback or private address"
    return None


def check_redirect(origin: httpx.URL, target: httpx.URL) -> None:
    """Raise RegistryError ``refusing redirect to "<url>": <why>`` unless the policy allows it."""
    reason = redirect_refusal(origin, target)
    if reason is not None:
        raise RegistryError(f'refusing redirect to "{target}": {reason}')


__all__ = [
    "authority",
    "check_redirect",
    "ip_literal",
    "is_loopback_host",
    "redirect_refusal",
    "same_authority",
]
