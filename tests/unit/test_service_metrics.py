"""The metrics the scaling alerts read (deploy/monitoring/prometheus/alerts.yml), set where the work happens:
the store's partitions per worker across rebalances, the crawler's last request. No Kafka, no PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterable

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from services.common.settings import Settings
from services.crawler import metrics as crawler_metrics
from services.crawler.adapters.fetcher import FetchResult
from services.crawler.config import CrawlConfig
from services.crawler.engine import Crawler
from services.store import metrics as store_metrics
from services.store.consumer import StoreRunner

# Topic names of this test only: the registry is process-wide.
FACTS, EXTRACTIONS = "t.metrics.facts", "t.metrics.extractions"


class FakeConsumer:
    def __init__(self) -> None:
        self.paused: set[TopicPartition] = set()

    def pause(self, *tps: TopicPartition) -> None:
        self.paused.update(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused.difference_update(tps)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        pass

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        pass


class FakeService:
    async def stored_offsets(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return {p: 10 for p in partitions}


class FakePublisher:
    topic = "raw"


def _assigned(topic: str) -> float | None:
    return REGISTRY.get_sample_value("hqfacts_store_assigned_partitions", {"topic": topic})


def _lag(topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value("hqfacts_store_lag", {"topic": topic, "partition": str(partition)})


async def test_store_assigned_partitions_follow_rebalances() -> None:
    runner = StoreRunner(Settings(facts_topic=FACTS, extractions_topic=EXTRACTIONS))
    runner.consumer = FakeConsumer()  # type: ignore[assignment]
    runner.service = FakeService()  # type: ignore[assignment]

    await runner.on_assigned(
        {TopicPartition(FACTS, 0), TopicPartition(FACTS, 1), TopicPartition(EXTRACTIONS, 0)}
    )
    assert (_assigned(FACTS), _assigned(EXTRACTIONS)) == (2, 1)

    store_metrics.LAG.labels(FACTS, "1").set(42)
    store_metrics.LAG.labels(FACTS, "0").set(7)
    await runner.on_revoked({TopicPartition(FACTS, 1)})
    assert (_assigned(FACTS), _assigned(EXTRACTIONS)) == (1, 1)
    # The lost partition's lag is the new owner's to report; the kept one stays.
    assert (_lag(FACTS, 1), _lag(FACTS, 0)) == (None, 7)

    # Revoked everything (a replica beyond the partition count): 0 on every topic, not a missing series.
    await runner.on_revoked({TopicPartition(FACTS, 0), TopicPartition(EXTRACTIONS, 0)})
    assert (_assigned(FACTS), _assigned(EXTRACTIONS)) == (0, 0)


def test_crawler_last_fetch_timestamp_moves_on_every_answer() -> None:
    crawler = Crawler(CrawlConfig(seeds=["http://h.test/"]), None, fetcher=None, publisher=FakePublisher())  # type: ignore[arg-type]
    crawler_metrics.LAST_FETCH.set(0)
    before = time.time()
    # A failed request counts too: the crawler is alive, the site is not (HqfactsCrawlerErrors says so).
    crawler._count_fetch(FetchResult(url="http://h.test/", status=None, error="connection refused"))
    value = REGISTRY.get_sample_value("hqfacts_crawler_last_fetch_timestamp_seconds")
    assert value is not None and before <= value <= time.time()
