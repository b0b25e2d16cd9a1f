"""The extractor's Faust entry point: decode a raw page, call the domain, produce, then ack.

The agent takes the pages in batches (up to ``PAGES_PER_BATCH``, or what arrived within ``BATCH_WAIT``):
their extractions run concurrently in the pool, their records are produced in the raw topic's order, and the
batch is acked only once the broker acknowledged every record of it. A crash re-extracts at most the pages
in flight (at-least-once; fact ids are deterministic, so the store absorbs the duplicates). Waiting for the
broker once per batch instead of once per page is what lets one worker keep up with the crawler.

Decoding, parsing and extraction run in a process pool (services.extractor.pool) within a wall-clock budget
per page, so no page can hold the event loop (heartbeats, other partitions) or the agent for long.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import faust
from faust.auth import SASLCredentials
from faust.types import EventT, TopicT
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from services.common.kafka import MAX_REQUEST_BYTES
from services.common.lag import group_lag
from services.common.settings import Settings, kafka_client_options
from services.common.topics import dlq_topic
from services.extractor.domain.facts import EXTRACTOR_VERSION
from services.extractor.pool import ExtractionPool
from services.extractor.routing import PageRoute, RouteTopics, SourceRecord, extraction_outcome, route_page
from services.extractor.service import EncodedOutcome, extract_record

log = logging.getLogger(__name__)

PAGES_IN = Counter("hqfacts_extractor_pages_total", "Raw page events consumed", ["outcome"])
FACTS_OUT = Counter("hqfacts_extractor_facts_total", "Fact events produced")
LAG = Gauge("hqfacts_extractor_lag_messages", "Raw page events not yet committed by the extractor group")
PAGE_SECONDS = Histogram(
    "hqfacts_extractor_page_seconds", "Time from a page's batch start to its records being delivered"
)
ASSIGNED = Gauge("hqfacts_extractor_assigned_partitions", "Raw topic partitions assigned to this worker")


# Pages taken at once: enough to keep the pool busy and amortise the broker's acks; a batch waits at most
# BATCH_WAIT seconds to fill, which bounds the latency a trickle of pages sees.
PAGES_PER_BATCH = 64
BATCH_WAIT = 0.01
METADATA_MAX_AGE_MS = 15_000

# One raw page record (and the extractor version to stamp) in, its encoded events out; EventError on failure.
PageExtractor = Callable[[bytes | None, str], Awaitable[EncodedOutcome]]


async def extract_inline(value: bytes | None, extractor_version: str) -> EncodedOutcome:
    """Extraction on the calling thread, without a budget: for tests and tools, never the live agent."""
    return extract_record(value, extractor_version)


@dataclass
class ExtractorTopics:
    raw: TopicT
    facts: TopicT
    extractions: TopicT
    dlq: TopicT

    # Computed once: the agent reads them for every record it sends.
    @cached_property
    def routes(self) -> RouteTopics:
        return RouteTopics(
            facts=self.facts.get_topic_name(),
            extractions=self.extractions.get_topic_name(),
            dead_letters=self.dlq.get_topic_name(),
        )

    @cached_property
    def by_name(self) -> dict[str, TopicT]:
        return {t.get_topic_name(): t for t in (self.facts, self.extractions, self.dlq)}


def broker_credentials(settings: Settings) -> SASLCredentials | None:
    """Faust's form of the Kafka authentication settings (None: PLAINTEXT)."""
    options = kafka_client_options(settings)
    if not options:
        return None
    return SASLCredentials(
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        mechanism=options["sasl_mechanism"],
        ssl_context=options.get("ssl_context"),
    )


def _raw_topic(app: faust.App, name: str) -> TopicT:
    # Bytes in, bytes out: our own codecs (services.common.events) validate and fail with a reason.
    return app.topic(name, key_serializer="raw", value_serializer="raw", internal=False)


def create_app(
    settings: Settings,
    *,
    web_port: int | None = None,
    group_id: str | None = None,
    extractor_version: str = EXTRACTOR_VERSION,
    pool: ExtractionPool | None = None,
) -> tuple[faust.App, ExtractorTopics]:
    """The composition root of the extractor: a Faust app with its agent wired to the topics.

    ``pool`` runs the extraction (default: one from the settings, started and stopped with the app).
    """
    # Faust wants a data folder even with the memory store; keep it out of the working tree.
    datadir = Path(tempfile.gettempdir()) / "hqfacts-faust" / (group_id or settings.extractor_group)
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        group_id or settings.extractor_group,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(settings),
        store="memory://",
        autodiscover=False,
        topic_disable_leader=True,
        topic_replication_factor=settings.topic_replication_factor,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_compression_type="gzip",
        producer_max_request_size=MAX_REQUEST_BYTES,
        broker_commit_every=100,
        # A worker killed -9 holds its partitions until its session expires: keep that short.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        broker_commit_interval=1.0,
        # A rebalance right after a broker restart can run before the broker knows the raw topic again: the
        # leader then assigns none of it, and only a metadata refresh (default every 5 min) makes the group
        # rejoin. Refresh often enough that such a group recovers in seconds, not minutes.
        consumer_metadata_max_age_ms=METADATA_MAX_AGE_MS,
        web_enabled=web_port is not None,
        web_port=web_port or 6066,
        web_bind=settings.health_host,
        # Only /healthz and /metrics (ours): Faust's own pages expose tables, topology and internals.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_stats_enabled=False,
        web_graph_enabled=False,
        web_metrics_enabled=False,
        stream_wait_empty=False,
        datadir=str(datadir),
    )
    topics = ExtractorTopics(
        raw=_raw_topic(app, settings.raw_topic),
        facts=_raw_topic(app, settings.facts_topic),
        extractions=_raw_topic(app, settings.extractions_topic),
        dlq=_raw_topic(app, dlq_topic(settings.raw_topic)),
    )

    owns_pool = pool is None
    extraction_pool = pool or ExtractionPool.from_settings(settings, extractor_version)

    @app.agent(topics.raw, name="extract-pages")
    async def extract_pages(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        # (faust's StreamT stub lacks take_events; the Stream class has it.)
        batches = stream.take_events(PAGES_PER_BATCH, within=BATCH_WAIT)  # type: ignore[attr-defined]
        async for _ in deliver_batches(
            batches,
            lambda events: handle_raw_events(events, topics, extractor_version, extraction_pool.extract),
        ):
            yield None

    async def extraction_workers() -> None:
        # Start the workers with the app; the task is cancelled when the app stops: stop them then.
        try:
            await extraction_pool.start()
            await asyncio.Event().wait()
        finally:
            extraction_pool.close()

    if owns_pool:
        app.task(extraction_workers)

    if web_port is not None:
        _add_web_pages(app, settings, group_id or settings.extractor_group)
    return app, topics


async def deliver_batches(
    batches: AsyncIterator[Sequence[EventT[bytes]]],
    handle: Callable[[Sequence[EventT[bytes]]], Awaitable[None]],
) -> AsyncIterator[None]:
    """Handle each batch that ``stream.take_events`` yields; it acks a batch when the loop asks for the next
    one, i.e. once the batch was delivered.

    take_events also acks a batch on its way out when handling it failed or was cancelled (a SIGTERM, a
    producer error): those pages were not delivered, so their acks are withheld and their offsets stay
    uncommitted; the group reads them again (at-least-once, never lost).
    """
    async for events in batches:
        try:
            await handle(events)
        except BaseException:
            withhold_acks(events)
            raise
        yield None


def withhold_acks(events: Sequence[EventT[bytes]]) -> None:
    """Make the coming acks of ``events`` no-ops: a message already marked acked is not acked again, and the
    consumer never learns its offset as done."""
    for event in events:
        event.message.acked = True


async def handle_raw_events(
    events: Sequence[EventT[bytes]],
    topics: ExtractorTopics,
    extractor_version: str,
    extract: PageExtractor = extract_inline,
) -> None:
    """Extract a batch of raw page events; poison goes to the DLQ with its reason.

    Returns once every record of the batch is delivered, so the caller may ack the whole batch.
    """
    started = time.perf_counter()
    # Every page goes to the pool at once; a page's records are sent as soon as it and every page before it
    # are extracted, so producing overlaps the extraction of the pages after it, in the raw topic's order.
    extractions = [
        asyncio.ensure_future(extraction_outcome(extract(event.message.value, extractor_version)))
        for event in events
    ]
    pending: list[Awaitable[Any]] = []
    routes: list[PageRoute] = []
    try:
        for event, extraction in zip(events, extractions, strict=True):
            message = event.message
            route = route_page(SourceRecord.of(message), await extraction, topics.routes, stage="extractor")
            if route.reason is not None:
                log.warning("page to DLQ", extra={"offset": message.offset, "error": route.reason})
            for record in route.records:
                topic = topics.by_name[record.topic]
                headers = list(record.headers) or None
                pending.append(await topic.send(key=record.key, value=record.value, headers=headers))
            routes.append(route)
    finally:
        for extraction in extractions:
            extraction.cancel()  # a no-op for the pages done; a cancelled batch leaves none running
    await _delivered(pending)
    FACTS_OUT.inc(sum(route.facts for route in routes))
    elapsed = time.perf_counter() - started
    for route in routes:
        PAGES_IN.labels(outcome=route.kind).inc()
        PAGE_SECONDS.observe(elapsed)


async def handle_raw_event(
    event: EventT[bytes],
    topics: ExtractorTopics,
    extractor_version: str,
    extract: PageExtractor = extract_inline,
) -> None:
    """One raw page event: a batch of one."""
    await handle_raw_events([event], topics, extractor_version, extract)


async def _delivered(futures: list[Awaitable[Any]]) -> None:
    """Wait until the broker acknowledged every send, so the source event is acked only afterwards."""
    if futures:
        await asyncio.gather(*futures)


def consumer_health(app: faust.App) -> tuple[bool, dict[str, Any]]:
    """Whether the worker is consuming, and if not what it waits for (the body of /healthz)."""
    consumer = app.consumer if app.started else None
    if consumer is None:
        return False, {"status": "starting", "waiting_for": "the Kafka consumer to start"}
    if app.rebalancing:
        return False, {"status": "rebalancing", "waiting_for": "the consumer group to settle"}
    partitions = len(consumer.assignment())
    ASSIGNED.set(partitions)
    if partitions == 0:
        # More workers than partitions: this one is a standby (HQ_TOPIC_PARTITIONS bounds the useful workers).
        return False, {"status": "idle", "waiting_for": "a partition of the raw topic to be assigned"}
    if not app.flow_control.is_active():
        return False, {"status": "paused", "waiting_for": "flow control to resume"}
    return True, {"status": "ok", "partitions": partitions}


def _add_web_pages(app: faust.App, settings: Settings, group: str) -> None:
    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        ready, body = consumer_health(app)
        return web.json(body, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        consumer_health(app)  # refreshes the assigned-partitions gauge
        try:  # lag as the broker sees it: end offsets minus the group's committed offsets
            LAG.set(await group_lag(settings.kafka_bootstrap, group, [settings.raw_topic]))
        except Exception:  # a scrape must answer even when the broker does not
            log.warning("could not read the extractor's lag", exc_info=True)
        # aiohttp refuses a charset inside content_type; the exposition format is ASCII anyway.
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split("; charset")[0])
