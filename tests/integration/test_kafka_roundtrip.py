"""Events survive a real broker: produced with our producer settings, consumed and decoded unchanged."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer

from services.common.events import RawPage
from services.common.kafka import ensure_topics, make_producer, topic_layout_problems
from services.common.settings import Settings
from services.common.topics import FACTS_TOPIC_CONFIG, RAW_TOPIC_CONFIG, TopicSpec
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


async def test_an_existing_topic_with_another_layout_is_reported_not_changed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings()
    topic = f"it-layout-{uuid.uuid4().hex[:8]}"
    assert await ensure_topics(settings.kafka_bootstrap, {topic: TopicSpec(FACTS_TOPIC_CONFIG, partitions=1)})
    wanted = {topic: TopicSpec(FACTS_TOPIC_CONFIG, partitions=6)}
    with caplog.at_level(logging.WARNING, logger="services.common.kafka"):
        assert await ensure_topics(settings.kafka_bootstrap, wanted) == []
    assert any(
        "has 1 partition(s), the settings ask for 6: kept as is" in r.getMessage() for r in caplog.records
    )
    problems = await topic_layout_problems(settings.kafka_bootstrap, wanted)
    assert len(problems) == 1  # still one partition: nothing was recreated or extended
    same = {topic: TopicSpec(FACTS_TOPIC_CONFIG, partitions=1)}
    assert await topic_layout_problems(settings.kafka_bootstrap, same) == []
    other_policy = {topic: TopicSpec({"cleanup.policy": "delete"}, partitions=1)}
    assert (
        "cleanup.policy=compact" in (await topic_layout_problems(settings.kafka_bootstrap, other_policy))[0]
    )


async def test_fact_and_raw_events_round_trip_through_kafka() -> None:
    settings = Settings()
    topic = f"it-roundtrip-{uuid.uuid4().hex[:8]}"
    created = await ensure_topics(settings.kafka_bootstrap, {topic: TopicSpec(RAW_TOPIC_CONFIG)})
    assert created == [topic]
    assert (
        await ensure_topics(settings.kafka_bootstrap, {topic: TopicSpec(RAW_TOPIC_CONFIG)}) == []
    )  # idempotent

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
