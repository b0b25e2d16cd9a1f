"""Prometheus metrics of the store (served on /metrics by the health server)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_IN = Counter("hqfacts_store_events_in_total", "Records consumed by the store", ["topic"])
FACTS_STORED = Counter(
    "hqfacts_store_facts_total",
    "Fact events by result (inserted, updated, unchanged: older version or same content)",
    ["result"],
)
FACTS_RETIRED = Counter("hqfacts_store_facts_retired_total", "Facts retired by supersede")
FACTS_REACTIVATED = Counter("hqfacts_store_facts_reactivated_total", "Retired facts brought back")
EXTRACTIONS_APPLIED = Counter("hqfacts_store_extractions_total", "Extraction events applied")
OBSERVATIONS_CHANGED = Counter(
    "hqfacts_store_observations_changed_total",
    "Observations whose event changed (new, another value or sources, or gone): one event each on the topic",
)
DEAD_LETTERS = Counter("hqfacts_store_dead_letters_total", "Records sent to a dead-letter topic", ["topic"])
ERRORS = Counter("hqfacts_store_errors_total", "Errors by kind (transient, rejected, kafka)", ["kind"])
BATCH_SECONDS = Histogram(
    "hqfacts_store_batch_seconds",
    "Time to store one batch (decode, DLQ, DB transaction, outbox)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BATCH_RECORDS = Histogram(
    "hqfacts_store_batch_records", "Records per batch", buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000)
)
PUBLISH_TO_COMMITTED = Histogram(
    "hqfacts_store_publish_to_committed_seconds",
    "Freshness: from the crawler's fetch of a page to the commit of its extraction (live traffic; replays "
    "of pages fetched over an hour ago are left out)",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 300, 600, 1800, 3600),
)
LAG = Gauge("hqfacts_store_lag", "Records behind the high watermark", ["topic", "partition"])
# 0 on every topic for minutes: an idle replica (more replicas than partitions) or one stuck in a rebalance.
ASSIGNED_PARTITIONS = Gauge(
    "hqfacts_store_assigned_partitions", "Partitions currently assigned to this store worker", ["topic"]
)
