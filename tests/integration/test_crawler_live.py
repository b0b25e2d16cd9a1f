"""The crawler against a live site (site_server.py --next-root): a post appears, one is edited, one deleted.

The crawler runs as a real process in its forever mode with a 1 s poll; the site switches snapshots with
GET /__publish. Everything is polled with deadlines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from services.common.db import make_engine
from services.common.events import RawPage
from services.common.settings import Settings
from services.crawler.adapters.state import StateStore
from services.crawler.testing import SiteServer, crawl_cmd, read_topic
from services.pipeline.site import LiveSite, build_live_snapshots, publish_next_snapshot
from tests.support import wait_for

pytestmark = pytest.mark.integration

SETTINGS = Settings()

SLUGS = [
    "hai-quan-hai-phong-khoi-to-13-vu-an-hinh-su",
    "hai-quan-bac-ninh-thu-hon-44-ty-dong-tu-xu-ly-vi-pham",
    "1-thang-hai-quan-hai-phong-thong-quan-luong-hang-hoa-tri-gia-hon-7-ty-usd",
    "hai-quan-bac-ninh-nop-ngan-sach-hon-8-ty-dong-tu-xu-ly-vi-pham",
]
NEW = "hai-quan-hai-phong-kim-ngach-xuat-nhap-khau-dat-hon-8-ty-usd-trong-thang-9"
EDIT = (SLUGS[2], "7,579 tỷ USD", "7,975 tỷ USD")
DELETED = SLUGS[3]
CRAWL_DELAY = 0.15


@pytest.fixture(scope="module", autouse=True)
def migrated() -> None:
    from services.store.migrate import migrate

    migrate(SETTINGS.database_url)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> LiveSite:
    return build_live_snapshots(
        tmp_path_factory.mktemp("crawler-live"),
        slugs=SLUGS,
        new_slug=NEW,
        edit=EDIT,
        deleted_slug=DELETED,
        dates={DELETED: "2021-06-01 09:00"},
    )


def post_events(topic: str, slug: str) -> list[RawPage]:
    return [
        RawPage.model_validate(e.value)
        for e in read_topic(SETTINGS.kafka_bootstrap, topic, timeout=30)
        if e.key.rstrip("/").endswith("/" + slug) and e.value is not None
    ]


def test_new_edited_and_deleted_posts_are_published_after_a_poll(live: LiveSite, tmp_path: Path) -> None:
    uid = uuid.uuid4().hex[:10]
    topic, state = f"test.crawler.live.{uid}", f"test-live-{uid}"
    env = {
        **os.environ,
        "HQ_RAW_TOPIC": topic,
        # Polls due far more often than robots.txt's Crawl-delay allows: the delay must win.
        "HQ_FEED_POLL_SECONDS": "0.2",
        "HQ_FEED_POLL_MAX_SECONDS": "1",
        "HQ_LOG_FORMAT": "json",
    }
    engine = make_engine(SETTINGS.database_url)
    store = StateStore(engine, state)
    log = tmp_path / "crawler.log"
    site_args = ["--next-root", str(live.second), "--crawl-delay", str(CRAWL_DELAY)]
    with SiteServer(live.first, site_args) as srv, log.open("wb") as out:
        args = ["--seed", srv.base + "/", "--allow-private", "--delay", "0", "--state-name", state]
        proc = subprocess.Popen(crawl_cmd(*args, "--progress", "none"), env=env, stdout=out, stderr=out)
        try:

            def caught_up() -> bool:
                assert proc.poll() is None, log.read_text()[-3000:]
                status = store.status()
                return bool(status["by_state"].get("done")) and not status["by_state"].get("queued")

            wait_for("the first snapshot to be crawled", caught_up, timeout=180)
            wait_for("every post published", lambda: all(post_events(topic, s) for s in SLUGS), 60)
            # Caught up: the polls now answer 304 (the site does not change).
            before = srv.stats()
            wait_for(
                "a conditional poll answered 304",
                lambda: srv.stats()["conditional"].get("304", 0) > before["conditional"].get("304", 0),
                timeout=15,
            )
            old_edit = post_events(topic, EDIT[0])
            assert len(old_edit) == 1
            status = store.status()
            polled = {p["url"].removeprefix(srv.base) for p in status["polls"]}
            assert {"/", "/feed/", "/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml"} <= polled, polled
            # Each poll target has its next poll scheduled (unless it is being polled right now).
            assert all(p["next_poll"] for p in status["polls"] if p["state"] == "done"), status["polls"]

            # Adaptive: while nothing changes, the intervals stretch from 0.2 s to the 1 s maximum.
            def stretched() -> bool:
                from datetime import datetime

                intervals = [
                    (datetime.fromisoformat(p["next_poll"]) - datetime.fromisoformat(p["last_poll"]))
                    for p in store.status()["polls"]
                    if p["state"] == "done" and p["next_poll"] and p["last_poll"]
                ]
                return any(i.total_seconds() >= 0.99 for i in intervals)

            wait_for("poll intervals stretched to the maximum", stretched, timeout=30)

            mark = srv.stats()
            published_at = time.monotonic()
            assert publish_next_snapshot(srv.base)["snapshot"] == 1

            new = wait_for("the new post published", lambda: post_events(topic, NEW), timeout=30)
            assert new[0].status == 200 and new[0].body
            edited = wait_for(
                "the edited post published again", lambda: post_events(topic, EDIT[0])[1:], timeout=30
            )
            assert edited[0].body is not None and EDIT[2] in edited[0].body
            assert edited[0].content_sha256 != old_edit[0].content_sha256
            gone = wait_for(
                "the deleted post's withdrawal", lambda: post_events(topic, DELETED)[1:], timeout=30
            )
            assert gone[0].status == 404 and gone[0].body is None and gone[0].role == "article"
            elapsed = time.monotonic() - published_at

            # Unchanged posts were not fetched again: only the three that changed.
            after = srv.stats()
            refetched = {
                path
                for path, n in after["paths"].items()
                if n > mark["paths"].get(path, 0) and any(path.rstrip("/").endswith(s) for s in SLUGS)
            }
            assert refetched == {f"/{EDIT[0]}/", f"/{DELETED}/"}, refetched
            # Politeness held throughout, polls included: never two requests closer than the Crawl-delay.
            assert after["min_gap_ms"] >= CRAWL_DELAY * 1000, after["min_gap_ms"]
            assert after["max_in_flight"] == 1
            print(f"new, edited and deleted posts published {elapsed:.1f} s after /__publish")

            # Later polls are 304s again, and nothing is published twice (the withdrawal included).
            settled = srv.stats()["conditional"].get("304", 0)
            wait_for(
                "polls answered 304 again",
                lambda: srv.stats()["conditional"].get("304", 0) >= settled + 3,
                timeout=15,
            )
            assert len(post_events(topic, DELETED)) == 2
            assert len(post_events(topic, NEW)) == 1
            assert len(post_events(topic, EDIT[0])) == 2
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
            engine.dispose()
        assert code == 0, log.read_text()[-3000:]
        # SIGTERM: a clean stop.
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        assert any(line.get("msg") == "crawl finished" for line in lines)


def test_poll_rows_are_clamped_taken_when_due_and_requeued_first() -> None:
    """The state's poll operations on the real database: a poll scheduled too late (crash recovery gave it
    a feed's 6 h) is brought forward; a due poll is taken once; a changed page is requeued first."""
    from datetime import UTC, datetime, timedelta

    from services.crawler.adapters.state import Batch, NewUrl, UrlUpdate
    from services.crawler.domain.freshness import FRESH_PRIORITY, POLL_PRIORITY

    engine = make_engine(SETTINGS.database_url)
    store = StateStore(engine, f"test-live-state-{uuid.uuid4().hex[:10]}")
    feed, post = "https://x.test/feed/", "https://x.test/a-post/"
    now = datetime.now(UTC)
    try:
        store.write(
            Batch(
                new_urls=[
                    NewUrl(feed, "x.test", "feed", "", POLL_PRIORITY, 1),
                    NewUrl(post, "x.test", "article", "", 3, 2),
                ]
            )
        )
        store.write(
            Batch(
                updates=[
                    UrlUpdate(feed, "done", "feed", 0, now + timedelta(hours=6), 200, None, etag='"f"'),
                    UrlUpdate(post, "done", "article", 0, now + timedelta(days=30), 200, None, etag='"p"'),
                ]
            )
        )
        assert store.take_due_polls(now + timedelta(seconds=5), POLL_PRIORITY) == []
        assert store.clamp_polls(now + timedelta(seconds=2), POLL_PRIORITY) == 1
        taken = store.take_due_polls(now + timedelta(seconds=5), POLL_PRIORITY)
        assert [(r.url, r.etag, r.priority) for r in taken] == [(feed, '"f"', POLL_PRIORITY)]
        assert store.take_due_polls(now + timedelta(seconds=5), POLL_PRIORITY) == []  # taken once
        # Requeued by a poll: first in the frontier, validators kept for the conditional GET.
        rows = store.requeue_urls([post, "https://x.test/unknown/"], FRESH_PRIORITY)
        assert [(r.url, r.etag) for r in rows] == [(post, '"p"')]
        first, _ = store.load_queued("x.test", 10, now + timedelta(seconds=5))
        assert [r.url for r in first] == [feed, post]  # priority -2, then -1
        assert {p["url"] for p in store.status()["polls"]} == {feed}
    finally:
        store.reset()
        engine.dispose()
