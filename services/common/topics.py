"""Topic names and the settings the project creates them with."""

from __future__ import annotations

DLQ_SUFFIX = ".dlq"

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
DLQ_TOPIC_CONFIG = {
    "retention.ms": str(30 * 24 * 3600 * 1000),
    "max.message.bytes": str(10 * 1024 * 1024),
}


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of the consumer reading ``topic``."""
    return topic + DLQ_SUFFIX
