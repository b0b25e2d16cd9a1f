"""Knowing when a consumer group is done: end offsets, committed offsets and lag read from the broker, polled
with a deadline. In services/common: the extractor (its lag gauge), the replay and the runner all use it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.common.settings import kafka_client_options


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    topics = list(topics)
    # Subscribing (without a group) makes the client fetch metadata for exactly these topics.
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_client_options()
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        if not partitions:
            return {}
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    finally:
        await admin.close()


async def group_lag(bootstrap: str, group: str, topics: Iterable[str]) -> int:
    """Messages of ``topics`` that ``group`` has not committed yet (0 when it is caught up)."""
    ends = await end_offsets(bootstrap, topics)
    committed = await committed_offsets(bootstrap, group)
    return sum(max(0, end - committed.get(tp, 0)) for tp, end in ends.items())


async def wait_caught_up(
    bootstrap: str,
    group: str,
    topics: Iterable[str],
    *,
    timeout: float,
    still_running: Callable[[], None] = lambda: None,
    interval: float = 0.5,
    max_lag: int = 0,
) -> None:
    """Poll until ``group`` is at most ``max_lag`` messages behind on ``topics`` (0: everything there now
    is committed); ``still_running`` raises if a service it depends on died, so a crash fails fast."""
    topics = list(topics)
    deadline = time.monotonic() + timeout
    lag = -1
    while time.monotonic() < deadline:
        still_running()
        lag = await group_lag(bootstrap, group, topics)
        if lag <= max_lag:
            return
        await asyncio.sleep(interval)
    raise TimeoutError(f"group {group} still {lag} messages behind on {topics} after {timeout:.0f} s")
