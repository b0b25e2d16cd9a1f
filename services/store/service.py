"""The store's service layer: a batch of consumed records in, one DB transaction out.

Transport-neutral: the Kafka loop (consumer.py) hands it plain records; the repository and the event sink
are ports, so the batch semantics are tested with fakes (tests/unit/test_store_service.py).

Order of effects for one batch, chosen so nothing is lost on a crash at any point:
1. decode and classify (domain.classify); dedup by fact_id inside the batch;
2. dead letters produced to the DLQ and flushed (skipping those a committed batch already recorded);
3. ONE transaction: articles, versioned fact upserts, supersede, observations, outbox, DLQ bookkeeping,
   next offsets;
4. the outbox (tombstones of retired facts, events of facts brought back, changed observations) produced,
   then deleted.
A crash before 3 redelivers the batch (DLQ may get a duplicate, keyed by source offset); after 3 the outbox
is drained at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ParamSpec, Protocol, TypeVar

from services.common.topics import dlq_topic
from services.store import metrics
from services.store.domain import (
    BatchOutcome,
    ClassifiedBatch,
    DeadLetter,
    OutboxEvent,
    Position,
    RecordKind,
    SourceRecord,
    StorePolicy,
    classify,
    split_in_halves,
)
from services.store.errors import BatchAbandoned, RejectedByDatabase, TransientStoreError

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class StoreRepository(Protocol):
    def apply_batch(
        self, batch: ClassifiedBatch, consumer_group: str, dlq_topic_of: Callable[[str], str]
    ) -> BatchOutcome: ...

    def stored_offsets(
        self, consumer_group: str, partitions: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int]: ...

    def dead_lettered(self, consumer_group: str, positions: Iterable[Position]) -> set[Position]: ...

    def drain_outbox(
        self,
        publish: Callable[[Sequence[OutboxEvent]], None],
        keys: Sequence[str] | None = None,
        limit: int = 5000,
    ) -> int: ...

    def refresh_missing_observations(self, chunk: int = 500) -> int: ...


class EventSink(Protocol):
    """Where the store produces: dead letters and outbox events (facts and observations topics). Durable
    (flushed) on return."""

    async def send_dead_letters(self, letters: Sequence[DeadLetter]) -> None: ...

    async def publish_outbox(self, events: Sequence[OutboxEvent]) -> None: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.2
    maximum: float = 5.0
    factor: float = 2.0

    def delays(self) -> Iterable[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(self.maximum, delay * self.factor)


@dataclass(slots=True)
class BatchReport:
    records: int = 0
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    dead_letters: int = 0
    tombstones_skipped: int = 0
    duplicates: int = 0
    published: int = 0
    seconds: float = 0.0


# Extractions of pages fetched longer ago than this are replays or backfills, not live freshness.
LIVE_HORIZON_SECONDS = 3600.0


def _observe_freshness(batch: ClassifiedBatch) -> None:
    """Publish-to-committed of the batch's extractions, just committed."""
    now = datetime.now(UTC)
    for extraction in batch.extractions:
        fetched = extraction.event.fetched_at
        if fetched is None or fetched.tzinfo is None:
            continue
        age = (now - fetched).total_seconds()
        if 0 <= age <= LIVE_HORIZON_SECONDS:
            metrics.PUBLISH_TO_COMMITTED.observe(age)


class StoreService:
    def __init__(
        self,
        repository: StoreRepository,
        sink: EventSink,
        *,
        consumer_group: str,
        kinds: dict[str, RecordKind],
        policy: StorePolicy | None = None,
        backoff: Backoff | None = None,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.repository = repository
        self.sink = sink
        self.consumer_group = consumer_group
        self.kinds = kinds
        self.policy = policy or StorePolicy()
        self.backoff = backoff or Backoff()
        self.stopping = stopping or asyncio.Event()
        self.healthy = True  # false while the database or broker is unreachable
        self.last_error = ""  # why it was last unhealthy

    async def process(self, records: Sequence[SourceRecord]) -> BatchReport:
        """Store one batch (records in consumption order). Raises BatchAbandoned when asked to stop."""
        started = time.perf_counter()
        report = BatchReport(records=len(records))
        for record in records:
            metrics.EVENTS_IN.labels(record.topic).inc()
        await self._store(records, report, sent=set())
        report.seconds = time.perf_counter() - started
        metrics.BATCH_SECONDS.observe(report.seconds)
        metrics.BATCH_RECORDS.observe(len(records))
        return report

    async def _store(self, records: Sequence[SourceRecord], report: BatchReport, sent: set[Position]) -> None:
        batch = classify(records, self.kinds, self.policy)
        await self._dead_letter(batch.dead_letters, sent)
        try:
            outcome = await self._retrying(self.repository.apply_batch, batch, self.consumer_group, dlq_topic)
        except RejectedByDatabase as exc:
            # Something the checks let through; find it by halving, so the rest of the batch is stored.
            metrics.ERRORS.labels("rejected").inc()
            if len(records) > 1:
                log.warning(
                    "database refused a batch of %d; splitting it", len(records), extra={"error": str(exc)}
                )
                for half in split_in_halves(records):
                    await self._store(half, report, sent)
                return
            letter = DeadLetter(records[0], f"rejected by the database: {exc}")
            batch = ClassifiedBatch(dead_letters=[letter], next_offsets=batch.next_offsets)
            await self._dead_letter(batch.dead_letters, sent)
            outcome = await self._retrying(self.repository.apply_batch, batch, self.consumer_group, dlq_topic)
        report.outcome = report.outcome + outcome
        _observe_freshness(batch)
        report.dead_letters += len(batch.dead_letters)
        report.tombstones_skipped += batch.tombstones_skipped
        report.duplicates += batch.duplicates
        self._count(outcome)
        pending = [*outcome.retired, *outcome.reactivated, *outcome.observations_changed]
        if pending:
            report.published += await self.drain_outbox(pending)

    async def _dead_letter(self, letters: Sequence[DeadLetter], sent: set[Position]) -> None:
        if not letters:
            return
        positions = [(d.source.topic, d.source.partition, d.source.offset) for d in letters]
        already = await self._retrying(self.repository.dead_lettered, self.consumer_group, positions)
        fresh = [
            d for d, pos in zip(letters, positions, strict=True) if pos not in already and pos not in sent
        ]
        if fresh:
            await self._retrying_async(self.sink.send_dead_letters, fresh)
        for letter in fresh:
            sent.add((letter.source.topic, letter.source.partition, letter.source.offset))
            metrics.DEAD_LETTERS.labels(letter.source.topic).inc()
            log.warning(
                "dead-lettered %s[%d]@%d: %s",
                letter.source.topic,
                letter.source.partition,
                letter.source.offset,
                letter.error,
                extra={"topic": letter.source.topic, "offset": letter.source.offset, "error": letter.error},
            )

    async def drain_outbox(self, keys: Sequence[str] | None = None) -> int:
        """Produce the pending outbox events: facts' tombstones and re-published facts, observations'
        events and tombstones (all of them when ``keys`` is None)."""
        loop = asyncio.get_running_loop()

        def publish(events: Sequence[OutboxEvent]) -> None:  # runs in the repository's worker thread
            asyncio.run_coroutine_threadsafe(self.sink.publish_outbox(events), loop).result()

        return await self._retrying(self.repository.drain_outbox, publish, keys)

    async def refresh_missing_observations(self) -> int:
        """Build the observations a store upgraded from before them lacks (a no-op once they exist)."""
        return await self._retrying(self.repository.refresh_missing_observations)

    async def stored_offsets(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return await self._retrying(self.repository.stored_offsets, self.consumer_group, list(partitions))

    def _count(self, outcome: BatchOutcome) -> None:
        metrics.FACTS_STORED.labels("inserted").inc(outcome.inserted)
        metrics.FACTS_STORED.labels("updated").inc(outcome.updated)
        metrics.FACTS_STORED.labels("unchanged").inc(outcome.unchanged)
        metrics.FACTS_RETIRED.inc(len(outcome.retired))
        metrics.FACTS_REACTIVATED.inc(len(outcome.reactivated))
        metrics.EXTRACTIONS_APPLIED.inc(outcome.extractions_applied)
        metrics.OBSERVATIONS_CHANGED.inc(len(outcome.observations_changed))

    async def _retrying(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking repository call in a thread, retrying transient failures with backoff."""

        async def call() -> T:
            return await asyncio.to_thread(fn, *args, **kwargs)

        return await self._retrying_async(call)

    async def _retrying_async(self, fn: Callable[..., Awaitable[T]], *args: object) -> T:
        for delay in self.backoff.delays():
            try:
                result = await fn(*args)
            except TransientStoreError as exc:
                self.healthy = False
                self.last_error = str(exc)[:300]
                metrics.ERRORS.labels("transient").inc()
                if self.stopping.is_set():
                    raise BatchAbandoned(str(exc)) from exc
                log.warning("transient failure, retrying in %.1fs: %s", delay, exc, extra={"error": str(exc)})
                try:
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
                except TimeoutError:
                    continue
                raise BatchAbandoned(str(exc)) from exc
            else:
                if not self.healthy:
                    log.info("recovered")
                self.healthy = True
                return result
        raise AssertionError("unreachable: backoff delays are endless")
