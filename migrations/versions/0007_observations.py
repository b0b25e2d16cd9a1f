"""Observations: one consolidated answer per (subject, metric, kind, period, target_type) across articles.

Adds facts.observation_id (the key's md5, as services.store.consolidation.observation_id computes it;
backfilled here with the same expression in SQL), the observations table and its outbox. The observation
rows of facts stored before are built by the store when it starts (refresh_missing_observations), with the
consolidation rules of the code that runs, so this revision holds no copy of them.

Revision ID: 0007_observations
Revises: 0006_page_position
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_observations"
down_revision: str | None = "0006_page_position"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
# Must equal consolidation.observation_id: md5 of subject|metric|kind|start|end|target_type, '' for null.
_OBSERVATION_ID_SQL = """
    md5(subject || '|' || metric || '|' || kind || '|'
        || coalesce(to_char(period_start, 'YYYY-MM-DD'), '') || '|'
        || coalesce(to_char(period_end, 'YYYY-MM-DD'), '') || '|'
        || coalesce(target_type, ''))
"""


def upgrade() -> None:
    op.add_column("facts", sa.Column("observation_id", sa.String(length=32), nullable=True))
    op.execute(f"UPDATE facts SET observation_id = {_OBSERVATION_ID_SQL}")
    op.create_index(
        "ix_facts_observation_active",
        "facts",
        ["observation_id"],
        postgresql_where=sa.text("retired_at IS NULL"),
    )
    op.create_table(
        "observations",
        sa.Column("observation_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("target_type", sa.Text(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("bound", sa.Text(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("agreeing_count", sa.Integer(), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("fact_id", sa.String(length=32), nullable=False),
        sa.Column("evidence_url", sa.Text(), nullable=False),
        sa.Column("first_published", _TS, nullable=True),
        sa.Column("latest_published", _TS, nullable=True),
        sa.Column("article_urls", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("extractor_versions", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("max_confidence", sa.Numeric(4, 3), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("observation_id", name=op.f("pk_observations")),
    )
    op.create_index("ix_observations_subject_metric", "observations", ["subject", "metric"])
    op.create_index(
        "ix_observations_conflict", "observations", ["metric"], postgresql_where=sa.text("conflict")
    )
    op.create_table(
        "observation_outbox",
        sa.Column("observation_id", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("observation_id", name=op.f("pk_observation_outbox")),
    )


def downgrade() -> None:
    op.drop_table("observation_outbox")
    op.drop_index("ix_observations_conflict", table_name="observations")
    op.drop_index("ix_observations_subject_metric", table_name="observations")
    op.drop_table("observations")
    op.drop_index("ix_facts_observation_active", table_name="facts")
    op.drop_column("facts", "observation_id")
