"""The extractor's Faust entry point: decode a raw page, call the domain, produce, then ack.

Every fact and extraction event of a page is delivered (awaited) before the agent moves on, and Faust acks
a message only when the agent is done with it, so a crash re-extracts at most the pages in flight
(at-least-once; fact ids are deterministic, so the store absorbs the duplicates).

Decoding, parsing and extraction run in a process pool (services.extractor.pool) within a wall-clock budget
per page, so no page can hold the event loop (heartbeats, other partitions) or the agent for long.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from faust.auth import SASLCredentials
from faust.types import EventT, TopicT
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from services.common.events import EventError
from services.common.kafka import MAX_REQUEST_BYTES, dlq_headers
from services.common.settings import Settings, kafka_client_options
from services.common.topics import dlq_topic
from services.extractor.domain.facts import EXTRACTOR_VERSION
from services.extractor.pool import ExtractionPool
from services.extractor.service import EncodedOutcome, extract_record
from services.pipeline.progress import group_lag

log = logging.getLogger(__name__)

PAGES_IN = Counter("hqfacts_extractor_pages_total", "Raw page events consumed", ["outcome"])
FACTS_OUT = Counter("hqfacts_extractor_facts_total", "Fact events produced")
LAG = Gauge("hqfacts_extractor_lag_messages", "Raw page events not yet committed by the extractor group")
PAGE_SECONDS = Histogram("hqfacts_extractor_page_seconds", "Time to extract and produce one page")


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
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_compression_type="gzip",
        producer_max_request_size=MAX_REQUEST_BYTES,
        broker_commit_every=100,
        # A worker killed -9 holds its partitions until its session expires: keep that short.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        broker_commit_interval=1.0,
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
        async for event in stream.events():
            await handle_raw_event(event, topics, extractor_version, extraction_pool.extract)
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


async def handle_raw_event(
    event: EventT[bytes],
    topics: ExtractorTopics,
    extractor_version: str,
    extract: PageExtractor = extract_inline,
) -> None:
    """Extract one raw page event; poison goes to the DLQ with its reason. Returns once all is delivered."""
    message = event.message
    started = time.perf_counter()
    try:
        outcome = await extract(message.value, extractor_version)
    except Exception as exc:  # a poison event must never stop the agent
        reason = str(exc) if isinstance(exc, EventError) else f"{type(exc).__name__}: {exc}"
        log.warning("page to DLQ", extra={"offset": message.offset, "error": reason})
        headers = dlq_headers(
            error=reason,
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            stage="extractor",
        )
        await _delivered([await topics.dlq.send(key=message.key, value=message.value, headers=headers)])
        PAGES_IN.labels(outcome="dlq").inc()
        return
    pending = [await topics.facts.send(key=key, value=value) for key, value in outcome.facts]
    if outcome.extraction is not None:
        key, value = outcome.extraction
        pending.append(await topics.extractions.send(key=key, value=value))
    await _delivered(pending)
    FACTS_OUT.inc(len(outcome.facts))
    PAGES_IN.labels(outcome="article" if outcome.is_article else "other").inc()
    PAGE_SECONDS.observe(time.perf_counter() - started)


async def _delivered(futures: list[Awaitable[Any]]) -> None:
    """Wait until the broker acknowledged every send, so the source event is acked only afterwards."""
    if futures:
        await asyncio.gather(*futures)


def _add_web_pages(app: faust.App, settings: Settings, group: str) -> None:
    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        consumer_ready = app.consumer is not None and not app.rebalancing
        return web.json({"status": "ok" if consumer_ready else "starting"})

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        try:  # lag as the broker sees it: end offsets minus the group's committed offsets
            LAG.set(await group_lag(settings.kafka_bootstrap, group, [settings.raw_topic]))
        except Exception:  # a scrape must answer even when the broker does not
            log.warning("could not read the extractor's lag", exc_info=True)
        # aiohttp refuses a charset inside content_type; the exposition format is ASCII anyway.
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split("; charset")[0])
