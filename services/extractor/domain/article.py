"""What the extractor reads out of a page before looking for facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class MalformedPage(ValueError):
    """A page that claims to be an article but cannot be read as one (the reason goes to the DLQ)."""


@dataclass(frozen=True, slots=True)
class Article:
    url: str
    title: str
    published: datetime | None  # timezone-aware when the page says so
    lead: str  # the sapo/excerpt; "" when the page has none
    blocks: tuple[str, ...]  # body paragraphs, headings, list items and table rows, in reading order

    @property
    def text_blocks(self) -> tuple[str, ...]:
        """Title, lead and body in reading order: what fact extraction reads."""
        head = tuple(t for t in (self.title, self.lead) if t)
        return head + self.blocks
