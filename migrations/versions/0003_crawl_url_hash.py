"""Crawler state: unique on (crawl, sha256(url)) instead of (crawl, url).

A btree entry must fit in a third of a page (2,704 bytes): one long link made the whole state batch fail on
"index row size exceeds maximum" and the writer retried it for ever. The hash has a fixed size whatever the
URL; existing rows are backfilled.

Revision ID: 0003_crawl_url_hash
Revises: 0002_crawl_state
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_crawl_url_hash"
down_revision: str | None = "0002_crawl_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crawl_urls", sa.Column("url_hash", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE crawl_urls SET url_hash = sha256(convert_to(url, 'UTF8'))")
    op.alter_column("crawl_urls", "url_hash", nullable=False)
    op.create_index("uq_crawl_urls_crawl_url_hash", "crawl_urls", ["crawl", "url_hash"], unique=True)
    op.drop_constraint("uq_crawl_urls_crawl_url", "crawl_urls", type_="unique")


def downgrade() -> None:
    # Fails if a URL too long for a btree entry was stored meanwhile: such rows must be deleted first.
    op.create_unique_constraint("uq_crawl_urls_crawl_url", "crawl_urls", ["crawl", "url"])
    op.drop_index("uq_crawl_urls_crawl_url_hash", table_name="crawl_urls")
    op.drop_column("crawl_urls", "url_hash")
