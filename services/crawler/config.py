"""Crawler configuration: the shared settings (HQ_*) plus crawler-only knobs, and one run's options."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.common.kafka import MAX_REQUEST_BYTES
from services.common.settings import Settings
from services.crawler.domain.freshness import PollPolicy
from services.crawler.domain.page import DEFAULT_MAX_HTML_DEPTH
from services.crawler.domain.policy import PacePolicy, RetryPolicy, RevisitPolicy
from services.crawler.domain.scope import DEFAULT_MAX_SEGMENT_REPEATS, DEFAULT_MAX_URL_BYTES


class CrawlerSettings(Settings):
    crawl_state: str = "default"  # HQ_CRAWL_STATE: the state namespace of this crawl
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_redirects: int = 5
    max_depth: int = 50
    max_attempts: int = 8
    retry_base_seconds: float = 0.5
    retry_cap_seconds: float = 60.0
    robots_ttl_seconds: float = 86_400.0
    revisit_listing_seconds: float = 6 * 3600.0
    revisit_article_seconds: float = 30 * 86_400.0
    # Feed-first polling (home page, site feeds, sitemap index, newest posts sitemap): the interval while
    # they change, stretched up to the maximum while they do not. Freshness against politeness.
    feed_poll_seconds: float = 60.0
    feed_poll_max_seconds: float = 900.0
    # Budgets against hostile sites (docs/security.md).
    request_deadline_seconds: float = 120.0  # a whole request, headers to last byte
    min_transfer_rate: float = 1024.0  # bytes/s averaged over the body, checked after the grace period
    min_rate_grace_seconds: float = 10.0
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    max_urls_per_host: int = 100_000  # URLs one crawl state may ever queue for one host
    max_segment_repeats: int = DEFAULT_MAX_SEGMENT_REPEATS
    max_html_depth: int = DEFAULT_MAX_HTML_DEPTH


@dataclass
class CrawlConfig:
    seeds: list[str]
    state_name: str = "default"
    allow_hosts: list[str] = field(default_factory=list)
    allow_private: bool = False  # in-scope hosts may resolve to private/loopback addresses (tests, LAN)
    delay: float = 1.0
    max_pages: int | None = None
    until_idle: bool = False
    recrawl: bool = False
    user_agent: str = "hqfacts-crawler/0.1 (+https://github.com/hqfacts/hqfacts)"
    max_body_bytes: int = 4 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_redirects: int = 5
    max_depth: int = 50
    request_deadline: float = 120.0
    min_transfer_rate: float = 1024.0
    min_rate_grace: float = 10.0
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    max_urls_per_host: int = 100_000
    max_segment_repeats: int = DEFAULT_MAX_SEGMENT_REPEATS
    max_html_depth: int = DEFAULT_MAX_HTML_DEPTH
    # An event over this is published without its body (like a body over the cap): Kafka refuses
    # messages over MAX_REQUEST_BYTES, and JSON escapes can make a body several times its size.
    max_event_bytes: int = MAX_REQUEST_BYTES - 64 * 1024
    robots_ttl: float = 86_400.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    revisit: RevisitPolicy = field(default_factory=RevisitPolicy)
    pace: PacePolicy = field(default_factory=PacePolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    frontier_window: int = 2_000  # queued URLs per host held in memory; the rest stay in the DB
    flush_interval: float = 0.5
    progress: str = "auto"  # auto | tty | log | none
    seed_random: int | None = None  # jitter RNG seed (tests)

    @classmethod
    def from_settings(cls, s: CrawlerSettings, seeds: list[str], **overrides: object) -> CrawlConfig:
        cfg = cls(
            seeds=seeds,
            state_name=s.crawl_state,
            delay=s.crawl_delay,
            max_pages=s.max_pages,
            user_agent=s.user_agent,
            max_body_bytes=s.max_body_bytes,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            max_redirects=s.max_redirects,
            max_depth=s.max_depth,
            request_deadline=s.request_deadline_seconds,
            min_transfer_rate=s.min_transfer_rate,
            min_rate_grace=s.min_rate_grace_seconds,
            max_url_bytes=s.max_url_bytes,
            max_urls_per_host=s.max_urls_per_host,
            max_segment_repeats=s.max_segment_repeats,
            max_html_depth=s.max_html_depth,
            robots_ttl=s.robots_ttl_seconds,
            retry=RetryPolicy(
                max_attempts=s.max_attempts, base=s.retry_base_seconds, cap=s.retry_cap_seconds
            ),
            revisit=RevisitPolicy(
                listing_seconds=s.revisit_listing_seconds, article_seconds=s.revisit_article_seconds
            ),
            poll=PollPolicy(
                min_seconds=s.feed_poll_seconds,
                max_seconds=max(s.feed_poll_seconds, s.feed_poll_max_seconds),
            ),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        cfg.pace = PacePolicy(min_delay=cfg.delay)
        return cfg
