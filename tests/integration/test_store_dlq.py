"""`hqfacts dlq list|redrive`: a refused event is listed, re-driven after the fix, and then stored."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from services.common.db import make_engine
from services.common.settings import Settings
from services.common.topics import dlq_topic
from services.store.cli import dlq_group
from services.store.dlq import DlqEntry, read_dlq
from services.store.domain import StorePolicy
from services.store.tables import facts
from services.store.testing import (
    eventually,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
)

NEWER = "99.0.0"  # above the store's extractor-version ceiling (the version it ships with)
pytestmark = pytest.mark.integration


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "HQ_DATABASE_URL": settings.database_url,
        "HQ_FACTS_TOPIC": settings.facts_topic,
        "HQ_EXTRACTIONS_TOPIC": settings.extractions_topic,
        "HQ_RAW_TOPIC": settings.raw_topic,
        "HQ_LOG_FORMAT": "text",
    }


async def test_refused_event_is_listed_then_redriven_after_the_fix(database_url: str) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=database_url,
        facts_topic=f"test.{run}.facts",
        extractions_topic=f"test.{run}.extractions",
        raw_topic=f"test.{run}.raw",
        store_group=f"test-store-{run}",
        store_batch_seconds=0.2,
        health_port=None,
        topic_partitions=1,  # the dead letter's source position is asserted: one partition, offsets 0, 1
    )
    url = f"https://hddtvn.com/{run}/"
    known = fact_event(sample_fact(value="1"), article_url=url)
    # From an extractor newer than the store's ceiling: refused until the operator raises it (the rolling
    # upgrade of docs/security.md, "Versions").
    novel = fact_event(sample_fact(value="12"), article_url=url, version=NEWER)
    engine = make_engine(database_url)

    def stored_ids() -> set[str]:
        with engine.connect() as conn:
            return set(conn.scalars(select(facts.c.fact_id).where(facts.c.article_url == url)))

    try:
        async with producer_for(settings) as producer:
            for event in (known, novel):
                await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
            async with running_store(settings):
                await eventually(lambda: stored_ids() == {known.fact_id}, "the known fact")
                entries: list[DlqEntry] = []

                async def dead_lettered() -> bool:
                    entries[:] = await read_dlq(settings.kafka_bootstrap, dlq_topic(settings.facts_topic))
                    return len(entries) == 1

                await eventually(dead_lettered, "the dead letter")
        assert entries[0].error.startswith(f"extractor_version '{NEWER}' is newer than")
        assert entries[0].source_position == (settings.facts_topic, 0, 1)

        cli = CliRunner()
        listed = await asyncio.to_thread(
            cli.invoke, dlq_group, ["list", "--topic", settings.facts_topic], env=env_of(settings)
        )
        assert listed.exit_code == 0, listed.output
        assert "1 event(s)" in listed.output and f"extractor_version '{NEWER}'" in listed.output

        # Without the fix, the check keeps it on the DLQ.
        args = ["redrive", "--topic", settings.facts_topic, "--all", "--yes"]
        refused = await asyncio.to_thread(cli.invoke, dlq_group, args, env=env_of(settings))
        assert refused.exit_code == 0, refused.output
        assert "still refused" in refused.output and "0 event(s) re-driven" in refused.output

        # The fix: the ceiling raised; re-drive, and the store picks it up from its source topic.
        raised = {**env_of(settings), "HQ_MAX_EXTRACTOR_VERSION": NEWER}
        redriven = await asyncio.to_thread(cli.invoke, dlq_group, args, env=raised)
        assert redriven.exit_code == 0, redriven.output
        assert "1 event(s) re-driven" in redriven.output
        policy = StorePolicy(max_extractor_version=NEWER)
        async with running_store(settings, policy=policy):
            await eventually(lambda: stored_ids() == {known.fact_id, novel.fact_id}, "the re-driven fact")

        again = await asyncio.to_thread(cli.invoke, dlq_group, args, env=raised)
        assert "already re-driven" in again.output and "0 event(s) re-driven" in again.output
        listed = await asyncio.to_thread(
            cli.invoke, dlq_group, ["list", "--topic", settings.facts_topic], env=env_of(settings)
        )
        assert "[re-driven]" in listed.output
    finally:
        engine.dispose()
