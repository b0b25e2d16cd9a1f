"""Kafka plumbing shared by the services: topic creation, producers, dead-letter events."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.common.settings import Settings, kafka_client_options
from services.common.topics import (
    DLQ_PARTITIONS,
    DLQ_TOPIC_CONFIG,
    EXTRACTIONS_TOPIC_CONFIG,
    FACTS_TOPIC_CONFIG,
    OBSERVATIONS_TOPIC_CONFIG,
    RAW_TOPIC_CONFIG,
    TopicSpec,
    dlq_topic,
    layout_problems,
)

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 10 * 1024 * 1024


def topic_specs(settings: Settings) -> dict[str, TopicSpec]:
    """Every topic the pipeline uses, with the layout and configuration it is created with."""
    replication = settings.topic_replication_factor
    min_insync = settings.topic_min_insync_replicas or max(1, replication - 1)
    durability = {"min.insync.replicas": str(min_insync)} if replication > 1 else {}

    def spec(config: Mapping[str, str], partitions: int) -> TopicSpec:
        return TopicSpec({**config, **durability}, partitions, replication)

    main = settings.topic_partitions
    # A tombstone outlives compaction this long: the offline limit consumers are promised (examples/README).
    tombstones = {"delete.retention.ms": str(settings.topic_delete_retention_days * 24 * 3600 * 1000)}
    return {
        settings.raw_topic: spec(RAW_TOPIC_CONFIG, main),
        settings.facts_topic: spec({**FACTS_TOPIC_CONFIG, **tombstones}, main),
        settings.extractions_topic: spec({**EXTRACTIONS_TOPIC_CONFIG, **tombstones}, main),
        settings.observations_topic: spec({**OBSERVATIONS_TOPIC_CONFIG, **tombstones}, main),
        dlq_topic(settings.raw_topic): spec(DLQ_TOPIC_CONFIG, DLQ_PARTITIONS),
        dlq_topic(settings.facts_topic): spec(DLQ_TOPIC_CONFIG, DLQ_PARTITIONS),
        dlq_topic(settings.extractions_topic): spec(DLQ_TOPIC_CONFIG, DLQ_PARTITIONS),
    }


async def ensure_topics(bootstrap: str, specs: Mapping[str, TopicSpec]) -> list[str]:
    """Create the missing topics (idempotent); returns the names created.

    A topic that exists with another layout is left alone and each difference is logged as a warning (the
    operator decides: docs/scaling.md), so a restart never repartitions a keyed topic behind anyone's back.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                topic_configs=dict(spec.config),
            )
            for name, spec in specs.items()
            if name not in existing
        ]
        if missing:
            # Another service may create one between list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        present = {name: spec for name, spec in specs.items() if name in existing}
        try:
            problems = await _layout_problems(admin, present)
        except KafkaError as exc:  # a check, not a precondition: the service starts anyway
            problems = [f"could not compare the existing topics with the settings: {exc!r}"]
        for problem in problems:
            log.warning(problem)
        return [t.name for t in missing]
    finally:
        await admin.close()


async def topic_layout_problems(bootstrap: str, specs: Mapping[str, TopicSpec]) -> list[str]:
    """How the existing topics among ``specs`` differ from it (missing topics are not a problem)."""
    return (await topic_layout_report(bootstrap, specs))[1]


async def topic_layout_report(bootstrap: str, specs: Mapping[str, TopicSpec]) -> tuple[list[str], list[str]]:
    """(the topics of ``specs`` that do not exist, how the existing ones differ from their spec)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(name for name in specs if name not in existing)
        present = {name: spec for name, spec in specs.items() if name in existing}
        return missing, await _layout_problems(admin, present)
    finally:
        await admin.close()


async def _layout_problems(admin: AIOKafkaAdminClient, specs: Mapping[str, TopicSpec]) -> list[str]:
    if not specs:
        return []
    names = sorted(specs)
    described = {t["topic"]: t for t in await admin.describe_topics(names)}
    configs = await _topic_configs(admin, names)
    problems: list[str] = []
    for name in names:
        topic = described.get(name)
        if topic is None or not topic["partitions"]:
            continue
        partitions = topic["partitions"]
        replication = min(len(p["replicas"]) for p in partitions)
        problems += layout_problems(name, specs[name], len(partitions), replication, configs.get(name, {}))
    return problems


async def _topic_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """Topic-level configuration values, by topic (the checked keys only matter)."""
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    configs: dict[str, dict[str, str]] = {}
    for response in responses:
        # DescribeConfigs: resources = (error_code, error_message, type, name, [(key, value, ...), ...])
        for resource in response.resources:
            error_code, _message, _type, name, entries = resource[:5]
            if error_code == 0:
                configs[name] = {entry[0]: entry[1] for entry in entries if entry[1] is not None}
    return configs


# Raw pages (large HTML, internal topic) use zstd: aiokafka's gzip is fixed at level 9 and cost the crawler
# most of a core. Topics that downstream teams read stay gzip, which every Kafka client can decode.
RAW_PAGES_COMPRESSION = "zstd"
PUBLIC_COMPRESSION = "gzip"


def make_producer(
    bootstrap: str,
    *,
    transactional_id: str | None = None,
    compression_type: str = PUBLIC_COMPRESSION,
    linger_ms: int = 5,
    max_batch_bytes: int = 16 * 1024,
) -> AIOKafkaProducer:
    """An idempotent, fully acknowledged, compressing producer. A bulk producer that waits for its
    deliveries only once per batch can linger longer and fill bigger batches: fewer requests for the broker
    (and fewer, larger fetches for the consumers downstream)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **kafka_client_options(),
        acks="all",
        enable_idempotence=True,
        compression_type=compression_type,
        max_request_size=MAX_REQUEST_BYTES,
        linger_ms=linger_ms,
        max_batch_size=max_batch_bytes,
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
