"""Facts and extractions remember the raw page record they came from (topic, partition, offset).

With the facts and extractions topics spread over several partitions (and several stores), a fact of an
article's earlier extraction can reach the store after the article's later extraction. The page position
orders them: one URL's pages share a raw partition, so a fact from an earlier offset than the stored
extraction of the same version, and not listed by it, is an old fact arriving late and is retired.

All nullable: rows stored before (and events without the headers) have none, and the rule skips them.

Revision ID: 0006_page_position
Revises: 0005_article_freshness
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_page_position"
down_revision: str | None = "0005_article_freshness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("facts", "page_topic", sa.Text()),
    ("facts", "page_partition", sa.Integer()),
    ("facts", "page_offset", sa.BigInteger()),
    ("articles", "extraction_page_topic", sa.Text()),
    ("articles", "extraction_page_partition", sa.Integer()),
    ("articles", "extraction_page_offset", sa.BigInteger()),
)


def upgrade() -> None:
    for table, name, type_ in _COLUMNS:
        op.add_column(table, sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for table, name, _type in reversed(_COLUMNS):
        op.drop_column(table, name)
