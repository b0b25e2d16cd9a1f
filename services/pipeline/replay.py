"""``hqfacts replay``: re-extract the raw topic with the current extractor, for backfills.

Reads the raw topic in a fresh consumer group (never the live extractor's), from the beginning or from a
time, up to the end offsets seen at start; produces fact and extraction events exactly as the live agent
does (``route_page``); then waits until the store has committed all of them to PostgreSQL. When no store is
running (its group has no members) the replay runs one itself for the duration. The summary diffs the facts
table before and after, so a second replay of the same data reports no change.

Parallel: this process plans (start and end offset of every partition), shares the partitions out among K
spawned worker processes (services/pipeline/replay_worker.py) and adds up what they report; a worker that
fails fails the replay with one line.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import queue
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import select

from services.common.db import make_engine
from services.common.kafka import ensure_topics, topic_specs
from services.common.lag import wait_caught_up
from services.common.settings import Settings, kafka_client_options
from services.pipeline.replay_worker import (
    PartitionRange,
    ProgressCallback,
    ReplayCounts,
    WorkerDone,
    WorkerFailed,
    WorkerPlan,
    WorkerReport,
    run_worker,
)
from services.store.tables import articles as articles_table
from services.store.tables import facts as facts_table

log = logging.getLogger(__name__)

FactState = tuple[Any, ...]


@dataclass
class ReplaySummary:
    counts: ReplayCounts
    added: int
    changed: int
    retired: int
    store_started_by_replay: bool
    seconds: float
    articles_in_store: int = 0
    workers: int = 1
    partitions: int = 1
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        c = self.counts
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        partitions = f"{self.partitions} partition{'s' if self.partitions != 1 else ''}"
        lines = [
            f"replayed {c.events} raw events in {self.seconds:.1f} s ({workers} over {partitions}): "
            f"{c.articles} articles, {c.facts} facts produced, {c.dead_letters} dead-lettered",
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


async def plan_partitions(settings: Settings, since: datetime | None) -> list[PartitionRange]:
    """Every partition of the raw topic with its start position and the end offset seen now (the target)."""
    # Subscribed without a group: the client fetches the topic's metadata, nothing joins or commits.
    consumer = AIOKafkaConsumer(
        settings.raw_topic,
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        **kafka_client_options(settings),
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(settings.raw_topic, p)
            for p in sorted(consumer.partitions_for_topic(settings.raw_topic) or [])
        ]
        if not partitions:
            return []
        targets = await consumer.end_offsets(partitions)
        starts = await start_positions(consumer, partitions, since)
    finally:
        await consumer.stop()
    return [PartitionRange(tp.partition, min(starts[tp], targets[tp]), targets[tp]) for tp in partitions]


def share_out(ranges: Sequence[PartitionRange], workers: int) -> list[tuple[PartitionRange, ...]]:
    """Split the partitions among ``workers``, most events first to the least loaded one (static: a
    partition is replayed by one worker, in order). Keys hash unevenly, so by events, not round-robin."""
    shares: list[list[PartitionRange]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for part in sorted(ranges, key=lambda r: (-r.events, r.partition)):
        lightest = loads.index(min(loads))
        shares[lightest].append(part)
        loads[lightest] += part.events
    return [tuple(sorted(share, key=lambda r: r.partition)) for share in shares]


class ReplayFailed(Exception):
    """A replay worker failed; the message is one line (the CLI prints it as it is)."""


@dataclass(frozen=True)
class ReplayRun:
    counts: ReplayCounts
    workers: int
    partitions: int
    notes: list[str]


def replay_raw_topic(
    settings: Settings,
    group: str,
    since: datetime | None,
    on_progress: ProgressCallback = lambda counts, remaining: None,
    *,
    workers: int | None = None,
) -> ReplayRun:
    """Extract every raw event from the start position up to the end offsets seen now, in ``workers``
    processes (default: one per core; never more than the partitions that have events to replay)."""
    wanted = workers or os.cpu_count() or 1
    ranges = asyncio.run(plan_partitions(settings, since))
    busy = [r for r in ranges if r.events > 0]
    used = min(wanted, len(busy))
    notes: list[str] = []
    if len(ranges) < wanted:
        notes.append(
            f"note: {wanted} workers asked for, but the raw topic has {len(ranges)} partition(s): "
            f"at most {len(ranges)} worker(s) can share it (HQ_TOPIC_PARTITIONS sets it for new topics)"
        )
    elif used < wanted:
        notes.append(
            f"note: {wanted} workers asked for, but only {len(busy)} partitions have events to replay"
        )
    plans = [WorkerPlan(index, settings, group, share) for index, share in enumerate(share_out(busy, used))]
    counts = run_workers(plans, on_progress, total=sum(r.events for r in busy))
    return ReplayRun(counts=counts, workers=used, partitions=len(ranges), notes=notes)


# How far apart a worker's exit and its last report may be seen (either comes first through the queue).
WORKER_GRACE_SECONDS = 5.0


def run_workers(plans: Sequence[WorkerPlan], on_progress: ProgressCallback, *, total: int) -> ReplayCounts:
    """Run one spawned process per plan; sum their counts for ``on_progress``; raise ReplayFailed (and stop
    the others) as soon as one fails. Spawn, not fork: the parent may run threads (the CLI, a benchmark)."""
    latest: dict[int, tuple[ReplayCounts, int]] = {
        plan.index: (ReplayCounts(), sum(r.events for r in plan.ranges)) for plan in plans
    }
    on_progress(ReplayCounts(), total)
    if not plans:
        return ReplayCounts()
    context = multiprocessing.get_context("spawn")
    reports: multiprocessing.Queue[WorkerReport] = context.Queue()
    processes = {
        plan.index: context.Process(
            target=run_worker, args=(plan, reports), name=f"hqfacts-replay-{plan.index}"
        )
        for plan in plans
    }
    done: dict[int, ReplayCounts] = {}
    exited_at: dict[int, float] = {}
    try:
        for process in processes.values():
            process.start()
        while len(done) < len(processes):
            try:
                report = reports.get(timeout=0.5)
            except queue.Empty:
                _check_alive(processes, done, exited_at)
                continue
            if isinstance(report, WorkerFailed):
                raise ReplayFailed(report.reason)
            if isinstance(report, WorkerDone):
                done[report.index] = report.counts
                latest[report.index] = (report.counts, 0)
            else:
                latest[report.index] = (report.counts, report.remaining)
            summed = sum((c for c, _ in latest.values()), ReplayCounts())
            on_progress(summed, sum(left for _, left in latest.values()))
    finally:
        # Workers that reported done are exiting on their own (closing their pools): let them.
        _stop(processes.values(), grace=WORKER_GRACE_SECONDS if len(done) == len(processes) else 0.0)
        reports.close()
    return sum(done.values(), ReplayCounts())


def _check_alive(
    processes: Mapping[int, BaseProcess], done: dict[int, ReplayCounts], exited_at: dict[int, float]
) -> None:
    """Fail the replay when a worker has gone without a word (killed, out of memory)."""
    now = time.monotonic()
    for index, process in processes.items():
        if index in done or process.is_alive():
            continue
        exited_at.setdefault(index, now)
        if now - exited_at[index] > WORKER_GRACE_SECONDS:
            raise ReplayFailed(f"replay worker {index} ended (status {process.exitcode}) without a report")


def _stop(processes: Collection[BaseProcess], *, grace: float) -> None:
    """Reap the workers: those still running after ``grace`` seconds (0: after a failure or an interrupt)
    are terminated, then killed."""
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


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
    workers: int | None = None,
) -> ReplaySummary:
    """The whole backfill: extract, produce, and return once the store has committed every fact.

    Raises ReplayFailed when a worker fails (the store it started is stopped all the same)."""
    started = time.monotonic()
    group = group or f"hqfacts-replay-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    asyncio.run(ensure_topics(settings.kafka_bootstrap, topic_specs(settings)))
    before = snapshot_facts(settings.database_url)
    store_running = asyncio.run(group_has_members(settings.kafka_bootstrap, settings.store_group))
    stop_store = _nothing_to_stop if store_running else start_store()
    try:
        progress = ProgressLine()
        try:
            run = replay_raw_topic(settings, group, since, progress, workers=workers)
        finally:
            progress.finish()
        asyncio.run(
            wait_caught_up(
                settings.kafka_bootstrap,
                settings.store_group,
                [settings.facts_topic, settings.extractions_topic],
                timeout=timeout,
                interval=0.2,  # a cheap admin call; a backfill's end is seen sooner
            )
        )
    finally:
        stop_store()
    added, changed, retired = diff_snapshots(before, snapshot_facts(settings.database_url))
    return ReplaySummary(
        counts=run.counts,
        added=added,
        changed=changed,
        retired=retired,
        store_started_by_replay=not store_running,
        seconds=time.monotonic() - started,
        articles_in_store=count_articles(settings.database_url),
        workers=run.workers,
        partitions=run.partitions,
        notes=run.notes,
    )
