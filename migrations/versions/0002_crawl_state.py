"""Crawler state: the persisted frontier/seen set, Kafka checkpoints for crash recovery, crawl states.

Revision ID: 0002_crawl_state
Revises: 0001_facts
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_crawl_state"
down_revision: str | None = "0001_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crawl_urls",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("crawl", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="queued", nullable=False),
        sa.Column("role", sa.Text(), server_default="other", nullable=False),
        sa.Column("pattern", sa.Text(), server_default="", nullable=False),
        sa.Column("priority", sa.SmallInteger(), server_default="3", nullable=False),
        sa.Column("depth", sa.Integer(), server_default="0", nullable=False),
        sa.Column("redirects", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("next_at", _TS, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.Text(), nullable=True),
        sa.Column("fetched_at", _TS, nullable=True),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("discovered_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_urls"),
        sa.UniqueConstraint("crawl", "url", name="uq_crawl_urls_crawl_url"),
    )
    op.create_index("ix_crawl_urls_frontier", "crawl_urls", ["crawl", "state", "host", "priority", "id"])
    op.create_index("ix_crawl_urls_due", "crawl_urls", ["crawl", "state", "next_at"])
    op.create_table(
        "crawl_checkpoints",
        sa.Column("crawl", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("crawl", "topic", "partition", name="pk_crawl_checkpoints"),
    )
    op.create_table(
        "crawl_states",
        sa.Column("crawl", sa.Text(), nullable=False),
        sa.Column("seeds", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("run_started_at", _TS, nullable=True),
        sa.Column("run_finished_at", _TS, nullable=True),
        sa.Column("run_status", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("crawl", name="pk_crawl_states"),
    )


def downgrade() -> None:
    op.drop_table("crawl_states")
    op.drop_table("crawl_checkpoints")
    op.drop_index("ix_crawl_urls_due", table_name="crawl_urls")
    op.drop_index("ix_crawl_urls_frontier", table_name="crawl_urls")
    op.drop_table("crawl_urls")
