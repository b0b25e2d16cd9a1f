"""SQL side of the observations: refresh them inside a store batch, read them for the CLI and the report.

The rules are services.store.consolidation's; this module only loads a key's active facts, writes the row
and the outbox event when the observation changed, and answers queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from services.store.consolidation import (
    Observation,
    ObservationKey,
    SourceFact,
    consolidate,
    encode_observation,
)
from services.store.filters import article_matches, key_filters
from services.store.tables import articles, facts, observation_outbox, observations

# Advisory-lock namespace of observation keys (the two-int4 key space; the migration lock uses one bigint).
_LOCK_NAMESPACE = 0x4F42
# Two replicas refreshing one key at once would each miss the other's uncommitted facts; the lock makes the
# second wait and then read both. Taken in one order (by hash) so two batches never wait on each other.
_LOCK_KEYS = text(
    "SELECT pg_advisory_xact_lock(:ns, h) "
    "FROM (SELECT DISTINCT hashtext(id) AS h FROM unnest(CAST(:ids AS text[])) AS id ORDER BY 1) AS keys"
)
# Refresh at most this many keys per statement (bounded parameter lists and memory).
_CHUNK = 1000

_SOURCE_COLUMNS = (
    facts.c.observation_id,
    facts.c.subject,
    facts.c.metric,
    facts.c.kind,
    facts.c.period_start,
    facts.c.period_end,
    facts.c.target_type,
    facts.c.fact_id,
    facts.c.article_url,
    articles.c.title,
    articles.c.published,
    facts.c.value,
    facts.c.unit,
    facts.c.bound,
    facts.c.evidence,
    facts.c.extractor_version,
    facts.c.confidence,
)


def refresh_observations(conn: Connection, observation_ids: Iterable[str | None]) -> list[str]:
    """Recompute the observations of these keys from their active facts, in the caller's transaction.

    Writes a row and an outbox event only when the observation's event changed; deletes the row and
    queues a tombstone when no active fact states the key any more. Returns the ids whose event changed.
    """
    ids = sorted({i for i in observation_ids if i})
    changed: list[str] = []
    for start in range(0, len(ids), _CHUNK):
        changed += _refresh_chunk(conn, ids[start : start + _CHUNK])
    return changed


def consolidated(conn: Connection, ids: Sequence[str] | None = None) -> dict[str, Observation]:
    """The observations the active facts make now, of these keys (every key when None); reads only."""
    query = (
        select(*_SOURCE_COLUMNS)
        .select_from(facts.join(articles, articles.c.url == facts.c.article_url))
        .where(facts.c.retired_at.is_(None), facts.c.observation_id.is_not(None))
    )
    if ids is not None:
        query = query.where(facts.c.observation_id.in_(ids))
    sources: dict[str, tuple[ObservationKey, list[SourceFact]]] = {}
    for row in conn.execute(query):
        entry = sources.get(row.observation_id)
        if entry is None:
            key = ObservationKey(
                row.subject, row.metric, row.kind, row.period_start, row.period_end, row.target_type
            )
            entry = sources[row.observation_id] = (key, [])
        entry[1].append(
            SourceFact(
                fact_id=row.fact_id,
                article_url=row.article_url,
                article_title=row.title,
                article_published=row.published,
                value=row.value,
                unit=row.unit,
                bound=row.bound,
                evidence=row.evidence,
                extractor_version=row.extractor_version,
                confidence=row.confidence,
            )
        )
    built = {observation_id: consolidate(*entry) for observation_id, entry in sources.items()}
    return {observation_id: o for observation_id, o in built.items() if o is not None}


def _refresh_chunk(conn: Connection, ids: Sequence[str]) -> list[str]:
    conn.execute(_LOCK_KEYS, {"ns": _LOCK_NAMESPACE, "ids": list(ids)})
    current = consolidated(conn, ids)
    stored: dict[str, bytes] = dict(
        conn.execute(  # type: ignore[arg-type]
            select(observations.c.observation_id, observations.c.payload).where(
                observations.c.observation_id.in_(ids)
            )
        ).all()
    )
    rows: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    gone: list[str] = []
    for observation_id in ids:
        observation = current.get(observation_id)
        if observation is None:
            if observation_id in stored:
                gone.append(observation_id)
                outbox.append({"observation_id": observation_id, "payload": None})
            continue
        event = observation.to_event()
        payload = encode_observation(event)
        if stored.get(observation_id) == payload:
            continue
        outbox.append({"observation_id": observation_id, "payload": payload})
        sources_ = observation.sources
        confidences = [f.confidence for f in sources_ if f.confidence is not None]
        rows.append(
            {
                "observation_id": observation_id,
                "subject": observation.key.subject,
                "metric": observation.key.metric,
                "kind": observation.key.kind,
                "period_start": observation.key.period_start,
                "period_end": observation.key.period_end,
                "target_type": observation.key.target_type,
                "value": observation.agreed.representative.value,
                "unit": event["unit"],
                "bound": event["bound"],
                "source_count": event["source_count"],
                "agreeing_count": event["agreeing_count"],
                "conflict": event["conflict"],
                "fact_id": event["fact_id"],
                "evidence_url": event["evidence_url"],
                "first_published": event["first_article"]["published"],
                "latest_published": event["latest_article"]["published"],
                "article_urls": sorted({f.article_url for f in sources_}),
                "extractor_versions": sorted({f.extractor_version for f in sources_}),
                "max_confidence": max(confidences) if confidences else None,
                "payload": payload,
            }
        )
    if gone:
        conn.execute(delete(observations).where(observations.c.observation_id.in_(gone)))
    if rows:
        stmt = insert(observations)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[observations.c.observation_id],
                set_={
                    **{c: stmt.excluded[c] for c in rows[0] if c != "observation_id"},
                    "updated_at": func.now(),
                },
            ),
            rows,
        )
    queue_outbox(conn, observation_outbox, outbox)
    return [o["observation_id"] for o in outbox]


def queue_outbox(conn: Connection, outbox: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Owe these events (fact_outbox or observation_outbox rows; payload None = tombstone): a key already
    owed takes the newer payload, so only the last word on a key is produced."""
    if not rows:
        return
    stmt = insert(outbox)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(outbox.primary_key.columns),
            set_={"payload": stmt.excluded.payload, "created_at": func.now()},
        ),
        rows,
    )


def missing_observation_ids(conn: Connection, limit: int) -> list[str]:
    """Keys some active fact states that have no observation row (facts stored before migration 0007)."""
    query = (
        select(facts.c.observation_id)
        .where(
            facts.c.retired_at.is_(None),
            facts.c.observation_id.is_not(None),
            ~select(observations.c.observation_id)
            .where(observations.c.observation_id == facts.c.observation_id)
            .exists(),
        )
        .distinct()
        .limit(limit)
    )
    return list(conn.scalars(query))


# --- reads ---------------------------------------------------------------------------------------------


def observations_query(
    *,
    subject: str | None = None,
    metric: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    article: str | None = None,
    extractor_version: str | None = None,
    min_confidence: float | None = None,
    conflicts_only: bool = False,
    limit: int | None = None,
) -> Any:
    """The observations matching every given filter, ordered by subject, metric, kind and period.

    ``subject`` ending in ``*`` is a prefix; ``article`` is a URL, or a slug matched against the URLs' last
    segment.
    """
    c = observations.c
    query = key_filters(select(observations), c, subject=subject, metric=metric, kind=kind, year=year)
    if article:
        source = func.unnest(c.article_urls).table_valued("url").render_derived()
        query = query.where(select(source.c.url).where(article_matches(source.c.url, article)).exists())
    if extractor_version:
        query = query.where(c.extractor_versions.any(extractor_version))
    if min_confidence is not None:
        query = query.where(c.max_confidence >= min_confidence)
    if conflicts_only:
        query = query.where(c.conflict)
    query = query.order_by(
        observations.c.subject,
        observations.c.metric,
        observations.c.kind,
        observations.c.period_start.nulls_first(),
        observations.c.period_end.nulls_first(),
        observations.c.target_type.nulls_first(),
    )
    if limit:
        query = query.limit(limit)
    return query


def load_observation_events(
    engine: Engine, *, subject: str | None = None, metric: str | None = None
) -> list[dict[str, Any]]:
    """The stored observations as their topic events (schemas/observations.v1.json), in key order."""
    with engine.connect() as conn:
        rows = conn.execute(observations_query(subject=subject, metric=metric)).all()
    return [json.loads(row.payload) for row in rows]
