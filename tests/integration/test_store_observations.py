"""Observations kept by the real store: the agreed value across articles, conflicts, retraction, replay,
the observations topic, the store's start-up backfill and `hqfacts observations`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Engine

from services.common.events import FactEvent
from services.common.settings import Settings
from services.store.consolidation import observation_id
from services.store.observations import load_observation_events
from services.store.tables import consumer_offsets, observations
from services.store.testing import (
    eventually,
    extraction_event,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
    store_test_settings,
)

pytestmark = pytest.mark.integration

VERSION = "0.1.0"
MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0007_observations.py"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return store_test_settings(database_url)


def article(settings: Settings, name: str) -> str:
    return f"https://hddtvn.com/{settings.store_group}-{name}/"


def subject_of(settings: Settings) -> str:
    """This test's own department: observations are keyed across articles, so tests must not share keys."""
    return f"cuc:{settings.store_group}"


def stated(settings: Settings, name: str, billions: str) -> FactEvent:
    value = str(int(float(billions) * 1000)) + "000000"  # billions with up to 3 decimals, in VND
    return fact_event(
        sample_fact(
            subject=subject_of(settings), value=value, evidence=f"Cục Hải quan Hà Nội thu {billions} tỷ đồng."
        ),
        article_url=article(settings, name),
        version=VERSION,
    )


def stored(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    return load_observation_events(engine, subject=subject_of(settings))


def schema_validator() -> Any:
    text = resources.files("services.common").joinpath("schemas/observations.v1.json").read_text("utf-8")
    return fastjsonschema.compile(json.loads(text))


async def publish_article(producer: Any, settings: Settings, url: str, events: list[FactEvent]) -> None:
    for event in events:
        await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
    extraction = extraction_event(url, [e.fact_id for e in events], version=VERSION)
    await producer.send_and_wait(settings.extractions_topic, key=extraction.key, value=extraction.encode())


async def observation_messages(settings: Settings) -> list[Any]:
    """Every record on the observations topic up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(settings.observations_topic, p) for p in range(settings.topic_partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        messages: list[Any] = []
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                messages.extend(records)
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return messages
    finally:
        await consumer.stop()


async def test_articles_agree_conflict_and_retract_and_the_topic_follows_the_table(
    settings: Settings, engine: Engine
) -> None:
    a, b, c = stated(settings, "a", "4290"), stated(settings, "b", "4290.3"), stated(settings, "c", "3900")
    key = observation_id(subject_of(settings), "budget_revenue", "actual", *_year(2020), None)
    validate = schema_validator()
    async with producer_for(settings) as producer, running_store(settings):
        for name, event in (("a", a), ("b", b), ("c", c)):
            await publish_article(producer, settings, article(settings, name), [event])

        def agreed() -> bool:
            events = stored(engine, settings)
            return len(events) == 1 and events[0]["source_count"] == 3

        await eventually(agreed, "one observation stated by three articles")
        (event,) = stored(engine, settings)
        validate(event)
        assert event["observation_id"] == key
        assert event["value"] == "4290300000000"  # the most precise of the agreeing pair
        assert (event["agreeing_count"], event["conflict"]) == (2, True)
        assert [v["value"] for v in event["values"]] == ["4290300000000", "3900000000000"]
        assert event["values"][1]["articles"] == [article(settings, "c")]

        # Article c is withdrawn (404): its fact retires, the conflict goes.
        gone = extraction_event(article(settings, "c"), [], version=VERSION)
        await producer.send_and_wait(settings.extractions_topic, key=gone.key, value=gone.encode())
        await eventually(
            lambda: not stored(engine, settings)[0]["conflict"], "the conflict resolved by the withdrawal"
        )
        assert stored(engine, settings)[0]["source_count"] == 2

        # A replay of the same events changes nothing: no observation event is produced again.
        await eventually(lambda: caught_up(settings, engine), "every record consumed")
        before = await observation_messages(settings)
        await publish_article(producer, settings, article(settings, "a"), [a])
        await eventually(lambda: caught_up(settings, engine), "the replayed records consumed")
        assert len(await observation_messages(settings)) == len(before)

        # a and b withdrawn too: nothing states the key any more, the observation goes with a tombstone.
        for name in ("a", "b"):
            gone = extraction_event(article(settings, name), [], version=VERSION)
            await producer.send_and_wait(settings.extractions_topic, key=gone.key, value=gone.encode())
        await eventually(lambda: stored(engine, settings) == [], "the observation removed")
        await eventually(lambda: caught_up(settings, engine), "every record consumed")
        messages = await observation_messages(settings)
    assert {m.key.decode() for m in messages} == {key}
    # The topic's last word before the replay was the resolved observation; now it is a tombstone.
    assert json.loads(before[-1].value) == {**event, **_resolved(before[-1].value)}
    assert messages[-1].value is None and len(messages) > len(before)
    for message in messages[:-1]:
        validate(json.loads(message.value))


async def test_a_store_upgraded_from_before_observations_builds_them_at_start(
    settings: Settings, engine: Engine
) -> None:
    events = [stated(settings, "x", "100"), stated(settings, "y", "250")]
    events[1] = fact_event(
        sample_fact(subject=subject_of(settings), kind="target", value="250000000000"),
        article_url=article(settings, "y"),
        version=VERSION,
    )
    async with producer_for(settings) as producer, running_store(settings):
        await publish_article(producer, settings, article(settings, "x"), events[:1])
        await publish_article(producer, settings, article(settings, "y"), events[1:])
        await eventually(lambda: len(stored(engine, settings)) == 2, "two observations")
    expected = stored(engine, settings)
    with engine.begin() as conn:  # as after migration 0007 on facts stored before it
        conn.execute(delete(observations))
    async with running_store(settings):
        await eventually(lambda: stored(engine, settings) == expected, "the observations rebuilt at start")


def test_the_migration_s_sql_key_equals_the_code_s(engine: Engine) -> None:
    """Migration 0007 backfills facts.observation_id in SQL; it must equal consolidation.observation_id."""
    sql_key = (
        "md5(subject || '|' || metric || '|' || kind || '|' "
        "|| coalesce(to_char(period_start, 'YYYY-MM-DD'), '') || '|' "
        "|| coalesce(to_char(period_end, 'YYYY-MM-DD'), '') || '|' || coalesce(target_type, ''))"
    )
    migration = MIGRATION.read_text("utf-8").replace('"""', "")
    assert " ".join(sql_key.split()) in " ".join(migration.split())
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT {sql_key} FROM (SELECT 'chi-cuc:a-b' AS subject, 'declarations' AS metric, "
                "'target' AS kind, DATE '2021-01-01' AS period_start, NULL::date AS period_end, "
                "'chi-tieu' AS target_type) AS f"
            )
        ).scalar_one()
    assert row == observation_id("chi-cuc:a-b", "declarations", "target", date(2021, 1, 1), None, "chi-tieu")


async def test_the_observations_and_report_commands(
    settings: Settings, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    subject = subject_of(settings)
    a, b, c = stated(settings, "a", "4290"), stated(settings, "b", "4290.3"), stated(settings, "c", "3900")
    other = fact_event(
        sample_fact(subject=subject_of(settings) + "-2", value="300000000000000", year=2021),
        article_url=article(settings, "d"),
        version=VERSION,
    )
    async with producer_for(settings) as producer, running_store(settings):
        for name, event in (("a", a), ("b", b), ("c", c), ("d", other)):
            await publish_article(producer, settings, article(settings, name), [event])
        await eventually(
            lambda: (
                sorted(e["source_count"] for e in load_observation_events(engine, subject=subject + "*"))
                == [1, 3]
            ),
            "two observations",
        )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("observations", *args)

    def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HQ_DATABASE_URL": database_url}
        return subprocess.run(
            [sys.executable, "-m", "services", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    table = run("--subject", subject)
    assert table.returncode == 0, table.stderr
    assert subject in table.stdout and subject + "-2" not in table.stdout
    assert "2/3" in table.stdout and "3900000000000" in table.stdout
    assert "1 observation(s), 1 with conflicting values" in table.stdout, table.stdout
    lines = run("--subject", subject + "*", "--format", "jsonl", "--conflicts").stdout.splitlines()
    assert [json.loads(line)["subject"] for line in lines] == [subject]
    by_year = run("--subject", subject + "*", "--year", "2021", "--format", "csv").stdout.splitlines()
    assert by_year[0].startswith("observation_id,subject,metric") and len(by_year) == 2
    assert f",{subject}-2," in by_year[1]
    slug = article(settings, "c").rstrip("/").rsplit("/", 1)[-1]
    assert subject in run("--article", slug).stdout
    assert run("--article", "no-such-slug").stdout.strip() == "no observations stored for that filter"
    # The report of the same observations: one page, the conflict marked, each point linked to its row.
    out = tmp_path / "report"
    report = run_cli("report", "--out", str(out), "--subject", subject + "*")
    assert report.returncode == 0, report.stderr
    assert "2 observation(s) (2 plotted), 1 conflict(s)" in report.stdout
    page = (out / "index.html").read_text("utf-8")
    ids = [e["observation_id"] for e in load_observation_events(engine, subject=subject + "*")]
    for observation_id_ in ids:
        assert f'href="#obs-{observation_id_}"' in page and f'id="obs-{observation_id_}"' in page
    assert article(settings, "c") in page  # the competing value's article
    unknown = run("--metric", "vehicles")
    assert unknown.returncode != 0 and "known ids" in unknown.stderr and "Traceback" not in unknown.stderr


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _resolved(payload: bytes) -> dict[str, Any]:
    """The fields a resolved conflict changes, taken from the resolved event itself."""
    data = json.loads(payload)
    assert data["conflict"] is False and data["source_count"] == 2
    keep = ("conflict", "source_count", "agreeing_count", "values", "first_article", "latest_article")
    return {k: data[k] for k in keep}


async def caught_up(settings: Settings, engine: Engine) -> bool:
    """The store committed every record of its topics (its own tombstones on the facts topic included)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = (settings.facts_topic, settings.extractions_topic)
        ends = await consumer.end_offsets([TopicPartition(t, 0) for t in topics])
    finally:
        await consumer.stop()
    with engine.connect() as conn:
        rows = conn.execute(
            select(consumer_offsets.c.topic, consumer_offsets.c.next_offset).where(
                consumer_offsets.c.consumer_group == settings.store_group
            )
        ).all()
    stored = {topic: int(offset) for topic, offset in rows}
    return all(stored.get(tp.topic, 0) >= end for tp, end in ends.items())
