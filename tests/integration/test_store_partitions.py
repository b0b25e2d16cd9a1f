"""The store on partitioned topics with two replicas: an article's events spread over partitions and stores,
and the retire-by-extraction rule stays exact whatever order they arrive in."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from services.common.events import ExtractionEvent, FactEvent, PagePosition
from services.common.settings import Settings
from services.store.tables import consumer_offsets, facts
from services.store.testing import (
    eventually,
    extraction_event,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
    store_test_settings,
)
from tests.support import observations_against_facts

pytestmark = pytest.mark.integration

PARTITIONS = 6
VERSION = "0.1.0"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return store_test_settings(database_url, topic_partitions=PARTITIONS)


def page(settings: Settings, offset: int) -> PagePosition:
    return PagePosition(settings.raw_topic, 3, offset)


async def send_fact(
    producer: AIOKafkaProducer, settings: Settings, event: FactEvent, at: PagePosition | None
) -> None:
    headers = list(at.headers()) if at else None
    await producer.send_and_wait(settings.facts_topic, event.encode(), key=event.key, headers=headers)


async def send_extraction(
    producer: AIOKafkaProducer, settings: Settings, event: ExtractionEvent, at: PagePosition
) -> None:
    await producer.send_and_wait(
        settings.extractions_topic, event.encode(), key=event.key, headers=list(at.headers())
    )


def fact_states(engine: Engine, url: str) -> dict[str, bool]:
    """fact_id -> active?"""
    with engine.connect() as conn:
        rows = conn.execute(select(facts.c.fact_id, facts.c.retired_at).where(facts.c.article_url == url))
        return {fact_id: retired is None for fact_id, retired in rows}


async def test_a_fact_of_an_earlier_page_arriving_late_is_retired(settings: Settings, engine: Engine) -> None:
    url = f"https://hddtvn.com/{settings.store_group}/late/"
    old = fact_event(sample_fact(value="100"), article_url=url, version=VERSION)
    kept = fact_event(sample_fact(value="200", year=2019), article_url=url)
    new = fact_event(sample_fact(value="300"), article_url=url, version=VERSION)
    first_page, edited_page = page(settings, 10), page(settings, 11)
    async with producer_for(settings) as producer, running_store(settings), running_store(settings):
        # The edited page's events are stored first; the earlier page's facts reach the store after them.
        await send_fact(producer, settings, kept, edited_page)
        await send_fact(producer, settings, new, edited_page)
        await send_extraction(
            producer, settings, extraction_event(url, [kept.fact_id, new.fact_id]), edited_page
        )
        await eventually(lambda: fact_states(engine, url) == {kept.fact_id: True, new.fact_id: True}, "edit")
        await send_fact(producer, settings, old, first_page)
        await send_fact(producer, settings, kept, first_page)  # also listed by the edit: stays
        await eventually(lambda: old.fact_id in fact_states(engine, url), "late fact stored")
        # An early fact of a later page, before its extraction: kept (its extraction will list it).
        newest = fact_event(sample_fact(value="400"), article_url=url, version=VERSION)
        await send_fact(producer, settings, newest, page(settings, 12))
        await eventually(lambda: newest.fact_id in fact_states(engine, url), "early fact stored")
        # Without page headers (an older extractor's events) nothing can be judged: stored as before.
        unknown = fact_event(sample_fact(value="500"), article_url=url, version=VERSION)
        await send_fact(producer, settings, unknown, None)
        await eventually(lambda: unknown.fact_id in fact_states(engine, url), "headerless fact stored")
    assert fact_states(engine, url) == {
        old.fact_id: False,
        kept.fact_id: True,
        new.fact_id: True,
        newest.fact_id: True,
        unknown.fact_id: True,
    }
    with engine.connect() as conn:
        offset = conn.scalar(select(facts.c.page_offset).where(facts.c.fact_id == new.fact_id))
    assert offset == 11  # the provenance of a fact names its page


async def test_two_stores_share_the_partitions_and_store_every_article_once(
    settings: Settings, engine: Engine
) -> None:
    articles = 60
    async with running_store(settings) as one, running_store(settings) as two:
        # Both replicas in the group with their share of the partitions before anything is produced.
        await eventually(
            lambda: all(r.consumer is not None and r.consumer.assignment() for r in (one, two)),
            "both stores assigned",
        )
        expected = await produce_articles(settings, articles)
        mine = facts.c.article_url.startswith(f"https://hddtvn.com/{settings.store_group}/")

        def all_stored() -> bool:
            with engine.connect() as conn:
                active = conn.scalar(
                    select(func.count()).select_from(facts).where(mine, facts.c.retired_at.is_(None))
                )
                positions = conn.scalar(
                    select(func.count())
                    .select_from(consumer_offsets)
                    .where(consumer_offsets.c.consumer_group == settings.store_group)
                )
            return active == len(expected) and positions == 2 * PARTITIONS

        await eventually(all_stored, "every partition stored by the two stores", deadline_s=60)
    assert one.batches > 0 and two.batches > 0  # both replicas did work
    with engine.connect() as conn:
        rows = conn.execute(select(facts.c.fact_id, facts.c.retired_at).where(mine)).all()
    counts = Counter(fact_id for fact_id, _ in rows)
    assert max(counts.values()) == 1
    assert {fact_id for fact_id, retired in rows if retired is None} == set(expected)
    # The articles state the same few keys, so both replicas refreshed the same observations concurrently:
    # none may miss the other's facts.
    consolidated, stored = observations_against_facts(settings.database_url)
    assert stored == consolidated and stored


async def produce_articles(settings: Settings, articles: int) -> set[str]:
    """Facts then extraction of each article's page, every third article edited once (its second page drops
    a fact and adds one); returns the fact ids active at the end."""
    expected: set[str] = set()
    async with producer_for(settings) as producer:
        pending = []
        for index in range(articles):
            url = f"https://hddtvn.com/{settings.store_group}/a{index}/"
            first = [
                fact_event(sample_fact(value=str(1000 + 10 * index + k)), article_url=url) for k in range(3)
            ]
            second = [*first[1:], fact_event(sample_fact(value=str(9000 + index)), article_url=url)]
            pages = [(first, page(settings, 2 * index))]
            if index % 3 == 0:
                pages.append((second, page(settings, 2 * index + 1)))
            for events, at in pages:
                headers = list(at.headers())
                for event in events:
                    pending.append(
                        await producer.send(
                            settings.facts_topic, event.encode(), key=event.key, headers=headers
                        )
                    )
                extraction = extraction_event(url, [e.fact_id for e in events])
                pending.append(
                    await producer.send(
                        settings.extractions_topic, extraction.encode(), key=extraction.key, headers=headers
                    )
                )
            expected |= {e.fact_id for e in pages[-1][0]}
        await asyncio.gather(*pending)
    return expected
