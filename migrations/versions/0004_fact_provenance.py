"""Facts keep their provenance: the extraction rule that read them and that rule's measured confidence.

Both nullable: facts stored before extractor 0.4.0 have neither until a replay brings them.

Revision ID: 0004_fact_provenance
Revises: 0003_crawl_url_hash
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_fact_provenance"
down_revision: str | None = "0003_crawl_url_hash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("facts", sa.Column("rule", sa.Text(), nullable=True))
    op.add_column("facts", sa.Column("confidence", sa.Numeric(4, 3), nullable=True))
    op.create_check_constraint(
        op.f("ck_facts_confidence"), "facts", "confidence IS NULL OR confidence BETWEEN 0 AND 1"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_facts_confidence"), "facts", type_="check")
    op.drop_column("facts", "confidence")
    op.drop_column("facts", "rule")
