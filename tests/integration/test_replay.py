"""`hqfacts replay`: one command re-extracts the raw topic into PostgreSQL; a second run changes nothing."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest

from services.common.kafka import ensure_topics, make_producer, topic_specs
from services.common.settings import Settings
from services.extractor.service import process_page
from services.pipeline.processes import hqfacts_argv
from services.pipeline.runner import settings_env
from services.pipeline.site import build_corpus_site
from services.pipeline.site_events import raw_events_from_site
from tests.support import isolated_settings, stored_facts

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small_site(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus_site(
        tmp_path_factory.mktemp("replay") / "site",
        limit=40,
        include=shared / "gold" / "dev_articles.txt",
    )


async def publish(settings: Settings, site: Path) -> int:
    await ensure_topics(settings.kafka_bootstrap, topic_specs(settings))
    producer = make_producer(settings.kafka_bootstrap)
    await producer.start()
    try:
        pages = list(raw_events_from_site(site))
        for page in pages:
            await producer.send(settings.raw_topic, page.encode(), key=page.url.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return len(pages)


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
