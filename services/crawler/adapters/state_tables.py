"""The crawler's persisted state (migrations 0002_crawl_state, 0003_crawl_url_hash), on the shared metadata.

Every row carries ``crawl``: the crawl-state name (``--state-name`` / HQ_CRAWL_STATE), so several
independent crawls (tests, a fresh re-crawl) share the tables without seeing each other.
"""

from __future__ import annotations

import sqlalchemy as sa

from services.common.db import metadata

_TS = sa.DateTime(timezone=True)

# One row per canonical URL ever queued: the frontier (state='queued') and the seen set at once.
crawl_urls = sa.Table(
    "crawl_urls",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("crawl", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    # sha256(url): unique per crawl (migration 0003). An index on the URL itself fails for URLs over ~2.7 kB.
    sa.Column("url_hash", sa.LargeBinary, nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    # queued | done | parked (kept failing; last_error says why) | skipped (robots, type, dedup)
    sa.Column("state", sa.Text, nullable=False, server_default="queued"),
    sa.Column("role", sa.Text, nullable=False, server_default="other"),
    sa.Column("pattern", sa.Text, nullable=False, server_default=""),
    sa.Column("priority", sa.SmallInteger, nullable=False, server_default="3"),
    sa.Column("depth", sa.Integer, nullable=False, server_default="0"),
    sa.Column("redirects", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    # queued: not before; done: due for a revisit (NULL = never)
    sa.Column("next_at", _TS, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("final_url", sa.Text, nullable=True),
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
    sa.Column("content_sha256", sa.Text, nullable=True),
    sa.Column("fetched_at", _TS, nullable=True),
    sa.Column("published_at", _TS, nullable=True),
    sa.Column("discovered_at", _TS, nullable=False, server_default=sa.func.now()),
    sa.Index("uq_crawl_urls_crawl_url_hash", "crawl", "url_hash", unique=True),
    sa.Index("ix_crawl_urls_frontier", "crawl", "state", "host", "priority", "id"),
    sa.Index("ix_crawl_urls_due", "crawl", "state", "next_at"),
)

# Where to start reading the raw topic after a crash: every event at or past these offsets may have been
# acknowledged by Kafka without its URL being marked done yet.
crawl_checkpoints = sa.Table(
    "crawl_checkpoints",
    metadata,
    sa.Column("crawl", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("next_offset", sa.BigInteger, nullable=False),
)

# One row per crawl state: what it was started with and its last run.
crawl_states = sa.Table(
    "crawl_states",
    metadata,
    sa.Column("crawl", sa.Text, primary_key=True),
    sa.Column("seeds", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
    sa.Column("run_started_at", _TS, nullable=True),
    sa.Column("run_finished_at", _TS, nullable=True),
    sa.Column("run_status", sa.Text, nullable=True),
)
