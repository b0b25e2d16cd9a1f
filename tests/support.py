"""Helpers shared by the end-to-end and fault suites."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from services.common.db import make_engine
from services.common.events import FactEvent
from services.common.facts import Fact
from services.common.lag import end_offsets
from services.store.repository import FACT_COLUMNS
from services.store.tables import facts as facts_table
from services.testing.isolation import isolated_settings as isolated_settings  # shared with bench/

# The fields that say what a stored fact is (everything but bookkeeping such as first/last seen).
COMPARED = tuple(
    c for c in FACT_COLUMNS if c not in ("fact_id", "extractor_version_key") and not c.startswith("source_")
)


def stored_facts(database_url: str) -> dict[str, dict[str, Any]]:
    t = facts_table
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.retired_at.is_(None))).mappings().all()
    finally:
        engine.dispose()
    stored: dict[str, dict[str, Any]] = {}
    for row in rows:
        event = FactEvent.of(
            _fact_from_row(row),
            article_url=row["article_url"],
            article_title="",
            article_published=None,
            extractor_version=row["extractor_version"],
        )
        assert event.fact_id == row["fact_id"], "a stored row does not match its own fact_id"
        stored[row["fact_id"]] = {k: v for k, v in event.to_json().items() if k in COMPARED}
    return stored


def _fact_from_row(row: Any) -> Fact:
    return Fact(
        subject=row["subject"],
        metric=row["metric"],
        kind=row["kind"],
        value=row["value"],
        unit=row["unit"],
        bound=row["bound"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        target_type=row["target_type"],
        assigned_by=row["assigned_by"],
        evidence=row["evidence"],
        rule=row["rule"],
        confidence=None if row["confidence"] is None else float(row["confidence"]),
    )


async def read_topic(bootstrap: str, topic: str) -> list[Any]:
    ends = await end_offsets(bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    messages: list[Any] = []
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning()
        async with asyncio.timeout(120):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                batch = await consumer.getmany(timeout_ms=500)
                messages += [m for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return messages


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float,
    interval: float = 0.25,
    state: Callable[[], object] = lambda: "",
) -> Any:
    """Poll ``check`` until it returns something truthy (returned), or fail after ``timeout`` seconds
    naming ``what`` and, if given, the ``state`` seen last."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} {state()}".rstrip())
        time.sleep(interval)


def observations_against_facts(database_url: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(what the active facts consolidate into now, what the observations table holds), as event bytes."""
    from services.store.consolidation import encode_observation
    from services.store.observations import consolidated
    from services.store.tables import observations

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            expected = {i: encode_observation(o.to_event()) for i, o in consolidated(conn).items()}
            stored = dict(conn.execute(select(observations.c.observation_id, observations.c.payload)).all())
    finally:
        engine.dispose()
    return expected, {str(k): bytes(v) for k, v in stored.items()}
