"""Events survive a real broker: produced with our producer settings, consumed and decoded unchanged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer

from services.common.events import RawPage
from services.common.kafka import ensure_topics, make_producer
from services.common.settings import Settings
from services.common.topics import RAW_TOPIC_CONFIG
from tests.unit.test_events import make_fact_event

pytestmark = pytest.mark.integration


async def consume_all(
    bootstrap: str, topic: str, count: int, timeout: float = 30.0
) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    received: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(received) < count:
                batch = await consumer.getmany(timeout_ms=500)
                received += [(m.key, m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return received


async def test_fact_and_raw_events_round_trip_through_kafka() -> None:
    settings = Settings()
    topic = f"it-roundtrip-{uuid.uuid4().hex[:8]}"
    created = await ensure_topics(settings.kafka_bootstrap, {topic: RAW_TOPIC_CONFIG})
    assert created == [topic]
    assert await ensure_topics(settings.kafka_bootstrap, {topic: RAW_TOPIC_CONFIG}) == []  # idempotent

    fact = make_fact_event()
    big_body = "<p>Hải quan</p>" * 200_000  # ~3 MB of text: over Kafka's 1 MB default, under our limit
    page = RawPage(
        url="https://hddtvn.com/a/",
        final_url="https://hddtvn.com/a/",
        status=200,
        role="article",
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        content_sha256="0" * 64,
        body_bytes=len(big_body.encode()),
        body=big_body,
    )
    producer = make_producer(settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=fact.key, value=fact.encode())
        await producer.send_and_wait(topic, key=page.url.encode(), value=page.encode())
    finally:
        await producer.stop()

    (fact_key, fact_value), (page_key, page_value) = await consume_all(settings.kafka_bootstrap, topic, 2)
    assert fact_key == fact.key
    assert type(fact).decode(fact_value) == fact
    assert page_key == b"https://hddtvn.com/a/"
    assert RawPage.decode(page_value) == page
