"""Store benchmark: facts/s through the store's batch upsert vs a raw COPY of the same rows into the table.

    .venv/bin/python bench/bench_store.py [--facts 50000] [--batch 500]

Runs in a throwaway database next to HQ_DATABASE_URL's (make up). Three timings over the same rows:
  copy      COPY facts FROM STDIN (binary), the floor: no conflict handling, no versions, no offsets;
  insert    the store's apply_batch into an empty table, batch by batch (one transaction each);
  update    the same batches again (every row conflicts and passes the version guard: a replay).
Each store batch is the real thing: articles upsert, versioned facts upsert, supersede check, offsets row.
Decoding (JSON + schema validation) is timed separately, since COPY gets its rows already decoded.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from services.common.db import make_engine
from services.common.settings import Settings, migration_url_for
from services.store.domain import ClassifiedBatch, RecordKind, SourceRecord, StorePolicy, classify
from services.store.repository import FACT_COLUMNS, SqlStoreRepository, _copy_value, fact_row
from services.store.testing import fact_event, fresh_database, sample_fact

TOPIC = "bench.facts"
KINDS: dict[str, RecordKind] = {TOPIC: "fact"}
COPY_COLUMNS = FACT_COLUMNS  # the same columns the store writes


def make_records(count: int, articles: int) -> list[SourceRecord]:
    records = []
    for i in range(count):
        url = f"https://hddtvn.com/bench-article-{i % articles}/"
        event = fact_event(
            sample_fact(value=str(1_000_000 + i), subject=f"cuc:unit-{i % 37}"),
            article_url=url,
            version="0.1.0",  # the store refuses versions above the deployed extractor's
        )
        records.append(SourceRecord(TOPIC, 0, i, event.key, event.encode()))
    return records


def batches_of(records: Sequence[SourceRecord], size: int) -> list[Sequence[SourceRecord]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def truncate(url: str) -> None:
    """Empty the tables between timings: TRUNCATE is the owner's (the runtime role may only DELETE)."""
    engine = make_engine(migration_url_for(url))
    try:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE facts, articles, consumer_offsets"))
    finally:
        engine.dispose()


def time_copy(url: str, rows: list[dict[str, Any]], article_rows: list[dict[str, Any]]) -> float:
    truncate(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # The articles exist before the facts in both runs, so both pay the same foreign key checks.
            conn.execute(
                text(
                    "INSERT INTO articles (url, title, extractor_version, extractor_version_key) "
                    "VALUES (:url, 't', '1.0.0', '{1,0,0,0,4,0}')"
                ),
                article_rows,
            )
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            with cursor.copy(f"COPY facts ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in COPY_COLUMNS])
            raw.commit()
            return time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()


def time_store(url: str, batches: list[ClassifiedBatch], *, empty_first: bool) -> float:
    engine = make_engine(url)
    repository = SqlStoreRepository(engine)
    try:
        if empty_first:
            truncate(url)
        started = time.perf_counter()
        for batch in batches:
            repository.apply_batch(batch, "bench", lambda topic: topic + ".dlq")
        return time.perf_counter() - started
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--facts", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=Settings().store_batch_size)
    parser.add_argument("--articles", type=int, default=2_000, help="distinct articles the facts belong to")
    args = parser.parse_args()

    records = make_records(args.facts, args.articles)
    started = time.perf_counter()
    batches = [classify(chunk, KINDS, StorePolicy()) for chunk in batches_of(records, args.batch)]
    decode_s = time.perf_counter() - started
    rows = [fact_row(f) for b in batches for f in b.facts]
    article_rows = [{"url": u} for u in sorted({r["article_url"] for r in rows})]
    assert len(rows) == args.facts

    with fresh_database(Settings().database_url, prefix="hqfacts_bench") as url:
        copy_s = min(time_copy(url, rows, article_rows) for _ in range(2))
        insert_s = time_store(url, batches, empty_first=True)
        update_s = time_store(url, batches, empty_first=False)

    def rate(seconds: float) -> float:
        return float(args.facts) / seconds

    print(f"facts: {args.facts}, batch size: {args.batch}, articles: {args.articles}")
    print(f"decode+validate        {decode_s:7.2f} s  {rate(decode_s):10,.0f} facts/s  (not in the ratios)")
    print(f"COPY (floor)           {copy_s:7.2f} s  {rate(copy_s):10,.0f} facts/s")
    for label, seconds in (("store upsert, new", insert_s), ("store upsert, replay", update_s)):
        print(f"{label:<22} {seconds:7.2f} s  {rate(seconds):10,.0f} facts/s  ratio {copy_s / seconds:.2f}")
    print("target: ratio >= 0.25 (store at least a quarter of COPY's rate)")


if __name__ == "__main__":
    main()
