"""Helpers for the store's tests and benchmark: a throwaway database, sample events."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from services.common.db import make_engine
from services.common.events import ExtractionEvent, FactEvent
from services.common.facts import Fact, Kind
from services.common.kafka import ensure_topics
from services.common.settings import Settings, migration_url_for

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer

    from services.store.consumer import StoreRunner
    from services.store.domain import StorePolicy


@contextmanager
def fresh_database(
    base_url: str, *, migrate_to: str | None = "head", prefix: str = "hqfacts_test"
) -> Iterator[str]:
    """Create a database next to ``base_url``'s, migrate it, drop it afterwards; yield a URL of it.

    The migration owner (``migration_url_for``: HQ_MIGRATION_DATABASE_URL, which needs CREATEDB) creates,
    migrates and drops the database; the URL yielded has ``base_url``'s role (the runtime role).
    """
    from services.store.migrate import migrate

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(migration_url_for(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
        try:
            if migrate_to is not None:
                migrate(url, migrate_to)
            yield url
        finally:
            _drop_database(admin, name)
    finally:
        admin.dispose()


def _drop_database(admin: Engine, name: str, deadline_s: float = 30.0) -> None:
    # Plain DROP: PostgreSQL cancels an autovacuum worker on the database by itself, while WITH (FORCE)
    # would need the right to signal it. A session of ours that is still closing gets a moment.
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def store_test_settings(database_url: str, **overrides: object) -> Settings:
    """Settings whose topics and consumer group are this test's own (a random run id), health server off.

    One partition per topic: these tests reason about offsets and arrival order; the partitioned layout has
    tests of its own (the scaled fault suite, test_store_partitions)."""
    run = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "database_url": database_url,
        "facts_topic": f"test.{run}.facts",
        "extractions_topic": f"test.{run}.extractions",
        "observations_topic": f"test.{run}.observations",
        "raw_topic": f"test.{run}.raw",
        "store_group": f"test-store-{run}",
        "store_batch_size": 100,
        "store_batch_seconds": 0.2,
        "health_port": None,
        "topic_partitions": 1,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def sample_fact(
    *,
    subject: str = "cuc:ha-noi",
    metric: str = "budget_revenue",
    kind: Kind = "actual",
    value: str = "4290300000000",
    year: int = 2020,
    evidence: str = "Cục Hải quan Hà Nội thu 4.290,3 tỷ đồng.",
) -> Fact:
    unit = {"budget_revenue": "VND", "budget_revenue_attainment": "percent"}.get(metric, "VND")
    return Fact(
        subject=subject,
        metric=metric,
        kind=kind,
        value=Decimal(value),
        unit=unit,  # type: ignore[arg-type]
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        target_type="du-toan" if kind == "target" else None,
        evidence=evidence,
    )


def fact_event(
    fact: Fact,
    *,
    article_url: str = "https://hddtvn.com/thu-ngan-sach-2020/",
    title: str = "Thu ngân sách 2020",
    version: str = "0.1.0",  # at most the deployed extractor's: the store refuses newer ones as forged
) -> FactEvent:
    return FactEvent.of(
        fact,
        article_url=article_url,
        article_title=title,
        article_published=datetime(2021, 1, 5, 8, 0, tzinfo=UTC),
        extractor_version=version,
    )


def extraction_event(
    article_url: str, fact_ids: list[str], *, version: str = "0.1.0", title: str = "Thu ngân sách 2020"
) -> ExtractionEvent:
    return ExtractionEvent(
        article_url=article_url,
        article_title=title,
        article_published=datetime(2021, 1, 5, 8, 0, tzinfo=UTC),
        extractor_version=version,
        content_sha256="0" * 64,
        fact_ids=tuple(fact_ids),
        extracted_at=datetime.now(UTC),
    )


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], what: str, *, deadline_s: float = 30.0
) -> None:
    """Poll ``check`` until it holds; fail with ``what`` after the deadline (no fixed sleeps in tests)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {deadline_s}s waiting for {what}")


@asynccontextmanager
async def producer_for(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    """A plain producer, after creating the store's topics."""
    from aiokafka import AIOKafkaProducer

    from services.store.consumer import store_topic_specs

    await ensure_topics(settings.kafka_bootstrap, store_topic_specs(settings))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@asynccontextmanager
async def running_store(
    settings: Settings, *, policy: StorePolicy | None = None, stop_timeout_s: float = 30.0
) -> AsyncIterator[StoreRunner]:
    """The store's loop as a task of the current event loop; stopped (as on SIGTERM) on exit."""
    from services.store.consumer import StoreRunner
    from services.store.service import Backoff

    runner = StoreRunner(settings, policy=policy, backoff=Backoff(initial=0.05, maximum=0.5))
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        runner.stopping.set()
        await asyncio.wait_for(task, timeout=stop_timeout_s)
