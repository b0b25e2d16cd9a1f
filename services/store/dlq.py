"""Dead-letter topics: list what is there, re-drive events to their source topic after a fix.

A dead letter keeps the original key and value; its headers say where it came from and why
(services.common.kafka.dlq_headers). Re-driving produces the original record again to its source topic, with
an ``hq.redriven.from`` header, so the consumer that refused it sees it anew. Before re-driving, the current
checks of the store are run on fact and extraction events: those that would be refused again stay put.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select, tuple_, update

from services.common.db import make_engine
from services.common.events import EventError
from services.common.kafka import header_map, make_producer
from services.common.records import SourceRecord
from services.common.settings import Settings, kafka_client_options
from services.common.topics import DLQ_SUFFIX
from services.store.domain import StorePolicy, decode_extraction, decode_fact
from services.store.tables import dead_letters

log = logging.getLogger(__name__)

REDRIVEN_FROM = "hq.redriven.from"


@dataclass(frozen=True, slots=True)
class DlqEntry:
    dlq_topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def meta(self) -> dict[str, str]:
        return header_map(self.headers)

    @property
    def source_topic(self) -> str:
        """The topic this dead letter came from: always its DLQ's own name minus ".dlq". Headers are
        written by whoever produced to the DLQ, so they never choose where a re-drive writes."""
        return self.dlq_topic.removesuffix(DLQ_SUFFIX)

    def misdirected(self) -> str | None:
        """Why this entry must not be re-driven to ``source_topic``, or None."""
        if not self.dlq_topic.endswith(DLQ_SUFFIX) or self.dlq_topic == DLQ_SUFFIX:
            return f"{self.dlq_topic} is not a dead-letter topic (no {DLQ_SUFFIX} suffix)"
        named = self.meta.get("hq.source.topic")
        if named is not None and named != self.source_topic:
            return f"its header names topic {named[:200]!r}, not this DLQ's source {self.source_topic}"
        return None

    @property
    def source_position(self) -> tuple[str, int, int]:
        meta = self.meta
        return (
            self.source_topic,
            int(meta.get("hq.source.partition", -1)),
            int(meta.get("hq.source.offset", -1)),
        )

    @property
    def error(self) -> str:
        return self.meta.get("hq.error", "")

    @property
    def stage(self) -> str:
        return self.meta.get("hq.stage", "")

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


def dlq_topics(settings: Settings) -> list[str]:
    return [t + DLQ_SUFFIX for t in (settings.raw_topic, settings.facts_topic, settings.extractions_topic)]


async def read_dlq(bootstrap: str, topic: str, *, timeout_s: float = 30.0) -> list[DlqEntry]:
    """Every event on ``topic`` up to its end as of now (no consumer group: nothing is committed)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **kafka_client_options()
    )
    await consumer.start()
    try:
        partitions = await _partitions_of(bootstrap, topic)
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        entries: list[DlqEntry] = []
        deadline = time.monotonic() + timeout_s
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took over {timeout_s}s")
            batch = await consumer.getmany(*tps, timeout_ms=500)
            for tp, messages in batch.items():
                entries.extend(
                    DlqEntry(
                        dlq_topic=topic,
                        partition=tp.partition,
                        offset=m.offset,
                        timestamp_ms=m.timestamp,
                        key=m.key,
                        value=m.value,
                        headers=tuple((k, bytes(v)) for k, v in (m.headers or ())),
                    )
                    for m in messages
                    if m.offset < ends[tp]
                )
        return sorted(entries, key=lambda e: (e.partition, e.offset))
    finally:
        await consumer.stop()


async def _partitions_of(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            return []
        (described,) = await admin.describe_topics([topic])
        return sorted(int(p["partition"]) for p in described.get("partitions", []))
    finally:
        await admin.close()


def still_refused(entry: DlqEntry, settings: Settings, policy: StorePolicy) -> str | None:
    """The reason the store would refuse this event today, or None (raw-page events are not checked)."""
    record = SourceRecord(entry.source_topic, 0, 0, entry.key, entry.value)
    if entry.value is None:
        return "no value"
    try:
        if entry.source_topic == settings.facts_topic:
            decode_fact(record, policy)
        elif entry.source_topic == settings.extractions_topic:
            decode_extraction(record, policy)
    except EventError as exc:
        return str(exc)
    return None


@dataclass(frozen=True, slots=True)
class RedriveResult:
    entry: DlqEntry
    new_offset: int | None  # None: skipped
    reason: str = ""


async def redrive(
    settings: Settings,
    entries: Sequence[DlqEntry],
    *,
    policy: StorePolicy | None = None,
    check: bool = True,
    dry_run: bool = False,
) -> list[RedriveResult]:
    """Produce ``entries`` to their source topics; with ``check``, skip those the store would refuse again."""
    policy = policy or StorePolicy.from_settings(settings)
    results: list[RedriveResult] = []
    to_send: list[DlqEntry] = []
    for entry in entries:
        misdirected = entry.misdirected()  # checked even without ``check``: it is not about the data
        if misdirected is not None:
            results.append(RedriveResult(entry, None, f"refused: {misdirected}"))
            continue
        reason = still_refused(entry, settings, policy) if check else None
        if reason is not None:
            results.append(RedriveResult(entry, None, f"still refused: {reason}"))
        else:
            to_send.append(entry)
    if dry_run or not to_send:
        return results + [RedriveResult(e, None, "dry run") for e in to_send if dry_run]
    producer = make_producer(settings.kafka_bootstrap)
    await producer.start()
    try:
        for entry in to_send:
            headers = [(k, v) for k, v in entry.headers if not k.startswith("hq.")]
            headers.append((REDRIVEN_FROM, f"{entry.dlq_topic}:{entry.partition}:{entry.offset}".encode()))
            metadata = await producer.send_and_wait(
                entry.source_topic, key=entry.key, value=entry.value, headers=headers
            )
            results.append(RedriveResult(entry, int(metadata.offset)))
    finally:
        await producer.stop()
    _mark_redriven(settings.database_url, [r.entry for r in results if r.new_offset is not None])
    return results


def _mark_redriven(database_url: str, entries: Iterable[DlqEntry]) -> None:
    """Note the re-drive on the store's bookkeeping rows (best effort: the topic is the record)."""
    positions = [e.source_position for e in entries]
    if not positions:
        return
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(dead_letters)
                .where(
                    tuple_(
                        dead_letters.c.source_topic,
                        dead_letters.c.source_partition,
                        dead_letters.c.source_offset,
                    ).in_(positions)
                )
                .values(redriven_at=func.now())
            )
    except Exception as exc:
        log.warning("could not mark the re-driven events in the database: %s", exc)
    finally:
        engine.dispose()


def redriven_positions(database_url: str, entries: Iterable[DlqEntry]) -> set[tuple[str, int, int]]:
    """Source positions among ``entries`` already re-driven (per the store's bookkeeping)."""
    positions = [e.source_position for e in entries]
    if not positions:
        return set()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    dead_letters.c.source_topic, dead_letters.c.source_partition, dead_letters.c.source_offset
                )
                .where(dead_letters.c.redriven_at.is_not(None))
                .where(
                    tuple_(
                        dead_letters.c.source_topic,
                        dead_letters.c.source_partition,
                        dead_letters.c.source_offset,
                    ).in_(positions)
                )
            )
            return {(t, int(p), int(o)) for t, p, o in rows}
    except Exception as exc:
        log.warning("could not read the re-drive bookkeeping: %s", exc)
        return set()
    finally:
        engine.dispose()
