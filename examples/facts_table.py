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

Events of one fact are ordered by `extractor_version` (semantically: 1.10.0 > 1.9.0 > 1.9.0rc1): an event
from an older extractor than the row holds (a replay of an old checkout, say) is skipped. SIGTERM or Ctrl-C
stops it after the batch in hand, with its summary.

Offline limit: tombstones stay on the compacted topic for its delete.retention.ms (30 days as the project
creates it). A consumer that was away longer may have missed retirements: delete the table (and its offsets)
and read the topic again from the beginning.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
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
-- The version a retired fact had: a replay of an older extractor must not bring it back.
CREATE TABLE IF NOT EXISTS retired (fact_id TEXT PRIMARY KEY, extractor_version TEXT NOT NULL);
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

# Pre-releases rank below their release, post-releases above it (1.0.0.dev1 < 1.0.0rc1 < 1.0.0 < 1.0.0.post1).
_PHASES = {"dev": 0, "a": 1, "alpha": 1, "b": 2, "beta": 2, "c": 3, "rc": 3, "pre": 3, "": 4, "post": 5}
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-_.]?(dev|alpha|beta|pre|post|rc|a|b|c)[-_.]?(\d*))?", re.I)


def version_key(version: str) -> tuple[int, ...]:
    """A tuple that orders extractor versions as the store does; an unreadable one sorts lowest."""
    match = _VERSION.match(version.strip())
    if match is None:
        return (-1,)
    release = [int(part) for part in match[1].split(".")][:4]
    release += [0] * (4 - len(release))
    return (*release, _PHASES[(match[2] or "").lower()], int(match[3] or 0))


def held_version(db: sqlite3.Connection, fact_id: str) -> tuple[int, ...] | None:
    """The version of the fact as this table knows it, active or retired (None: never seen)."""
    row = db.execute(
        "SELECT extractor_version FROM facts WHERE fact_id = ? "
        "UNION ALL SELECT extractor_version FROM retired WHERE fact_id = ?",
        (fact_id, fact_id),
    ).fetchone()
    return version_key(row[0]) if row else None


def apply(
    db: sqlite3.Connection, messages: list[ConsumerRecord[bytes, bytes]], min_confidence: float | None = None
) -> tuple[int, int, int]:
    """Apply a batch in one transaction with its offsets; returns (upserts, deletes, older events skipped)."""
    upserts = deletes = skipped = 0
    with db:
        for m in messages:
            event = json.loads(m.value) if m.value is not None else None
            below = (
                event is not None
                and min_confidence is not None
                and (event.get("confidence") or 0) < min_confidence
            )
            fact_id = m.key.decode()
            if event is None or below:  # tombstone (the fact was retired), or not sure enough for this table
                db.execute(
                    "INSERT OR REPLACE INTO retired "
                    "SELECT fact_id, extractor_version FROM facts WHERE fact_id = ?",
                    (fact_id,),
                )
                db.execute("DELETE FROM facts WHERE fact_id = ?", (fact_id,))
                deletes += 1
                continue
            held = held_version(db, fact_id)
            if held is not None and version_key(str(event.get("extractor_version", ""))) < held:
                skipped += 1  # an older extractor's view of a fact held (or retired) by a newer one
                continue
            # Compatible changes only add fields (rule, confidence...): ignore what you don't know.
            db.execute(UPSERT, (*(event.get(c) for c in COLUMNS), m.value.decode()))
            db.execute("DELETE FROM retired WHERE fact_id = ?", (fact_id,))
            upserts += 1
        for m in messages:
            db.execute(
                "INSERT OR REPLACE INTO kafka_offsets VALUES (?, ?, ?)", (m.topic, m.partition, m.offset + 1)
            )
    return upserts, deletes, skipped


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
            # No row: from offset 0 (below the log start, auto_offset_reset="earliest" moves up to it). Not
            # seek_to_beginning: it asks the broker, and if that fails the partitions after it stay unsought.
            self.consumer.seek(tp, row[0] if row else 0)


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
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # stop after the batch in hand, with the summary
        loop.add_signal_handler(sig, stopping.set)
    await consumer.start()
    idle_since = time.monotonic()
    totals = [0, 0, 0]
    try:
        while not stopping.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=1000)
            messages = [m for records in batch.values() for m in records]
            if messages:
                applied = apply(db, messages, args.min_confidence)
                totals = [t + a for t, a in zip(totals, applied, strict=True)]
                print("applied {} upserts, {} deletes, skipped {} older".format(*applied), flush=True)
                idle_since = time.monotonic()
            elif args.until_idle is not None and time.monotonic() - idle_since > args.until_idle:
                break
    finally:
        with contextlib.suppress(Exception):  # the summary even if the broker is gone
            await consumer.stop()
        count = db.execute("SELECT count(*) FROM facts").fetchone()[0]
        stopped = "stopped by signal; " if stopping.is_set() else ""
        print(
            f"{stopped}{count} facts in {args.db} (this run: {totals[0]} upserts, {totals[1]} deletes, "
            f"{totals[2]} older events skipped)",
            flush=True,
        )
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
