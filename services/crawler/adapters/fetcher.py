"""HTTP fetching with httpx: no automatic redirects, streamed bodies with a size cap, SSRF guard at connect.

The guard sits in the connection layer, so it checks the address actually connected to (no DNS-rebinding
gap between a check and the connect), for every request including each redirect hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore
import httpx
from httpcore._backends.auto import AutoBackend

from services.crawler.domain.addresses import is_public_address, may_connect
from services.crawler.domain.parse import is_kept_type


class BlockedAddressError(Exception):
    """The host resolved only to addresses the crawler must not connect to."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, trusted_hosts: frozenset[str]) -> None:
        self._inner = AutoBackend()
        self._trusted = trusted_hosts

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout
            )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        allowed = [a for a in addresses if may_connect(host, a, self._trusted)]
        if not allowed:
            raise BlockedAddressError(f"{host} resolves to non-public addresses {addresses}: refused")
        last: Exception | None = None
        for address in allowed:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("unix sockets are not crawled")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@dataclass(slots=True)
class FetchResult:
    url: str
    status: int | None  # None: no HTTP response (see error)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, the ones that matter
    body: bytes | None = None
    truncated: bool = False
    body_bytes: int = 0
    error: str | None = None
    blocked: bool = False  # refused by the address guard: permanent, no retry
    elapsed: float = 0.0
    wait: float | None = None  # set by the crawler: how long the host must rest after this answer


_KEPT_HEADERS = (
    "content-type",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "x-robots-tag",
    "content-length",
)


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return not is_public_address(host)


class Fetcher:
    def __init__(
        self,
        *,
        user_agent: str,
        trusted_hosts: frozenset[str],
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_body_bytes: int = 4 * 1024 * 1024,
        max_connections: int = 20,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        transport = httpx.AsyncHTTPTransport(retries=0, limits=httpx.Limits(max_connections=max_connections))
        # httpx does not expose the network backend: swap in a pool that uses the guarded one.
        transport._pool = httpcore.AsyncConnectionPool(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(trusted_hosts),
            ssl_context=httpx.create_ssl_context(),
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, robots: bool = False
    ) -> FetchResult:
        headers: dict[str, str] = {
            "Accept": "text/plain,*/*;q=0.1"
            if robots
            else "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,*/*;q=0.1"
        }
        if _is_local(url):
            # Loopback/LAN: a connection costs nothing, and simple servers that write headers and body
            # separately stall 40 ms per request on Nagle + delayed ACK when the connection is reused.
            headers["Connection"] = "close"
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        try:
            async with self._client.stream("GET", url, headers=headers) as resp:
                kept = {k: resp.headers[k] for k in _KEPT_HEADERS if k in resp.headers}
                result = FetchResult(url=url, status=resp.status_code, headers=kept)
                if resp.status_code == 200:
                    if is_kept_type(kept.get("content-type"), robots=robots):
                        await self._read_body(resp, result)
                    else:  # only HTML/XML is kept: do not download the rest
                        result.error = f"content type not kept: {kept.get('content-type')}"

        except BlockedAddressError as exc:
            return FetchResult(
                url=url, status=None, error=str(exc), blocked=True, elapsed=time.monotonic() - started
            )
        except httpx.TimeoutException as exc:
            return FetchResult(
                url=url,
                status=None,
                error=f"timeout: {type(exc).__name__}",
                elapsed=time.monotonic() - started,
            )
        except (httpx.HTTPError, OSError) as exc:
            return FetchResult(
                url=url, status=None, error=f"{type(exc).__name__}: {exc}", elapsed=time.monotonic() - started
            )
        result.elapsed = time.monotonic() - started
        return result

    async def _read_body(self, resp: httpx.Response, result: FetchResult) -> None:
        """Stream the body, stop reading past the size cap (the rest is never downloaded)."""
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            result.truncated, result.body_bytes = True, int(declared)
            return
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > self.max_body_bytes:
                result.truncated, result.body_bytes = True, size
                return
            chunks.append(chunk)
        result.body = b"".join(chunks)
        result.body_bytes = size
