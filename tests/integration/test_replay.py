"""`hqfacts replay`: one command re-extracts the raw topic into PostgreSQL; a second run changes nothing."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest

from services.common.events import EventError
from services.common.kafka import ensure_topics, header_map, make_producer, topic_specs
from services.common.lag import end_offsets
from services.common.settings import Settings
from services.common.topics import dlq_topic
from services.extractor.service import extract_record, process_page
from services.pipeline.processes import hqfacts_argv
from services.pipeline.runner import settings_env
from services.store.testing import fresh_database
from services.testing.corpus_site import build_corpus_site, raw_events_from_site
from tests.support import isolated_settings, read_topic, stored_facts

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small_site(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus_site(
        tmp_path_factory.mktemp("replay") / "site",
        limit=40,
        include=shared / "gold" / "dev_articles.txt",
    )


async def publish(settings: Settings, site: Path, extra: tuple[tuple[bytes, bytes], ...] = ()) -> int:
    """The site's raw events (and ``extra`` (key, value) records) on the raw topic; returns how many."""
    await ensure_topics(settings.kafka_bootstrap, topic_specs(settings))
    producer = make_producer(settings.kafka_bootstrap)
    await producer.start()
    try:
        records = [(page.url.encode(), page.encode()) for page in raw_events_from_site(site)] + list(extra)
        for key, value in records:
            await producer.send(settings.raw_topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return len(records)


def replay(settings: Settings, *args: str) -> str:
    result = subprocess.run(
        hqfacts_argv("replay", *args),
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_replay_stores_every_fact_and_a_second_run_changes_nothing(
    small_site: Path, database_url: str
) -> None:
    settings = isolated_settings(database_url, "replay")
    pages = asyncio.run(publish(settings, small_site))
    expected = {e.fact_id for p in raw_events_from_site(small_site) for e in process_page(p).facts}

    first = replay(settings, "--from-beginning")
    assert f"replayed {pages} raw events" in first
    added = int(re.search(r"(\d+) facts added", first).group(1))  # type: ignore[union-attr]
    assert added == len(expected) > 0
    assert set(stored_facts(database_url)) == expected  # returned only once everything was committed

    second = replay(settings, "--from-beginning")
    assert "0 facts added, 0 changed, 0 retired" in second
    assert set(stored_facts(database_url)) == expected


def test_replay_since_a_time_after_everything_replays_nothing(small_site: Path, database_url: str) -> None:
    settings = isolated_settings(database_url, "replay-since")
    asyncio.run(publish(settings, small_site))
    out = replay(settings, "--since", "2999-01-01")
    assert "replayed 0 raw events" in out


SUMMARY = re.compile(
    r"replayed (\d+) raw events in [\d.]+ s \((\d+) workers? over (\d+) partitions?\): (\d+) articles, "
    r"(\d+) facts produced, (\d+) dead-lettered"
)
POISON = (b"poison-page", b"{this is not a raw page event")


def summary_counts(out: str) -> tuple[int, int, int, int]:
    """(events, articles, facts, dead letters) of a replay summary."""
    match = SUMMARY.search(out)
    assert match, out
    events, _, _, articles, facts, dead = (int(g) for g in match.groups())
    return events, articles, facts, dead


def poison_reason() -> str:
    with pytest.raises(EventError) as caught:
        extract_record(POISON[1])
    return str(caught.value)


def test_two_workers_over_six_partitions_store_exactly_what_one_worker_stores(small_site: Path) -> None:
    base = Settings().database_url
    with fresh_database(base) as one_url, fresh_database(base) as two_url:
        # The same events on two raw topics of 6 partitions (same keys: same partitions), one store each.
        one = isolated_settings(one_url, "replay-one", topic_partitions=6)
        two = isolated_settings(two_url, "replay-two", topic_partitions=6)
        published = {s.raw_topic: asyncio.run(publish(s, small_site, extra=(POISON,))) for s in (one, two)}
        ends = asyncio.run(end_offsets(two.kafka_bootstrap, [two.raw_topic]))
        assert len(ends) == 6 and sum(1 for end in ends.values() if end > 0) >= 2, ends

        out_one = replay(one, "--from-beginning", "--workers", "1")
        out_two = replay(two, "--from-beginning", "--workers", "2")
        assert "(1 worker over 6 partitions)" in out_one, out_one
        assert "(2 workers over 6 partitions)" in out_two, out_two
        counts = summary_counts(out_one)
        assert counts == summary_counts(out_two)
        assert counts[0] == published[one.raw_topic] and counts[3] == 1  # every event; the poison dead

        facts = stored_facts(one_url)  # fact_id -> the compared fields
        assert facts and stored_facts(two_url) == facts

        for settings in (one, two):  # the poison: one dead letter per replay, with its reason
            letters = asyncio.run(read_topic(settings.kafka_bootstrap, dlq_topic(settings.raw_topic)))
            assert [(m.key, m.value) for m in letters] == [POISON]
            headers = header_map(letters[0].headers)
            assert (headers["hq.error"], headers["hq.stage"]) == (poison_reason(), "replay")
            assert headers["hq.source.topic"] == settings.raw_topic

        again = replay(two, "--from-beginning", "--workers", "2")
        assert "0 facts added, 0 changed, 0 retired" in again, again
        assert summary_counts(again) == counts
        assert stored_facts(two_url) == facts


def test_more_workers_than_partitions_use_one_per_partition(small_site: Path, database_url: str) -> None:
    settings = isolated_settings(database_url, "replay-narrow", topic_partitions=1)
    pages = asyncio.run(publish(settings, small_site))
    out = replay(settings, "--from-beginning", "--workers", "3")
    assert f"replayed {pages} raw events" in out and "(1 worker over 1 partition)" in out, out
    assert "3 workers asked for, but the raw topic has 1 partition(s)" in out, out
