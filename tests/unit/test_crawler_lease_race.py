"""A load of the frontier (_next_item -> load_queued) racing a state write must not publish a page twice.

load_queued reads the DB snapshot in a worker thread; meanwhile the writer loop writes a just-acked page's
done mark and _on_final releases its lease. The filter `r.url not in hs.leased` runs after the await, so
the page (queued in the stale snapshot, no longer leased) is pushed again with no etag/hash, re-fetched
(200, not 304) and published a second time.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime

from aiokafka.structs import RecordMetadata

from services.crawler.adapters.fetcher import FetchResult
from services.crawler.adapters.state import Batch, UrlRow
from services.crawler.config import CrawlConfig
from services.crawler.domain.policy import HostPace
from services.crawler.engine import Crawler, HostState

HOST = "h.test"
A = f"http://{HOST}/2024/01/post-a/"
BODY = b"<html><head><title>A</title></head><body><article><p>static post body</p></article></body></html>"


class FakeStore:
    """A frontier table; load_queued can pause between its snapshot and its return (the race window)."""

    def __init__(self) -> None:
        self.state = {A: "queued"}
        self.snapshot_taken = threading.Event()
        self.release = threading.Event()
        self.race = False

    def load_queued(self, host: str, limit: int, now: datetime) -> tuple[list[UrlRow], datetime | None]:
        rows = [
            UrlRow(url=u, host=HOST, role="article", depth=3, seq=i)
            for i, (u, s) in enumerate(self.state.items())
            if s == "queued"
        ][:limit]
        if self.race:  # READ COMMITTED: the rows are from before the concurrent commit below
            self.snapshot_taken.set()
            assert self.release.wait(5)
        return rows, None

    def write(self, batch: Batch) -> None:
        for u in batch.updates:
            self.state[u.url] = u.state


class FakePublisher:
    topic = "raw"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.futs: list[asyncio.Future[RecordMetadata]] = []

    async def send(self, key: str, value: bytes, role: str) -> asyncio.Future[RecordMetadata]:
        self.sent.append(key)
        fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        self.futs.append(fut)
        return fut


def _ok() -> FetchResult:
    return FetchResult(
        url=A,
        status=200,
        headers={"content-type": "text/html", "etag": '"a1"'},
        body=BODY,
        body_bytes=len(BODY),
    )


async def test_a_page_acked_during_a_frontier_load_is_not_fetched_again() -> None:
    cfg = CrawlConfig(seeds=[f"http://{HOST}/"], frontier_window=10)
    store, pub = FakeStore(), FakePublisher()
    crawler = Crawler(cfg, store, fetcher=None, publisher=pub)  # type: ignore[arg-type]
    hs = HostState(origin=f"http://{HOST}", pace=HostPace(cfg.pace))
    crawler.hosts[HOST] = hs

    row = await crawler._next_item(HOST, hs)  # A comes from the DB into the window (leased)
    assert row is not None and row.url == A and A in hs.leased
    await crawler._handle(hs, row, _ok())  # published; its done mark waits for the ack
    assert pub.sent == [A]

    hs.needs_load = True  # more of the host's backlog spilled to the DB: the next pick loads
    store.race = True
    pick = asyncio.create_task(crawler._next_item(HOST, hs))
    while not store.snapshot_taken.is_set():
        await asyncio.sleep(0.001)
    # Meanwhile Kafka acks A and the writer loop writes its done mark: the lease is released.
    pub.futs[0].set_result(RecordMetadata("raw", 0, None, 5972, -1, 0, -1))
    await crawler._flush()
    assert store.state[A] == "done" and A not in hs.leased
    store.release.set()
    again = await pick

    if again is not None:  # what the host worker would do with it: fetch (no etag: 200) and handle
        assert again.etag is None and again.content_sha256 is None
        await crawler._handle(hs, again, _ok())
    assert pub.sent == [A], f"published twice: {pub.sent}"
