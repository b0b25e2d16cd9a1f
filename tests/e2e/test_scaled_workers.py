"""Two extractor and two store processes share six partitions: every worker reports its share on /healthz,
and the stored facts are exactly those of an in-process extraction of the same pages, once each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.common.kafka import make_producer
from services.common.settings import Settings
from services.extractor.service import process_page
from services.pipeline.processes import ProcessGroup
from services.pipeline.runner import (
    PORT_STEP,
    free_replica_ports,
    read_health,
    start_workers,
    wait_pipeline_drained,
)
from services.store.testing import fresh_database
from services.testing.corpus_site import build_corpus_site, raw_events_from_site
from tests.support import COMPARED, isolated_settings, stored_facts, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PARTITIONS = 6
POSTS = 150


async def publish(settings: Settings, values: list[tuple[bytes, bytes]]) -> None:
    producer = make_producer(settings.kafka_bootstrap)
    await producer.start()
    try:
        futures = [await producer.send(settings.raw_topic, value, key=key) for key, value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def test_two_extractors_and_two_stores_share_the_partitions(shared: Path, tmp_path: Path) -> None:
    site = build_corpus_site(tmp_path / "site", limit=POSTS, include=shared / "gold" / "dev_articles.txt")
    pages = list(raw_events_from_site(site))
    expected = {
        event.fact_id: {k: v for k, v in event.to_json().items() if k in COMPARED}
        for page in pages
        for event in process_page(page).facts
    }
    assert len(expected) > 50
    with fresh_database(Settings().database_url, prefix="hqfacts_scaled") as url:
        settings = isolated_settings(url, "scaled", topic_partitions=PARTITIONS)
        port = free_replica_ports(2)
        with ProcessGroup(tmp_path / "logs") as group:
            workers = start_workers(group, settings, extractor_port=port, extractors=2, stores=2)
            assert [w.name for w in workers] == ["extractor", "extractor-2", "store", "store-2"]
            ports = [port, port + PORT_STEP]

            def both_consuming() -> bool:
                group.check_alive()
                answers = [read_health(p) for p in ports]
                return (
                    all(status == 200 for status, _ in answers)
                    and sum(body["partitions"] for _, body in answers) == PARTITIONS
                )

            wait_for(
                "both extractors consuming their share",
                both_consuming,
                timeout=120,
                state=lambda: [read_health(p) for p in ports],
            )
            asyncio.run(publish(settings, [(p.url.encode(), p.encode()) for p in pages]))
            wait_pipeline_drained(group, settings, timeout=300)
            shares = [read_health(p)[1]["partitions"] for p in ports]
        assert sorted(shares) == [3, 3]
        stored = stored_facts(url)
    assert stored.keys() == expected.keys()
    assert all(stored[k] == expected[k] for k in expected)
