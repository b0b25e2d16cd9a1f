"""SQLAlchemy adapter of the store: one batch = one PostgreSQL transaction.

The service layer (service.py) decides what a batch means; this module only says it in SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, bindparam, delete, func, not_, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

from services.common.db import is_rejected_data, sqlstate_of
from services.store.consolidation import observation_id
from services.store.domain import (
    BatchOutcome,
    ClassifiedBatch,
    ExtractionApply,
    FactUpsert,
    OutboxChannel,
    OutboxEvent,
    Position,
)
from services.store.errors import RejectedByDatabase, TransientStoreError
from services.store.observations import missing_observation_ids, queue_outbox, refresh_observations
from services.store.tables import (
    articles,
    consumer_offsets,
    dead_letters,
    fact_outbox,
    facts,
    observation_outbox,
)

log = logging.getLogger(__name__)


def translate_db_error(exc: Exception) -> Exception:
    """Sort a DB exception into 'retry later' or 'this data is refused'."""
    state = sqlstate_of(exc)
    if is_rejected_data(state):
        return RejectedByDatabase(f"[{state}] {str(exc).splitlines()[0]}")
    if isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return TransientStoreError(str(exc).splitlines()[0])
    if isinstance(exc, DataError | IntegrityError):
        return RejectedByDatabase(str(exc).splitlines()[0])
    return exc


# The hot path stages each batch with COPY into session-local temp tables, then upserts with one
# INSERT ... SELECT: a per-row VALUES statement costs far more in statement building than in PostgreSQL.
FACT_COLUMNS = (
    "fact_id",
    "article_url",
    "subject",
    "metric",
    "kind",
    "value",
    "unit",
    "bound",
    "period_start",
    "period_end",
    "target_type",
    "assigned_by",
    "evidence",
    "rule",
    "confidence",
    "extractor_version",
    "extractor_version_key",
    "source_topic",
    "source_partition",
    "source_offset",
    "page_topic",
    "page_partition",
    "page_offset",
    "observation_id",
)
_ARTICLE_COLUMNS = ("url", "title", "published", "extractor_version", "extractor_version_key")
_CREATE_STAGES = (
    "CREATE TEMP TABLE IF NOT EXISTS facts_stage (LIKE facts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS articles_stage (LIKE articles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
)
# An empty title comes from a withdrawal (the extractor's event for a 404/410 article): the article keeps the
# title and date it had.
_KEPT_ON_WITHDRAWAL = ("url", "title", "published")
_UPSERT_ARTICLES = text(
    f"""
    INSERT INTO articles AS a ({", ".join(_ARTICLE_COLUMNS)})
    SELECT {", ".join(_ARTICLE_COLUMNS)} FROM articles_stage ORDER BY url
    ON CONFLICT (url) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _ARTICLE_COLUMNS if c not in _KEPT_ON_WITHDRAWAL)},
        title = COALESCE(NULLIF(EXCLUDED.title, ''), a.title),
        published = CASE WHEN EXCLUDED.title = '' THEN a.published ELSE EXCLUDED.published END,
        last_seen = now()
    WHERE a.extractor_version_key < EXCLUDED.extractor_version_key
       OR (a.extractor_version_key = EXCLUDED.extractor_version_key
           AND (a.title, a.published, a.extractor_version)
               IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.published, EXCLUDED.extractor_version))
    """
)
# A fact of an article's earlier page that arrives after the stored extraction of a later page (the facts and
# extractions topics are partitioned differently, so nothing else orders them) and is not listed by it: old,
# retired at once. One URL's pages share a raw partition, so their offsets order them; events without page
# headers are never judged this way.
_RETIRE_LATE_FACTS = text(
    """
    UPDATE facts AS f SET retired_at = now(), retired_by_version = a.extraction_version
    FROM facts_stage AS s, articles AS a
    WHERE s.fact_id = f.fact_id AND a.url = f.article_url
      AND f.retired_at IS NULL
      AND s.extractor_version_key = f.extractor_version_key
      AND a.extraction_version_key = f.extractor_version_key
      AND a.extraction_page_topic = s.page_topic AND a.extraction_page_partition = s.page_partition
      AND s.page_offset < a.extraction_page_offset
      AND NOT (f.fact_id = ANY(a.extraction_fact_ids))
    RETURNING f.fact_id, f.observation_id
    """
)
_PREVIOUSLY_RETIRED = text(
    "SELECT f.fact_id FROM facts f JOIN facts_stage s USING (fact_id) WHERE f.retired_at IS NOT NULL"
)
# Versioned upsert: INTEGER[] version keys compare element-wise, like semantic version tuples, so an event
# from an older extractor never overwrites a newer one. An equal version writes only when something changed
# (the evidence; or the fact comes back from retirement): a replay of the same extraction writes nothing.
# The identity fields never change for a fact_id (it is a hash of them).
_UPSERT_FACTS = text(
    f"""
    INSERT INTO facts AS f ({", ".join(FACT_COLUMNS)})
    SELECT {", ".join(FACT_COLUMNS)} FROM facts_stage ORDER BY fact_id
    ON CONFLICT (fact_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in FACT_COLUMNS if c != "fact_id")},
        last_seen = now(), retired_at = NULL, retired_by_version = NULL
    WHERE f.extractor_version_key < EXCLUDED.extractor_version_key
       OR (f.extractor_version_key = EXCLUDED.extractor_version_key
           AND (f.retired_at IS NOT NULL
                OR (f.evidence, f.extractor_version, f.article_url)
                   IS DISTINCT FROM (EXCLUDED.evidence, EXCLUDED.extractor_version, EXCLUDED.article_url)))
    RETURNING f.fact_id, (f.xmax = 0) AS inserted
    """
)


def _copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_copy_value(row[c]) for c in columns])


def _copy_value(value: Any) -> Any:
    # Version keys as array literals: cheaper than psycopg's generic list dumper, same result.
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    return value


def fact_row(upsert: FactUpsert) -> dict[str, Any]:
    event, fact = upsert.event, upsert.event.fact
    return {
        "fact_id": event.fact_id,
        "article_url": event.article_url,
        "subject": fact.subject,
        "metric": fact.metric,
        "kind": fact.kind,
        "value": fact.value,
        "unit": fact.unit,
        "bound": fact.bound,
        "period_start": fact.period_start,
        "period_end": fact.period_end,
        "target_type": fact.target_type,
        "assigned_by": fact.assigned_by,
        "evidence": fact.evidence,
        "rule": fact.rule,
        "confidence": fact.confidence,
        "extractor_version": event.extractor_version,
        "extractor_version_key": list(upsert.version),
        "source_topic": upsert.source.topic,
        "source_partition": upsert.source.partition,
        "source_offset": upsert.source.offset,
        "page_topic": upsert.page.topic if upsert.page else None,
        "page_partition": upsert.page.partition if upsert.page else None,
        "page_offset": upsert.page.offset if upsert.page else None,
        "observation_id": observation_id(
            fact.subject, fact.metric, fact.kind, fact.period_start, fact.period_end, fact.target_type
        ),
    }


def _article_rows(batch: ClassifiedBatch) -> list[dict[str, Any]]:
    """One row per article of the batch, from its highest-version event."""
    best: dict[str, tuple[tuple[int, ...], str, datetime | None, str]] = {}
    events: list[tuple[tuple[int, ...], str, str, datetime | None, str]] = [
        (
            f.version,
            f.event.article_url,
            f.event.article_title,
            f.event.article_published,
            f.event.extractor_version,
        )
        for f in batch.facts
    ] + [
        (
            e.version,
            e.event.article_url,
            e.event.article_title,
            e.event.article_published,
            e.event.extractor_version,
        )
        for e in batch.extractions
    ]
    for version, url, title, published, version_text in events:
        current = best.get(url)
        if current is not None and not title and current[0] == version:
            continue  # a withdrawal keeps the title of the batch's other events of the article
        if current is None or current[0] <= version:
            best[url] = (version, title, published, version_text)
    return [
        {
            "url": url,
            "title": title,
            "published": published,
            "extractor_version": version_text,
            "extractor_version_key": list(version),
        }
        for url, (version, title, published, version_text) in sorted(best.items())
    ]


class SqlStoreRepository:
    """The store's tables behind the operations the service needs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- the batch transaction ---------------------------------------------------------------------

    def apply_batch(
        self, batch: ClassifiedBatch, consumer_group: str, dlq_topic_of: Callable[[str], str]
    ) -> BatchOutcome:
        try:
            with self.engine.begin() as conn:
                # Taken before anything can fail: once the database is gone, conn.connection raises.
                pooled = conn.connection
                try:
                    return self._apply(conn, batch, consumer_group, dlq_topic_of)
                except BaseException:
                    # The rollback also drops stage tables created in this transaction: create them anew.
                    pooled.info.pop("hq_stages", None)
                    raise
        except Exception as exc:
            raise translate_db_error(exc) from exc

    def _apply(
        self, conn: Connection, batch: ClassifiedBatch, group: str, dlq_topic_of: Callable[[str], str]
    ) -> BatchOutcome:
        # Rows go in sorted by key (articles, then facts) so concurrent replicas lock in one order.
        pooled = conn.connection
        if not pooled.info.get("hq_stages"):  # temp tables live as long as the pooled connection
            for statement in _CREATE_STAGES:
                conn.exec_driver_sql(statement)
            pooled.info["hq_stages"] = True
        article_rows = _article_rows(batch)
        if article_rows:
            _copy_rows(conn, "articles_stage", _ARTICLE_COLUMNS, article_rows)
            conn.execute(_UPSERT_ARTICLES)
        extractions_applied = self._apply_extractions(conn, batch.extractions)

        fact_rows = [fact_row(f) for f in batch.facts]
        previously_retired: set[str] = set()
        inserted = updated = 0
        if fact_rows:
            _copy_rows(conn, "facts_stage", FACT_COLUMNS, fact_rows)
            previously_retired = set(conn.scalars(_PREVIOUSLY_RETIRED))
            for _fact_id, was_inserted in conn.execute(_UPSERT_FACTS):
                if was_inserted:
                    inserted += 1
                else:
                    updated += 1

        # Supersede by article: the table holds the latest extraction of every touched article.
        touched = sorted({r["url"] for r in article_rows})
        # A fact of an edited article arrives before the extraction that lists it (the extractor sends the
        # facts first): the stored extraction of the same version is the previous one and must not retire
        # it. Only an extraction in this batch, or a newer version than the fact's, retires (or, for a fact
        # from an earlier page than the stored extraction's, _RETIRE_LATE_FACTS).
        extracted = sorted({e.event.article_url for e in batch.extractions})
        # (fact_id, observation_id) of every fact retired here: the keys whose answers must be refreshed.
        retired_rows: list[tuple[str, str | None]] = []
        if touched:
            retire = (
                update(facts)
                .where(
                    facts.c.article_url == articles.c.url,
                    articles.c.url.in_(touched),
                    articles.c.extraction_version_key.is_not(None),
                    facts.c.retired_at.is_(None),
                    facts.c.extractor_version_key <= articles.c.extraction_version_key,
                    or_(
                        articles.c.url.in_(extracted),
                        facts.c.extractor_version_key < articles.c.extraction_version_key,
                    ),
                    # not_(...any()), never ~(x == func.any()): SQLAlchemy negates that to x != ANY.
                    not_(articles.c.extraction_fact_ids.any(facts.c.fact_id)),
                )
                .values(retired_at=func.now(), retired_by_version=articles.c.extraction_version)
                .returning(facts.c.fact_id, facts.c.observation_id)
            )
            retired_rows += [(row[0], row[1]) for row in conn.execute(retire)]
        if fact_rows:
            retired_rows += [(row[0], row[1]) for row in conn.execute(_RETIRE_LATE_FACTS)]
        retired = sorted({fact_id for fact_id, _ in retired_rows})
        retired_set = set(retired)
        # A fact retired earlier that this batch brought back: its event goes out again after the tombstone.
        reactivated = sorted(
            (previously_retired - retired_set)
            & set(
                conn.scalars(
                    select(facts.c.fact_id).where(
                        facts.c.fact_id.in_(list(previously_retired)), facts.c.retired_at.is_(None)
                    )
                )
                if previously_retired
                else []
            )
        )
        payload_of = {f.event.fact_id: f.source.value for f in batch.facts}
        outbox_rows = [{"fact_id": fid, "payload": None} for fid in retired] + [
            {"fact_id": fid, "payload": payload_of[fid]} for fid in reactivated
        ]
        # The answers of every key this batch touched, retired facts' keys included, in the same transaction.
        touched_keys = {r["observation_id"] for r in fact_rows} | {key for _, key in retired_rows}
        observations_changed = refresh_observations(conn, touched_keys)
        queue_outbox(conn, fact_outbox, outbox_rows)

        if batch.dead_letters:
            stmt = insert(dead_letters).on_conflict_do_nothing()
            conn.execute(
                stmt,
                [
                    {
                        "consumer_group": group,
                        "source_topic": d.source.topic,
                        "source_partition": d.source.partition,
                        "source_offset": d.source.offset,
                        "dlq_topic": dlq_topic_of(d.source.topic),
                        "error": d.error.replace("\x00", "\\0"),
                    }
                    for d in batch.dead_letters
                ],
            )

        self._record_offsets(conn, group, batch.next_offsets)
        return BatchOutcome(
            inserted=inserted,
            updated=updated,
            unchanged=len(fact_rows) - inserted - updated,
            retired=tuple(retired),
            reactivated=tuple(reactivated),
            extractions_applied=extractions_applied,
            observations_changed=tuple(observations_changed),
        )

    @staticmethod
    def _apply_extractions(conn: Connection, extractions: Sequence[ExtractionApply]) -> int:
        if not extractions:
            return 0
        stmt = (
            update(articles)
            .where(
                articles.c.url == bindparam("b_url"),
                (articles.c.extraction_version_key.is_(None))
                | (
                    articles.c.extraction_version_key
                    <= bindparam("b_key", type_=articles.c.extraction_version_key.type)
                ),
            )
            .values(
                content_sha256=bindparam("b_sha"),
                extraction_version=bindparam("b_version"),
                extraction_version_key=bindparam("b_key", type_=articles.c.extraction_version_key.type),
                extraction_fact_ids=bindparam("b_fact_ids", type_=articles.c.extraction_fact_ids.type),
                extracted_at=bindparam("b_extracted_at"),
                fact_count=bindparam("b_fact_count"),
                last_seen=func.now(),
                # Freshness: the first sighting is the earliest any crawl reported (LEAST skips NULLs).
                discovered_at=func.least(articles.c.discovered_at, bindparam("b_discovered_at")),
                fetched_at=func.coalesce(bindparam("b_fetched_at"), articles.c.fetched_at),
                committed_at=func.clock_timestamp(),
                extraction_page_topic=bindparam("b_page_topic"),
                extraction_page_partition=bindparam("b_page_partition"),
                extraction_page_offset=bindparam("b_page_offset"),
            )
        )
        rows = [
            {
                "b_url": e.event.article_url,
                "b_key": list(e.version),
                "b_sha": e.event.content_sha256,
                "b_version": e.event.extractor_version,
                "b_fact_ids": sorted(set(e.event.fact_ids)),
                "b_extracted_at": e.event.extracted_at,
                "b_fact_count": len(set(e.event.fact_ids)),
                "b_discovered_at": e.event.discovered_at,
                "b_fetched_at": e.event.fetched_at,
                "b_page_topic": e.page.topic if e.page else None,
                "b_page_partition": e.page.partition if e.page else None,
                "b_page_offset": e.page.offset if e.page else None,
            }
            for e in sorted(extractions, key=lambda e: e.event.article_url)
        ]
        result = conn.execute(stmt, rows)
        return int(result.rowcount)

    @staticmethod
    def _record_offsets(conn: Connection, group: str, next_offsets: dict[tuple[str, int], int]) -> None:
        if not next_offsets:
            return
        stmt = insert(consumer_offsets)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    consumer_offsets.c.consumer_group,
                    consumer_offsets.c.topic,
                    consumer_offsets.c.partition,
                ],
                # Never backwards: a replica that lost its partition mid-batch cannot rewind the new owner.
                set_={
                    "next_offset": func.greatest(consumer_offsets.c.next_offset, stmt.excluded.next_offset),
                    "updated_at": func.now(),
                },
            ),
            [
                {"consumer_group": group, "topic": topic, "partition": partition, "next_offset": offset}
                for (topic, partition), offset in sorted(next_offsets.items())
            ],
        )

    # --- reads ---------------------------------------------------------------------------------------

    def stored_offsets(
        self, consumer_group: str, partitions: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        wanted = set(partitions)
        if not wanted:
            return {}
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(
                        consumer_offsets.c.topic, consumer_offsets.c.partition, consumer_offsets.c.next_offset
                    ).where(
                        consumer_offsets.c.consumer_group == consumer_group,
                        consumer_offsets.c.topic.in_(sorted({t for t, _ in wanted})),
                    )
                )
                return {(t, p): int(o) for t, p, o in rows if (t, p) in wanted}
        except Exception as exc:
            raise translate_db_error(exc) from exc

    def dead_lettered(self, consumer_group: str, positions: Iterable[Position]) -> set[Position]:
        """The positions among ``positions`` that are already on the DLQ (recorded by a committed batch)."""
        wanted = set(positions)
        if not wanted:
            return set()
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(
                        dead_letters.c.source_topic,
                        dead_letters.c.source_partition,
                        dead_letters.c.source_offset,
                    ).where(
                        dead_letters.c.consumer_group == consumer_group,
                        dead_letters.c.source_offset.in_(sorted({o for _, _, o in wanted})),
                    )
                )
                return {(t, int(p), int(o)) for t, p, o in rows} & wanted
        except Exception as exc:
            raise translate_db_error(exc) from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    # --- outbox --------------------------------------------------------------------------------------

    def drain_outbox(
        self,
        publish: Callable[[Sequence[OutboxEvent]], None],
        keys: Sequence[str] | None = None,
        limit: int = 5000,
    ) -> int:
        """Publish and delete pending outbox events (all, or those of ``keys``: fact or observation ids);
        returns how many.

        The rows stay locked while ``publish`` runs, so a concurrent batch that changes its mind about a fact
        waits, and its event is produced after this one: the topic's last word follows the table's.
        """
        total = 0
        try:
            outboxes: tuple[tuple[OutboxChannel, Table, Column[str]], ...] = (
                ("facts", fact_outbox, fact_outbox.c.fact_id),
                ("observations", observation_outbox, observation_outbox.c.observation_id),
            )
            for channel, table, key_column in outboxes:
                while True:
                    with self.engine.begin() as conn:
                        query = select(key_column, table.c.payload).order_by(key_column)
                        if keys is not None:
                            query = query.where(key_column.in_(list(keys)))
                        rows = conn.execute(query.limit(limit).with_for_update()).all()
                        if rows:
                            publish([OutboxEvent(key, payload, channel) for key, payload in rows])
                            conn.execute(delete(table).where(key_column.in_([key for key, _ in rows])))
                            total += len(rows)
                    if keys is not None or len(rows) < limit:
                        break
            return total
        except Exception as exc:
            raise translate_db_error(exc) from exc

    def refresh_missing_observations(self, chunk: int = 500) -> int:
        """Build the observations of keys that have active facts but no row (facts stored before migration
        0007); returns how many keys were refreshed. Safe with replicas running (the keys' locks)."""
        total = 0
        try:
            while True:
                with self.engine.begin() as conn:
                    ids = missing_observation_ids(conn, chunk)
                    refresh_observations(conn, ids)
                total += len(ids)
                if len(ids) < chunk:
                    return total
        except Exception as exc:
            raise translate_db_error(exc) from exc


def active_facts_query(
    subject: str | None = None,
    metric: str | None = None,
    article: str | None = None,
    limit: int | None = None,
    min_confidence: float | None = None,
) -> Any:
    query = select(facts).where(facts.c.retired_at.is_(None))
    if min_confidence is not None:
        query = query.where(facts.c.confidence >= min_confidence)
    if subject:
        query = query.where(facts.c.subject == subject)
    if metric:
        query = query.where(facts.c.metric == metric)
    if article:
        query = query.where(facts.c.article_url == article)
    query = query.order_by(
        facts.c.article_url,
        facts.c.subject,
        facts.c.metric,
        facts.c.kind,
        facts.c.period_start,
        facts.c.fact_id,
    )
    if limit:
        query = query.limit(limit)
    return query


__all__ = [
    "BatchOutcome",
    "OutboxEvent",
    "RejectedByDatabase",
    "SqlStoreRepository",
    "TransientStoreError",
    "active_facts_query",
]
