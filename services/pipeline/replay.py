"""``hqfacts replay``: re-extract the raw topic with the current extractor, for backfills.

Reads the raw topic in a fresh consumer group (never the live extractor's), from the beginning or from a
time, up to the end offsets seen at start; produces fact and extraction events exactly as the live agent
does; then waits until the store has committed all of them to PostgreSQL. When no store is running (its
group has no members) the replay runs one itself for the duration. The summary diffs the facts table before
and after, so a second replay of the same data reports no change.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import select

from services.common.db import make_engine
from services.common.events import EventError
from services.common.kafka import dlq_headers, ensure_topics, make_producer, topic_specs
from services.common.settings import Settings, kafka_client_options
from services.common.topics import dlq_topic
from services.extractor.pool import ExtractionPool
from services.extractor.service import EncodedOutcome
from services.pipeline.progress import end_offsets, wait_caught_up
from services.store.tables import articles as articles_table
from services.store.tables import facts as facts_table

log = logging.getLogger(__name__)

FactState = tuple[Any, ...]


@dataclass
class ReplayCounts:
    events: int = 0
    articles: int = 0
    facts: int = 0
    dead_letters: int = 0


@dataclass
class ReplaySummary:
    counts: ReplayCounts
    added: int
    changed: int
    retired: int
    store_started_by_replay: bool
    seconds: float
    articles_in_store: int = 0
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        c = self.counts
        lines = [
            f"replayed {c.events} raw events in {self.seconds:.1f} s: {c.articles} articles, {c.facts} facts "
            f"produced, {c.dead_letters} dead-lettered",
            f"store: {self.added} facts added, {self.changed} changed, {self.retired} retired "
            f"({'store run by the replay' if self.store_started_by_replay else 'running store'})",
        ]
        return "\n".join(lines + self.notes)


def snapshot_facts(database_url: str) -> dict[str, FactState]:
    """fact_id -> (value fields, retired?) for the diff that the summary reports."""
    t = facts_table
    columns = [
        t.c.fact_id,
        t.c.value,
        t.c.bound,
        t.c.period_start,
        t.c.period_end,
        t.c.target_type,
        t.c.assigned_by,
        t.c.evidence,
        t.c.extractor_version,
        t.c.retired_at.is_(None),
    ]
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return {row[0]: tuple(row[1:]) for row in conn.execute(select(*columns))}
    finally:
        engine.dispose()


def diff_snapshots(before: dict[str, FactState], after: dict[str, FactState]) -> tuple[int, int, int]:
    """(added, changed, retired) among active facts."""

    def active(state: FactState | None) -> bool:
        return bool(state and state[-1])

    added = sum(1 for k, v in after.items() if active(v) and not active(before.get(k)))
    retired = sum(1 for k, v in before.items() if active(v) and not active(after.get(k)))
    changed = sum(1 for k, v in after.items() if active(v) and active(before.get(k)) and before[k] != v)
    return added, changed, retired


async def group_has_members(bootstrap: str, group: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    # DescribeGroups v0+: (error_code, group_id, state, protocol_type, protocol, members, ...)
    return any(len(g[5]) > 0 for response in responses for g in response.groups)


async def start_positions(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], since: datetime | None
) -> dict[TopicPartition, int]:
    beginnings = await consumer.beginning_offsets(partitions)
    if since is None:
        return dict(beginnings)
    found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
    ends = await consumer.end_offsets(partitions)
    return {tp: (found[tp].offset if found.get(tp) else ends[tp]) for tp in partitions}


ProgressCallback = Callable[[ReplayCounts, int], None]


async def replay_raw_topic(
    settings: Settings,
    group: str,
    since: datetime | None,
    on_progress: ProgressCallback = lambda counts, remaining: None,
) -> ReplayCounts:
    """Extract every raw event from the start position up to the end offsets seen now."""
    targets = await end_offsets(settings.kafka_bootstrap, [settings.raw_topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        **kafka_client_options(settings),
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=200,
    )
    producer = make_producer(settings.kafka_bootstrap)
    # The live agent's budgeted extraction: a hostile page is dead-lettered, not a stalled backfill. A
    # backfill may use every core (up to 4); events are still produced in the raw topic's order.
    workers = max(settings.extract_workers, min(4, os.cpu_count() or 1))
    pool = ExtractionPool.from_settings(settings, workers=workers)
    await consumer.start()
    await producer.start()
    counts = ReplayCounts()
    try:
        await pool.start()
        partitions = list(targets)
        consumer.assign(partitions)
        for tp, offset in (await start_positions(consumer, partitions, since)).items():
            consumer.seek(tp, offset)
        remaining = {tp: targets[tp] - await consumer.position(tp) for tp in partitions}
        on_progress(counts, sum(max(0, left) for left in remaining.values()))
        while any(left > 0 for left in remaining.values()):
            batch = await consumer.getmany(
                *[tp for tp, left in remaining.items() if left > 0], timeout_ms=1000
            )
            pending: list[Awaitable[Any]] = []
            for tp, messages in batch.items():
                wanted = [m for m in messages if m.offset < targets[tp]]
                outcomes = await asyncio.gather(*(_extract(pool, m) for m in wanted))
                for message, outcome in zip(wanted, outcomes, strict=True):
                    pending += await _produce(producer, settings, message, outcome, counts)
                    counts.events += 1
                remaining[tp] = targets[tp] - (messages[-1].offset + 1)
            await asyncio.gather(*pending)  # every event delivered before the group's offsets move on
            await consumer.commit()
            on_progress(counts, sum(max(0, left) for left in remaining.values()))
    finally:
        pool.close()
        await producer.stop()
        await consumer.stop()
    return counts


async def _extract(pool: ExtractionPool, message: Any) -> EncodedOutcome | Exception:
    try:
        return await pool.extract(message.value)
    except Exception as exc:  # poison: dead-lettered by _produce, like the live agent does
        return exc


async def _produce(
    producer: AIOKafkaProducer,
    settings: Settings,
    message: Any,
    outcome: EncodedOutcome | Exception,
    counts: ReplayCounts,
) -> list[Awaitable[Any]]:
    if isinstance(outcome, Exception):
        reason = str(outcome) if isinstance(outcome, EventError) else f"{type(outcome).__name__}: {outcome}"
        counts.dead_letters += 1
        headers = dlq_headers(
            error=reason,
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            stage="replay",
        )
        return [
            await producer.send(
                dlq_topic(settings.raw_topic), message.value, key=message.key, headers=headers
            )
        ]
    sent = [await producer.send(settings.facts_topic, value, key=key) for key, value in outcome.facts]
    if outcome.extraction is not None:
        counts.articles += 1
        key, value = outcome.extraction
        sent.append(await producer.send(settings.extractions_topic, value, key=key))
    counts.facts += len(outcome.facts)
    return sent


class ProgressLine:
    """Events, facts, lag and ETA: one rewritten line on a terminal, else a log line every few seconds."""

    def __init__(self) -> None:
        self.total: int | None = None  # known at the first call: what is left then
        self.started = time.monotonic()
        self.last_log = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, counts: ReplayCounts, remaining: int) -> None:
        if self.total is None:
            self.total = remaining
        elapsed = time.monotonic() - self.started
        done = self.total - remaining
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = remaining / rate if rate > 0 else float("nan")
        text = (
            f"events {done}/{self.total}  facts {counts.facts}  dlq {counts.dead_letters}  "
            f"lag {remaining}  {rate:.0f}/s  ETA {eta:.0f}s"
        )
        if self.tty:
            width = 30
            filled = int(width * done / self.total) if self.total else width
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}")
            sys.stderr.flush()
        elif time.monotonic() - self.last_log > 2 or remaining == 0:
            self.last_log = time.monotonic()
            log.info(
                "replay progress",
                extra={
                    "done": done,
                    "total": self.total,
                    "facts": counts.facts,
                    "lag": remaining,
                    "rate": round(rate, 1),
                },
            )

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def count_articles(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return len(conn.execute(select(articles_table.c.url)).all())
    finally:
        engine.dispose()


def _nothing_to_stop() -> None:
    return None


def run_replay(
    settings: Settings,
    *,
    group: str | None,
    since: datetime | None,
    start_store: Callable[[], Callable[[], None]],
    timeout: float,
) -> ReplaySummary:
    """The whole backfill: extract, produce, and return once the store has committed every fact."""
    started = time.monotonic()
    group = group or f"hqfacts-replay-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    asyncio.run(ensure_topics(settings.kafka_bootstrap, topic_specs(settings)))
    before = snapshot_facts(settings.database_url)
    store_running = asyncio.run(group_has_members(settings.kafka_bootstrap, settings.store_group))
    stop_store = _nothing_to_stop if store_running else start_store()
    try:
        progress = ProgressLine()
        counts = asyncio.run(replay_raw_topic(settings, group, since, progress))
        progress.finish()
        asyncio.run(
            wait_caught_up(
                settings.kafka_bootstrap,
                settings.store_group,
                [settings.facts_topic, settings.extractions_topic],
                timeout=timeout,
            )
        )
    finally:
        stop_store()
    added, changed, retired = diff_snapshots(before, snapshot_facts(settings.database_url))
    return ReplaySummary(
        counts=counts,
        added=added,
        changed=changed,
        retired=retired,
        store_started_by_replay=not store_running,
        seconds=time.monotonic() - started,
        articles_in_store=count_articles(settings.database_url),
    )
