"""One process of a parallel replay: its share of the raw topic's partitions, extracted, routed, produced.

``hqfacts replay`` plans the work (start and end offset of every partition) and starts one of these per
share (services/pipeline/replay.py). A worker reads its partitions with assign()/seek up to the planned end
offsets, extracts in its own budgeted ExtractionPool (a hostile page is dead-lettered, not a stalled
backfill), produces each page's records with ``route_page`` (as the live agent does), waits until every
record of a batch is delivered, then commits the replay group's offsets of its partitions; the next batch
is already extracting meanwhile. It reports its counts to the parent through a queue after each batch, and
its end: done, or failed with a one-line reason.

This module is what a spawned worker imports first: it keeps to the extractor and Kafka (no SQLAlchemy,
no store), so starting a worker costs little.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import make_producer
from services.common.observability import configure_logging
from services.common.settings import Settings, kafka_client_options
from services.extractor.pool import ExtractionPool
from services.extractor.producing import Delivery, send_route
from services.extractor.routing import PageRoute, RouteTopics, SourceRecord, extraction_outcome, route_page

log = logging.getLogger(__name__)

REPLAY_STAGE = "replay"  # the hq.stage header of the replay's dead letters
MAX_PAGES_PER_BATCH = 200  # pages between two commits (and two progress reports)
PRODUCER_LINGER_MS = 100
PRODUCER_BATCH_BYTES = 1024 * 1024


@dataclass
class ReplayCounts:
    events: int = 0
    articles: int = 0
    facts: int = 0
    dead_letters: int = 0

    def count(self, route: PageRoute) -> None:
        self.events += 1
        self.articles += route.kind == "article"
        self.facts += route.facts
        self.dead_letters += route.kind == "dlq"

    def __add__(self, other: ReplayCounts) -> ReplayCounts:
        return ReplayCounts(
            self.events + other.events,
            self.articles + other.articles,
            self.facts + other.facts,
            self.dead_letters + other.dead_letters,
        )


@dataclass(frozen=True)
class PartitionRange:
    """One partition of the raw topic to replay: offsets ``start`` (included) to ``end`` (excluded)."""

    partition: int
    start: int
    end: int

    @property
    def events(self) -> int:
        return max(0, self.end - self.start)


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    settings: Settings
    group: str
    ranges: tuple[PartitionRange, ...]


# What a worker tells the parent (picklable, through a multiprocessing queue).
@dataclass(frozen=True)
class WorkerProgress:
    index: int
    counts: ReplayCounts
    remaining: int


@dataclass(frozen=True)
class WorkerDone:
    index: int
    counts: ReplayCounts


@dataclass(frozen=True)
class WorkerFailed:
    index: int
    reason: str


WorkerReport = WorkerProgress | WorkerDone | WorkerFailed


class ReportQueue(Protocol):
    def put(self, obj: Any) -> None: ...


ProgressCallback = Callable[[ReplayCounts, int], None]


@dataclass
class Batch:
    """One fetch of a replay worker: the offsets to commit once its records are all delivered."""

    offsets: dict[TopicPartition, int]
    deliveries: list[Delivery] = field(default_factory=list)


async def replay_partitions(plan: WorkerPlan, on_progress: ProgressCallback) -> ReplayCounts:
    """Replay ``plan.ranges``: returns once every event up to the end offsets is delivered and committed."""
    settings = plan.settings
    topics = RouteTopics.for_raw_topic(settings.raw_topic, settings.facts_topic, settings.extractions_topic)
    ends = {TopicPartition(settings.raw_topic, r.partition): r.end for r in plan.ranges}
    positions = {TopicPartition(settings.raw_topic, r.partition): r.start for r in plan.ranges}
    counts = ReplayCounts()

    def remaining() -> int:
        return sum(max(0, ends[tp] - positions[tp]) for tp in ends)

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        **kafka_client_options(settings),
        group_id=plan.group,  # assign(), not subscribe(): the group only keeps the offsets, nobody joins
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=MAX_PAGES_PER_BATCH,
    )
    # Deliveries are awaited once per batch, while the next batch extracts: lingering costs no time here.
    producer = make_producer(
        settings.kafka_bootstrap, linger_ms=PRODUCER_LINGER_MS, max_batch_bytes=PRODUCER_BATCH_BYTES
    )
    # HQ_EXTRACT_WORKERS pool processes per replay worker (default 1): the replay scales by workers.
    pool = ExtractionPool.from_settings(settings)

    async def finish(batch: Batch) -> None:
        """Every record of ``batch`` delivered, then the group's offsets moved past it."""
        await asyncio.gather(*batch.deliveries)
        if batch.offsets:
            await consumer.commit(batch.offsets)
        on_progress(counts, remaining())

    try:
        # Connecting and starting the pool's process overlap: a worker's start is part of every replay.
        await asyncio.gather(consumer.start(), producer.start(), pool.start())
        consumer.assign(list(ends))
        for tp, offset in positions.items():
            consumer.seek(tp, offset)
        on_progress(counts, remaining())
        # Two batches overlap: the next batch is already extracting while this one's records are delivered
        # and its offsets committed, so the pool never waits for the broker.
        delivering: Batch | None = None
        while active := [tp for tp in ends if positions[tp] < ends[tp]]:
            fetched = await consumer.getmany(*active, timeout_ms=1000)
            wanted = [m for tp, messages in fetched.items() for m in messages if m.offset < ends[tp]]
            extractions = [asyncio.ensure_future(extraction_outcome(pool.extract(m.value))) for m in wanted]
            for tp in active:
                positions[tp] = min(await consumer.position(tp), ends[tp])
            batch = Batch(offsets={tp: positions[tp] for tp in fetched})
            try:
                if delivering is not None:
                    await finish(delivering)
                # Each page's records go out as soon as it and the pages before it are extracted.
                for message, extraction in zip(wanted, extractions, strict=True):
                    route = route_page(SourceRecord.of(message), await extraction, topics, stage=REPLAY_STAGE)
                    batch.deliveries += await send_route(producer, route)
                    counts.count(route)
            finally:
                for extraction in extractions:
                    extraction.cancel()  # a no-op for the pages done; a failed batch leaves none running
            delivering = batch
        if delivering is not None:
            await finish(delivering)
    finally:
        pool.close()
        await producer.stop()
        await consumer.stop()
    return counts


def failure_reason(exc: BaseException) -> str:
    """One line: what the CLI would say about it (Kafka unreachable, ...), else its type and message."""
    from services.common.cli_errors import describe

    described = describe(exc)
    if described is not None:
        return described
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _exit_with_parent() -> None:
    """End this worker when the replay that started it dies (even by kill -9): an orphan would go on
    producing a backfill nobody waits for."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_worker(plan: WorkerPlan, reports: ReportQueue) -> None:
    """The worker process' entry point: replay, then report done or failed (and exit 1)."""
    _exit_with_parent()
    configure_logging(plan.settings.log_level, plan.settings.log_format)

    def progress(counts: ReplayCounts, remaining: int) -> None:
        reports.put(WorkerProgress(plan.index, replace(counts), remaining))

    try:
        counts = asyncio.run(replay_partitions(plan, progress))
    except BaseException as exc:  # KeyboardInterrupt too: the parent must hear why this worker ended
        partitions = ",".join(str(r.partition) for r in plan.ranges)
        reason = f"replay worker {plan.index} (partitions {partitions}) failed: {failure_reason(exc)}"
        with contextlib.suppress(
            Exception
        ):  # the traceback only at HQ_LOG_LEVEL=DEBUG: the CLI says one line
            log.debug(reason, exc_info=exc)
        reports.put(WorkerFailed(plan.index, reason))
        raise SystemExit(1) from None
    reports.put(WorkerDone(plan.index, counts))
