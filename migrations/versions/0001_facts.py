"""Facts store: articles, facts, consumer offsets, dead letters, fact outbox.

Revision ID: 0001_facts
Revises:
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_facts"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_VERSION_KEY = postgresql.ARRAY(sa.Integer())


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published", _TS, nullable=True),
        sa.Column("extractor_version", sa.Text(), nullable=False),
        sa.Column("extractor_version_key", _VERSION_KEY, nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=True),
        sa.Column("extraction_version", sa.Text(), nullable=True),
        sa.Column("extraction_version_key", _VERSION_KEY, nullable=True),
        sa.Column("extraction_fact_ids", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("extracted_at", _TS, nullable=True),
        sa.Column("fact_count", sa.Integer(), nullable=True),
        sa.Column("first_seen", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_articles")),
    )
    op.create_table(
        "facts",
        sa.Column("fact_id", sa.String(length=32), nullable=False),
        sa.Column("article_url", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("bound", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("target_type", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("extractor_version", sa.Text(), nullable=False),
        sa.Column("extractor_version_key", _VERSION_KEY, nullable=False),
        sa.Column("first_seen", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("source_topic", sa.Text(), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", _TS, nullable=True),
        sa.Column("retired_by_version", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('actual', 'estimate', 'target')", name=op.f("ck_facts_kind")),
        sa.CheckConstraint("unit IN ('VND', 'USD', 'percent', 'count')", name=op.f("ck_facts_unit")),
        sa.CheckConstraint("bound IN ('exact', 'over', 'under', 'about')", name=op.f("ck_facts_bound")),
        sa.CheckConstraint(
            "target_type IS NULL OR target_type IN ('du-toan', 'chi-tieu', 'phan-dau')",
            name=op.f("ck_facts_target_type"),
        ),
        sa.ForeignKeyConstraint(
            ["article_url"], ["articles.url"], name=op.f("fk_facts_article_url_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("fact_id", name=op.f("pk_facts")),
    )
    op.create_index("ix_facts_article_url", "facts", ["article_url"])
    op.create_index(
        "ix_facts_subject_metric_active",
        "facts",
        ["subject", "metric"],
        postgresql_where=sa.text("retired_at IS NULL"),
    )
    op.create_index(
        "ix_facts_metric_active", "facts", ["metric"], postgresql_where=sa.text("retired_at IS NULL")
    )
    op.create_table(
        "consumer_offsets",
        sa.Column("consumer_group", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_group", "topic", "partition", name=op.f("pk_consumer_offsets")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("consumer_group", sa.Text(), nullable=False),
        sa.Column("source_topic", sa.Text(), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("dlq_topic", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("redriven_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint(
            "consumer_group",
            "source_topic",
            "source_partition",
            "source_offset",
            name=op.f("uq_dead_letters_consumer_group"),
        ),
    )
    op.create_table(
        "fact_outbox",
        sa.Column("fact_id", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("fact_id", name=op.f("pk_fact_outbox")),
    )


def downgrade() -> None:
    op.drop_table("fact_outbox")
    op.drop_table("dead_letters")
    op.drop_table("consumer_offsets")
    op.drop_index("ix_facts_metric_active", table_name="facts")
    op.drop_index("ix_facts_subject_metric_active", table_name="facts")
    op.drop_index("ix_facts_article_url", table_name="facts")
    op.drop_table("facts")
    op.drop_table("articles")
