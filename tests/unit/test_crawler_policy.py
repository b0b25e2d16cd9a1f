"""Politeness and retry policy: Retry-After, backoff with jitter, adaptive pace, revisits, SSRF guard."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from services.crawler.domain.addresses import is_public_address, may_connect
from services.crawler.domain.policy import (
    HostPace,
    PacePolicy,
    RetryPolicy,
    RevisitPolicy,
    backoff_delay,
    parse_retry_after,
)

NOW = datetime(2025, 11, 25, 12, 0, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("1", NOW) == 1.0
    assert parse_retry_after(" 120 ", NOW) == 120.0
    assert parse_retry_after("Tue, 25 Nov 2025 12:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Tue, 25 Nov 2025 11:00:00 GMT", NOW) == 0.0  # in the past: no wait
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    for attempt in range(1, 12):
        raw = min(60.0, 0.5 * 2 ** (attempt - 1))
        d = backoff_delay(attempt, base=0.5, cap=60.0, rng=rng)
        assert raw / 2 <= d <= raw
    delays = {backoff_delay(3, base=0.5, cap=60, rng=rng) for _ in range(20)}
    assert len(delays) > 10  # jittered


def test_retry_policy_parks_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, base=0.1, cap=1.0)
    rng = random.Random(0)
    assert policy.next_try(1, rng) is not None
    assert policy.next_try(2, rng) is not None
    assert policy.next_try(3, rng) is None


def test_pace_slows_down_on_throttle_and_recovers_slowly() -> None:
    rng = random.Random(0)
    pace = HostPace(PacePolicy(min_delay=0.0))
    assert pace.delay == 0.0
    assert pace.on_throttle(1.0, rng) == 1.0  # Retry-After wins
    assert pace.delay == 0.25
    assert pace.on_throttle(1.0, rng) == 1.0
    assert pace.delay == 0.25  # with Retry-After, no exponential growth
    pace.on_throttle(None, rng)
    assert pace.delay == 0.5
    pace.on_throttle(None, rng)
    assert pace.delay == 1.0  # without it, exponential
    assert pace.on_throttle(1.0, rng, too_many=True) == 1.0
    assert pace.delay == 2.0  # a 429 says our rate is the problem: exponential even with Retry-After
    steps = 0
    while pace.delay > 0:
        pace.on_success()
        steps += 1
    assert steps > 20  # slow recovery, not a snap back
    wait = pace.on_throttle(None, rng)
    assert 0.25 <= wait <= 0.5  # no Retry-After: the new delay plus jitter


def test_pace_respects_floor_and_robots_crawl_delay() -> None:
    pace = HostPace(PacePolicy(min_delay=1.0))
    pace.set_robots_delay(3.0)
    assert pace.floor == pace.delay == 3.0
    pace.on_success()
    assert pace.delay == 3.0
    pace.set_robots_delay(None)
    assert pace.delay == 1.0


def test_revisit_schedule() -> None:
    r = RevisitPolicy(listing_seconds=60, article_seconds=3600, max_listing_page=3)
    assert r.after("sitemap") == 60
    assert r.after("robots") is None  # robots.txt expires on its own clock
    assert r.after("listing", 2) == 60
    assert r.after("listing", 50) is None  # deep pagination only shifts: never revisited
    assert r.after("article") == 3600


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("100.64.0.1", False),
        ("not-an-ip", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_private_addresses_need_an_explicit_allow() -> None:
    trusted = frozenset({"127.0.0.1"})
    assert may_connect("127.0.0.1", "127.0.0.1", trusted)
    assert may_connect("localhost", "127.0.0.1", trusted)  # the address itself was allowed
    assert not may_connect("intranet", "10.0.0.5", trusted)
    assert may_connect("example.org", "93.184.215.14", frozenset())
