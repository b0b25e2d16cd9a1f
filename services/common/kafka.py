"""Kafka plumbing shared by the services: topic creation, producers, dead-letter events."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.common.settings import Settings, kafka_client_options
from services.common.topics import (
    DLQ_TOPIC_CONFIG,
    EXTRACTIONS_TOPIC_CONFIG,
    FACTS_TOPIC_CONFIG,
    RAW_TOPIC_CONFIG,
    dlq_topic,
)

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 10 * 1024 * 1024


def topic_specs(settings: Settings) -> dict[str, Mapping[str, str]]:
    """Every topic the pipeline uses, with its configuration."""
    return {
        settings.raw_topic: RAW_TOPIC_CONFIG,
        settings.facts_topic: FACTS_TOPIC_CONFIG,
        settings.extractions_topic: EXTRACTIONS_TOPIC_CONFIG,
        dlq_topic(settings.raw_topic): DLQ_TOPIC_CONFIG,
        dlq_topic(settings.facts_topic): DLQ_TOPIC_CONFIG,
        dlq_topic(settings.extractions_topic): DLQ_TOPIC_CONFIG,
    }


async def ensure_topics(
    bootstrap: str, specs: Mapping[str, Mapping[str, str]], partitions: int = 1
) -> list[str]:
    """Create the missing topics (idempotent); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=1, topic_configs=dict(cfg))
            for name, cfg in specs.items()
            if name not in existing
        ]
        if missing:
            # Another service may create one between list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        return [t.name for t in missing]
    finally:
        await admin.close()


# Raw pages (large HTML, internal topic) use zstd: aiokafka's gzip is fixed at level 9 and cost the crawler
# most of a core. Topics that downstream teams read stay gzip, which every Kafka client can decode.
RAW_PAGES_COMPRESSION = "zstd"
PUBLIC_COMPRESSION = "gzip"


def make_producer(
    bootstrap: str, *, transactional_id: str | None = None, compression_type: str = PUBLIC_COMPRESSION
) -> AIOKafkaProducer:
    """An idempotent, fully acknowledged, compressing producer."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **kafka_client_options(),
        acks="all",
        enable_idempotence=True,
        compression_type=compression_type,
        max_request_size=MAX_REQUEST_BYTES,
        linger_ms=5,
        transactional_id=transactional_id,
    )


def dlq_headers(
    *, error: str, source_topic: str, partition: int, offset: int, stage: str
) -> list[tuple[str, bytes]]:
    """Headers that tell where a dead letter came from and why."""
    return [
        ("hq.error", error.encode("utf-8")[:4000]),
        ("hq.source.topic", source_topic.encode()),
        ("hq.source.partition", str(partition).encode()),
        ("hq.source.offset", str(offset).encode()),
        ("hq.stage", stage.encode()),
    ]


def header_map(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in (headers or [])}
