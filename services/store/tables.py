"""The store's tables, on the shared MetaData (alembic's target). Revisions 0001-0007 create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from services.common.db import metadata

# One row per article ever seen. The extraction_* columns describe the latest extraction of the article (by
# extractor version) and drive supersede: its facts not listed in extraction_fact_ids are retired.
articles = Table(
    "articles",
    metadata,
    Column("url", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("published", DateTime(timezone=True)),
    # The highest extractor version any event of this article came with (title/published follow it).
    Column("extractor_version", Text, nullable=False),
    Column("extractor_version_key", ARRAY(Integer), nullable=False),
    Column("content_sha256", Text),
    Column("extraction_version", Text),
    Column("extraction_version_key", ARRAY(Integer)),
    Column("extraction_fact_ids", ARRAY(Text)),
    Column("extracted_at", DateTime(timezone=True)),
    Column("fact_count", Integer),
    Column("first_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Freshness (revision 0005): first seen by the crawler (in a feed, sitemap or listing; the earliest),
    # the fetch of the version the latest extraction read, and when the store committed that extraction.
    Column("discovered_at", DateTime(timezone=True)),
    Column("fetched_at", DateTime(timezone=True)),
    Column("committed_at", DateTime(timezone=True)),
    # The raw page record the latest extraction read (migration 0006): orders it against late facts.
    Column("extraction_page_topic", Text),
    Column("extraction_page_partition", Integer),
    Column("extraction_page_offset", BigInteger),
)

# One row per fact_id ever stored. Retired facts keep their row (retired_at set) so their version keeps
# guarding against stale events, and so a later extraction that yields them again brings them back.
facts = Table(
    "facts",
    metadata,
    Column("fact_id", String(32), primary_key=True),
    Column("article_url", Text, ForeignKey("articles.url", ondelete="CASCADE"), nullable=False),
    Column("subject", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("value", Numeric, nullable=False),
    Column("unit", Text, nullable=False),
    Column("bound", Text, nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("target_type", Text),
    Column("assigned_by", Text),
    Column("evidence", Text, nullable=False),
    # Provenance (revision 0004): the extraction rule that read the fact and its measured precision.
    Column("rule", Text),
    Column("confidence", Numeric(4, 3)),
    Column("extractor_version", Text, nullable=False),
    Column("extractor_version_key", ARRAY(Integer), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("source_topic", Text, nullable=False),
    Column("source_partition", Integer, nullable=False),
    Column("source_offset", BigInteger, nullable=False),
    Column("retired_at", DateTime(timezone=True)),
    Column("retired_by_version", Text),
    # The raw page record the fact was extracted from (migration 0006).
    Column("page_topic", Text),
    Column("page_partition", Integer),
    Column("page_offset", BigInteger),
    # The observation key's id (consolidation.observation_id; migration 0007): finds a key's sources.
    Column("observation_id", String(32)),
    CheckConstraint("kind IN ('actual', 'estimate', 'target')", name="kind"),
    CheckConstraint("unit IN ('VND', 'USD', 'percent', 'count')", name="unit"),
    CheckConstraint("bound IN ('exact', 'over', 'under', 'about')", name="bound"),
    CheckConstraint(
        "target_type IS NULL OR target_type IN ('du-toan', 'chi-tieu', 'phan-dau')", name="target_type"
    ),
    CheckConstraint("confidence IS NULL OR confidence BETWEEN 0 AND 1", name="confidence"),
)
# `hqfacts facts --subject/--metric/--article` and supersede read active facts only.
Index(
    "ix_facts_subject_metric_active",
    facts.c.subject,
    facts.c.metric,
    postgresql_where=text("retired_at IS NULL"),
)
Index("ix_facts_metric_active", facts.c.metric, postgresql_where=text("retired_at IS NULL"))
Index("ix_facts_article_url", facts.c.article_url)
Index("ix_facts_observation_active", facts.c.observation_id, postgresql_where=text("retired_at IS NULL"))

# Effectively-once: the next offset to read per consumed partition, written in the same transaction as the
# facts it covers. Kafka's committed offset is only a hint; on assignment the consumer seeks to this one.
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("consumer_group", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer_group", "topic", "partition"),
)

# Bookkeeping of the events the store dead-lettered: one row per source position, so a redelivered poison
# event is not dead-lettered twice, and `hqfacts dlq` can show what was re-driven.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("consumer_group", Text, nullable=False),
    Column("source_topic", Text, nullable=False),
    Column("source_partition", Integer, nullable=False),
    Column("source_offset", BigInteger, nullable=False),
    Column("dlq_topic", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("redriven_at", DateTime(timezone=True)),
    UniqueConstraint("consumer_group", "source_topic", "source_partition", "source_offset"),
)

# Outbox of facts-topic events the store owes downstream consumers, written in the batch's transaction and
# produced after it commits: a tombstone for a retired fact, or the fact's event again when a retired fact
# comes back (so the compacted topic's last word on a key matches the table). At-least-once, survives kill -9.
fact_outbox = Table(
    "fact_outbox",
    metadata,
    Column("fact_id", String(32), primary_key=True),
    Column("payload", LargeBinary),  # NULL = tombstone
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per observation key that some active fact states (services.store.consolidation): the agreed value,
# its sources and conflicts. Kept current by the store in each batch's transaction; a key no active fact
# states any more is deleted (and tombstoned on the observations topic). ``payload`` is the topic's event.
observations = Table(
    "observations",
    metadata,
    Column("observation_id", String(32), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("target_type", Text),
    Column("value", Numeric, nullable=False),
    Column("unit", Text, nullable=False),
    Column("bound", Text, nullable=False),
    Column("source_count", Integer, nullable=False),
    Column("agreeing_count", Integer, nullable=False),
    Column("conflict", Boolean, nullable=False),
    Column("fact_id", String(32), nullable=False),
    Column("evidence_url", Text, nullable=False),
    Column("first_published", DateTime(timezone=True)),
    Column("latest_published", DateTime(timezone=True)),
    Column("article_urls", ARRAY(Text), nullable=False),  # every source article (filters by article)
    Column("extractor_versions", ARRAY(Text), nullable=False),  # of the source facts (filters by version)
    Column("max_confidence", Numeric(4, 3)),  # the best source's rule precision (filters by confidence)
    Column("payload", LargeBinary, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_observations_subject_metric", observations.c.subject, observations.c.metric)
Index("ix_observations_conflict", observations.c.metric, postgresql_where=text("conflict"))

# Outbox of observations-topic events, like fact_outbox: written in the batch's transaction, produced after.
observation_outbox = Table(
    "observation_outbox",
    metadata,
    Column("observation_id", String(32), primary_key=True),
    Column("payload", LargeBinary),  # NULL = tombstone
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
