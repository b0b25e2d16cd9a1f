"""The crawl state against rows PostgreSQL refuses, on a real database (issue 9).

A link of ~3,000 random characters used to overflow the (crawl, url) btree ("index row size exceeds
2704") and the writer retried the batch for ever: every later state change was lost with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.db import make_engine
from services.common.settings import Settings
from services.crawler.adapters.state import Batch, NewUrl, StateStore, UrlUpdate
from services.crawler.adapters.state_tables import crawl_urls
from services.crawler.engine import Writer
from services.store.migrate import migrate
from services.store.testing import fresh_database

pytestmark = pytest.mark.integration


def random_url(n: int = 3_000) -> str:
    rng = random.Random(5)
    # Random bytes, percent-encoded like a canonical URL: incompressible, so the btree cannot fit them.
    return "https://hddtvn.com/" + "".join(f"%{rng.randrange(256):02x}" for _ in range(n // 3))


def new(url: str, priority: int = 3) -> NewUrl:
    return NewUrl(url, "hddtvn.com", "article", "", priority, 1)


def update(url: str, error: str | None = None) -> UrlUpdate:
    return UrlUpdate(url, "done", "article", 0, None, 200, error)


def rows(engine: Engine, state: str) -> dict[str, tuple[str, str | None]]:
    c = crawl_urls.c
    with engine.connect() as conn:
        return {
            r.url: (r.state, r.last_error)
            for r in conn.execute(sa.select(c.url, c.state, c.last_error).where(c.crawl == state))
        }


def test_a_long_random_url_is_stored_under_its_hash(engine: Engine) -> None:
    state = f"hostile-{uuid.uuid4().hex[:8]}"
    store = StateStore(engine, state)
    url = random_url()
    assert len(url) > 2_704
    store.write(Batch(new_urls=[new(url), new("https://hddtvn.com/ok/")]))
    store.write(Batch(new_urls=[new(url)]))  # rediscovered: still one row
    store.write(Batch(updates=[update(url)]))
    assert rows(engine, state) == {url: ("done", None), "https://hddtvn.com/ok/": ("queued", None)}
    assert url in store.rows([url])


def test_the_writer_isolates_rejected_rows_and_writes_the_rest(engine: Engine) -> None:
    state = f"hostile-{uuid.uuid4().hex[:8]}"
    store = StateStore(engine, state)
    store.write(Batch(new_urls=[new("https://hddtvn.com/a/")]))
    finals: list[UrlUpdate] = []
    writer = Writer(store, "t", finals.append)
    good = [f"https://hddtvn.com/p{i}/" for i in range(6)]
    # 22003: a priority that does not fit a smallint; a NUL byte PostgreSQL text cannot hold (refused by
    # the driver, a DataError without SQLSTATE).
    writer.new_urls += [new(u) for u in good[:3]] + [new("https://hddtvn.com/bad/", priority=10**6)]
    writer.new_urls += [new(u) for u in good[3:]]
    writer.updates += [update("https://hddtvn.com/a/", error="nul \x00 byte"), update(good[0])]

    async def flush() -> None:
        assert await writer.flush() == []

    asyncio.run(flush())
    assert writer.healthy and not writer.pending() and writer.rejected == 2
    stored = rows(engine, state)
    assert "https://hddtvn.com/bad/" not in stored
    assert set(good) <= set(stored) and stored[good[0]] == ("done", None)
    a_state, a_error = stored["https://hddtvn.com/a/"]
    assert a_state == "parked" and a_error is not None and "rejected by the database" in a_error


def test_migration_0003_backfills_the_url_hash() -> None:
    with fresh_database(Settings().database_url, migrate_to="0002_crawl_state") as url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text("INSERT INTO crawl_urls (crawl, url, host) VALUES ('c', :u, 'h')"),
                    [{"u": "https://hddtvn.com/tin-tức/"}, {"u": "https://hddtvn.com/b/"}],
                )
            migrate(url, "0003_crawl_url_hash")
            with engine.connect() as conn:
                got: dict[str, bytes] = {
                    r.url: bytes(r.url_hash)
                    for r in conn.execute(sa.text("SELECT url, url_hash FROM crawl_urls"))
                }
            assert got == {u: hashlib.sha256(u.encode()).digest() for u in got} and len(got) == 2
            # The new key is what the store writes and reads with.
            store = StateStore(engine, "c")
            store.write(Batch(new_urls=[new("https://hddtvn.com/b/")]))
            store.write(Batch(updates=[update("https://hddtvn.com/tin-tức/")]))
            assert rows(engine, "c")["https://hddtvn.com/tin-tức/"] == ("done", None)
            assert len(rows(engine, "c")) == 2
            migrate(url, "0002_crawl_state", downgrade=True)
        finally:
            engine.dispose()
