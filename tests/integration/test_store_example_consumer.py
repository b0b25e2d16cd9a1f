"""examples/facts_table.py keeps a local table equal to the facts topic, tombstones included."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from services.common.db import make_engine
from services.common.events import FactEvent
from services.common.lag import wait_caught_up
from services.common.settings import Settings
from services.store.tables import facts
from services.store.testing import (
    eventually,
    extraction_event,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
    store_test_settings,
)
from tests.support import read_topic

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "facts_table.py"


async def run_example(settings: Settings, db: Path, *extra: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--db",
        str(db),
        "--bootstrap",
        settings.kafka_bootstrap,
        "--topic",
        settings.facts_topic,
        "--group",
        f"example-{settings.store_group}",
        "--until-idle",
        "1.5",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def tombstones(settings: Settings) -> set[bytes]:
    """Keys of the null-valued records on the facts topic so far."""
    return {
        m.key for m in await read_topic(settings.kafka_bootstrap, settings.facts_topic) if m.value is None
    }


def active_fact_ids(database_url: str, url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(facts.c.fact_id).where(facts.c.article_url == url, facts.c.retired_at.is_(None))
            return set(conn.scalars(query))
    finally:
        engine.dispose()


def fact_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT fact_id FROM facts")}


async def test_example_consumer_applies_values_and_tombstones(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        facts_topic=f"test.{run}.facts", extractions_topic=f"test.{run}.extractions", store_group=f"g-{run}"
    )
    url = f"https://hddtvn.com/{run}/"
    events = [fact_event(sample_fact(value=str(v)), article_url=url) for v in (1, 2, 3)]
    db = tmp_path / "facts.sqlite"
    async with producer_for(settings) as producer:
        for event in events:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        await producer.send_and_wait(settings.facts_topic, key=events[0].key, value=None)  # retired
        await run_example(settings, db)
        assert fact_ids(db) == {events[1].fact_id, events[2].fact_id}

        # A second run resumes from the offsets kept in SQLite: only the new tombstone is applied.
        await producer.send_and_wait(settings.facts_topic, key=events[1].key, value=None)
        output = await run_example(settings, db)
        assert "applied 0 upserts, 1 deletes" in output
        assert fact_ids(db) == {events[2].fact_id}


async def test_example_consumer_keeps_only_facts_sure_enough(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        facts_topic=f"test.{run}.facts", extractions_topic=f"test.{run}.extractions", store_group=f"g-{run}"
    )
    url = f"https://hddtvn.com/{run}/"
    sure = fact_event(replace(sample_fact(value="1"), rule="amount/named", confidence=0.97), article_url=url)
    unsure = fact_event(replace(sample_fact(value="2"), rule="usd/carried", confidence=0.6), article_url=url)
    unknown = fact_event(sample_fact(value="3"), article_url=url)  # from an extractor before 0.4.0
    db = tmp_path / "facts.sqlite"
    async with producer_for(settings) as producer:
        for event in (sure, unsure, unknown):
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        await run_example(settings, db, "--min-confidence", "0.9")
    assert fact_ids(db) == {sure.fact_id}


async def test_example_consumer_follows_the_store_through_a_retirement_and_an_older_replay(
    database_url: str, tmp_path: Path
) -> None:
    """The store retires a fact an edit dropped (tombstone); then an older extractor's replay re-sends the
    article's facts. The store keeps the newer version and the retirement; so must the example's table."""
    settings = store_test_settings(database_url)
    url = f"https://hddtvn.com/{settings.store_group}/"
    newer, older = "0.2.0", "0.1.0"
    a, b, c = (sample_fact(value=str(v)) for v in (1, 2, 3))
    dropped = fact_event(a, article_url=url, version=newer)
    kept = fact_event(b, article_url=url, version=newer)
    added = fact_event(c, article_url=url, version=newer)
    db = tmp_path / "facts.sqlite"
    async with producer_for(settings) as producer, running_store(settings):

        async def send(*events: FactEvent, listing: list[str], version: str) -> None:
            for event in events:
                await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
            extraction = extraction_event(url, listing, version=version)
            await producer.send_and_wait(
                settings.extractions_topic, key=extraction.key, value=extraction.encode()
            )

        await send(dropped, kept, listing=[dropped.fact_id, kept.fact_id], version=newer)
        await send(kept, added, listing=[kept.fact_id, added.fact_id], version=newer)  # the edit drops one

        async def dropped_is_tombstoned() -> bool:
            return await tombstones(settings) == {dropped.key}

        await eventually(dropped_is_tombstoned, "the store's tombstone for the dropped fact")
        # A replay with an older checkout: its events reach the topic, the store ignores them.
        stale = [fact_event(f, article_url=url, version=older) for f in (a, b)]
        await send(*stale, listing=[e.fact_id for e in stale], version=older)
        await wait_caught_up(
            settings.kafka_bootstrap,
            settings.store_group,
            [settings.facts_topic, settings.extractions_topic],
            timeout=60,
        )
        output = await run_example(settings, db)
    assert "2 older events skipped" in output
    with sqlite3.connect(db) as conn:
        table = dict(conn.execute("SELECT fact_id, extractor_version FROM facts"))
    assert table == {kept.fact_id: newer, added.fact_id: newer}
    assert table.keys() == active_fact_ids(database_url, url)


async def test_example_consumer_stops_on_sigterm_with_its_summary(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        facts_topic=f"test.{run}.facts", extractions_topic=f"test.{run}.extractions", store_group=f"g-{run}"
    )
    event = fact_event(sample_fact(value="7"), article_url=f"https://hddtvn.com/{run}/")
    async with producer_for(settings) as producer:
        await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--db",
        str(tmp_path / "facts.sqlite"),
        "--bootstrap",
        settings.kafka_bootstrap,
        "--topic",
        settings.facts_topic,
        "--group",
        f"example-{run}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), timeout=60)  # it is consuming now
    assert b"applied 1 upserts" in first
    process.send_signal(signal.SIGTERM)
    rest, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert "stopped by signal; 1 facts in" in rest.decode()
