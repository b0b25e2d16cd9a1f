"""Politeness and retry policy as plain functions and a small per-host pace state machine."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
THROTTLE_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return float(max(0.0, (when - now).total_seconds()))


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, so retries spread but still grow."""
    raw = min(cap, base * 2.0 ** max(0, attempt - 1))
    return raw / 2 + rng.uniform(0, raw / 2)


@dataclass
class PacePolicy:
    min_delay: float = 1.0  # configured floor between two requests to one host
    throttle_floor: float = 0.25  # the first slowdown step above the floor
    max_delay: float = 300.0
    recovery: float = 0.9  # after each success the extra delay shrinks by 10%: slow recovery
    max_retry_after: float = 3600.0


class HostPace:
    """The delay between requests to one host: grows on 429/503, decays slowly back to the floor."""

    def __init__(self, policy: PacePolicy, robots_delay: float | None = None) -> None:
        self.policy = policy
        self.floor = max(policy.min_delay, robots_delay or 0.0)
        self.delay = self.floor
        self.throttles = 0

    def set_robots_delay(self, robots_delay: float | None) -> None:
        floor = max(self.policy.min_delay, min(robots_delay or 0.0, self.policy.max_delay))
        self.delay = max(floor, self.delay - self.floor + floor)
        self.floor = floor

    def on_success(self) -> None:
        if self.delay > self.floor:
            self.delay = max(self.floor, self.floor + (self.delay - self.floor) * self.policy.recovery)
            if self.delay - self.floor < 0.01:
                self.delay = self.floor

    def on_throttle(self, retry_after: float | None, rng: random.Random, *, too_many: bool = False) -> float:
        """Slow down after a 429 (``too_many``) or 503; returns how long to wait before the next request.

        429 says our rate is the problem: the delay doubles every time. A 503 with Retry-After says the
        server is busy for a while: wait that long and keep a slower pace. Without Retry-After, both back
        off exponentially with jitter so that clients do not come back in lockstep.
        """
        self.throttles += 1
        p = self.policy
        step = self.floor + p.throttle_floor
        if retry_after is not None and not too_many:
            self.delay = min(p.max_delay, max(self.delay, step))
        else:
            self.delay = min(p.max_delay, max(self.delay * 2, step))
        if retry_after is not None:
            return min(retry_after, p.max_retry_after)
        return min(p.max_delay, self.delay + rng.uniform(0, self.delay))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: float = 0.5
    cap: float = 60.0

    def next_try(self, attempts: int, rng: random.Random) -> float | None:
        """Seconds until the next attempt after ``attempts`` failures, or None to park the URL."""
        if attempts >= self.max_attempts:
            return None
        return backoff_delay(attempts, base=self.base, cap=self.cap, rng=rng)


@dataclass(frozen=True)
class RevisitPolicy:
    """When done pages are due again. Deep pagination just shifts when posts are added: never revisited."""

    listing_seconds: float = 6 * 3600.0
    article_seconds: float = 30 * 86400.0
    max_listing_page: int = 3

    def after(self, role: str, page_number: int = 1) -> float | None:
        if role == "robots":
            return None  # robots.txt has its own expiry (robots_ttl), it is not a frontier page
        if role in ("sitemap", "feed"):
            return self.listing_seconds
        if role == "listing":
            return self.listing_seconds if page_number <= self.max_listing_page else None
        return self.article_seconds
