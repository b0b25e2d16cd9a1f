"""The extractor's service layer: one raw page event in, the events it yields out. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from services.common import limits
from services.common.events import EventError, ExtractionEvent, FactEvent, RawPage
from services.extractor.domain.article import MalformedPage
from services.extractor.domain.facts import EXTRACTOR_VERSION, extract_facts
from services.extractor.domain.html_article import parse_article

# A page that answers one of these is withdrawn: its article's facts are retracted (not a dead letter).
GONE_STATUSES = frozenset({404, 410})


@dataclass(frozen=True)
class PageOutcome:
    """What one page yields: its fact events and the extraction record (None for non-article pages)."""

    facts: list[FactEvent] = field(default_factory=list)
    extraction: ExtractionEvent | None = None

    @property
    def is_article(self) -> bool:
        return self.extraction is not None


KeyValue = tuple[bytes, bytes]


@dataclass(frozen=True)
class EncodedOutcome:
    """A PageOutcome as the records to produce: what crosses the process boundary of the worker pool."""

    facts: tuple[KeyValue, ...] = ()
    extraction: KeyValue | None = None

    @property
    def is_article(self) -> bool:
        return self.extraction is not None


def process_page(page: RawPage, extractor_version: str = EXTRACTOR_VERSION) -> PageOutcome:
    """Extract the facts of one fetched page.

    Raises ``EventError`` (or its subclass-alike ``MalformedPage``) for a page that cannot be used; the
    caller puts it on the dead-letter topic. Non-article pages (listings, feeds, sitemaps) yield nothing.
    """
    if page.role in ("feed", "sitemap", "robots"):
        return PageOutcome()
    if page.status in GONE_STATUSES:
        return withdrawn(page, extractor_version)
    if page.body is None:
        reason = "body too large, not published whole" if page.truncated else "page has no body"
        raise EventError(f"{reason}: {page.url} ({page.body_bytes} bytes)")
    limits.check_url("page url", page.url)  # it becomes the article's key in the store
    try:
        article = parse_article(page.body, page.url)
    except MalformedPage as exc:
        raise EventError(f"malformed article page {page.url}: {exc}") from exc
    if article is None:
        return PageOutcome()
    title = _clip_bytes(limits.strip_controls(article.title), limits.MAX_TITLE_BYTES)
    facts = [
        FactEvent.of(
            # Evidence is quoted prose: controls stripped, an over-long sentence cut with an ellipsis.
            replace(fact, evidence=limits.clip_evidence(fact.evidence)),
            article_url=page.url,
            article_title=title,
            article_published=article.published,
            extractor_version=extractor_version,
        )
        for fact in extract_facts(article)
    ]
    unique = list({event.fact_id: event for event in facts}.values())
    extraction = ExtractionEvent(
        article_url=page.url,
        article_title=title,
        article_published=article.published,
        extractor_version=extractor_version,
        content_sha256=page.content_sha256,
        fact_ids=tuple(event.fact_id for event in unique),
        extracted_at=datetime.now(UTC),
        discovered_at=page.discovered_at,
        fetched_at=page.fetched_at,
    )
    return PageOutcome(facts=unique, extraction=extraction)


def withdrawn(page: RawPage, extractor_version: str = EXTRACTOR_VERSION) -> PageOutcome:
    """A withdrawn article (404/410 on a revisit): an extraction that yields no facts, so the store retires
    every fact of the article (the same supersede as a re-extraction). The empty title tells the store to
    keep the title it has. Other roles have no facts to retract."""
    if page.role != "article":
        return PageOutcome()
    limits.check_url("page url", page.url)
    extraction = ExtractionEvent(
        article_url=page.url,
        article_title="",
        article_published=None,
        extractor_version=extractor_version,
        content_sha256=page.content_sha256,
        fact_ids=(),
        extracted_at=datetime.now(UTC),
        discovered_at=page.discovered_at,
        fetched_at=page.fetched_at,
    )
    return PageOutcome(extraction=extraction)


def encode_outcome(outcome: PageOutcome, max_facts: int = limits.MAX_FACTS_PER_PAGE) -> EncodedOutcome:
    """The records of a page, each checked against the contract and the budgets (EventError if not).

    A page over its fact budget, or with a fact over a value budget, is refused whole: such pages are
    forged or broken, and a part of them would retire the article's real facts.
    """
    if len(outcome.facts) > max_facts:
        raise EventError(f"page yields {len(outcome.facts)} facts (limit {max_facts} per page)")
    facts = tuple((event.key, event.encode()) for event in outcome.facts)
    extraction = outcome.extraction
    encoded = (extraction.key, extraction.encode()) if extraction is not None else None
    return EncodedOutcome(facts=facts, extraction=encoded)


def extract_record(
    value: bytes | None,
    extractor_version: str = EXTRACTOR_VERSION,
    max_facts: int = limits.MAX_FACTS_PER_PAGE,
) -> EncodedOutcome:
    """Decode, extract and encode one raw page record: the unit of work of a pool worker.

    Every failure comes back as an EventError carrying only its reason, so it crosses the process boundary
    whatever the original exception was.
    """
    try:
        return encode_outcome(process_page(RawPage.decode(value), extractor_version), max_facts)
    except EventError as exc:
        raise EventError(str(exc)) from None
    except Exception as exc:  # a rule bug or a hostile page: that page's failure, never the worker's
        raise EventError(f"{type(exc).__name__}: {exc}") from None


def _clip_bytes(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    cut = data[: max_bytes - len(limits.ELLIPSIS.encode())].decode("utf-8", "ignore").rstrip()
    return cut + limits.ELLIPSIS
