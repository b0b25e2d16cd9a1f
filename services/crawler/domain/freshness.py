"""Feed-first polling: which pages are polled, how often, and what a changed poll says to revisit. No I/O.

The crawler keeps a site fresh by polling a few pages that change whenever a post appears, changes or
goes: the site-wide feed(s), the home page, the sitemap index and the newest posts sitemap. A poll is a
conditional GET (304 = nothing new); a changed poll page is compared item by item with the previous one,
and its new, changed and vanished items are (re)visited first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.crawler.domain.urls import canonicalize

# Frontier priorities below every role's (robots 0 ... deep pagination 5): a due poll, then what a poll
# found, go before the backlog of a sweep.
POLL_PRIORITY = -2
FRESH_PRIORITY = -1

# Site-wide feeds (WordPress /feed/, /feed/atom/, /rss/ ...), not the category, tag or comment feeds.
_SITE_FEED = re.compile(
    r"^/(?:feed|rss|atom)(?:/(?:rss2?|atom|rdf))?/?$|^/(?:feed|rss|atom|index)\.(?:xml|rss)$"
)
# The sitemap entry points sites name (robots.txt names others: they are poll targets too).
_SITEMAP_INDEX = re.compile(r"^/(?:wp-sitemap|sitemap_index|sitemap|sitemap-index)\.xml$")
# Posts sitemaps of WordPress core (wp-sitemap-posts-post-3.xml), Yoast (post-sitemap3.xml), Rank Math.
_POSTS_SITEMAP = re.compile(r"(?:posts-post-|post-sitemap)(\d*)\.xml$")

_ITEM = re.compile(r"<(item|entry)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ITEM_LINK = re.compile(r"<link>\s*(?:<!\[CDATA\[)?\s*([^<\s\]]+)", re.IGNORECASE)
_ATOM_HREF = re.compile(r"<(?:atom:)?link\b[^>]*?href\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_ENTRY = re.compile(r"<(url|sitemap)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_LOC = re.compile(r"<(?:\w+:)?loc>\s*(?:<!\[CDATA\[)?\s*([^<\s\]]+)", re.IGNORECASE)
_LASTMOD = re.compile(r"<(?:\w+:)?lastmod>\s*([^<\s]+)", re.IGNORECASE)


def is_poll_target(url: str) -> bool:
    """Whether a URL is polled by its address alone: the home page, a site feed, a sitemap entry point."""
    parts = urlsplit(url)
    if parts.query:
        return False
    path = parts.path or "/"
    return path == "/" or bool(_SITE_FEED.match(path) or _SITEMAP_INDEX.match(path))


def newest_sitemap(children: Iterable[str]) -> str | None:
    """The posts sitemap holding the newest posts (the highest-numbered one), among a sitemap index's."""
    best: tuple[int, str] | None = None
    for child in children:
        m = _POSTS_SITEMAP.search(urlsplit(child).path)
        if m is None:
            continue
        n = int(m.group(1) or 1)
        if best is None or n > best[0]:
            best = (n, child)
    return best[1] if best else None


def _fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:16]


def feed_items(text: str, base: str) -> dict[str, str]:
    """Canonical item link -> fingerprint of the whole item (an edited post changes its item's content)."""
    items: dict[str, str] = {}
    for m in _ITEM.finditer(text):
        block = m.group(0)
        link = _ITEM_LINK.search(block) or _ATOM_HREF.search(block)
        if link is None:
            continue
        url = canonicalize(link.group(1).replace("&amp;", "&"), base)
        if url is not None:
            items[url] = _fingerprint(block)
    return items


def sitemap_entries(text: str, base: str) -> dict[str, str]:
    """Canonical <loc> -> its <lastmod> ('' without one)."""
    entries: dict[str, str] = {}
    for m in _ENTRY.finditer(text):
        block = m.group(0)
        loc = _LOC.search(block)
        if loc is None:
            continue
        url = canonicalize(loc.group(1).replace("&amp;", "&"), base)
        if url is not None:
            lastmod = _LASTMOD.search(block)
            entries[url] = lastmod.group(1) if lastmod else ""
    return entries


def poll_items(role: str, text: str, base: str, links: Iterable[str]) -> dict[str, str]:
    """What a poll page lists, item -> fingerprint: feed items, sitemap entries, or a listing's links
    (whose content cannot be told apart: only their arrival and departure count)."""
    if role == "feed":
        return feed_items(text, base)
    if role == "sitemap":
        return sitemap_entries(text, base)
    return dict.fromkeys(links, "")


def to_revisit(previous: Mapping[str, str] | None, current: Mapping[str, str]) -> set[str]:
    """Items a changed poll page says to look at again: new, changed (fingerprint) and vanished ones.

    The first poll after a start has nothing to compare with: nothing is revisited (its unknown links are
    discovered as usual). A vanished item may be withdrawn (it 404s) or only pushed out of a feed's last 10
    (a conditional GET says 304): either way one request.
    """
    if previous is None:
        return set()
    changed = {url for url, fp in current.items() if previous.get(url) != fp}
    return changed | (previous.keys() - current.keys())


@dataclass(frozen=True)
class PollPolicy:
    """How often a poll target is polled: the minimum while it changes, slower while it does not."""

    min_seconds: float = 60.0
    max_seconds: float = 900.0
    slowdown: float = 1.5  # each unchanged poll stretches the interval by this factor, up to the maximum

    def next_interval(self, current: float | None, changed: bool) -> float:
        if changed or current is None:
            return self.min_seconds
        return min(self.max_seconds, max(self.min_seconds, current * self.slowdown))

    @property
    def tick(self) -> float:
        """How often due polls are looked for: a tenth of the minimum interval, within [0.2 s, 10 s]."""
        return min(10.0, max(0.2, self.min_seconds / 10))


__all__ = [
    "FRESH_PRIORITY",
    "POLL_PRIORITY",
    "PollPolicy",
    "feed_items",
    "is_poll_target",
    "newest_sitemap",
    "poll_items",
    "sitemap_entries",
    "to_revisit",
]
