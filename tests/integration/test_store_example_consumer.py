"""examples/facts_table.py keeps a local table equal to the facts topic, tombstones included."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from services.common.settings import Settings
from services.store.testing import fact_event, producer_for, sample_fact

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
