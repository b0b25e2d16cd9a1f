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
from services.crawler.domain.encoding import BodyDecoder, EncodingRefusedError, parse_content_encoding
from services.crawler.domain.parse import is_kept_type


class BlockedAddressError(Exception):
    """The host resolved only to addresses the crawler must not connect to."""


class TooSlowError(Exception):
    """The server sends the body slower than the minimum transfer rate."""


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
    permanent: bool = False  # this URL cannot be fetched (invalid URL, refused encoding): park, no retry
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
        deadline: float = 120.0,
        min_rate: float = 1024.0,
        min_rate_grace: float = 10.0,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.deadline = deadline
        self.min_rate = min_rate
        self.min_rate_grace = min_rate_grace
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

        def failed(error: str, *, blocked: bool = False, permanent: bool = False) -> FetchResult:
            elapsed = time.monotonic() - started
            return FetchResult(url, None, error=error, elapsed=elapsed, blocked=blocked, permanent=permanent)

        try:
            # The per-read timeout alone lets a server trickle one byte a second for ever: the whole
            # request has a deadline, and the body a minimum rate.
            async with asyncio.timeout(self.deadline):
                result = await self._request(url, headers, robots, started)
        except BlockedAddressError as exc:
            return failed(str(exc), blocked=True)
        except TimeoutError:
            return failed(f"timeout: request deadline of {self.deadline:g} s")
        except httpx.TimeoutException as exc:
            return failed(f"timeout: {type(exc).__name__}")
        except TooSlowError as exc:
            return failed(str(exc))
        except EncodingRefusedError as exc:
            return failed(str(exc), permanent=True)
        except (httpx.HTTPError, OSError) as exc:
            return failed(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # e.g. httpx.InvalidURL: this URL's failure, not the crawler's
            return failed(f"{type(exc).__name__}: {str(exc)[:500]}", permanent=True)
        result.elapsed = time.monotonic() - started
        return result

    async def _request(self, url: str, headers: dict[str, str], robots: bool, started: float) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as resp:
            kept = {k: resp.headers[k] for k in _KEPT_HEADERS if k in resp.headers}
            result = FetchResult(url=url, status=resp.status_code, headers=kept)
            if resp.status_code == 200:
                if is_kept_type(kept.get("content-type"), robots=robots):
                    await self._read_body(resp, result, started)
                else:  # only HTML/XML is kept: do not download the rest
                    result.error = f"content type not kept: {kept.get('content-type')}"
        return result

    async def _read_body(self, resp: httpx.Response, result: FetchResult, started: float) -> None:
        """Stream the body, stop reading past the size cap (the rest is never downloaded).

        The raw bytes are decoded here, not by httpx: one layer of gzip/deflate, with an output limit, so
        the cap applies to the decoded size too.
        """
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            result.truncated, result.body_bytes = True, int(declared)
            return
        coding = parse_content_encoding(resp.headers.get("content-encoding"))
        decoder = BodyDecoder(coding, self.max_body_bytes)
        chunks: list[bytes] = []
        received = 0
        async for raw in resp.aiter_raw():
            received += len(raw)
            chunks.append(decoder.feed(raw))
            if decoder.over_limit or received > self.max_body_bytes:
                result.truncated, result.body_bytes = True, max(decoder.produced, received)
                return
            elapsed = time.monotonic() - started
            if elapsed > self.min_rate_grace and received / elapsed < self.min_rate:
                raise TooSlowError(f"too slow: {received / elapsed:.0f} B/s after {elapsed:.1f} s")
        chunks.append(decoder.finish())
        if decoder.over_limit:
            result.truncated, result.body_bytes = True, decoder.produced
            return
        result.body = b"".join(chunks)
        result.body_bytes = decoder.produced
