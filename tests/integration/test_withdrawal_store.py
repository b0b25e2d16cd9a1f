"""A withdrawn article (its page answers 404/410) through the extractor's service and the real store: every
fact retired with a tombstone on the facts topic, the article keeping its title."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.common.events import RawPage
from services.common.settings import Settings
from services.extractor.service import encode_outcome, process_page
from services.store.tables import articles, facts
from services.store.testing import (
    eventually,
    extraction_event,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
    store_test_settings,
)
from tests.integration.test_store_pipeline import read_all

pytestmark = pytest.mark.integration

VERSION = "0.1.0"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return store_test_settings(database_url)


def gone_page(url: str, status: int) -> RawPage:
    return RawPage(
        url=url,
        final_url=url,
        status=status,
        role="article",
        fetched_at=datetime.now(UTC),
        content_sha256="f" * 64,
        body_bytes=0,
    )


def active_and_retired(engine: Engine, url: str) -> tuple[set[str], set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(facts.c.fact_id, facts.c.retired_at).where(facts.c.article_url == url))
        pairs = list(rows)
    return {f for f, r in pairs if r is None}, {f for f, r in pairs if r is not None}


@pytest.mark.parametrize("status", [404, 410])
async def test_a_withdrawal_retires_every_fact_and_keeps_the_title(
    settings: Settings, engine: Engine, status: int
) -> None:
    url = f"https://hddtvn.com/{settings.store_group}/"
    events = [fact_event(sample_fact(value=str(v)), article_url=url, version=VERSION) for v in (1, 2, 3)]
    ids = {e.fact_id for e in events}
    withdrawal = encode_outcome(process_page(gone_page(url, status), VERSION))
    assert withdrawal.facts == () and withdrawal.extraction is not None
    async with producer_for(settings) as producer, running_store(settings):
        for event in events:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        first = extraction_event(url, sorted(ids), version=VERSION)
        await producer.send_and_wait(settings.extractions_topic, key=first.key, value=first.encode())
        await eventually(lambda: active_and_retired(engine, url)[0] == ids, "the article's facts stored")

        key, value = withdrawal.extraction
        await producer.send_and_wait(settings.extractions_topic, key=key, value=value)
        await eventually(lambda: active_and_retired(engine, url) == (set(), ids), "every fact retired")
        messages = await read_all(settings, settings.facts_topic, expected=len(ids) * 2)
    tombstones = {m.key.decode() for m in messages if m.value is None}
    assert tombstones == ids
    with engine.connect() as conn:
        row = conn.execute(select(articles).where(articles.c.url == url)).mappings().one()
    assert row["title"] == "Thu ngân sách 2020" and row["published"] is not None  # kept
    assert row["extraction_fact_ids"] == [] and row["fact_count"] == 0


async def test_an_edit_s_new_fact_stored_before_its_extraction_is_not_retired(
    settings: Settings, engine: Engine
) -> None:
    """The extractor sends an edited article's facts before its extraction event: a batch holding the new
    fact but not yet the extraction must not let the previous extraction retire it."""
    url = f"https://hddtvn.com/{settings.store_group}/"
    a, b, c = (fact_event(sample_fact(value=str(v)), article_url=url, version=VERSION) for v in (1, 2, 3))
    async with producer_for(settings) as producer, running_store(settings):
        for event in (a, b):
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        first = extraction_event(url, [a.fact_id, b.fact_id], version=VERSION)
        await producer.send_and_wait(settings.extractions_topic, key=first.key, value=first.encode())
        await eventually(lambda: active_and_retired(engine, url)[0] == {a.fact_id, b.fact_id}, "stored")

        # The edit: b's number changed into c. Its fact comes first, alone in a batch.
        await producer.send_and_wait(settings.facts_topic, key=c.key, value=c.encode())
        await eventually(lambda: c.fact_id in active_and_retired(engine, url)[0], "the new fact stored")
        assert active_and_retired(engine, url) == ({a.fact_id, b.fact_id, c.fact_id}, set())

        second = extraction_event(url, [a.fact_id, c.fact_id], version=VERSION)
        await producer.send_and_wait(settings.extractions_topic, key=second.key, value=second.encode())
        await eventually(
            lambda: active_and_retired(engine, url) == ({a.fact_id, c.fact_id}, {b.fact_id}),
            "the edit applied: the old number retired, the new one active",
        )
