"""SSRF guard: which webhook URLs and addresses we are willing to connect to.

Checked twice: before a request (IP literals never reach a resolver) and in the
connector's resolver, so a name that resolves to a public address at check time
and to a private one at connect time (DNS rebinding) is still refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class DestinationRefused(OSError):
    """The URL or an address it resolves to is not one we send webhooks to (final)."""


def check_url(url: str, *, allow_loopback_http: bool) -> None:
    """Refuse URLs that are not https (http only to loopback, and only when allowed)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise DestinationRefused(f"not a valid URL: {error}") from None
    if not parts.hostname:
        raise DestinationRefused("the URL has no host")
    if parts.username or parts.password:
        raise DestinationRefused("credentials in the URL are not allowed")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_loopback_http and _is_loopback_host(parts.hostname):
        return
    raise DestinationRefused("webhook URLs must use https")


def refusal_reason(address: str, *, allow_loopback: bool) -> str | None:
    """Why we won't connect to this IP address, or None when it is acceptable."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


async def check_destination(url: str, *, allow_loopback_http: bool) -> None:
    """check_url, then resolve the host and refuse it if any address is not public."""
    check_url(url, allow_loopback_http=allow_loopback_http)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        # Unresolvable now may resolve later: the caller treats this as retryable.
        raise ConnectionError(f"cannot resolve {host}: {error}") from None
    _refuse_any([info[4][0] for info in infos], host, allow_loopback_http)


def _refuse_any(addresses: list[str], host: str, allow_loopback: bool) -> None:
    for address in addresses:
        reason = refusal_reason(address, allow_loopback=allow_loopback)
        if reason:
            raise DestinationRefused(f"{host} resolves to {reason}")


def _is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses every non-public address (loopback when allowed)."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_loopback = allow_loopback

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        _refuse_any([result["host"] for result in results], host, self._allow_loopback)
        return results

    async def close(self) -> None:
        await self._inner.close()


def is_refusal(error: BaseException) -> bool:
    """Whether a (possibly wrapped) exception is a DestinationRefused."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, DestinationRefused):
            return True
        seen.add(id(current))
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    return False
