"""The extractor's service layer: one raw page event in, the events it yields out. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.common.events import EventError, ExtractionEvent, FactEvent, RawPage
from services.extractor.domain.article import MalformedPage
from services.extractor.domain.facts import EXTRACTOR_VERSION, extract_facts
from services.extractor.domain.html_article import parse_article


@dataclass(frozen=True)
class PageOutcome:
    """What one page yields: its fact events and the extraction record (None for non-article pages)."""

    facts: list[FactEvent] = field(default_factory=list)
    extraction: ExtractionEvent | None = None

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
    if page.body is None:
        reason = "body too large, not published whole" if page.truncated else "page has no body"
        raise EventError(f"{reason}: {page.url} ({page.body_bytes} bytes)")
    try:
        article = parse_article(page.body, page.url)
    except MalformedPage as exc:
        raise EventError(f"malformed article page {page.url}: {exc}") from exc
    if article is None:
        return PageOutcome()
    facts = [
        FactEvent.of(
            fact,
            article_url=page.url,
            article_title=article.title,
            article_published=article.published,
            extractor_version=extractor_version,
        )
        for fact in extract_facts(article)
    ]
    unique = list({event.fact_id: event for event in facts}.values())
    extraction = ExtractionEvent(
        article_url=page.url,
        article_title=article.title,
        article_published=article.published,
        extractor_version=extractor_version,
        content_sha256=page.content_sha256,
        fact_ids=tuple(event.fact_id for event in unique),
        extracted_at=datetime.now(UTC),
    )
    return PageOutcome(facts=unique, extraction=extraction)
