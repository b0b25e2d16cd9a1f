"""The store against the real broker and a throwaway PostgreSQL database (make up)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from services.common.events import FactEvent
from services.common.kafka import header_map
from services.common.settings import Settings
from services.common.topics import dlq_topic
from services.store.repository import active_facts_query
from services.store.tables import consumer_offsets, facts
from services.store.testing import (
    eventually,
    extraction_event,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
    store_test_settings,
)

pytestmark = pytest.mark.integration

DEADLINE_S = 30.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    # These tests order made-up versions above the deployed one.
    return store_test_settings(database_url, max_extractor_version="99.0.0")


def article(settings: Settings) -> str:
    """An article URL of this test alone: fact ids derive from it, so tests sharing a database never meet."""
    return f"https://hddtvn.com/{settings.store_group}/"


def fact_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(facts).order_by(facts.c.fact_id))]


def stored_offset(engine: Engine, settings: Settings, topic: str) -> int | None:
    with engine.connect() as conn:
        return conn.scalar(
            select(consumer_offsets.c.next_offset).where(
                consumer_offsets.c.consumer_group == settings.store_group,
                consumer_offsets.c.topic == topic,
                consumer_offsets.c.partition == 0,
            )
        )


def of_topic(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    return [r for r in fact_rows(engine) if r["source_topic"] == settings.facts_topic]


async def read_all(settings: Settings, topic: str, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    messages: list[Any] = []
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(messages) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                messages.extend(records)
    finally:
        await consumer.stop()
    return messages


async def test_same_fact_twice_is_one_row_and_newer_version_wins(settings: Settings, engine: Engine) -> None:
    fact = sample_fact()
    v1 = fact_event(fact, article_url=article(settings), version="1.9.0")
    v2 = fact_event(fact, article_url=article(settings), version="1.10.0", title="Thu ngân sách 2020 (sửa)")
    async with producer_for(settings) as producer:
        for event in (v1, v1, v2, v1):  # v1 again after v2: older never overwrites
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        async with running_store(settings):
            await eventually(
                lambda: stored_offset(engine, settings, settings.facts_topic) == 4, "4 records stored"
            )
    rows = of_topic(engine, settings)
    assert len(rows) == 1
    assert rows[0]["fact_id"] == v1.fact_id
    assert rows[0]["extractor_version"] == "1.10.0"  # semantic order: 1.10 > 1.9 (a string compare says no)
    assert rows[0]["retired_at"] is None


async def test_invalid_events_go_to_dlq_and_the_rest_is_stored(settings: Settings, engine: Engine) -> None:
    good = fact_event(sample_fact(value="100"), article_url=article(settings))
    wrong_id = json.loads(good.encode())
    wrong_id["fact_id"] = "f" * 32
    wrong_schema = json.loads(good.encode())
    wrong_schema["kind"] = "guess"
    poison = [
        (b"k1", b"not json at all"),
        (b"f" * 32, json.dumps(wrong_id).encode()),
        (good.key, json.dumps(wrong_schema).encode()),
    ]
    async with producer_for(settings) as producer:
        for key, value in poison[:2]:
            await producer.send_and_wait(settings.facts_topic, key=key, value=value)
        await producer.send_and_wait(settings.facts_topic, key=good.key, value=good.encode())  # offset 2
        await producer.send_and_wait(settings.facts_topic, key=poison[2][0], value=poison[2][1])
        async with running_store(settings):
            await eventually(
                lambda: stored_offset(engine, settings, settings.facts_topic) == 4, "batch stored"
            )
    assert [r["fact_id"] for r in of_topic(engine, settings)] == [good.fact_id]
    letters = await read_all(settings, dlq_topic(settings.facts_topic), expected=3)
    assert len(letters) == 3
    by_offset = {int(header_map(m.headers)["hq.source.offset"]): m for m in letters}
    assert sorted(by_offset) == [0, 1, 3]
    assert "not JSON" in header_map(by_offset[0].headers)["hq.error"]
    assert "does not match" in header_map(by_offset[1].headers)["hq.error"]
    assert "kind" in header_map(by_offset[3].headers)["hq.error"]
    assert by_offset[0].value == b"not json at all"
    assert header_map(by_offset[0].headers)["hq.source.topic"] == settings.facts_topic


async def test_offsets_resume_from_the_database(settings: Settings, engine: Engine) -> None:
    first = [fact_event(sample_fact(value=str(100 + i)), article_url=article(settings)) for i in range(5)]
    later = [fact_event(sample_fact(value=str(200 + i)), article_url=article(settings)) for i in range(3)]
    async with producer_for(settings) as producer:
        for event in first:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        async with running_store(settings):
            await eventually(lambda: stored_offset(engine, settings, settings.facts_topic) == 5, "first 5")
        # Kafka's committed offset is only a hint: rewind it to 0, the store must still resume at 5.
        hint = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=settings.store_group,
            enable_auto_commit=False,
        )
        await hint.start()
        try:
            tp = TopicPartition(settings.facts_topic, 0)
            hint.assign([tp])
            await hint.commit({tp: 0})
        finally:
            await hint.stop()
        with engine.begin() as conn:  # mark the stored rows so a re-read would show up as an update
            conn.execute(
                text("UPDATE facts SET evidence = 'seen' WHERE source_topic = :t"),
                {"t": settings.facts_topic},
            )
        for event in later:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        async with running_store(settings):
            await eventually(lambda: stored_offset(engine, settings, settings.facts_topic) == 8, "3 more")
    rows = of_topic(engine, settings)
    assert len(rows) == 8
    assert sum(r["evidence"] == "seen" for r in rows) == 5  # the first five were not consumed again


async def test_extraction_supersedes_and_tombstones(settings: Settings, engine: Engine) -> None:
    url = article(settings)
    old = [fact_event(sample_fact(value=str(v)), article_url=url, version="1.0.0") for v in (1, 2, 3)]
    new = [fact_event(sample_fact(value=str(v)), article_url=url, version="1.1.0") for v in (2, 3, 4)]
    async with producer_for(settings) as producer:
        for event in old:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        first = extraction_event(url, [e.fact_id for e in old], version="1.0.0")
        await producer.send_and_wait(settings.extractions_topic, key=first.key, value=first.encode())
        for event in new:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        second = extraction_event(url, [e.fact_id for e in new], version="1.1.0")
        await producer.send_and_wait(settings.extractions_topic, key=second.key, value=second.encode())
        async with running_store(settings):
            await eventually(
                # The facts topic reaches 7 once the store has read back its own tombstone.
                lambda: (
                    stored_offset(engine, settings, settings.extractions_topic) == 2
                    and (stored_offset(engine, settings, settings.facts_topic) or 0) >= 6
                ),
                "everything stored",
            )
            # The tombstone for the retired fact arrives on the facts topic (the store skips it itself).
            messages = await read_all(settings, settings.facts_topic, expected=7)
    active = {r["fact_id"] for r in of_topic(engine, settings) if r["retired_at"] is None}
    retired = {r["fact_id"] for r in of_topic(engine, settings) if r["retired_at"] is not None}
    assert active == {e.fact_id for e in new}
    assert retired == {old[0].fact_id}
    tombstones = [m for m in messages if m.value is None]
    assert [m.key.decode() for m in tombstones] == [old[0].fact_id]
    assert FactEvent.decode(messages[0].value).fact_id == old[0].fact_id


async def test_provenance_is_stored_and_facts_filter_by_confidence(
    settings: Settings, engine: Engine
) -> None:
    sure = replace(sample_fact(value="111"), rule="amount/named", confidence=0.97)
    unsure = replace(sample_fact(value="222"), rule="usd-carried/carried", confidence=0.5)
    unknown = sample_fact(value="333")  # an event of an extractor before 0.4.0: no rule, no confidence
    events = [fact_event(f, article_url=article(settings)) for f in (sure, unsure, unknown)]
    async with producer_for(settings) as producer:
        for event in events:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        async with running_store(settings):
            await eventually(
                lambda: stored_offset(engine, settings, settings.facts_topic) == 3, "3 records stored"
            )
    rows = {r["fact_id"]: r for r in of_topic(engine, settings)}
    assert (rows[events[0].fact_id]["rule"], float(rows[events[0].fact_id]["confidence"])) == (
        "amount/named",
        0.97,
    )
    assert rows[events[2].fact_id]["confidence"] is None
    with engine.connect() as conn:
        kept = [
            r.fact_id for r in conn.execute(active_facts_query(article=article(settings), min_confidence=0.9))
        ]
        everything = list(conn.execute(active_facts_query(article=article(settings))))
    assert kept == [events[0].fact_id]
    assert len(everything) == 3
