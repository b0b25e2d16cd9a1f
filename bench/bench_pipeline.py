"""Pipeline benchmarks: replay throughput of the whole corpus, and end-to-end latency at a steady rate.

    .venv/bin/python -m bench.bench_pipeline [--pages N] [--site DIR] [--only replay|latency]
        [--rate 50] [--replay-pages N] [--store-batch-seconds S]

Each benchmark runs on a throwaway database (fresh_database) and on its own topics and groups
(isolated_settings), and deletes them afterwards. Kafka and PostgreSQL must be up (`make up`).

1. Replay. Every raw event of the corpus site is published to a fresh raw topic (not timed); then
   ``run_replay`` (what ``hqfacts replay --from-beginning`` runs) is timed end to end: in-process
   extraction, production of the fact and extraction events, and a ``hqfacts store`` subprocess committing
   them to PostgreSQL. Baseline in the same run: ``process_page`` over the same RawPages, in-process, no
   Kafka, no database. Target (issue 5): <= 2 min for ~8k pages on 2 cores.
2. Latency. ``hqfacts extractor`` and ``hqfacts store`` run as processes (start_workers); once both groups
   have members and warm-up pages reached the database, N raw pages (default 1,000) are published at a steady
   rate (default 50/s, scheduled by absolute time). A thread polls PostgreSQL every ~20 ms for the article
   rows (and their facts) of the pages published but not yet seen; latency = first poll that sees the
   article row with all its facts - publish time. Only pages that yield an article count. Baseline in the
   same run: the broker round trip of the same messages (publish -> a plain aiokafka consumer on the raw
   topic). Target (issue 5): p99 < 1 s.

Prints wall times, rates, percentiles and ratios; never asserts on time. Env overrides: HQ_BENCH_SITE,
HQ_BENCH_LATENCY_PAGES, HQ_BENCH_RATE, HQ_BENCH_REPLAY_PAGES, HQ_BENCH_KEEP_LOGS=1 (keep the workers' logs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from services.common.db import make_engine
from services.common.events import RawPage
from services.common.kafka import RAW_PAGES_COMPRESSION, ensure_topics, make_producer, topic_specs
from services.common.lag import end_offsets
from services.common.settings import Settings
from services.extractor.service import process_page
from services.pipeline.processes import ProcessGroup, hqfacts_argv
from services.pipeline.replay import group_has_members, run_replay
from services.pipeline.runner import settings_env, start_workers
from services.store.testing import fresh_database
from services.testing.corpus_site import build_corpus_site, load_posts, raw_events_from_site
from services.testing.isolation import isolated_settings

DEFAULT_SITE = Path("/tmp/hqfacts-bench-site")  # the same whole-corpus site as bench_extract's
TARGET_REPLAY_SECONDS = 120.0
TARGET_REPLAY_PAGES = 8_000
TARGET_P99_SECONDS = 1.0
POLL_INTERVAL = 0.02
WARMUP_PAGES = 5
READY_TIMEOUT = 180.0  # workers up, groups joined, warm-up pages stored
DRAIN_TIMEOUT = 120.0  # after the last publish, for the last page to become visible
REPLAY_STORE_TIMEOUT = 600.0  # run_replay's wait for the store
REPLAY_DEADLINE = 1800.0  # the whole run_replay call

T = TypeVar("T")


# --- shared helpers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def extractor_page_seconds(port: int) -> tuple[float, float] | None:
    """(sum, count) of the extractor's hqfacts_extractor_page_seconds histogram, from its /metrics."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            body = resp.read().decode("utf-8", "replace")
    except OSError:
        return None
    values: dict[str, float] = {}
    for line in body.splitlines():
        name, _, value = line.partition(" ")
        if name in ("hqfacts_extractor_page_seconds_sum", "hqfacts_extractor_page_seconds_count"):
            values[name.rsplit("_", 1)[1]] = float(value)
    return (values["sum"], values["count"]) if len(values) == 2 else None


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def describe(values: Sequence[float]) -> str:
    if not values:
        return "n/a (no samples)"
    p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
    return (
        f"p50 {p50:6.3f} s  p95 {p95:6.3f} s  p99 {p99:6.3f} s  max {max(values):6.3f} s  (n={len(values)})"
    )


def ensure_site(site: Path) -> Path:
    """The whole-corpus site: reused when it has ground truth, else built (~20 s, ~700 MB)."""
    if not (site / "_posts.jsonl").exists():
        print(f"building the whole-corpus site in {site} ...", flush=True)
        build_corpus_site(site)
    return site


def run_prefix(settings: Settings) -> str:
    """The private prefix isolated_settings gave this run's topics and groups."""
    prefix = settings.raw_topic.removesuffix(".pages.raw")
    assert prefix.startswith("bench-") and prefix != settings.raw_topic, prefix
    return prefix


async def delete_run_topics(settings: Settings) -> list[str]:
    """Delete every topic of this run (ours and any the workers created under the same prefix)."""
    prefix = run_prefix(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(60):
            ours = [t for t in await admin.list_topics() if t.startswith(prefix)]
            if ours:
                await admin.delete_topics(ours)
        return ours
    finally:
        await admin.close()


@contextlib.contextmanager
def private_run(prefix: str, log_name: str, **overrides: object) -> Iterator[tuple[Settings, Path]]:
    """A fresh database + private topics/groups + a log folder; all removed afterwards (logs kept on error
    or with HQ_BENCH_KEEP_LOGS=1)."""
    logs = Path(tempfile.mkdtemp(prefix=f"hqfacts-bench-{log_name}-"))
    failed = False
    with fresh_database(Settings().database_url, prefix="hqfacts_bench") as url:
        settings = isolated_settings(url, prefix, **overrides)
        try:
            yield settings, logs
        except BaseException:
            failed = True
            raise
        finally:
            try:
                asyncio.run(delete_run_topics(settings))
            except Exception as exc:  # cleanup must not hide the benchmark's own error
                print(f"warning: could not delete the topics of {run_prefix(settings)}: {exc!r}")
            # Faust wants a data folder per group even with the memory store (services/extractor/app.py).
            shutil.rmtree(Path(tempfile.gettempdir()) / "hqfacts-faust" / settings.extractor_group, True)
            if failed or os.environ.get("HQ_BENCH_KEEP_LOGS") == "1":
                print(f"worker logs kept in {logs}")
            else:
                shutil.rmtree(logs, ignore_errors=True)


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run a blocking call in a thread and give up waiting after ``seconds``."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name=what, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"{what} did not finish within {seconds:.0f} s")
    if error:
        raise error[0]
    return result[0]


@dataclass
class StoreBatches:
    """What the store's 'batch stored' log lines say about a time window."""

    batches: int = 0
    records: int = 0
    seconds: list[float] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None

    def render(self, batch_seconds: float) -> str:
        if not self.batches:
            return "store: no 'batch stored' log lines found"
        span = (self.last_ts or 0) - (self.first_ts or 0)
        every = span / (self.batches - 1) if self.batches > 1 else float("nan")
        return (
            f"store: {self.batches} batches, {self.records / self.batches:.0f} records/batch on average, "
            f"one every {every:.2f} s; service time per batch p50 {percentile(self.seconds, 50):.3f} s, "
            f"max {max(self.seconds):.3f} s, sum {sum(self.seconds):.1f} s "
            f"(store_batch_seconds={batch_seconds})"
        )


def store_batches(log_path: Path, since: float = 0.0, until: float = math.inf) -> StoreBatches:
    stats = StoreBatches()
    if not log_path.exists():
        return stats
    for line in log_path.read_text("utf-8", "replace").splitlines():
        if '"batch stored"' not in line:
            continue
        try:
            entry = json.loads(line)
            ts = datetime.fromisoformat(entry["ts"]).timestamp()
        except (ValueError, KeyError):
            continue
        if not since <= ts <= until:
            continue
        stats.batches += 1
        stats.records += int(entry.get("records", 0))
        stats.seconds.append(float(entry.get("seconds", 0.0)))
        stats.first_ts = ts if stats.first_ts is None else stats.first_ts
        stats.last_ts = ts
    return stats


async def last_message_time(bootstrap: str, topics: Sequence[str]) -> float | None:
    """Wall-clock time (CreateTime) of the newest message in ``topics``: when its producer sent it."""
    ends = await end_offsets(bootstrap, topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    newest: float | None = None
    try:
        async with asyncio.timeout(30):
            for tp, end in ends.items():
                if end == 0:
                    continue
                consumer.assign([tp])
                consumer.seek(tp, end - 1)
                message = await consumer.getone()
                stamp = message.timestamp / 1000
                newest = stamp if newest is None else max(newest, stamp)
    finally:
        await consumer.stop()
    return newest


def raw_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer of raw pages configured as the crawler's publisher is (zstd, idempotent, acks=all)."""
    return make_producer(settings.kafka_bootstrap, compression_type=RAW_PAGES_COMPRESSION)


# --- 1. replay throughput ---------------------------------------------------------------------------


async def publish_pages(settings: Settings, pages: Sequence[RawPage]) -> None:
    """Every page into the raw topic, as the crawler's publisher would."""
    await ensure_topics(settings.kafka_bootstrap, topic_specs(settings))
    producer = raw_producer(settings)
    await producer.start()
    try:
        async with asyncio.timeout(600):
            futures = [
                await producer.send(settings.raw_topic, page.encode(), key=page.url.encode())
                for page in pages
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


def bench_replay(site: Path, limit: int | None, overrides: dict[str, object]) -> None:
    print(f"-- replay throughput (load average {loadavg()})", flush=True)
    pages = list(islice(raw_events_from_site(site), limit))
    n = len(pages)

    gc.collect()
    started = time.perf_counter()
    articles = facts = 0
    for page in pages:
        outcome = process_page(page)
        articles += outcome.is_article
        facts += len(outcome.facts)
    bare_s = time.perf_counter() - started
    # What the replay does on top of process_page, per page: decoding the raw event (not in the baseline).
    sample = [page.encode() for page in pages[:: max(1, n // 500)]]
    started = time.perf_counter()
    for value in sample:
        RawPage.decode(value)
    decode_per_page = (time.perf_counter() - started) / max(1, len(sample))

    with private_run("bench-replay", "replay", **overrides) as (settings, logs):
        started = time.perf_counter()
        asyncio.run(publish_pages(settings, pages))
        publish_s = time.perf_counter() - started
        del pages
        gc.collect()
        print(f"published {n} raw events of {site} in {publish_s:.1f} s (not timed)", flush=True)

        with ProcessGroup(logs) as processes:

            def start_store() -> Callable[[], None]:
                store = processes.start("store", hqfacts_argv("store"), settings_env(settings))

                def stop_store() -> None:
                    store.stop()

                return stop_store

            load_before = loadavg()
            wall_started = time.time()
            started = time.perf_counter()
            summary = call_with_deadline(
                lambda: run_replay(
                    settings, group=None, since=None, start_store=start_store, timeout=REPLAY_STORE_TIMEOUT
                ),
                REPLAY_DEADLINE,
                "run_replay",
            )
            replay_s = time.perf_counter() - started
            load_after = loadavg()
        extracted_at = asyncio.run(last_message_time(settings.kafka_bootstrap, [settings.extractions_topic]))
        batches = store_batches(logs / "store.log", since=wall_started)

    c = summary.counts
    print(
        f"bare extraction (process_page, in-process):  {bare_s:7.1f} s  {n / bare_s:7.1f} pages/s  "
        f"{facts / bare_s:7.1f} facts/s  ({n} pages, {articles} articles, {facts} facts)"
    )
    print(
        f"replay end to end (run_replay + store):      {replay_s:7.1f} s  "
        f"{c.events / replay_s:7.1f} pages/s  {c.facts / replay_s:7.1f} facts/s  "
        f"(store started by the replay: {summary.store_started_by_replay})"
    )
    if extracted_at is not None:
        extract_phase = extracted_at - wall_started
        print(
            f"  phases: extraction+production {extract_phase:.1f} s (newest produced event), "
            f"then {replay_s - extract_phase:.1f} s until the store had committed everything"
        )
    print(
        f"  RawPage.decode (in the replay, not in the baseline): {decode_per_page * 1000:.2f} ms/page "
        f"= ~{decode_per_page * c.events:.1f} s of the replay"
    )
    print(f"  {batches.render(settings.store_batch_seconds)}")
    print(
        f"  replay summary: {c.events} events, {c.articles} articles, {c.facts} facts produced, "
        f"{c.dead_letters} dead letters; store: {summary.added} added, {summary.changed} changed, "
        f"{summary.retired} retired, {summary.articles_in_store} articles"
    )
    if (c.articles, c.facts, summary.added) != (articles, facts, facts):
        print(f"  WARNING: expected {articles} articles / {facts} facts from the in-process extraction")
    print(f"ratio replay / bare extraction: {replay_s / bare_s:.2f}x")
    projected = replay_s * TARGET_REPLAY_PAGES / c.events if c.events else float("inf")
    scope = (
        "" if c.events >= TARGET_REPLAY_PAGES else f" (projected from {c.events} pages: {projected:.0f} s)"
    )
    verdict = "MET" if projected <= TARGET_REPLAY_SECONDS else "NOT MET"
    print(
        f"target <= {TARGET_REPLAY_SECONDS:.0f} s for ~{TARGET_REPLAY_PAGES} pages on 2 cores: {verdict}"
        f"{scope}; load average before/after the replay: {load_before} / {load_after}, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )


# --- 2. end-to-end latency --------------------------------------------------------------------------

VISIBLE_QUERY = text(
    "SELECT a.url, (SELECT count(*) FROM facts f WHERE f.article_url = a.url AND f.retired_at IS NULL) "
    "FROM articles a WHERE a.url = ANY(:urls)"
)


class VisibilityPoller(threading.Thread):
    """Polls PostgreSQL for the pages published but not yet seen: one query every ``interval`` seconds.

    A page is visible once its article row exists with all the facts the in-process extraction yields;
    its visibility time is the start of the first query that saw it (commit happened before that query's
    snapshot and after the previous query's start).
    """

    def __init__(self, database_url: str, expected: dict[str, int], interval: float = POLL_INTERVAL) -> None:
        super().__init__(name="visibility-poller", daemon=True)
        self.database_url = database_url
        self.expected = expected
        self.interval = interval
        self.lock = threading.Lock()
        self.published: dict[str, float] = {}
        self.visible: dict[str, float] = {}
        self.stopping = threading.Event()
        self.queries = 0
        self.query_seconds: list[float] = []
        self.error: BaseException | None = None

    def publish(self, url: str, at: float) -> None:
        with self.lock:
            self.published[url] = at

    def pending(self) -> list[str]:
        with self.lock:
            return [u for u in self.published if u in self.expected and u not in self.visible]

    def run(self) -> None:
        engine = make_engine(self.database_url)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                next_at = time.monotonic()
                while not self.stopping.is_set():
                    pending = self.pending()
                    if pending:
                        started = time.time()
                        rows = conn.execute(VISIBLE_QUERY, {"urls": pending}).all()
                        self.queries += 1
                        self.query_seconds.append(time.time() - started)
                        with self.lock:
                            for url, count in rows:
                                if count >= self.expected[url]:
                                    self.visible.setdefault(url, started)
                    next_at += self.interval
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        self.stopping.wait(delay)
                    else:
                        next_at = time.monotonic()  # fell behind: do not burst to catch up
        except BaseException as exc:
            self.error = exc
        finally:
            engine.dispose()


class RawProbe:
    """A plain aiokafka consumer on the raw topic: when each published message could be read back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            enable_auto_commit=False,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        self.seen: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ends = await end_offsets(self.settings.kafka_bootstrap, [self.settings.raw_topic])
        assert ends, f"no partitions for {self.settings.raw_topic}"
        await self.consumer.start()
        self.consumer.assign(list(ends))
        for tp, end in ends.items():  # from the end as of now: only what is published from here on
            self.consumer.seek(tp, end)
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=200)
            now = time.time()
            for messages in batch.values():
                for message in messages:
                    if message.key is not None:
                        self.seen.setdefault(message.key.decode("utf-8"), now)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()


async def extraction_times(bootstrap: str, topic: str) -> dict[str, float]:
    """article URL -> CreateTime of its first extraction event: when the extractor had produced it."""
    ends = await end_offsets(bootstrap, [topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[str, float] = {}
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        async with asyncio.timeout(60):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    for m in messages:
                        if m.key is not None:
                            found.setdefault(m.key.decode("utf-8"), m.timestamp / 1000)
    finally:
        await consumer.stop()
    return found


@dataclass
class LatencyRun:
    published: dict[str, float]
    visible: dict[str, float]
    raw_seen: dict[str, float]
    extracted: dict[str, float]
    slips: list[float]
    publish_span: float
    extractor_service: tuple[float, float] | None  # (seconds, pages) of the agent's work in the run
    poll_queries: int
    poll_query_seconds: list[float]
    window: tuple[float, float]


async def wait_ready(
    group: ProcessGroup, settings: Settings, poller: VisibilityPoller, warmup: Sequence[RawPage]
) -> None:
    """Both groups have members and the warm-up pages are in PostgreSQL (so Faust, the store's first
    assignment and the first connections are not in the measurement)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        group.check_alive("extractor", "store")
        members = [
            await group_has_members(settings.kafka_bootstrap, g)
            for g in (settings.extractor_group, settings.store_group)
        ]
        if all(members):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"workers not in their groups after {READY_TIMEOUT:.0f} s (members: {members})"
            )
        await asyncio.sleep(0.5)
    producer = raw_producer(settings)
    await producer.start()
    try:
        for page in warmup:
            poller.publish(page.url, time.time())
            await (await producer.send(settings.raw_topic, page.encode(), key=page.url.encode()))
    finally:
        await producer.stop()
    while poller.pending():
        group.check_alive("extractor", "store")
        if poller.error is not None:
            raise poller.error
        if time.monotonic() > deadline:
            raise TimeoutError(f"warm-up pages not stored after {READY_TIMEOUT:.0f} s")
        await asyncio.sleep(0.1)


async def measure_latency(
    group: ProcessGroup,
    settings: Settings,
    poller: VisibilityPoller,
    warmup: Sequence[RawPage],
    measured: Sequence[RawPage],
    rate: float,
    extractor_port: int,
) -> LatencyRun:
    await wait_ready(group, settings, poller, warmup)
    service_before = await asyncio.to_thread(extractor_page_seconds, extractor_port)
    warm_urls = {p.url for p in warmup}
    values = [(p.url, p.url.encode(), p.encode()) for p in measured]  # encoded before the clock starts
    probe = RawProbe(settings)
    await probe.start()
    producer = raw_producer(settings)
    await producer.start()
    try:
        futures = []
        slips: list[float] = []
        first_at = time.time()
        t0 = time.perf_counter() + 0.1
        for i, (url, key, value) in enumerate(values):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            slips.append(max(0.0, time.perf_counter() - due))
            poller.publish(url, time.time())
            futures.append(await producer.send(settings.raw_topic, value, key=key))
        publish_span = time.perf_counter() - t0
        async with asyncio.timeout(60):
            await asyncio.gather(*futures)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while poller.pending() and time.monotonic() < deadline:
            group.check_alive("extractor", "store")
            if poller.error is not None:
                raise poller.error
            await asyncio.sleep(0.1)
        deadline = time.monotonic() + 10
        while any(u not in probe.seen for u, _, _ in values) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        service_after = await asyncio.to_thread(extractor_page_seconds, extractor_port)
    finally:
        poller.stopping.set()
        await producer.stop()
        await probe.stop()
    extracted = await extraction_times(settings.kafka_bootstrap, settings.extractions_topic)
    with poller.lock:
        published = {u: t for u, t in poller.published.items() if u not in warm_urls}
        visible = {u: t for u, t in poller.visible.items() if u in published}
    window = (first_at, max([*visible.values(), time.time()]))
    service = None
    if service_before is not None and service_after is not None:
        service = (service_after[0] - service_before[0], service_after[1] - service_before[1])
    return LatencyRun(
        published=published,
        visible=visible,
        raw_seen={u: t for u, t in probe.seen.items() if u in published},
        extracted={u: t for u, t in extracted.items() if u in published},
        slips=slips,
        publish_span=publish_span,
        extractor_service=service,
        poll_queries=poller.queries,
        poll_query_seconds=list(poller.query_seconds),
        window=window,
    )


def pick_pages(site: Path, count: int) -> list[RawPage]:
    """``count`` pages spread evenly over the site (so the sample is not one stretch of the corpus)."""
    stride = max(1, len(load_posts(site)) // max(1, count))
    return list(islice(islice(raw_events_from_site(site), 0, None, stride), count))


def bench_latency(site: Path, pages: int, rate: float, overrides: dict[str, object]) -> None:
    print(f"-- end-to-end latency at {rate:g} pages/s (load average {loadavg()})", flush=True)
    picked = pick_pages(site, pages + WARMUP_PAGES)
    warmup, measured = picked[:WARMUP_PAGES], picked[WARMUP_PAGES:]
    expected: dict[str, int] = {}
    for page in picked:
        outcome = process_page(page)
        if outcome.is_article:
            expected[page.url] = len(outcome.facts)
    warmup = [p for p in warmup if p.url in expected] or warmup[:1]
    with_facts = sum(1 for p in measured if expected.get(p.url))

    with (
        private_run("bench-latency", "latency", **overrides) as (settings, logs),
        ProcessGroup(logs) as group,
    ):
        extractor_port = free_port()
        start_workers(group, settings, extractor_port=extractor_port)
        poller = VisibilityPoller(settings.database_url, expected)
        poller.start()
        load_before = loadavg()
        try:
            run = asyncio.run(
                measure_latency(group, settings, poller, warmup, measured, rate, extractor_port)
            )
        finally:
            poller.stopping.set()
            poller.join(10)
        load_after = loadavg()
        group.stop_all()
        batches = store_batches(logs / "store.log", *run.window)

    counted = [u for u in run.published if u in expected]
    latency = [run.visible[u] - run.published[u] for u in counted if u in run.visible]
    latency_facts = [run.visible[u] - run.published[u] for u in counted if expected[u] and u in run.visible]
    broker = [run.raw_seen[u] - run.published[u] for u in run.published if u in run.raw_seen]
    extractor_stage = [run.extracted[u] - run.published[u] for u in counted if u in run.extracted]
    store_stage = [
        run.visible[u] - run.extracted[u] for u in counted if u in run.visible and u in run.extracted
    ]
    missing = len(counted) - len(latency)
    n = len(run.published)
    print(
        f"published {n} raw pages at {rate:g}/s over {run.publish_span:.1f} s (schedule slip p99 "
        f"{percentile(run.slips, 99) * 1000:.0f} ms, max {max(run.slips) * 1000:.0f} ms: producer.send waits "
        f"while the partition's previous batch is in flight); {len(counted)} yield an article "
        f"({with_facts} with facts), "
        f"{n - len(counted)} do not count"
    )
    mean_query = sum(run.poll_query_seconds) / max(1, len(run.poll_query_seconds))
    print(
        f"publish -> article + facts visible in PostgreSQL (poll every {POLL_INTERVAL * 1000:.0f} ms, "
        f"{run.poll_queries} queries, {mean_query * 1000:.1f} ms each on average):"
    )
    print(f"  all counted pages:    {describe(latency)}")
    print(f"  pages with facts:     {describe(latency_facts)}")
    if missing:
        print(f"  {missing} counted pages NOT visible within {DRAIN_TIMEOUT:.0f} s of the last publish")
    print(f"broker round trip publish -> plain consumer, same messages: {describe(broker)}")
    if latency and broker:
        p50 = percentile(latency, 50) / percentile(broker, 50)
        p99 = percentile(latency, 99) / percentile(broker, 99)
        print(f"ratio pipeline latency / broker round trip: p50 {p50:.1f}x  p99 {p99:.1f}x")
    print(f"  stage publish -> extraction event produced (extractor): {describe(extractor_stage)}")
    print(f"  stage extraction event produced -> visible (store):     {describe(store_stage)}")
    if run.extractor_service is not None and run.extractor_service[1] > 0:
        busy, done = run.extractor_service
        per_page = busy / done
        # The agent works in batches: each page's figure is its batch's time (start -> all delivered).
        print(
            f"  extractor agent: {per_page * 1000:.1f} ms from a page's batch start to its records "
            f"delivered, on average over {done:.0f} pages"
        )
    print(f"  {batches.render(settings.store_batch_seconds)}")
    by_publish = sorted(
        (run.published[u], run.visible[u] - run.published[u]) for u in counted if u in run.visible
    )
    tenth = max(1, len(by_publish) // 10)
    if len(by_publish) >= 20:
        first = percentile([lat for _, lat in by_publish[:tenth]], 50)
        last = percentile([lat for _, lat in by_publish[-tenth:]], 50)
        trend = "falling behind" if last > 2 * first + 0.2 else "steady"
        print(f"  drift: p50 of the first tenth {first:.3f} s, of the last tenth {last:.3f} s ({trend})")
    p99_all = percentile(latency, 99) if latency else math.inf
    verdict = "MET" if p99_all < TARGET_P99_SECONDS and not missing else "NOT MET"
    print(
        f"target p99 < {TARGET_P99_SECONDS:.0f} s: {verdict} (p99 {p99_all:.3f} s); load average "
        f"before/after: {load_before} / {load_after}, {os.cpu_count()} CPUs",
        flush=True,
    )


# --- entry point --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--site",
        type=Path,
        default=Path(os.environ.get("HQ_BENCH_SITE", DEFAULT_SITE)),
        help="a built corpus site (built there with the whole corpus when missing)",
    )
    parser.add_argument(
        "--pages",
        type=int,
        default=int(os.environ.get("HQ_BENCH_LATENCY_PAGES", "1000")),
        help="raw pages published in the latency benchmark",
    )
    parser.add_argument("--rate", type=float, default=float(os.environ.get("HQ_BENCH_RATE", "50")))
    parser.add_argument(
        "--replay-pages",
        type=int,
        default=int(os.environ["HQ_BENCH_REPLAY_PAGES"]) if os.environ.get("HQ_BENCH_REPLAY_PAGES") else None,
        help="replay only the first N pages of the site (default: all)",
    )
    parser.add_argument("--only", choices=["replay", "latency"], default=None)
    parser.add_argument(
        "--store-batch-seconds",
        type=float,
        default=None,
        help="override the store's batch age limit (default: the settings' default)",
    )
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {}
    if args.store_batch_seconds is not None:
        overrides["store_batch_seconds"] = args.store_batch_seconds
    site = ensure_site(args.site)
    if args.only in (None, "replay"):
        bench_replay(site, args.replay_pages, overrides)
    if args.only in (None, "latency"):
        bench_latency(site, args.pages, args.rate, overrides)


if __name__ == "__main__":
    main()
