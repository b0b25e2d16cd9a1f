"""Topic names and the settings the project creates them with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DLQ_SUFFIX = ".dlq"
# Dead letters are few and read by operators, never by a scaled group: one partition is enough.
DLQ_PARTITIONS = 1

# Raw pages keep a long history so a new extractor version can replay them (backfills).
RAW_TOPIC_CONFIG = {
    "retention.ms": str(-1),  # keep forever by default; operators can lower it
    "max.message.bytes": str(10 * 1024 * 1024),
    "compression.type": "producer",
}
# Facts are compacted by fact_id: the topic is a changelog of the current facts (tombstones retire them).
FACTS_TOPIC_CONFIG = {
    "cleanup.policy": "compact",
    "compression.type": "producer",
}
# One event per article extraction, compacted by article URL: the latest extraction of every article.
EXTRACTIONS_TOPIC_CONFIG = {
    "cleanup.policy": "compact",
    "compression.type": "producer",
}
# One event per observation key, compacted by observation_id: the current answer to every question.
OBSERVATIONS_TOPIC_CONFIG = {
    "cleanup.policy": "compact",
    "compression.type": "producer",
}
DLQ_TOPIC_CONFIG = {
    "retention.ms": str(30 * 24 * 3600 * 1000),
    "max.message.bytes": str(10 * 1024 * 1024),
}


# Topic settings whose difference changes what consumers see or are promised (how long tombstones live);
# the raw topic's retention is the operator's to tune.
CHECKED_CONFIG_KEYS = frozenset({"cleanup.policy", "min.insync.replicas", "delete.retention.ms"})


@dataclass(frozen=True)
class TopicSpec:
    """How the project creates a topic: its partitions, replication and topic-level configuration."""

    config: Mapping[str, str] = field(default_factory=dict)
    partitions: int = 1
    replication_factor: int = 1


def layout_problems(
    name: str, wanted: TopicSpec, partitions: int, replication_factor: int, config: Mapping[str, str]
) -> list[str]:
    """How an existing topic differs from the layout the settings ask for (empty: it matches).

    Existing topics are never changed: adding partitions to a keyed, compacted topic moves keys to other
    partitions (a consumer would see two latest values), and replication changes need a reassignment plan.
    """
    problems = []
    if partitions != wanted.partitions:
        problems.append(
            f"topic {name} has {partitions} partition(s), the settings ask for {wanted.partitions}: "
            "kept as is (to change it, create a new topic version and replay; docs/scaling.md)"
        )
    if replication_factor != wanted.replication_factor:
        problems.append(
            f"topic {name} has replication factor {replication_factor}, the settings ask for "
            f"{wanted.replication_factor}: kept as is (kafka-reassign-partitions changes it)"
        )
    for key, value in sorted(wanted.config.items()):
        if key in CHECKED_CONFIG_KEYS and key in config and config[key] != value:
            problems.append(
                f"topic {name} has {key}={config[key]}, the project creates it with {value}: kept as is "
                "(kafka-configs --alter changes it)"
            )
    return problems


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of the consumer reading ``topic``."""
    return topic + DLQ_SUFFIX
