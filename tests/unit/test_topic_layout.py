"""Topic layout from the settings: partitions, replication, min.insync.replicas, and drift reports."""

from __future__ import annotations

from services.common.kafka import topic_specs
from services.common.settings import Settings
from services.common.topics import DLQ_PARTITIONS, TopicSpec, dlq_topic, layout_problems


def test_defaults_spread_the_main_topics_and_keep_dlqs_small() -> None:
    settings = Settings()
    specs = topic_specs(settings)
    for name in (settings.raw_topic, settings.facts_topic, settings.extractions_topic):
        assert specs[name].partitions == 6
        assert specs[name].replication_factor == 1
        assert "min.insync.replicas" not in specs[name].config  # a single broker cannot honour more than 1
    assert specs[dlq_topic(settings.raw_topic)].partitions == DLQ_PARTITIONS
    assert specs[settings.facts_topic].config["cleanup.policy"] == "compact"
    # Tombstones outlive compaction for the promised offline window (30 days), on both compacted topics.
    for name in (settings.facts_topic, settings.extractions_topic):
        assert specs[name].config["delete.retention.ms"] == str(30 * 24 * 3600 * 1000)
    assert "delete.retention.ms" not in specs[settings.raw_topic].config


def test_a_cluster_layout_asks_for_durable_writes() -> None:
    specs = topic_specs(Settings(topic_partitions=12, topic_replication_factor=3))
    for spec in specs.values():
        assert spec.replication_factor == 3
        assert spec.config["min.insync.replicas"] == "2"
    explicit = topic_specs(Settings(topic_replication_factor=5, topic_min_insync_replicas=3))
    assert {s.config["min.insync.replicas"] for s in explicit.values()} == {"3"}


def test_layout_problems_name_each_difference_and_ignore_retention() -> None:
    wanted = TopicSpec(
        {"cleanup.policy": "compact", "retention.ms": "-1"}, partitions=6, replication_factor=3
    )
    assert layout_problems("t", wanted, 6, 3, {"cleanup.policy": "compact", "retention.ms": "1000"}) == []
    problems = layout_problems("t", wanted, 1, 1, {"cleanup.policy": "delete"})
    assert len(problems) == 3
    assert "1 partition(s), the settings ask for 6: kept as is" in problems[0]
    assert "replication factor 1" in problems[1]
    assert "cleanup.policy=delete" in problems[2]
