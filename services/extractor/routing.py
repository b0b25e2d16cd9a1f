"""Where one raw page's results go: its fact and extraction records, or its dead letter. No I/O.

The live agent, the replay and the benchmarks all route a page with ``route_page`` and only differ in how
they send the records, so "page -> events or dead letter" is said once.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Literal

from services.common.events import EventError, PagePosition
from services.common.kafka import dlq_headers
from services.common.records import Headers, SourceRecord
from services.common.topics import dlq_topic
from services.extractor.service import EncodedOutcome

__all__ = ["OutgoingRecord", "PageRoute", "RouteTopics", "SourceRecord", "extraction_outcome", "route_page"]

PageKind = Literal["article", "other", "dlq"]


@dataclass(frozen=True)
class RouteTopics:
    """The topics a routed page is written to."""

    facts: str
    extractions: str
    dead_letters: str

    @classmethod
    def for_raw_topic(cls, raw: str, facts: str, extractions: str) -> RouteTopics:
        return cls(facts=facts, extractions=extractions, dead_letters=dlq_topic(raw))


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = ()


@dataclass(frozen=True)
class PageRoute:
    """The records of one page, in the order they must be produced (facts before their extraction)."""

    records: tuple[OutgoingRecord, ...]
    kind: PageKind
    facts: int = 0
    reason: str | None = None  # why the page was dead-lettered


def failure_reason(exc: BaseException) -> str:
    """The one-line reason a dead letter carries."""
    return str(exc) if isinstance(exc, EventError) else f"{type(exc).__name__}: {exc}"


def route_page(
    source: SourceRecord, outcome: EncodedOutcome | BaseException, topics: RouteTopics, *, stage: str
) -> PageRoute:
    """The records to produce for ``source``: its facts then its extraction, or (on failure) a dead letter
    with the reason and the source position in its headers."""
    if isinstance(outcome, BaseException):
        reason = failure_reason(outcome)
        headers = dlq_headers(
            error=reason,
            source_topic=source.topic,
            partition=source.partition,
            offset=source.offset,
            stage=stage,
        )
        letter = OutgoingRecord(topics.dead_letters, source.key, source.value, tuple(headers))
        return PageRoute(records=(letter,), kind="dlq", reason=reason)
    # Each record names its page, so the store can order an article's events across partitions.
    page = PagePosition(source.topic, source.partition, source.offset).headers()
    records = [OutgoingRecord(topics.facts, key, value, page) for key, value in outcome.facts]
    if outcome.extraction is not None:
        key, value = outcome.extraction
        records.append(OutgoingRecord(topics.extractions, key, value, page))
    return PageRoute(
        records=tuple(records),
        kind="article" if outcome.is_article else "other",
        facts=len(outcome.facts),
    )


async def extraction_outcome(extraction: Awaitable[EncodedOutcome]) -> EncodedOutcome | Exception:
    """What an extraction gave, or the exception it failed with: a poison page must never stop its caller
    (the live agent, a replay worker); route_page dead-letters it with the reason."""
    try:
        return await extraction
    except Exception as exc:
        return exc
