"""The crawl loop: one worker per host (one request at a time), a batched state writer, crash recovery.

Invariants:
- a URL is marked done only after its event was acknowledged by Kafka (or when nothing is published);
- a page's discovered links are written in the same transaction as, or before, the page's done mark;
- after a crash, events acknowledged but not yet marked are read back from the topic and marked (their
  links re-discovered from the body), so nothing is published twice and nothing discovered is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.structs import RecordMetadata

from services.common.events import PageRole, RawPage
from services.crawler import metrics
from services.crawler.adapters.fetcher import Fetcher, FetchResult
from services.crawler.adapters.publisher import Publisher
from services.crawler.adapters.state import (
    Batch,
    NewUrl,
    StateStore,
    UrlRow,
    UrlUpdate,
    data_error_reason,
)
from services.crawler.config import CrawlConfig
from services.crawler.domain.freshness import (
    FRESH_PRIORITY,
    POLL_PRIORITY,
    is_poll_target,
    newest_sitemap,
    poll_items,
    to_revisit,
)
from services.crawler.domain.isolation import write_isolating
from services.crawler.domain.page import Analysis, PageRefusedError, analyse, content_hash
from services.crawler.domain.parse import RobotsRules, decode_body, sniff_charset
from services.crawler.domain.policy import RETRYABLE_STATUSES, HostPace, parse_retry_after
from services.crawler.domain.scope import Scope, Verdict, guess_role, is_pagination, page_number, priority
from services.crawler.domain.urls import canonicalize, host_of

log = logging.getLogger("hqfacts.crawler")

# Discovery fallbacks when robots.txt names no sitemap: WordPress core, Yoast, the generic name.
# A page published before that now answers one of these is withdrawn; its event carries this marker hash,
# which no fetched body has, so a page that comes back is always published again.
GONE_STATUSES = frozenset({404, 410})
GONE_SHA256 = content_hash(b"\x00hqfacts: withdrawn")

SITEMAP_GUESSES = ("/wp-sitemap.xml", "/sitemap_index.xml", "/sitemap.xml")
FEED_GUESSES = ("/feed/",)


def utcnow() -> datetime:
    return datetime.now(UTC)


def netloc_of(url: str) -> str:
    return urlsplit(url).netloc


@dataclass
class HostState:
    """Everything about one host (scheme://netloc): its in-memory frontier window, pace and robots."""

    origin: str
    pace: HostPace
    queue: list[tuple[int, int, str]] = field(default_factory=list)  # heap (priority, seq, url)
    items: dict[str, UrlRow] = field(default_factory=dict)  # queued in memory
    delayed: list[tuple[float, int, str]] = field(default_factory=list)  # heap (due monotonic, seq, url)
    delayed_items: dict[str, UrlRow] = field(default_factory=dict)
    leased: set[str] = field(default_factory=set)  # in memory until the DB has its final state
    needs_load: bool = True  # the DB may hold queued URLs of this host that are not in memory
    db_due_at: datetime | None = None  # the earliest retry-waiting URL in the DB
    busy: bool = False
    processing: asyncio.Task[None] | None = None  # the last response, being parsed/published
    next_request_at: float = 0.0  # monotonic
    robots: RobotsRules | None = None
    robots_expires: float = 0.0
    robots_failures: int = 0
    blocked: str | None = None  # why every URL of this host is refused (SSRF guard)
    gave_up: bool = False  # robots.txt kept failing: no more requests to this host in this run
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def idle(self) -> bool:
        if self.processing is not None and not self.processing.done():
            return False
        return not (self.queue or self.delayed or self.busy or self.needs_load or self.db_due_at)


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    fetched: int = 0
    published: int = 0
    not_modified: int = 0
    unchanged: int = 0
    gone: int = 0  # withdrawals published (a page published before now answers 404/410)
    errors: int = 0
    parked: int = 0
    retried: int = 0
    bytes: int = 0
    discovered: int = 0
    queued_at_start: int = 0
    finalized: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    stop_reason: str = ""

    def snapshot(self) -> dict[str, object]:
        elapsed = max(1e-6, time.monotonic() - self.started)
        return {
            "fetched": self.fetched,
            "published": self.published,
            "queued": max(0, self.queued_at_start + self.discovered - self.finalized),
            "parked": self.parked,
            "not_modified": self.not_modified,
            "withdrawn": self.gone,
            "errors": self.errors,
            "bytes": self.bytes,
            "rate": round(self.fetched / elapsed, 1),
            "elapsed_s": round(elapsed, 1),
        }


class Writer:
    """Batches state changes; an update waiting for a Kafka ack is written only once the ack is in."""

    def __init__(self, store: StateStore, topic: str, on_final: Callable[[UrlUpdate], None]) -> None:
        self.store = store
        self.topic = topic
        self.on_final = on_final
        self.new_urls: list[NewUrl] = []
        self.updates: list[UrlUpdate] = []
        self.acks: list[tuple[asyncio.Future[RecordMetadata], UrlUpdate]] = []
        self.checkpoints: dict[tuple[str, int], int] = {}
        self.healthy = True
        self.rejected = 0  # rows PostgreSQL refused (data errors): parked or dropped, never retried
        self._lock = asyncio.Lock()

    def pending(self) -> bool:
        return bool(self.new_urls or self.updates or self.acks or self.checkpoints)

    async def flush(self) -> list[tuple[UrlUpdate, BaseException]]:
        """Write what is ready; returns publishes that failed (the caller re-queues those URLs)."""
        async with self._lock:
            batch = Batch(new_urls=self.new_urls, updates=self.updates, checkpoints=self.checkpoints)
            self.new_urls, self.updates, self.checkpoints = [], [], {}
            waiting: list[tuple[asyncio.Future[RecordMetadata], UrlUpdate]] = []
            failed: list[tuple[UrlUpdate, BaseException]] = []
            for fut, upd in self.acks:
                if not fut.done():
                    waiting.append((fut, upd))
                elif fut.cancelled() or fut.exception() is not None:
                    failed.append((upd, fut.exception() or asyncio.CancelledError()))
                else:
                    md = fut.result()
                    key = (self.topic, md.partition)
                    batch.checkpoints[key] = max(batch.checkpoints.get(key, 0), md.offset + 1)
                    batch.updates.append(upd)
            self.acks = waiting
            if batch:
                try:
                    try:
                        await asyncio.to_thread(self.store.write, batch)
                    except Exception as exc:
                        if data_error_reason(exc) is None:
                            raise
                        batch.updates = await asyncio.to_thread(self._write_isolating, batch)
                except Exception:
                    # Keep everything for the next attempt: nothing is marked done before it is written.
                    self.new_urls = batch.new_urls + self.new_urls
                    self.updates = batch.updates + self.updates
                    for key, offset in batch.checkpoints.items():
                        self.checkpoints[key] = max(offset, self.checkpoints.get(key, 0))
                    self.healthy = False
                    raise
                self.healthy = True
                for upd in batch.updates:
                    self.on_final(upd)
            return failed

    def _write_isolating(self, batch: Batch) -> list[UrlUpdate]:
        """The batch hit rejected data: write it in halves until the bad rows are alone, park those rows
        with the reason, write the rest. Returns the updates as finally written (for ``on_final``)."""
        items: list[NewUrl | UrlUpdate] = [*batch.new_urls, *batch.updates]  # new rows before updates

        def write(chunk: Sequence[NewUrl | UrlUpdate]) -> None:
            self.store.write(
                Batch(
                    new_urls=[i for i in chunk if isinstance(i, NewUrl)],
                    updates=[i for i in chunk if isinstance(i, UrlUpdate)],
                )
            )

        rejected = write_isolating(items, write, data_error_reason)
        bad = {id(item) for item, _ in rejected}
        written = [u for u in batch.updates if id(u) not in bad]
        for item, reason in rejected:
            self.rejected += 1
            log.error("row rejected by the database", extra={"url": item.url[:300], "error": reason})
            if isinstance(item, NewUrl):
                continue  # no row can hold it: it stays unknown to the state (and refused in memory)
            parked = UrlUpdate(
                url=item.url,
                state="parked",
                role=item.role,
                attempts=item.attempts,
                next_at=None,
                last_status=item.last_status,
                last_error=reason,
            )
            if write_isolating([parked], write, data_error_reason):
                log.error("could not park a rejected row", extra={"url": item.url[:300]})
            written.append(parked)  # released in memory either way: it is never retried
        if batch.checkpoints:
            self.store.write(Batch(checkpoints=batch.checkpoints))
        return written


class Crawler:
    def __init__(
        self,
        config: CrawlConfig,
        store: StateStore,
        fetcher: Fetcher,
        publisher: Publisher,
        scope: Scope | None = None,
    ) -> None:
        self.cfg = config
        self.store = store
        self.fetcher = fetcher
        self.publisher = publisher
        self.scope = scope or scope_of(config)
        self.rng = random.Random(config.seed_random)
        self.hosts: dict[str, HostState] = {}
        self.known: set[int] = set()
        self.budget_used: Counter[str] = Counter()
        self.host_urls: Counter[str] = Counter()  # URLs ever queued per host (netloc), for the per-host cap
        self.stats = Stats()
        self.writer = Writer(store, publisher.topic, self._on_final)
        self._verdicts: dict[str, Verdict] = {}
        self._seq = 0
        self._stop = asyncio.Event()
        self.stop_reason = ""
        self._robots_hash: dict[str, str | None] = {}
        # Feed-first polling: the poll targets (marked in the DB by their priority), each one's current
        # interval (adaptive; from the minimum after a start) and what it listed at its last look.
        self.poll_urls: set[str] = set()
        self._poll_interval: dict[str, float] = {}
        self._poll_items: dict[str, dict[str, str]] = {}
        self._newest_sitemap: dict[str, str] = {}  # netloc -> its polled posts sitemap

    # -- lifecycle
    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self.stop_reason = reason
            self._stop.set()
            for hs in self.hosts.values():
                hs.wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self) -> Stats:
        await asyncio.to_thread(self.store.start_run, self.cfg.seeds, utcnow())
        await self._load_known()
        await self._recover()
        latest_poll = utcnow() + timedelta(seconds=self.cfg.poll.max_seconds)
        await asyncio.to_thread(self.store.clamp_polls, latest_poll, POLL_PRIORITY)
        requeued = await asyncio.to_thread(self.store.requeue_due, utcnow(), everything=self.cfg.recrawl)
        if requeued:
            log.info("revisiting done pages", extra={"requeued": requeued})
        status = await asyncio.to_thread(self.store.status)
        self.stats.queued_at_start = int(status["by_state"].get("queued", 0))
        for seed in self.cfg.seeds:
            c = canonicalize(seed)
            if c is None:
                raise ValueError(f"not an http(s) URL: {seed}")
            self._discover(c, depth=0, force_scope=True)
            home = canonicalize("/", c)
            if home is not None and self.scope.host_allowed(home):
                self._discover(home, depth=0)
                await self._mark_poll([home])
        for netloc in await asyncio.to_thread(self.store.queued_hosts):
            self._host_for(netloc)
        writer_task = asyncio.create_task(self._writer_loop(), name="writer")
        idle_task = asyncio.create_task(
            self._idle_loop() if self.cfg.until_idle else self._revisit_loop(), name="idle-or-revisit"
        )
        try:
            await self._stop.wait()
        finally:
            # Workers see the stop flag and finish the page in hand; the slow ones are cancelled (their
            # URLs simply stay queued for the next run).
            tasks = [hs.task for hs in self.hosts.values() if hs.task is not None]
            if tasks:
                _, late = await asyncio.wait(tasks, timeout=5)
                for task in late:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            idle_task.cancel()
            await self._drain()
            writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer_task
            await asyncio.to_thread(self.store.finish_run, utcnow(), self.stop_reason or "stopped")
            self.stats.stop_reason = self.stop_reason or "stopped"
        return self.stats

    async def _drain(self) -> None:
        """Wait for every acknowledgement in flight, then write the last batch."""
        deadline = time.monotonic() + 60
        while self.writer.acks and time.monotonic() < deadline:
            await asyncio.wait([f for f, _ in self.writer.acks], timeout=1)
            await self._flush()
        await self._flush()

    async def _load_known(self) -> None:
        def load() -> tuple[set[int], dict[str, int], dict[str, int]]:
            known = {hash(u) for u in self.store.known_urls()}
            return known, self.store.pattern_counts(), self.store.host_counts()

        self.known, counts, hosts = await asyncio.to_thread(load)
        self.budget_used.update(counts)
        self.host_urls.update(hosts)

    # -- crash recovery
    async def _recover(self) -> None:
        """Mark done what Kafka acknowledged after the last checkpoint (a crash lost the done marks)."""
        start = await asyncio.to_thread(self.store.checkpoints, self.publisher.topic)
        ends = await self.publisher.end_offsets()
        if start:
            recovered = 0
            async for pub in self.publisher.read_back({p: start.get(p, 0) for p in ends}):
                try:
                    page = RawPage.decode(pub.value)
                    self._recovered_page(page)
                except Exception:
                    # One unreadable event must not stop the recovery of the others.
                    log.exception("could not recover a published page", extra={"key": pub.key})
                    continue
                recovered += 1
            if recovered:
                log.info("recovered published pages after a crash", extra={"recovered": recovered})
        batch = Batch(checkpoints={(self.publisher.topic, p): o for p, o in ends.items()})
        await self._flush()
        await asyncio.to_thread(self.store.write, batch)

    def _recovered_page(self, page: RawPage) -> None:
        row = UrlRow(url=page.url, host=netloc_of(page.url), role=page.role, depth=0)
        if hash(page.url) not in self.known:
            # Its row may not have been written before the crash: make sure the update has a row.
            self.known.add(hash(page.url))
            self.writer.new_urls.append(
                NewUrl(
                    page.url,
                    row.host,
                    page.role,
                    self._verdict(page.url).pattern,
                    priority(page.url, page.role),
                    0,
                )
            )
        if page.body is not None and page.role != "robots":
            analysis = analyse(
                page.url,
                page.final_url,
                page.content_type,
                _reencode(page.body, page.charset),
                max_html_depth=self.cfg.max_html_depth,
                max_url_bytes=self.cfg.max_url_bytes,
            )
            self._discover_links(row, analysis.links)
        self.writer.updates.append(
            self._done_update(
                row,
                page.role,
                page.status,
                page.final_url,
                page.etag,
                page.last_modified,
                page.content_sha256,
                page.fetched_at,
                published=True,
            )
        )

    # -- discovery
    def _verdict(self, url: str) -> Verdict:
        v = self._verdicts.get(url)
        if v is None:
            if len(self._verdicts) > 50_000:
                self._verdicts.clear()  # bounded memory: a cache, not a record
            v = self._verdicts[url] = self.scope.check(url)
        return v

    def _discover(
        self,
        url: str,
        *,
        depth: int,
        redirects: int = 0,
        force_scope: bool = False,
        prio: int | None = None,
    ) -> bool:
        if self.scope.url_too_long(url):
            # Before the caches and the state store: such a URL is never kept anywhere.
            self.stats.refused["url_too_long"] += 1
            return False
        h = hash(url)
        if h in self.known:
            return False
        verdict = self._verdict(url)
        if not verdict.ok and not (force_scope and self.scope.host_allowed(url)):
            self.stats.refused[verdict.pattern] += 1
            return False
        if depth > self.cfg.max_depth:
            self.stats.refused["depth"] += 1
            return False
        netloc = netloc_of(url)
        if self.host_urls[netloc] >= self.cfg.max_urls_per_host:
            self.stats.refused["host_budget"] += 1
            return False
        if verdict.pattern:
            budget = self.scope.budgets.get(verdict.pattern)
            if budget is not None and self.budget_used[verdict.pattern] >= budget:
                self.stats.refused[verdict.pattern + "_budget"] += 1
                return False
            self.budget_used[verdict.pattern] += 1
        self.known.add(h)
        self.host_urls[netloc] += 1
        role = guess_role(url)
        if is_poll_target(url):
            prio = POLL_PRIORITY
            self.poll_urls.add(url)
        elif prio is None:
            prio = priority(url, role)
        self.writer.new_urls.append(NewUrl(url, netloc, role, verdict.pattern, prio, depth, redirects))
        self.stats.discovered += 1
        metrics.DISCOVERED.inc()
        hs = self._host_for(netloc, url)
        self._seq += 1
        # What a poll found jumps the queue even past a full window (a poll finds a handful of links).
        if prio < 0 or (len(hs.items) < self.cfg.frontier_window and not hs.needs_load):
            row = UrlRow(
                url=url,
                host=netloc,
                role=role,
                pattern=verdict.pattern,
                priority=prio,
                depth=depth,
                redirects=redirects,
                seq=-1_000_000_000 + self._seq,
                discovered_at=utcnow(),
            )
            self._push(hs, row)
        else:
            hs.needs_load = True  # spilled: it is in the DB (after the next flush), not in memory
        hs.wake.set()
        return True

    def _discover_links(self, row: UrlRow, links: list[str], *, fresh: bool = False) -> None:
        prio = FRESH_PRIORITY if fresh else None
        for link in links:
            # Paging through a listing is a sideways step: /page/N/ must not run into the depth limit
            # (the page-number cap and the pagination budget bound it instead).
            lateral = row.role == "listing" and is_pagination(link)
            self._discover(link, depth=row.depth if lateral else row.depth + 1, prio=prio)

    def _push(self, hs: HostState, row: UrlRow) -> None:
        hs.items[row.url] = row
        hs.leased.add(row.url)
        heapq.heappush(hs.queue, (row.priority, row.seq, row.url))

    def _host_for(self, netloc: str, url: str | None = None) -> HostState:
        hs = self.hosts.get(netloc)
        if hs is None:
            scheme = urlsplit(url).scheme if url else "http"
            hs = HostState(origin=f"{scheme}://{netloc}", pace=HostPace(self.cfg.pace))
            self.hosts[netloc] = hs
            hs.task = asyncio.create_task(self._host_worker(netloc, hs), name=f"host:{netloc}")
        return hs

    # -- the per-host worker
    async def _host_worker(self, netloc: str, hs: HostState) -> None:
        """Fetch one URL at a time; the previous page is processed while the next request is in flight."""
        try:
            while not self.stopping and not hs.gave_up:
                try:
                    if not await self._ensure_robots(hs):
                        continue
                except Exception:
                    # A robots.txt we cannot handle: this host is left for this run, the others go on.
                    log.exception(
                        "robots.txt handling failed: host given up for this run", extra={"host": netloc}
                    )
                    hs.gave_up = True
                    continue
                row = await self._next_item(netloc, hs)
                if row is None:
                    if hs.processing is not None:
                        await hs.processing  # its links may be the next work
                        hs.processing = None
                        continue
                    await self._wait_for_work(hs)
                    continue
                hs.busy = True
                try:
                    try:
                        result = await self._fetch_one(hs, row)
                    except Exception as exc:
                        log.exception("fetching a URL failed", extra={"url": row.url})
                        self._park(row, None, _describe(exc))
                        result = None
                    if hs.processing is not None:
                        await hs.processing
                        hs.processing = None
                    if result is not None:
                        hs.processing = asyncio.create_task(self._handle_isolated(hs, row, result))
                finally:
                    hs.busy = False
            if hs.processing is not None:
                await hs.processing
                hs.processing = None
        except asyncio.CancelledError:
            if hs.processing is not None:
                hs.processing.cancel()
            raise
        except Exception:
            log.exception("host worker crashed", extra={"host": netloc})
            self.request_stop("error")

    async def _wait_for_work(self, hs: HostState) -> None:
        timeout = 1.0
        if hs.delayed:
            timeout = min(timeout, max(0.0, hs.delayed[0][0] - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hs.wake.wait(), timeout=timeout)

    async def _next_item(self, netloc: str, hs: HostState) -> UrlRow | None:
        hs.wake.clear()  # before looking: a discovery from now on wakes the wait that may follow
        now_m = time.monotonic()
        while hs.delayed and hs.delayed[0][0] <= now_m:
            _, _, url = heapq.heappop(hs.delayed)
            row = hs.delayed_items.pop(url)
            hs.items[url] = row
            heapq.heappush(hs.queue, (row.priority, row.seq, url))
        if not hs.queue and (hs.needs_load or (hs.db_due_at is not None and hs.db_due_at <= utcnow())):
            await self._flush()
            limit = self.cfg.frontier_window + len(hs.leased)
            # The rows are a snapshot: a URL whose final state another flush writes while the query runs
            # comes back queued but is no longer leased. Leased when the query began, it is not taken, or
            # it would be fetched (without its validators) and published again.
            leased = set(hs.leased)
            rows, later = await asyncio.to_thread(self.store.load_queued, netloc, limit, utcnow())
            fresh = [r for r in rows if r.url not in hs.leased and r.url not in leased]
            for r in fresh[: self.cfg.frontier_window]:
                self._push(hs, r)
            # One left out that way may be queued again since: the next load reads it afresh.
            stale = any(r.url in leased and r.url not in hs.leased for r in rows)
            hs.needs_load = len(rows) >= limit or stale
            hs.db_due_at = later
        if hs.queue:
            _, _, url = heapq.heappop(hs.queue)
            return hs.items.pop(url)
        return None

    async def _pace(self, hs: HostState) -> bool:
        """Wait for this host's next slot; False if the crawl is stopping."""
        wait = hs.next_request_at - time.monotonic()
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
        return not self.stopping

    def _after_request(self, hs: HostState, extra_wait: float | None = None) -> None:
        # The gap runs from the end of one response to the start of the next request.
        hs.next_request_at = time.monotonic() + max(hs.pace.delay, extra_wait or 0.0)

    # -- robots.txt
    async def _ensure_robots(self, hs: HostState) -> bool:
        now_m = time.monotonic()
        if hs.robots is not None and now_m < hs.robots_expires:
            return True
        if not await self._pace(hs):
            return False
        url = hs.origin + "/robots.txt"
        result = await self.fetcher.fetch(url, robots=True)
        self._count_fetch(result)
        redirects = 0
        while result.status in (301, 302, 303, 307, 308) and redirects < self.cfg.max_redirects:
            target = canonicalize(result.headers.get("location", ""), url)
            if target is None or not self.scope.host_allowed(target):
                break
            redirects += 1
            self._after_request(hs)
            await self._pace(hs)
            result = await self.fetcher.fetch(target, robots=True)
            self._count_fetch(result)
        status = result.status
        if result.blocked:
            # The host resolves to an address we may not connect to: every URL of it is refused.
            hs.blocked = result.error or "address refused"
            log.warning("host refused", extra={"host": hs.origin, "error": hs.blocked})
            rules = RobotsRules.allow_all()
        elif status == 200 and result.body is not None:
            text = decode_body(result.body, sniff_charset(result.headers.get("content-type"), result.body))
            rules = RobotsRules.parse(text)
            await self._publish_robots(hs, url, result)
        elif status is not None and 300 <= status < 500 and status != 429:
            rules = RobotsRules.allow_all()  # no robots.txt (4xx) means everything is allowed
        else:
            # 5xx, 429 or no answer: wait and retry, fetch nothing else meanwhile.
            hs.robots_failures += 1
            if hs.robots_failures >= self.cfg.retry.max_attempts:
                # Its URLs stay queued for a later run; this run stops asking the host.
                log.error(
                    "robots.txt keeps failing: host given up for this run",
                    extra={"url": url, "status": status, "error": result.error},
                )
                hs.gave_up = True
                return False
            retry_after = parse_retry_after(result.headers.get("retry-after"), utcnow())
            wait = (
                hs.pace.on_throttle(retry_after, self.rng, too_many=status == 429)
                if status in (429, 503)
                else 0.0
            )
            backoff = self.cfg.retry.next_try(min(hs.robots_failures, 10), self.rng) or self.cfg.retry.cap
            self._after_request(hs, max(wait, backoff))
            log.warning(
                "robots.txt unavailable, waiting", extra={"url": url, "status": status, "error": result.error}
            )
            return False
        hs.robots_failures = 0
        hs.robots = rules
        hs.robots_expires = time.monotonic() + self.cfg.robots_ttl
        hs.pace.set_robots_delay(rules.crawl_delay(self.cfg.user_agent))
        self._after_request(hs)
        if hs.blocked:
            return True
        depth = 1
        sitemaps = [canonicalize(s, url) for s in rules.sitemaps] or [
            canonicalize(hs.origin + p) for p in SITEMAP_GUESSES
        ]
        polled: list[str] = []
        for sm in sitemaps:
            if sm is not None and self.scope.host_allowed(sm):
                self._discover(sm, depth=depth, prio=POLL_PRIORITY)
                polled.append(sm)
        # The sitemaps robots.txt names are the site's entry points: polled like the feed and home page.
        await self._mark_poll(polled)
        for feed in FEED_GUESSES:
            c = canonicalize(hs.origin + feed)
            if c is not None:
                self._discover(c, depth=depth)
        return True

    async def _publish_robots(self, hs: HostState, url: str, result: FetchResult) -> None:
        """robots.txt is published (role robots) when it changed since the last publication."""
        assert result.body is not None
        sha = content_hash(result.body)
        if url not in self._robots_hash:
            rows = await asyncio.to_thread(self.store.rows, [url])
            self._robots_hash[url] = rows[url].content_sha256 if url in rows else None
            if url not in rows:
                self.known.add(hash(url))
                self.writer.new_urls.append(NewUrl(url, netloc_of(url), "robots", "", 0, 0))
        if self._robots_hash[url] == sha:
            return
        row = UrlRow(url=url, host=netloc_of(url), role="robots")
        hs.leased.add(url)
        charset = sniff_charset(result.headers.get("content-type"), result.body)
        await self._publish(row, "robots", result, sha, decode_body(result.body, charset), charset)
        self._robots_hash[url] = sha

    # -- one URL
    def _count_fetch(self, result: FetchResult) -> None:
        self.stats.fetched += 1
        self.stats.bytes += result.body_bytes
        metrics.FETCHES.labels(str(result.status or "error")).inc()
        metrics.BYTES.inc(result.body_bytes)
        metrics.LAST_FETCH.set_to_current_time()
        if result.status is not None:
            self.stats.statuses[result.status] += 1

    async def _fetch_one(self, hs: HostState, row: UrlRow) -> FetchResult | None:
        """Fetch a URL when robots.txt, the page limit and the host's pace allow; adapt the pace."""
        assert hs.robots is not None
        if hs.blocked:
            self._final(row, "skipped", row.role, None, hs.blocked)
            return None
        if not hs.robots.allowed(row.url, self.cfg.user_agent):
            self._final(row, "skipped", row.role, None, "disallowed by robots.txt")
            return None
        if self.cfg.max_pages is not None and self.stats.fetched >= self.cfg.max_pages:
            self._requeue_front(hs, row)
            self.request_stop("max-pages")
            return None
        if not await self._pace(hs):
            self._requeue_front(hs, row)
            return None
        etag, last_modified = row.etag, row.last_modified
        if self._is_poll(row) and row.url not in self._poll_items:
            # The first poll after a start reads the page whole: the items its next change is compared with.
            etag = last_modified = None
        result = await self.fetcher.fetch(row.url, etag=etag, last_modified=last_modified)
        self._count_fetch(result)
        status = result.status
        if status in (429, 503):
            retry_after = parse_retry_after(result.headers.get("retry-after"), utcnow())
            result.wait = hs.pace.on_throttle(retry_after, self.rng, too_many=status == 429)
            metrics.THROTTLED.inc()
            self._after_request(hs, result.wait)
        elif status is None or status in RETRYABLE_STATUSES:
            self._after_request(hs)
        else:
            hs.pace.on_success()
            self._after_request(hs)
        return result

    def _requeue_front(self, hs: HostState, row: UrlRow) -> None:
        hs.items[row.url] = row
        heapq.heappush(hs.queue, (row.priority, row.seq, row.url))

    async def _handle_isolated(self, hs: HostState, row: UrlRow, result: FetchResult) -> None:
        """Any failure while handling one response is that URL's failure: it is parked with the reason."""
        try:
            await self._handle(hs, row, result)
        except PageRefusedError as exc:
            self._park(row, result.status, str(exc))
        except Exception as exc:
            log.exception("handling a page failed", extra={"url": row.url})
            self._park(row, result.status, _describe(exc))

    def _park(self, row: UrlRow, status: int | None, error: str, attempts: int | None = None) -> None:
        self.stats.parked += 1
        metrics.PARKED.inc()
        log.warning("parked", extra={"url": row.url, "attempts": attempts or row.attempts, "error": error})
        if self._is_poll(row):
            # A poll target is never given up: polled again after the longest interval.
            self._poll_interval[row.url] = self.cfg.poll.max_seconds
            next_at = utcnow() + timedelta(seconds=self.cfg.poll.max_seconds)
            self._final(row, "done", row.role, status, error, next_at=next_at)
            return
        self._final(row, "parked", row.role, status, error, attempts=attempts or row.attempts)

    async def _handle(self, hs: HostState, row: UrlRow, result: FetchResult) -> None:
        status = result.status
        now = utcnow()
        if result.blocked:
            self._final(row, "skipped", row.role, None, result.error)
            return
        if result.permanent:
            self._park(row, status, result.error or "cannot be fetched")
            return
        if status in (429, 503):
            # 429 is the server asking us to slow down, not a failure of this URL: it does not use up tries.
            self._retry(hs, row, status, f"HTTP {status}", result.wait, count=status != 429)
            return
        if status is None or status in RETRYABLE_STATUSES:
            self._retry(hs, row, status, result.error or f"HTTP {status}", None, count=True)
            return
        h = result.headers
        if status == 304:
            self.stats.not_modified += 1
            self.writer.updates.append(
                self._done_update(row, row.role, 304, None, h.get("etag"), h.get("last-modified"), None, now)
            )
            return
        if status in (301, 302, 303, 307, 308):
            self._redirect(row, status, h.get("location"))
            return
        if status in GONE_STATUSES and row.content_sha256 not in (None, GONE_SHA256):
            # A page we published is gone (withdrawn): an event without body retracts its facts downstream.
            await self._publish_gone(row, result)
            return
        if status != 200:
            # 404/410/403...: nothing to publish; remembered so it is not fetched again.
            self._final(row, "done", row.role, status, f"HTTP {status}")
            return
        if result.truncated:
            # Too big to publish whole: an event without body tells consumers it exists (they dead-letter it).
            await self._publish(row, row.role, result, content_hash(b""), None)
            return
        if result.body is None:
            self._final(row, "skipped", row.role, status, result.error or "no body")
            return
        # Parsing is CPU work: off the event loop, so one big page does not stall every other host.
        analysis = await asyncio.to_thread(
            analyse,
            row.url,
            row.url,
            h.get("content-type"),
            result.body,
            h.get("x-robots-tag"),
            max_html_depth=self.cfg.max_html_depth,
            max_url_bytes=self.cfg.max_url_bytes,
        )
        if analysis.long_links:
            self.stats.refused["url_too_long"] += analysis.long_links
        if self._is_poll(row):
            await self._polled(row, analysis)
        else:
            self._discover_links(row, analysis.links)
        if analysis.canonical is not None and self._verdict(analysis.canonical).ok:
            # A duplicate of another URL: fetch that one instead (once), publish nothing under this key.
            self._discover(analysis.canonical, depth=row.depth)
            self._final(
                row,
                "done",
                analysis.role,
                status,
                f"duplicate of {analysis.canonical}",
                final_url=analysis.canonical,
                sha=analysis.sha256,
            )
            return
        if analysis.noindex:
            self._final(row, "done", analysis.role, status, "noindex", sha=analysis.sha256)
            return
        if analysis.sha256 == row.content_sha256:
            self.stats.unchanged += 1
            self.writer.updates.append(
                self._done_update(
                    row,
                    analysis.role,
                    status,
                    None,
                    h.get("etag"),
                    h.get("last-modified"),
                    analysis.sha256,
                    now,
                )
            )
            return
        await self._publish(row, analysis.role, result, analysis.sha256, analysis.text, analysis.charset)

    # -- feed-first polling
    def _is_poll(self, row: UrlRow) -> bool:
        if row.priority == POLL_PRIORITY:
            self.poll_urls.add(row.url)  # loaded from the DB: marked by an earlier run
        return row.url in self.poll_urls

    async def _mark_poll(self, urls: Sequence[str]) -> None:
        """Make URLs poll targets, in memory and (by their priority) in the state."""
        urls = [u for u in urls if u not in self.poll_urls]
        if not urls:
            return
        self.poll_urls.update(urls)
        await self._flush()  # URLs discovered just now get their rows first
        await asyncio.to_thread(self.store.set_priority, urls, POLL_PRIORITY)

    async def _unmark_poll(self, url: str) -> None:
        self.poll_urls.discard(url)
        self._poll_interval.pop(url, None)
        self._poll_items.pop(url, None)
        await asyncio.to_thread(self.store.set_priority, [url], priority(url))

    async def _polled(self, row: UrlRow, analysis: Analysis) -> None:
        """A poll target answered 200: compare its items with the last look, queue what changed first."""
        items = poll_items(analysis.role, analysis.text, row.url, analysis.links)
        previous = self._poll_items.get(row.url)
        self._poll_items[row.url] = items
        # Known pages the poll says changed or vanished are revisited (conditional GET) before the backlog.
        revisit = [
            u
            for u in to_revisit(previous, items)
            if hash(u) in self.known and u not in self.poll_urls and self.scope.host_allowed(u)
        ]
        # After the first look, new links are new posts: they jump the queue too.
        self._discover_links(row, analysis.links, fresh=previous is not None)
        if analysis.role == "sitemap":
            newest = newest_sitemap(analysis.links)
            netloc = netloc_of(row.url)
            old = self._newest_sitemap.get(netloc)
            if newest is not None and newest != old and self.scope.host_allowed(newest):
                self._newest_sitemap[netloc] = newest
                await self._mark_poll([newest])
                if old is not None and old != newest:
                    await self._unmark_poll(old)
        if revisit:
            await self._revisit(revisit)

    async def _revisit(self, urls: Sequence[str]) -> None:
        await self._flush()
        rows = await asyncio.to_thread(self.store.requeue_urls, list(urls), FRESH_PRIORITY)
        self._queue_now(rows)
        if rows:
            metrics.POLL_REVISITS.inc(len(rows))
            log.info("poll: revisiting changed or vanished pages", extra={"requeued": len(rows)})

    def _queue_now(self, rows: Sequence[UrlRow]) -> None:
        """Rows the state just moved back to the frontier: into memory, ahead of the backlog."""
        for r in rows:
            hs = self._host_for(r.host, r.url)
            if r.url in hs.leased:
                continue  # already queued or in flight here
            self._seq += 1
            r.seq = -2_000_000_000 + self._seq
            self.stats.queued_at_start += 1
            self._push(hs, r)
            hs.wake.set()

    def _poll_next_at(self, row: UrlRow, fetched_at: datetime, changed: bool) -> datetime | None:
        """When a poll target is polled next: the adaptive interval (None: not a poll target)."""
        if not self._is_poll(row):
            return None
        interval = self.cfg.poll.next_interval(self._poll_interval.get(row.url), changed)
        self._poll_interval[row.url] = interval
        return fetched_at + timedelta(seconds=interval)

    def _redirect(self, row: UrlRow, status: int, location: str | None) -> None:
        target = canonicalize(location or "", row.url)
        if target is None or target == row.url:
            self._final(row, "done", row.role, status, f"bad redirect to {location!r}")
        elif not self.scope.host_allowed(target):
            self._final(
                row,
                "skipped",
                row.role,
                status,
                f"redirect off the allowlist refused: {target}",
                final_url=target,
            )
        elif row.redirects + 1 > self.cfg.max_redirects:
            self._final(row, "skipped", row.role, status, "too many redirects", final_url=target)
        else:
            # The target is crawled as its own URL (once, whoever links to it): no duplicate publication.
            self._discover(target, depth=row.depth, redirects=row.redirects + 1)
            self._final(row, "done", row.role, status, None, final_url=target)

    def _retry(
        self, hs: HostState, row: UrlRow, status: int | None, error: str, wait: float | None, *, count: bool
    ) -> None:
        attempts = row.attempts + (1 if count else 0)
        delay = self.cfg.retry.next_try(attempts, self.rng) if count else 0.0
        if delay is None:
            self._park(row, status, error, attempts)
            return
        delay = max(delay, wait or 0.0)
        self.stats.retried += 1
        self.stats.errors += 1
        row.attempts = attempts
        due = time.monotonic() + delay
        hs.delayed_items[row.url] = row
        heapq.heappush(hs.delayed, (due, row.seq, row.url))
        self.writer.updates.append(
            UrlUpdate(
                url=row.url,
                state="queued",
                role=row.role,
                attempts=attempts,
                next_at=utcnow() + timedelta(seconds=delay),
                last_status=status,
                last_error=error,
            )
        )

    async def _publish(
        self,
        row: UrlRow,
        role: str,
        result: FetchResult,
        sha: str | None,
        text: str | None,
        charset: str = "utf-8",
        *,
        gone: bool = False,
    ) -> None:
        h = result.headers
        now = utcnow()
        if sha is None:
            sha = content_hash(result.body or b"")
        event = RawPage(
            url=row.url,
            final_url=result.url,
            status=result.status or 0,
            role=_page_role(role),
            content_type=h.get("content-type"),
            etag=None if gone else h.get("etag"),
            last_modified=None if gone else h.get("last-modified"),
            fetched_at=now,
            content_sha256=sha,
            charset=charset,
            body_bytes=result.body_bytes,
            truncated=result.truncated,
            body=None if result.truncated else text,
            discovered_at=row.discovered_at,
        )
        update = self._done_update(
            row,
            role,
            event.status,
            event.final_url,
            event.etag,
            event.last_modified,
            sha,
            now,
            published=True,
        )
        value = event.encode()
        if len(value) > self.cfg.max_event_bytes:
            # JSON escapes can grow a body several times (3 MiB of control bytes: ~19 MB), past what Kafka
            # takes: the page is published like a body over the cap, without its text.
            log.warning("event too big: published without body", extra={"url": row.url, "bytes": len(value)})
            event = event.model_copy(update={"body": None, "truncated": True})
            value = event.encode()
        try:
            fut = await self.publisher.send(row.url, value, role)
        except MessageSizeTooLargeError as exc:
            self._park(row, event.status, f"event refused by Kafka: {exc}")
            return
        except KafkaError as exc:
            # Not this page's fault (the broker): it is tried again later, a bounded number of times.
            hs = self._host_for(netloc_of(row.url), row.url)
            self._retry(hs, row, event.status, f"publish failed: {exc!r}", None, count=True)
            return
        self.writer.acks.append((fut, update))
        self.stats.published += 1
        metrics.PUBLISHED.labels(role).inc()

    async def _publish_gone(self, row: UrlRow, result: FetchResult) -> None:
        """Publish the withdrawal of a page published before: status 404/410, no body, the gone hash.

        Its validators are cleared so that, should the page come back, it is fetched whole and published
        again (a 304 against the old ETag would leave its facts retracted).
        """
        await self._publish(row, row.role, result, GONE_SHA256, None, gone=True)
        self.stats.gone += 1

    def _done_update(
        self,
        row: UrlRow,
        role: str,
        status: int | None,
        final_url: str | None,
        etag: str | None,
        last_modified: str | None,
        sha: str | None,
        fetched_at: datetime,
        *,
        published: bool = False,
    ) -> UrlUpdate:
        if sha == GONE_SHA256:
            etag = last_modified = ""  # a withdrawn page: "" clears the stored validators (NULL keeps them)
        revisit = self.cfg.revisit.after(role, page_number(urlsplit(row.url).path))
        next_at = self._poll_next_at(row, fetched_at, changed=published)
        if next_at is None and revisit is not None:
            next_at = fetched_at + timedelta(seconds=revisit)
        return UrlUpdate(
            url=row.url,
            state="done",
            role=role,
            attempts=0,
            next_at=next_at,
            last_status=status,
            last_error=None,
            final_url=final_url,
            etag=etag,
            last_modified=last_modified,
            content_sha256=sha,
            fetched_at=fetched_at,
            published_at=fetched_at if published else None,
        )

    def _final(
        self,
        row: UrlRow,
        state: str,
        role: str,
        status: int | None,
        error: str | None,
        *,
        final_url: str | None = None,
        sha: str | None = None,
        attempts: int = 0,
        next_at: datetime | None = None,
    ) -> None:
        self.writer.updates.append(
            UrlUpdate(
                url=row.url,
                state=state,
                role=role,
                attempts=attempts,
                next_at=next_at,
                last_status=status,
                last_error=error,
                final_url=final_url,
                content_sha256=sha,
                fetched_at=utcnow(),
            )
        )

    # -- state writing
    def _on_final(self, upd: UrlUpdate) -> None:
        if upd.state == "queued":
            return
        hs = self.hosts.get(netloc_of(upd.url))
        if hs is not None:
            hs.leased.discard(upd.url)
        self.stats.finalized += 1

    async def _flush(self) -> None:
        failed = await self.writer.flush()
        for upd, exc in failed:
            # Kafka did not take it: the URL goes back to the frontier, to be fetched and published again.
            log.error("publish failed", extra={"url": upd.url, "error": repr(exc)})
            hs = self._host_for(netloc_of(upd.url), upd.url)
            row = UrlRow(url=upd.url, host=netloc_of(upd.url), role=upd.role, seq=0)
            self._retry(hs, row, upd.last_status, f"publish failed: {exc!r}", None, count=True)

    async def _writer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.flush_interval)
            try:
                await self._flush()
            except Exception:
                log.exception("writing the crawl state failed; retrying")
                await asyncio.sleep(min(5.0, 10 * self.cfg.flush_interval))

    async def _revisit_loop(self, interval: float = 60.0) -> None:
        """Running forever: due polls go to the front of the frontier (every tick), pages whose revisit
        time came back to the frontier (every ``interval``)."""
        last_sweep = time.monotonic()
        while not self.stopping:
            await asyncio.sleep(self.cfg.poll.tick)
            try:
                await self._poll_due()
                if time.monotonic() - last_sweep >= interval:
                    last_sweep = time.monotonic()
                    await self._requeue_due()
            except Exception:
                log.exception("requeueing due pages failed; retrying")

    async def _poll_due(self) -> None:
        rows = await asyncio.to_thread(self.store.take_due_polls, utcnow(), POLL_PRIORITY)
        if rows:
            self.poll_urls.update(r.url for r in rows)
            metrics.POLLS.inc(len(rows))
            self._queue_now(rows)

    async def _requeue_due(self) -> None:
        # Poll targets are left to _poll_due, which puts them in front of the backlog.
        n = await asyncio.to_thread(self.store.requeue_due, utcnow(), skip_priority=POLL_PRIORITY)
        if n:
            log.info("revisiting done pages", extra={"requeued": n})
            self.stats.queued_at_start += n
            for netloc in await asyncio.to_thread(self.store.queued_hosts):
                hs = self._host_for(netloc)
                hs.needs_load = True
                hs.wake.set()

    async def _idle_loop(self) -> None:
        """--until-idle: stop once no host has work now or later and everything is written."""
        while not self.stopping:
            await asyncio.sleep(0.2)
            # A host given up for this run (robots.txt kept failing) keeps its URLs queued for the next
            # run: it must not keep this one from ending.
            if (
                all(hs.gave_up or (hs.idle() and hs.robots is not None) for hs in self.hosts.values())
                and not self.writer.pending()
            ):
                await self._flush()
                if all(hs.gave_up or hs.idle() for hs in self.hosts.values()) and not self.writer.pending():
                    self.request_stop("idle")


def scope_of(config: CrawlConfig) -> Scope:
    return Scope.for_seeds(
        config.seeds,
        config.allow_hosts,
        max_url_bytes=config.max_url_bytes,
        max_segment_repeats=config.max_segment_repeats,
    )


def _reencode(text: str, charset: str) -> bytes:
    """The body as it was fetched (analyse sniffs the charset again from the content type)."""
    try:
        return text.encode(charset, "replace")
    except (LookupError, UnicodeError, ValueError):
        return text.encode("utf-8")


def _describe(exc: BaseException) -> str:
    """A parking reason: the exception's type and (the start of) its message."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _page_role(role: str) -> PageRole:
    allowed: tuple[PageRole, ...] = ("article", "listing", "feed", "sitemap", "robots", "other")
    for r in allowed:
        if r == role:
            return r
    return "other"


__all__ = ["Crawler", "HostState", "Stats", "host_of", "scope_of"]
