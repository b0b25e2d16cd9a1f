"""A live news feed end to end (issue 10): `hqfacts run` against site_server.py serving two snapshots.

Snapshot 1 (five corpus posts) is crawled with `hqfacts run --until-idle`, which must return once every
fact is committed. `hqfacts run` then keeps polling (1 s poll interval); GET /__publish switches the site
to snapshot 2: a new post (latest date, top of the feed), a number changed in another, a third deleted.
Within the poll interval plus processing, the facts table follows, with tombstones on the facts topic, and
the posts that did not change are not fetched again. A third snapshot (= the first) brings the deleted post
back, undoes the edit and withdraws the new post. SIGTERM stops the three services cleanly, and a restart
with --until-idle changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.common.db import make_engine
from services.common.settings import Settings
from services.pipeline.processes import ProcessGroup, hqfacts_argv
from services.pipeline.runner import settings_env
from services.pipeline.site import LiveSite, build_live_snapshots, publish_next_snapshot, serve_corpus_site
from services.store.tables import articles, observations
from services.store.tables import facts as facts_table
from tests.support import read_topic, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

UNCHANGED = [
    "hai-quan-hai-phong-khoi-to-13-vu-an-hinh-su",
    "hai-quan-bac-ninh-thu-hon-44-ty-dong-tu-xu-ly-vi-pham",
]
EDITED = "1-thang-hai-quan-hai-phong-thong-quan-luong-hang-hoa-tri-gia-hon-7-ty-usd"
DELETED = "hai-quan-bac-ninh-nop-ngan-sach-hon-8-ty-dong-tu-xu-ly-vi-pham"
NEW = "hai-quan-hai-phong-kim-ngach-xuat-nhap-khau-dat-hon-8-ty-usd-trong-thang-9"
OLD_VALUE, NEW_VALUE = Decimal("7579000000"), Decimal("7975000000")
POLL_SECONDS = 1.0
# Poll interval + crawl + extraction + store batch, with a wide margin for a loaded 2-core machine.
FRESH_WITHIN_S = 60.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> LiveSite:
    return build_live_snapshots(
        tmp_path_factory.mktemp("live-feed"),
        slugs=[*UNCHANGED, EDITED, DELETED],
        new_slug=NEW,
        edit=(EDITED, "7,579 tỷ USD", "7,975 tỷ USD"),
        deleted_slug=DELETED,
        dates={DELETED: "2021-06-01 09:00"},  # the newest of snapshot 1: its deletion renumbers no post
    )


def facts_of(database_url: str, site: str) -> dict[str, list[dict[str, Any]]]:
    """Slug -> its stored facts (active and retired)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(facts_table).where(facts_table.c.article_url.startswith(site)))
            out: dict[str, list[dict[str, Any]]] = {}
            for row in rows.mappings():
                out.setdefault(row["article_url"].rstrip("/").rsplit("/", 1)[-1], []).append(dict(row))
            return out
    finally:
        engine.dispose()


def observations_follow(database_url: str, site: str) -> bool:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            stated = set(
                conn.scalars(select(facts_table.c.observation_id).where(facts_table.c.retired_at.is_(None)))
            )
            answered = set(conn.scalars(select(observations.c.observation_id)))
            citing_deleted = conn.scalar(
                select(func.count())
                .select_from(observations)
                .where(observations.c.article_urls.any(site + f"/{DELETED}/"))
            )
    finally:
        engine.dispose()
    return stated == answered and citing_deleted == 0


def active(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["retired_at"] is None]


def stats(site_url: str) -> dict[str, Any]:
    import json
    import urllib.request

    with urllib.request.urlopen(site_url + "/__stats", timeout=10) as resp:
        data: dict[str, Any] = json.load(resp)
    return data


def test_new_edited_and_deleted_posts_reach_the_facts(
    live: LiveSite, e2e_settings: Settings, tmp_path: Path
) -> None:
    state = f"live-{uuid.uuid4().hex[:8]}"
    env = {
        **settings_env(e2e_settings),
        "HQ_FEED_POLL_SECONDS": str(POLL_SECONDS),
        "HQ_FEED_POLL_MAX_SECONDS": "2",
        "HQ_STORE_BATCH_SECONDS": "0.2",
    }
    db = e2e_settings.database_url
    with ProcessGroup(tmp_path / "logs") as group:
        # Snapshot 3 is snapshot 1 again: the deleted post comes back, the edit is undone, the new post goes.
        site = serve_corpus_site(
            group, live.first, "--next-root", str(live.second), "--next-root", str(live.first)
        )

        def run(name: str, *mode: str) -> subprocess.Popen[bytes]:
            argv = hqfacts_argv(
                "run", "--seed", site + "/", "--allow-private", "--delay", "0", "--state-name", state
            )
            argv += ["--ports", "0,0,0", "--log-dir", str(tmp_path / name), *mode]
            log = (tmp_path / f"{name}.out").open("wb")
            return subprocess.Popen(argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)

        def tail(name: str) -> str:
            logs = [tmp_path / f"{name}.out", *sorted((tmp_path / name).glob("*.log"))]
            return "\n".join(
                f"--- {p.name}\n{p.read_text('utf-8', 'replace')[-2500:]}" for p in logs if p.exists()
            )

        # 1. `hqfacts run --until-idle` returns once the crawl is idle and every fact is committed.
        started = time.monotonic()
        idle = run("idle", "--until-idle")
        try:
            assert idle.wait(timeout=300) == 0, tail("idle")
        finally:
            idle.kill() if idle.poll() is None else None
        took = time.monotonic() - started
        before = facts_of(db, site)
        for slug in (*UNCHANGED, EDITED, DELETED):
            assert active(before.get(slug, [])), f"{slug}: no facts after --until-idle ({took:.0f} s)"
        assert OLD_VALUE in {r["value"] for r in active(before[EDITED])}
        assert NEW not in before

        # 2. The continuous service: polls (304 while nothing changes), then the site publishes.
        service = run("live")
        try:

            def polled_304() -> bool:
                assert service.poll() is None, tail("live")
                by_class = stats(site)["by_class_status"]
                return all(by_class.get(c, {}).get("304", 0) > 0 for c in ("feed", "home", "sitemap"))

            wait_for("the feed, home page and sitemap answered 304", polled_304, timeout=120)
            mark = stats(site)
            published_at = time.monotonic()
            assert publish_next_snapshot(site)["snapshot"] == 1

            seen: dict[str, float] = {}

            def fresh() -> bool:
                assert service.poll() is None, tail("live")
                now = facts_of(db, site)
                checks = {
                    "new": bool(active(now.get(NEW, []))),
                    "edited": {r["value"] for r in active(now.get(EDITED, []))} >= {NEW_VALUE}
                    and OLD_VALUE not in {r["value"] for r in active(now.get(EDITED, []))},
                    "deleted": not active(now.get(DELETED, [])),
                }
                for what, ok in checks.items():
                    if ok:
                        seen.setdefault(what, time.monotonic() - published_at)
                return all(checks.values())

            wait_for(
                "the new, edited and deleted posts in the facts",
                fresh,
                timeout=FRESH_WITHIN_S,
                state=lambda: {
                    slug: sorted((str(r["value"]), r["retired_at"] is None) for r in rows)
                    for slug, rows in facts_of(db, site).items()
                },
            )
            print("publish -> committed (s):", {k: round(v, 1) for k, v in sorted(seen.items())})

            after = facts_of(db, site)
            for slug in UNCHANGED:  # untouched
                assert {r["fact_id"] for r in active(after[slug])} == {
                    r["fact_id"] for r in active(before[slug])
                }
            old_edit = {r["fact_id"] for r in after[EDITED] if r["value"] == OLD_VALUE}
            assert old_edit and all(
                r["retired_at"] is not None for r in after[EDITED] if r["value"] == OLD_VALUE
            )
            deleted_ids = {r["fact_id"] for r in after[DELETED]}
            assert deleted_ids == {r["fact_id"] for r in before[DELETED]}

            # Freshness per article: first seen by the crawler <= fetched <= committed.
            engine = make_engine(db)
            try:
                with engine.connect() as conn:
                    row = (
                        conn.execute(select(articles).where(articles.c.url == site + f"/{NEW}/"))
                        .mappings()
                        .one()
                    )
            finally:
                engine.dispose()
            assert row["discovered_at"] <= row["fetched_at"] <= row["committed_at"], row
            assert (row["committed_at"] - row["fetched_at"]).total_seconds() < FRESH_WITHIN_S

            # Tombstones on the facts topic for every retired fact.
            def tombstoned() -> bool:
                log = asyncio.run(read_topic(e2e_settings.kafka_bootstrap, e2e_settings.facts_topic))
                return (old_edit | deleted_ids) <= {m.key.decode() for m in log if m.value is None}

            wait_for("tombstones on the facts topic", tombstoned, timeout=30)
            # The observations follow: the deleted post is no observation's source any more, and every key
            # that an active fact states has its observation, no other.
            wait_for(
                "observations without the deleted post", lambda: observations_follow(db, site), timeout=30
            )

            # Unchanged posts were not fetched again; polls of unchanged pages were 304s.
            now = stats(site)
            refetched = sorted(
                p
                for p, n in now["paths"].items()
                if n > mark["paths"].get(p, 0) and any(p.strip("/") == s for s in UNCHANGED)
            )
            assert not refetched, refetched
            assert now["conditional"].get("304", 0) > mark["conditional"].get("304", 0)

            # Snapshot 3 (= snapshot 1): one mechanism both ways. The deleted post's facts come back (and
            # their events go out again after the tombstones), the edit is undone, the new post is withdrawn.
            assert publish_next_snapshot(site)["snapshot"] == 2
            back = time.monotonic()

            def reverted() -> bool:
                assert service.poll() is None, tail("live")
                now = facts_of(db, site)
                return (
                    {r["fact_id"] for r in active(now.get(DELETED, []))} == deleted_ids
                    and {r["value"] for r in active(now.get(EDITED, []))}
                    == {r["value"] for r in active(before[EDITED])}
                    and not active(now.get(NEW, []))
                )

            wait_for("snapshot 1 again in the facts", reverted, timeout=FRESH_WITHIN_S)
            print(f"reverted to snapshot 1 in the facts {time.monotonic() - back:.1f} s after /__publish")

            def republished() -> bool:
                log = asyncio.run(read_topic(e2e_settings.kafka_bootstrap, e2e_settings.facts_topic))
                last = {m.key.decode(): m.value for m in log}
                return all(last.get(fid) is not None for fid in deleted_ids | old_edit)

            wait_for("the facts that came back re-published after their tombstones", republished, timeout=30)
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                code = service.wait(timeout=90)
            except subprocess.TimeoutExpired:
                service.kill()
                raise
        # 3. SIGTERM: the crawler, the extractor and the store all stopped cleanly.
        assert code == 0, tail("live")
        assert b"stopped cleanly" in (tmp_path / "live.out").read_bytes(), tail("live")

        # 4. A restart on the same state: --until-idle returns (tombstones included, everything is
        # committed) and changes nothing: the withdrawal is not repeated, the facts stay as they are.
        settled = facts_of(db, site)
        again = run("again", "--until-idle")
        try:
            assert again.wait(timeout=300) == 0, tail("again")
        finally:
            again.kill() if again.poll() is None else None
        assert facts_of(db, site) == settled
