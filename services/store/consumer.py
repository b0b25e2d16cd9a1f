"""`hqfacts store`: the Kafka side of the store, a thin adapter around StoreService.

aiokafka directly (not Faust) because the store owns its offsets: they live in PostgreSQL, written in the
batch's transaction; on assignment the consumer seeks to them. Kafka's committed offsets are only a hint
for lag tooling, committed after the DB commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from services.common.db import make_engine
from services.common.kafka import dlq_headers, ensure_topics, make_producer, topic_specs
from services.common.observability import start_health_server
from services.common.records import SourceRecord
from services.common.settings import Settings, kafka_client_options
from services.common.topics import TopicSpec, dlq_topic
from services.store import metrics
from services.store.domain import DeadLetter, OutboxEvent, RecordKind, StorePolicy
from services.store.errors import BatchAbandoned, TransientStoreError
from services.store.repository import SqlStoreRepository
from services.store.service import Backoff, StoreService

log = logging.getLogger(__name__)

STAGE = "store"
_UNKNOWN_FLOOR = 2**63 - 1  # until the database's position is known: accept nothing
_TRUNCATED_DLQ_VALUE = 64 * 1024


def store_topic_specs(settings: Settings) -> dict[str, TopicSpec]:
    """The pipeline's topics plus the store's own DLQ of the extractions topic."""
    specs = dict(topic_specs(settings))
    specs.setdefault(dlq_topic(settings.extractions_topic), specs[dlq_topic(settings.facts_topic)])
    return specs


def _headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    src = letter.source
    return dlq_headers(
        error=letter.error, source_topic=src.topic, partition=src.partition, offset=src.offset, stage=STAGE
    )


class KafkaEventSink:
    """Produces dead letters and outbox events; returns only once the broker acknowledged them."""

    def __init__(self, producer: AIOKafkaProducer, facts_topic: str, observations_topic: str) -> None:
        self.producer = producer
        self.topics = {"facts": facts_topic, "observations": observations_topic}

    async def send_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        try:
            futures = []
            for letter in letters:
                src = letter.source
                future = await self._send(dlq_topic(src.topic), src.key, src.value, _headers(letter))
                futures.append((letter, future))
            for letter, future in futures:
                try:
                    await future
                except MessageSizeTooLargeError:
                    # Keep the evidence without the bulk: the head of the value, marked as truncated.
                    src = letter.source
                    headers = [*_headers(letter), ("hq.truncated", b"1")]
                    value = src.value[:_TRUNCATED_DLQ_VALUE] if src.value else None
                    await (await self._send(dlq_topic(src.topic), src.key, value, headers))
        except KafkaError as exc:
            raise TransientStoreError(f"producing dead letters failed: {exc!r}") from exc

    async def publish_outbox(self, events: Sequence[OutboxEvent]) -> None:
        try:
            futures = [
                await self.producer.send(self.topics[e.channel], key=e.key.encode("ascii"), value=e.payload)
                for e in events
            ]
            for future in futures:
                await future
        except KafkaError as exc:
            topics = ", ".join(sorted({self.topics[e.channel] for e in events}))
            raise TransientStoreError(f"producing to {topics} failed: {exc!r}") from exc

    async def _send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[object]:
        future: asyncio.Future[object] = await self.producer.send(
            topic, key=key, value=value, headers=headers
        )
        return future


class StoreRunner:
    """The consume -> batch -> store -> commit loop, with resume-from-database on assignment."""

    def __init__(
        self,
        settings: Settings,
        *,
        policy: StorePolicy | None = None,
        stopping: asyncio.Event | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or StorePolicy.from_settings(settings)
        self.stopping = stopping or asyncio.Event()
        self.backoff = backoff or Backoff()
        self.kinds: dict[str, RecordKind] = {
            settings.facts_topic: "fact",
            settings.extractions_topic: "extraction",
        }
        self._buffer: list[SourceRecord] = []
        # Per partition, the database's position at assignment: records below it are stored already.
        self._floor: dict[tuple[str, int], int] = {}
        # Per partition, the offset after the last record fetched: compared with the high-water mark, it
        # tells whether anything is left to read right now.
        self._fetched_to: dict[TopicPartition, int] = {}
        self._batch_lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        self.service: StoreService | None = None
        self.batches = 0

    def healthy(self) -> bool:
        return self.health()[0]

    def health(self) -> tuple[bool, str]:
        """Whether the store is storing, and if not what it waits for (the body of /healthz)."""
        if self.stopping.is_set():
            return False, "nothing: the store is stopping"
        service, consumer = self.service, self.consumer
        if service is None or consumer is None:
            return False, "the database and the Kafka consumer to start"
        if not service.healthy:
            return False, f"the database or the broker to answer again (last error: {service.last_error})"
        partitions = len(consumer.assignment())
        if partitions == 0:
            return False, "a partition of the facts or extractions topic to be assigned (or a rebalance)"
        return True, f"{partitions} partition(s) assigned"

    async def run(self) -> None:
        settings = self.settings
        engine = make_engine(settings.database_url)
        repository = SqlStoreRepository(engine)
        await ensure_topics(settings.kafka_bootstrap, store_topic_specs(settings))
        producer = make_producer(settings.kafka_bootstrap)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            **kafka_client_options(settings),
            group_id=settings.store_group,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            max_poll_records=settings.store_batch_size,
            # As the extractor's: a group that rebalanced while a restarted broker did not know its topics yet
            # rejoins once a metadata refresh shows them; every 15 s instead of every 5 min.
            metadata_max_age_ms=15_000,
        )
        self.consumer = consumer
        self.service = service = StoreService(
            repository,
            KafkaEventSink(producer, settings.facts_topic, settings.observations_topic),
            consumer_group=settings.store_group,
            kinds=self.kinds,
            policy=self.policy,
            backoff=self.backoff,
            stopping=self.stopping,
        )
        await producer.start()
        try:
            # Events a previous run committed but did not get to produce (killed between the two).
            with contextlib.suppress(BatchAbandoned):
                built = await service.refresh_missing_observations()
                if built:
                    log.info("built %d observations of facts stored before them", built)
                drained = await service.drain_outbox()
                if drained:
                    log.info("published %d pending outbox events", drained)
            self._report_assignment()  # 0 until the first assignment: an idle replica is visible
            consumer.subscribe(list(self.kinds), listener=_ResumeFromDatabase(self))
            await consumer.start()
            try:
                log.info(
                    "store consuming",
                    extra={
                        "topics": list(self.kinds),
                        "group": settings.store_group,
                        "bootstrap": settings.kafka_bootstrap,
                    },
                )
                await self._loop(consumer, service)
            finally:
                await consumer.stop()
        finally:
            await producer.stop()
            engine.dispose()

    async def _loop(self, consumer: AIOKafkaConsumer, service: StoreService) -> None:
        size, max_age = self.settings.store_batch_size, self.settings.store_batch_seconds
        while not self.stopping.is_set():
            first_at: float | None = None
            # Fill a batch until it is big enough or its first record is max_age old.
            while not self.stopping.is_set():
                wait = max_age if first_at is None else max(0.0, first_at + max_age - time.monotonic())
                fetched = await self._fetch(consumer, wait, size - len(self._buffer))
                self._buffer.extend(fetched)
                if self._buffer and first_at is None:
                    first_at = time.monotonic()
                if self._buffer and (
                    len(self._buffer) >= size
                    or time.monotonic() - first_at >= max_age  # type: ignore[operator]
                    or self._caught_up(consumer)
                ):
                    break
            if self.stopping.is_set() or not self._buffer:
                break
            async with self._batch_lock:
                records, self._buffer = self._buffer, []
                try:
                    report = await service.process(records)
                except BatchAbandoned:
                    log.info("stopping; a batch of %d is left for the next run", len(records))
                    return
                self.batches += 1
                await self._commit_hint(consumer, records)
            log.info(
                "batch stored",
                extra={
                    "records": report.records,
                    "inserted": report.outcome.inserted,
                    "updated": report.outcome.updated,
                    "unchanged": report.outcome.unchanged,
                    "retired": len(report.outcome.retired),
                    "dead_letters": report.dead_letters,
                    "seconds": round(report.seconds, 4),
                    "offsets": f"{records[0].offset}..{records[-1].offset}",
                },
            )

    def _caught_up(self, consumer: AIOKafkaConsumer) -> bool:
        """Nothing more to read right now. Committing at once then keeps a trickle's latency low (no
        waiting out the batch age), while a backlog still fills whole batches."""
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None and self._fetched_to.get(tp, 0) < highwater:
                return False
        return True

    async def _fetch(self, consumer: AIOKafkaConsumer, wait: float, room: int) -> list[SourceRecord]:
        # ``wait`` is at most store_batch_seconds, so a stop request is seen within that time.
        try:
            data = await consumer.getmany(timeout_ms=int(wait * 1000), max_records=max(1, room))
        except KafkaError as exc:  # the broker restarting: the client reconnects by itself
            metrics.ERRORS.labels("kafka").inc()
            log.warning("fetch failed: %r", exc)
            await asyncio.sleep(0.2)
            return []
        for tp, messages in data.items():
            if messages:
                self._fetched_to[tp] = messages[-1].offset + 1
        records = [
            SourceRecord(
                topic=m.topic,
                partition=m.partition,
                offset=m.offset,
                key=m.key,
                value=m.value,
                headers=tuple((k, bytes(v)) for k, v in (m.headers or ())),
            )
            for messages in data.values()
            for m in messages
            # A partition is read only once positioned from the database (on_assigned).
            if m.offset >= self._floor.get((m.topic, m.partition), _UNKNOWN_FLOOR)
        ]
        return records

    async def _commit_hint(self, consumer: AIOKafkaConsumer, records: Sequence[SourceRecord]) -> None:
        next_offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            next_offsets[tp] = max(next_offsets.get(tp, 0), r.offset + 1)
        assigned = consumer.assignment()
        owned = {tp: off for tp, off in next_offsets.items() if tp in assigned}
        for tp, off in owned.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                metrics.LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - off))
        if not owned:
            return
        try:
            await consumer.commit(owned)
        except KafkaError as exc:  # only a hint: the database holds the real position
            log.info("kafka offset commit skipped: %r", exc)

    # --- rebalance ----------------------------------------------------------------------------------

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        # Wait for the batch in flight; drop buffered records of partitions we lose (the new owner reads
        # them again from the database's offsets).
        async with self._batch_lock:
            lost = {(tp.topic, tp.partition) for tp in revoked}
            self._buffer = [r for r in self._buffer if (r.topic, r.partition) not in lost]
            for topic, partition in lost:
                self._floor.pop((topic, partition), None)
                # The new owner reports this partition's lag; a stale copy here would double it.
                metrics.LAG.remove(topic, str(partition))
            self._report_assignment()

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer, service = self.consumer, self.service
        assert consumer is not None and service is not None
        # The fetcher runs on while we ask the database: hold the partitions until they are positioned, and
        # refuse anything below the database's position (_fetch) in case a fetch slipped through.
        consumer.pause(*assigned)
        for tp in assigned:
            self._floor[(tp.topic, tp.partition)] = _UNKNOWN_FLOOR
        self._report_assignment()
        try:
            stored = await service.stored_offsets((tp.topic, tp.partition) for tp in assigned)
        except BatchAbandoned:
            return
        for tp in sorted(assigned):
            position = stored.get((tp.topic, tp.partition))
            # Nothing in the database: read it all. Offset 0, not seek_to_beginning: that asks the broker and
            # can fail while a new topic's leader is being elected, leaving the partition paused for good;
            # below the log start, auto_offset_reset="earliest" moves the consumer up to it.
            consumer.seek(tp, position or 0)
            self._floor[(tp.topic, tp.partition)] = position or 0
        consumer.resume(*assigned)
        log.info(
            "partitions assigned",
            extra={"positions": {f"{t}[{p}]": stored.get((t, p), 0) for t, p in assigned}},
        )

    def _report_assignment(self) -> None:
        for topic in self.kinds:
            metrics.ASSIGNED_PARTITIONS.labels(topic).set(sum(1 for t, _ in self._floor if t == topic))


class _ResumeFromDatabase(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: StoreRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.runner.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.runner.on_assigned(assigned)


async def run_store(settings: Settings, *, policy: StorePolicy | None = None) -> None:
    """The `hqfacts store` process: runs until SIGTERM/SIGINT, then finishes or abandons its batch."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    runner = StoreRunner(settings, policy=policy, stopping=stopping)
    health = start_health_server(settings.health_host, settings.health_port, runner.health)
    try:
        await runner.run()
    finally:
        if health is not None:
            health.stop()
        log.info("store stopped", extra={"batches": runner.batches})
