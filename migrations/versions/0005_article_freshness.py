"""Articles keep their freshness: when the crawler first saw the page, fetched the version the latest
extraction read, and when the store committed that extraction (issue 10).

All nullable: articles stored before have none until they are extracted again.

Revision ID: 0005_article_freshness
Revises: 0004_fact_provenance
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_article_freshness"
down_revision: str | None = "0004_fact_provenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("articles", sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("articles", sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "committed_at")
    op.drop_column("articles", "fetched_at")
    op.drop_column("articles", "discovered_at")
