"""Prometheus metrics of the crawler (served by the shared health server's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

FETCHES = Counter("hqfacts_crawler_fetches_total", "HTTP requests made, by status", ["status"])
BYTES = Counter("hqfacts_crawler_body_bytes_total", "Body bytes downloaded")
PUBLISHED = Counter("hqfacts_crawler_published_total", "Raw page events published, by role", ["role"])
DISCOVERED = Counter("hqfacts_crawler_discovered_total", "New URLs added to the frontier")
THROTTLED = Counter("hqfacts_crawler_throttled_total", "429/503 answers that slowed a host down")
PARKED = Counter("hqfacts_crawler_parked_total", "URLs parked after too many failures")
QUEUED = Gauge("hqfacts_crawler_queued", "URLs waiting in the frontier (estimate)")
POLLS = Counter("hqfacts_crawler_polls_total", "Polls of the feeds, home page and newest sitemaps")
POLL_REVISITS = Counter(
    "hqfacts_crawler_poll_revisits_total", "Known pages revisited first because a poll saw them change or go"
)
# The crawler-stalled alert: a quiet site is still polled at least every HQ_FEED_POLL_MAX_SECONDS, so an old
# value means no request at all. Starts at the process start, so a crawler that never fetches shows too.
LAST_FETCH = Gauge(
    "hqfacts_crawler_last_fetch_timestamp_seconds", "Unix time of the last HTTP request answered or failed"
)
LAST_FETCH.set_to_current_time()
