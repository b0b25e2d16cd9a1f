"""Crawl state in PostgreSQL (SQLAlchemy Core, sync; the engine calls it from a worker thread).

Writes are batched: new URLs, fetch results and the Kafka checkpoint of a batch go in one transaction,
so a page's discovered links are durable no later than the page itself.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from services.common.db import is_rejected_data, sqlstate_of
from services.crawler.adapters.state_tables import crawl_checkpoints, crawl_states, crawl_urls
from services.crawler.domain.freshness import POLL_PRIORITY


def url_hash(url: str) -> bytes:
    """The unique key of a URL in its crawl state (migration 0003; same as SQL sha256(convert_to(url))."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).digest()


def data_error_reason(exc: BaseException) -> str | None:
    """Why PostgreSQL (or the driver) refused the data itself, or None for any other failure.

    SQLSTATE classes 22, 23 and 54 are rejected data: the same rows can never be written, so they are
    isolated and parked instead of retried (a retry loop froze the whole crawl state).
    """
    if not isinstance(exc, sa.exc.DBAPIError) or exc.connection_invalidated:
        return None
    orig = exc.orig
    sqlstate = sqlstate_of(exc)
    # psycopg refuses some values before sending them (a NUL in text): a DataError without SQLSTATE.
    if is_rejected_data(sqlstate) or (sqlstate is None and isinstance(exc, sa.exc.DataError)):
        message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return f"rejected by the database ({sqlstate or 'data'}): {message}"[:300]
    return None


@dataclass(slots=True)
class UrlRow:
    """A frontier entry with what a conditional GET needs."""

    url: str
    host: str
    role: str
    pattern: str = ""
    priority: int = 3
    depth: int = 0
    redirects: int = 0
    attempts: int = 0
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None
    seq: int = 0  # ordering inside one priority: the DB id, or a local counter for new URLs
    discovered_at: datetime | None = None  # first seen (freshness: published pages carry it downstream)


def _url_row_columns() -> list[sa.ColumnElement[Any]]:
    c = crawl_urls.c
    return [
        c.id,
        c.url,
        c.host,
        c.role,
        c.pattern,
        c.priority,
        c.depth,
        c.redirects,
        c.attempts,
        c.etag,
        c.last_modified,
        c.content_sha256,
        c.discovered_at,
    ]


def _url_row(r: Any) -> UrlRow:
    """A frontier entry from a row selected with ``_url_row_columns()``."""
    return UrlRow(
        url=r.url,
        host=r.host,
        role=r.role,
        pattern=r.pattern,
        priority=r.priority,
        depth=r.depth,
        redirects=r.redirects,
        attempts=r.attempts,
        etag=r.etag,
        last_modified=r.last_modified,
        content_sha256=r.content_sha256,
        seq=r.id,
        discovered_at=r.discovered_at,
    )


@dataclass(slots=True)
class NewUrl:
    url: str
    host: str
    role: str
    pattern: str
    priority: int
    depth: int
    redirects: int = 0


@dataclass(slots=True)
class UrlUpdate:
    """The outcome of one fetch (or of crash recovery) for one URL."""

    url: str
    state: str
    role: str
    attempts: int
    next_at: datetime | None
    last_status: int | None
    last_error: str | None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None
    fetched_at: datetime | None = None
    published_at: datetime | None = None


@dataclass(slots=True)
class Batch:
    new_urls: list[NewUrl] = field(default_factory=list)
    updates: list[UrlUpdate] = field(default_factory=list)
    checkpoints: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition) -> offset

    def __bool__(self) -> bool:
        return bool(self.new_urls or self.updates or self.checkpoints)


_UPDATE = (
    sa.update(crawl_urls)
    .where(
        crawl_urls.c.crawl == sa.bindparam("b_crawl"),
        crawl_urls.c.url_hash == sa.bindparam("b_url_hash"),
        crawl_urls.c.url == sa.bindparam("b_url"),
    )
    .values(
        state=sa.bindparam("b_state"),
        role=sa.bindparam("b_role"),
        attempts=sa.bindparam("b_attempts"),
        next_at=sa.bindparam("b_next_at"),
        last_status=sa.bindparam("b_last_status"),
        last_error=sa.bindparam("b_last_error"),
        final_url=sa.func.coalesce(sa.bindparam("b_final_url"), crawl_urls.c.final_url),
        etag=sa.func.coalesce(sa.bindparam("b_etag"), crawl_urls.c.etag),
        last_modified=sa.func.coalesce(sa.bindparam("b_last_modified"), crawl_urls.c.last_modified),
        content_sha256=sa.func.coalesce(sa.bindparam("b_content_sha256"), crawl_urls.c.content_sha256),
        fetched_at=sa.func.coalesce(sa.bindparam("b_fetched_at"), crawl_urls.c.fetched_at),
        published_at=sa.func.coalesce(sa.bindparam("b_published_at"), crawl_urls.c.published_at),
    )
)


class StateStore:
    def __init__(self, engine: Engine, crawl: str) -> None:
        self.engine = engine
        self.crawl = crawl
        self._lock_conn: Connection | None = None

    # -- lifecycle
    def check_schema(self) -> None:
        """Fail early with a useful message when the migration has not run."""
        with self.engine.connect() as conn:
            missing = [
                t.name
                for t in (crawl_urls, crawl_checkpoints, crawl_states)
                if not sa.inspect(conn).has_table(t.name)
            ]
        if missing:
            raise RuntimeError(f"crawler tables missing ({', '.join(missing)}): run `hqfacts migrate` first")

    def acquire(self) -> bool:
        """One crawler per state: a session advisory lock, released by PostgreSQL if we are killed."""
        conn = self.engine.connect()
        key = zlib.crc32(("hqfacts-crawl:" + self.crawl).encode()) - 2**31
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return False
        self._lock_conn = conn
        return True

    def release(self) -> None:
        if self._lock_conn is not None:
            self._lock_conn.close()  # closing the session drops the lock
            self._lock_conn = None

    def start_run(self, seeds: Sequence[str], now: datetime) -> None:
        with self.engine.begin() as conn:
            stmt = pg_insert(crawl_states).values(crawl=self.crawl, seeds=" ".join(seeds), run_started_at=now)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["crawl"],
                    set_={"run_started_at": now, "run_finished_at": None, "run_status": "running"},
                )
            )

    def finish_run(self, now: datetime, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(crawl_states)
                .where(crawl_states.c.crawl == self.crawl)
                .values(run_finished_at=now, run_status=status)
            )

    def reset(self) -> int:
        """Forget everything about this crawl state (a fresh crawl)."""
        with self.engine.begin() as conn:
            n = conn.execute(sa.delete(crawl_urls).where(crawl_urls.c.crawl == self.crawl)).rowcount
            conn.execute(sa.delete(crawl_checkpoints).where(crawl_checkpoints.c.crawl == self.crawl))
            conn.execute(sa.delete(crawl_states).where(crawl_states.c.crawl == self.crawl))
        return int(n or 0)

    # -- reading
    def known_urls(self) -> Iterator[str]:
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=10_000).execute(
                sa.select(crawl_urls.c.url).where(crawl_urls.c.crawl == self.crawl)
            )
            for (url,) in result:
                yield url

    def pattern_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(crawl_urls.c.pattern, sa.func.count())
                .where(crawl_urls.c.crawl == self.crawl, crawl_urls.c.pattern != "")
                .group_by(crawl_urls.c.pattern)
            )
            return {p: int(n) for p, n in rows}

    def requeue_due(
        self, now: datetime, *, everything: bool = False, skip_priority: int | None = None
    ) -> int:
        """Done pages whose revisit time has come go back to the frontier (keeping etag/hash)."""
        cond = [crawl_urls.c.crawl == self.crawl, crawl_urls.c.state == "done", crawl_urls.c.role != "robots"]
        if not everything:
            cond += [crawl_urls.c.next_at.is_not(None), crawl_urls.c.next_at <= now]
        if skip_priority is not None:
            cond.append(crawl_urls.c.priority != skip_priority)
        with self.engine.begin() as conn:
            n = conn.execute(
                sa.update(crawl_urls).where(*cond).values(state="queued", next_at=None, attempts=0)
            ).rowcount
        return int(n or 0)

    def take_due_polls(self, now: datetime, poll_priority: int) -> list[UrlRow]:
        """Poll targets whose poll is due, moved back to the frontier (returned to be queued first)."""
        c = crawl_urls.c
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.update(crawl_urls)
                .where(
                    c.crawl == self.crawl,
                    c.state == "done",
                    c.next_at.is_not(None),
                    c.next_at <= now,
                    c.priority == poll_priority,
                )
                .values(state="queued", next_at=None, attempts=0)
                .returning(*_url_row_columns())
            ).all()
        return [_url_row(r) for r in rows]

    def clamp_polls(self, latest: datetime, poll_priority: int) -> int:
        """Poll targets due later than ``latest`` (an earlier run's longer interval, a crash recovery that
        scheduled one like any feed) are due at ``latest``."""
        c = crawl_urls.c
        with self.engine.begin() as conn:
            n = conn.execute(
                sa.update(crawl_urls)
                .where(
                    c.crawl == self.crawl,
                    c.state == "done",
                    c.priority == poll_priority,
                    c.next_at > latest,
                )
                .values(next_at=latest)
            ).rowcount
        return int(n or 0)

    def requeue_urls(self, urls: Sequence[str], priority: int) -> list[UrlRow]:
        """Done pages to look at again now (a poll saw them change or vanish), first in the frontier."""
        c = crawl_urls.c
        if not urls:
            return []
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.update(crawl_urls)
                .where(c.crawl == self.crawl, c.state == "done", c.url_hash.in_([url_hash(u) for u in urls]))
                .values(state="queued", next_at=None, attempts=0, priority=priority)
                .returning(*_url_row_columns())
            ).all()
        return [_url_row(r) for r in rows]

    def set_priority(self, urls: Sequence[str], priority: int) -> None:
        """Mark URLs as poll targets (or no longer): the mark is their frontier priority, so it persists."""
        if not urls:
            return
        c = crawl_urls.c
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(crawl_urls)
                .where(
                    c.crawl == self.crawl,
                    c.url_hash.in_([url_hash(u) for u in urls]),
                    c.priority != priority,
                )
                .values(priority=priority)
            )

    def host_counts(self) -> dict[str, int]:
        """URLs per host (netloc) in this crawl state: the per-host budget counts from here on a resume."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(crawl_urls.c.host, sa.func.count())
                .where(crawl_urls.c.crawl == self.crawl)
                .group_by(crawl_urls.c.host)
            )
            return {h: int(n) for h, n in rows}

    def queued_hosts(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(crawl_urls.c.host)
                .where(crawl_urls.c.crawl == self.crawl, crawl_urls.c.state == "queued")
                .distinct()
            )
            return [h for (h,) in rows]

    def load_queued(self, host: str, limit: int, now: datetime) -> tuple[list[UrlRow], datetime | None]:
        """The next due queued URLs of a host, best first; plus when the earliest not-yet-due one is due."""
        c = crawl_urls.c
        base = [c.crawl == self.crawl, c.state == "queued", c.host == host]
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*_url_row_columns())
                .where(*base, sa.or_(c.next_at.is_(None), c.next_at <= now))
                .order_by(c.priority, c.id)
                .limit(limit)
            ).all()
            later = conn.execute(sa.select(sa.func.min(c.next_at)).where(*base, c.next_at > now)).scalar()
        items = [_url_row(r) for r in rows]
        return items, later

    def rows(self, urls: Sequence[str]) -> dict[str, UrlRow]:
        c = crawl_urls.c
        out: dict[str, UrlRow] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(urls), 1000):
                for r in conn.execute(
                    sa.select(*_url_row_columns(), c.state).where(
                        c.crawl == self.crawl, c.url_hash.in_([url_hash(u) for u in urls[i : i + 1000]])
                    )
                ):
                    out[r.url] = _url_row(r)
        return out

    def checkpoints(self, topic: str) -> dict[int, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(crawl_checkpoints.c.partition, crawl_checkpoints.c.next_offset).where(
                    crawl_checkpoints.c.crawl == self.crawl, crawl_checkpoints.c.topic == topic
                )
            )
            return {int(p): int(o) for p, o in rows}

    def status(self, poll_priority: int = POLL_PRIORITY) -> dict[str, Any]:
        c = crawl_urls.c
        with self.engine.connect() as conn:
            by_state = {
                f"{s}": int(n)
                for s, n in conn.execute(
                    sa.select(c.state, sa.func.count()).where(c.crawl == self.crawl).group_by(c.state)
                )
            }
            by_role = {
                f"{s}/{r}": int(n)
                for s, r, n in conn.execute(
                    sa.select(c.state, c.role, sa.func.count())
                    .where(c.crawl == self.crawl)
                    .group_by(c.state, c.role)
                    .order_by(c.state, c.role)
                )
            }
            parked = [
                {"url": r.url, "attempts": r.attempts, "status": r.last_status, "error": r.last_error}
                for r in conn.execute(
                    sa.select(c.url, c.attempts, c.last_status, c.last_error)
                    .where(c.crawl == self.crawl, c.state == "parked")
                    .order_by(c.id)
                    .limit(50)
                )
            ]
            polls = [
                {
                    "url": r.url,
                    "state": r.state,
                    "last_status": r.last_status,
                    "last_poll": r.fetched_at.isoformat() if r.fetched_at else None,
                    "next_poll": r.next_at.isoformat() if r.next_at else None,
                }
                for r in conn.execute(
                    sa.select(c.url, c.state, c.last_status, c.fetched_at, c.next_at)
                    .where(c.crawl == self.crawl, c.priority == poll_priority)
                    .order_by(c.id)
                    .limit(50)
                )
            ]
            published = conn.execute(
                sa.select(sa.func.count()).where(c.crawl == self.crawl, c.published_at.is_not(None))
            ).scalar()
            run = (
                conn.execute(sa.select(crawl_states).where(crawl_states.c.crawl == self.crawl))
                .mappings()
                .first()
            )
        return {
            "crawl": self.crawl,
            "urls": sum(by_state.values()),
            "by_state": by_state,
            "by_state_role": by_role,
            "published": int(published or 0),
            "parked": parked,
            "polls": polls,
            "run": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in (run or {}).items()},
        }

    # -- writing
    def write(self, batch: Batch) -> None:
        if not batch:
            return
        with self.engine.begin() as conn:
            if batch.new_urls:
                conn.execute(
                    pg_insert(crawl_urls).on_conflict_do_nothing(index_elements=["crawl", "url_hash"]),
                    [
                        {
                            "crawl": self.crawl,
                            "url": n.url,
                            "url_hash": url_hash(n.url),
                            "host": n.host,
                            "role": n.role,
                            "pattern": n.pattern,
                            "priority": n.priority,
                            "depth": n.depth,
                            "redirects": n.redirects,
                            "state": "queued",
                        }
                        for n in batch.new_urls
                    ],
                )
            if batch.updates:
                conn.execute(
                    _UPDATE,
                    [
                        {
                            "b_crawl": self.crawl,
                            "b_url": u.url,
                            "b_url_hash": url_hash(u.url),
                            "b_state": u.state,
                            "b_role": u.role,
                            "b_attempts": u.attempts,
                            "b_next_at": u.next_at,
                            "b_last_status": u.last_status,
                            "b_last_error": u.last_error,
                            "b_final_url": u.final_url,
                            "b_etag": u.etag,
                            "b_last_modified": u.last_modified,
                            "b_content_sha256": u.content_sha256,
                            "b_fetched_at": u.fetched_at,
                            "b_published_at": u.published_at,
                        }
                        for u in batch.updates
                    ],
                )
            if batch.checkpoints:
                stmt = pg_insert(crawl_checkpoints)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["crawl", "topic", "partition"],
                        set_={
                            "next_offset": sa.func.greatest(
                                crawl_checkpoints.c.next_offset, stmt.excluded.next_offset
                            )
                        },
                    ),
                    [
                        {"crawl": self.crawl, "topic": t, "partition": p, "next_offset": o}
                        for (t, p), o in batch.checkpoints.items()
                    ],
                )

    def init_checkpoints(self, topic: str, offsets: dict[int, int]) -> None:
        """Record the topic's end before the first publish, unless a checkpoint already exists."""
        if not offsets:
            return
        with self.engine.begin() as conn:
            conn.execute(
                pg_insert(crawl_checkpoints).on_conflict_do_nothing(),
                [
                    {"crawl": self.crawl, "topic": topic, "partition": p, "next_offset": o}
                    for p, o in offsets.items()
                ],
            )
