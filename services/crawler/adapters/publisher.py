"""Kafka side of the crawler: publish raw pages, and read back what was published after a crash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import RecordMetadata

from services.common.kafka import RAW_PAGES_COMPRESSION, ensure_topics, make_producer, topic_specs
from services.common.settings import Settings, kafka_client_options

CRAWL_HEADER = "hq.crawl"
ROLE_HEADER = "hq.role"


@dataclass(frozen=True, slots=True)
class Published:
    key: str
    value: bytes
    partition: int
    offset: int


class Publisher:
    def __init__(self, settings: Settings, crawl: str) -> None:
        self.settings = settings
        self.topic = settings.raw_topic
        self.crawl = crawl
        self._producer = make_producer(settings.kafka_bootstrap, compression_type=RAW_PAGES_COMPRESSION)

    async def start(self) -> None:
        await ensure_topics(self.settings.kafka_bootstrap, topic_specs(self.settings))
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()  # flushes what is buffered

    async def send(self, key: str, value: bytes, role: str) -> asyncio.Future[RecordMetadata]:
        """Hand the event to the producer; the returned future resolves once Kafka acknowledged it."""
        headers = [(CRAWL_HEADER, self.crawl.encode()), (ROLE_HEADER, role.encode())]
        fut: asyncio.Future[RecordMetadata] = await self._producer.send(
            self.topic, value=value, key=key.encode("utf-8"), headers=headers
        )
        return fut

    async def partitions(self) -> list[int]:
        parts = await self._producer.partitions_for(self.topic)
        return sorted(parts)

    async def end_offsets(self) -> dict[int, int]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            **kafka_client_options(self.settings),
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in await self.partitions()]
            ends = await consumer.end_offsets(tps)
            return {tp.partition: int(o) for tp, o in ends.items()}
        finally:
            await consumer.stop()

    async def read_back(self, start: dict[int, int], timeout: float = 120.0) -> AsyncIterator[Published]:
        """This crawl's events from ``start`` up to the current end of every partition."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            **kafka_client_options(self.settings),
            enable_auto_commit=False,
            max_partition_fetch_bytes=16 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in start]
            if not tps:
                return
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            pending: set[TopicPartition] = set()
            for tp in tps:
                if ends[tp] > start[tp.partition]:
                    consumer.seek(tp, start[tp.partition])
                    pending.add(tp)
            deadline = time.monotonic() + timeout
            while pending:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"reading back {self.topic} did not reach its end in {timeout}s")
                batches = await consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batches.items():
                    for rec in records:
                        if rec.offset >= ends[tp]:
                            break
                        headers = dict(rec.headers or ())
                        if headers.get(CRAWL_HEADER) == self.crawl.encode() and rec.key and rec.value:
                            yield Published(rec.key.decode("utf-8"), rec.value, tp.partition, rec.offset)
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
        finally:
            await consumer.stop()


def checkpoint_of(results: Sequence[RecordMetadata]) -> dict[int, int]:
    out: dict[int, int] = {}
    for md in results:
        out[md.partition] = max(out.get(md.partition, 0), md.offset + 1)
    return out
