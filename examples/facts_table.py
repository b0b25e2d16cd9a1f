"""Example downstream consumer: keep a local table equal to the facts topic (hddtvn.facts.v1).

    python examples/facts_table.py --db facts.sqlite [--bootstrap 127.0.0.1:29092] [--topic hddtvn.facts.v1]
                                   [--group my-team-facts] [--until-idle 5] [--min-confidence 0.9]

The facts topic is a compacted changelog keyed by fact_id: a value is the fact's current state (upsert it),
a null value (tombstone) means the fact was retired (delete it). The consumer stores its Kafka offsets in the
same SQLite transaction as the rows, so a crash at any point neither loses nor double-applies an event.
It reads with isolation_level=read_committed, so events of aborted producer transactions are never seen.
Only the standard library and aiokafka are needed; the JSON Schema is services/common/schemas/facts.v1.json.
--min-confidence keeps only facts whose `confidence` (the measured precision of the rule that read them) is
at least that; a fact that falls below it with a new extractor version leaves the table like a retired one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition

SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    fact_id TEXT PRIMARY KEY, article_url TEXT NOT NULL, subject TEXT NOT NULL, metric TEXT NOT NULL,
    kind TEXT NOT NULL, value TEXT NOT NULL, unit TEXT NOT NULL, bound TEXT NOT NULL,
    period_start TEXT, period_end TEXT, target_type TEXT, assigned_by TEXT,
    evidence TEXT NOT NULL, extractor_version TEXT NOT NULL, event JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS kafka_offsets (topic TEXT, partition INTEGER, next_offset INTEGER,
                                          PRIMARY KEY (topic, partition));
"""
COLUMNS = (
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
    "extractor_version",
)

UPSERT = (
    f"INSERT OR REPLACE INTO facts ({', '.join(COLUMNS)}, event) VALUES ({', '.join('?' * len(COLUMNS))}, ?)"
)


def apply(
    db: sqlite3.Connection, messages: list[ConsumerRecord[bytes, bytes]], min_confidence: float | None = None
) -> tuple[int, int]:
    """Apply a batch in one transaction with its offsets; returns (upserts, deletes)."""
    upserts = deletes = 0
    with db:
        for m in messages:
            event = json.loads(m.value) if m.value is not None else None
            below = (
                event is not None
                and min_confidence is not None
                and (event.get("confidence") or 0) < min_confidence
            )
            if event is None or below:  # tombstone (the fact was retired), or not sure enough for this table
                db.execute("DELETE FROM facts WHERE fact_id = ?", (m.key.decode(),))
                deletes += 1
                continue
            # Compatible changes only add fields (rule, confidence...): ignore what you don't know.
            db.execute(UPSERT, (*(event.get(c) for c in COLUMNS), m.value.decode()))
            upserts += 1
        for m in messages:
            db.execute(
                "INSERT OR REPLACE INTO kafka_offsets VALUES (?, ?, ?)", (m.topic, m.partition, m.offset + 1)
            )
    return upserts, deletes


class ResumeFromTable(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue where the local table says (its offsets are the truth, not Kafka's)."""

    def __init__(self, consumer: AIOKafkaConsumer, db: sqlite3.Connection) -> None:
        self.consumer, self.db = consumer, db

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        for tp in assigned:
            row = self.db.execute(
                "SELECT next_offset FROM kafka_offsets WHERE topic = ? AND partition = ?",
                (tp.topic, tp.partition),
            ).fetchone()
            if row:
                self.consumer.seek(tp, row[0])
            else:
                await self.consumer.seek_to_beginning(tp)


async def run(args: argparse.Namespace) -> None:
    db = sqlite3.connect(args.db)
    db.executescript(SCHEMA)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    consumer.subscribe([args.topic], listener=ResumeFromTable(consumer, db))
    await consumer.start()
    idle_since = time.monotonic()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=1000)
            messages = [m for records in batch.values() for m in records]
            if messages:
                upserts, deletes = apply(db, messages, args.min_confidence)
                print(f"applied {upserts} upserts, {deletes} deletes", flush=True)
                idle_since = time.monotonic()
            elif args.until_idle is not None and time.monotonic() - idle_since > args.until_idle:
                break
    finally:
        await consumer.stop()
        count = db.execute("SELECT count(*) FROM facts").fetchone()[0]
        print(f"{count} facts in {args.db}", flush=True)
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="facts.sqlite")
    parser.add_argument("--bootstrap", default="127.0.0.1:29092")
    parser.add_argument("--topic", default="hddtvn.facts.v1")
    parser.add_argument("--group", default="example-facts-table")
    parser.add_argument("--until-idle", type=float, default=None, help="exit after this many idle seconds")
    parser.add_argument(
        "--min-confidence", type=float, default=None, help="keep only facts at least this sure (0-1)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
