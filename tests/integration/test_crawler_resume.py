"""kill -9 halfway through a crawl, restart: same published set as an uninterrupted crawl, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from services.common.settings import Settings
from services.crawler.testing import (
    SiteServer,
    build_site,
    count_events,
    crawl_cmd,
    loopback_crawl_args,
    read_topic,
    run_crawl,
)

pytestmark = pytest.mark.integration

SETTINGS = Settings()


@pytest.fixture(scope="module", autouse=True)
def migrated() -> None:
    from services.store.migrate import migrate

    migrate(SETTINGS.database_url)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("crawler-resume") / "site", limit=60)


def _args(srv: SiteServer, state: str) -> list[str]:
    return loopback_crawl_args(srv.base, state, "none")


@pytest.mark.parametrize("kill_after", [20, 60])
def test_kill_minus_9_and_restart_publishes_the_same_set_once(site: Path, kill_after: int) -> None:
    uid = uuid.uuid4().hex[:12]
    ref_topic, ref_state = f"test.crawler.ref.{uid}", f"test-ref-{uid}"
    topic, state = f"test.crawler.kill.{uid}", f"test-kill-{uid}"
    # Latency makes the crawl last long enough to be killed in the middle.
    with SiteServer(site, ["--latency-ms", "15"]) as srv:
        ref = run_crawl(_args(srv, ref_state), {"HQ_RAW_TOPIC": ref_topic})
        assert ref.returncode == 0, ref.stderr[-3000:]
        reference = [e.key for e in read_topic(SETTINGS.kafka_bootstrap, ref_topic)]
        assert len(reference) > kill_after + 20

        proc = subprocess.Popen(
            crawl_cmd(*_args(srv, state)),
            env={**os.environ, "HQ_RAW_TOPIC": topic},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while count_events(SETTINGS.kafka_bootstrap, topic) < kill_after:
                assert proc.poll() is None, "the crawl ended before it could be killed"
                assert time.monotonic() < deadline, "the crawl did not publish in time"
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        # What reached the topic before the kill (by key: the topic is partitioned, offsets do not order it).
        published_before_kill = {e.key for e in read_topic(SETTINGS.kafka_bootstrap, topic)}
        assert len(published_before_kill) < len(reference), "killed too late to test anything"

        srv.stats(reset=True)
        again = run_crawl(_args(srv, state), {"HQ_RAW_TOPIC": topic})
        assert again.returncode == 0, again.stderr[-3000:]
        print([line for line in again.stdout.splitlines() if "recovered" in line])
        stats = srv.stats()

    events = read_topic(SETTINGS.kafka_bootstrap, topic)
    keys = Counter(e.key for e in events)
    assert [k for k, n in keys.items() if n > 1] == [], "published twice"
    assert set(keys) == set(reference)
    # Pages published before the kill are not fetched again (robots.txt is re-read by every run).
    before_kill = {key.removeprefix(srv.base) for key in published_before_kill}
    refetched = {p for p in before_kill if stats["paths"].get(p) and p != "/robots.txt"}
    assert refetched == set()
