"""The whole corpus site (~8,200 posts, ~13,000 URLs) crawled with delay 0: every sitemap post once, no traps.

Measured on 2 cores (idle machine): build ~20 s, crawl ~90 s (12,136 requests, ~135/s), read-back ~15 s.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

from services.common.settings import Settings
from services.crawler.testing import SiteServer, build_site, loopback_crawl_args, read_topic, run_crawl

pytestmark = pytest.mark.integration

SETTINGS = Settings()
TRAP_CLASSES = ("replytocom", "admin", "api", "search", "comment_feed", "archive_day", "shortlink", "asset")


@pytest.fixture(scope="module", autouse=True)
def migrated() -> None:
    from services.store.migrate import migrate

    migrate(SETTINGS.database_url)


def sitemap_posts(base: str) -> set[str]:
    """The post URLs the site's own sitemaps list (what 'every post' means for a crawler)."""

    def get(url: str) -> str:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return str(resp.read().decode("utf-8"))

    index = get(base + "/wp-sitemap.xml")
    posts: set[str] = set()
    for sm in re.findall(r"<loc>([^<]+)</loc>", index):
        if "-posts-post-" in sm:
            posts.update(re.findall(r"<loc>([^<]+)</loc>", get(sm)))
    return posts


def test_full_corpus_every_sitemap_post_published_once(tmp_path: Path) -> None:
    site = build_site(tmp_path / "site")
    uid = uuid.uuid4().hex[:12]
    topic, state = f"test.crawler.full.{uid}", f"test-full-{uid}"
    with SiteServer(site) as srv:
        posts = sitemap_posts(srv.base)
        srv.stats(reset=True)
        started = time.monotonic()
        proc = run_crawl(
            loopback_crawl_args(srv.base, state, "log"),
            {"HQ_RAW_TOPIC": topic},
            timeout=900,
        )
        elapsed = time.monotonic() - started
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        stats = srv.stats()
    events = read_topic(SETTINGS.kafka_bootstrap, topic, timeout=300, values=False)
    keys = Counter(e.key for e in events)
    articles = {e.key for e in events if e.headers["hq.role"] == "article"}
    print(
        f"full corpus: {stats['requests']} requests, {len(events)} events in {elapsed:.1f}s "
        f"({stats['requests'] / elapsed:.0f} requests/s)"
    )
    assert len(posts) > 8000
    assert posts <= set(keys)
    assert posts == articles
    twice = [k for k, n in keys.items() if n > 1]
    assert twice == [], (
        twice,
        [line for line in proc.stdout.splitlines() if '"level": "info"' not in line][-20:],
    )
    assert not stats["duplicates"]
    for cls in TRAP_CLASSES:
        assert stats["by_class"].get(cls, 0) == 0, (cls, stats["by_class"])
    # No off-site request: every request the crawler made reached this server.
    finished = json.loads(next(line for line in proc.stdout.splitlines() if '"crawl finished"' in line))
    assert finished["fetched"] == stats["requests"]
    assert finished["refused"]["offsite"] > 0 and finished["parked"] == 0
