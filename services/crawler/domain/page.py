"""What a fetched document is and what it links to: role, decoded text, outgoing links, canonical."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from services.common.events import PageRole
from services.crawler.domain.parse import (
    HTML_TYPES,
    decode_document,
    html_depth,
    media_type,
    parse_feed,
    parse_html,
    parse_sitemap,
    sniff_charset,
    xml_root,
)
from services.crawler.domain.scope import DEFAULT_MAX_URL_BYTES
from services.crawler.domain.urls import canonicalize


@dataclass(slots=True)
class Analysis:
    role: PageRole
    charset: str
    text: str
    sha256: str
    links: list[str] = field(default_factory=list)  # canonical absolute URLs, in document order, unique
    canonical: str | None = None  # the page's rel=canonical when it names another URL
    noindex: bool = False
    long_links: int = 0  # links refused for their length before canonicalisation


DEFAULT_MAX_HTML_DEPTH = 1_000


class PageRefusedError(ValueError):
    """The document is over a budget (nesting depth): it is parked with this reason, not parsed."""


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def analyse(
    url: str,
    final_url: str,
    content_type: str | None,
    body: bytes,
    x_robots: str | None = None,
    *,
    max_html_depth: int = DEFAULT_MAX_HTML_DEPTH,
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES,
) -> Analysis:
    """Classify a 200 response and extract its links (resolved against the final URL).

    Raises PageRefusedError when an HTML document nests deeper than ``max_html_depth``.
    """
    text, charset = decode_document(body, sniff_charset(content_type, body))
    sha = content_hash(body)
    mt = media_type(content_type)
    raw: list[str]
    canonical: str | None = None
    noindex = bool(x_robots and ("noindex" in x_robots.lower() or "none" in x_robots.lower()))
    role: PageRole
    if mt in HTML_TYPES or (not mt and "<html" in text[:2048].lower()):
        depth = html_depth(text, max_html_depth)
        if depth > max_html_depth:
            raise PageRefusedError(f"HTML nested deeper than {max_html_depth} elements")
        info = parse_html(text)
        raw = info.links
        role = "article" if info.is_article else ("other" if info.is_static_page else "listing")
        noindex = noindex or info.noindex
        if info.canonical:
            canonical = canonicalize(info.canonical, final_url)
    else:
        root = xml_root(text)
        if root in ("urlset", "sitemapindex"):
            role, raw = "sitemap", parse_sitemap(text)
        elif root in ("rss", "feed", "rdf"):
            role, raw = "feed", parse_feed(text)
        else:
            role, raw = "other", []
    links: dict[str, None] = {}
    long_links = 0
    for href in dict.fromkeys(raw):
        if len(href) > 4 * max_url_bytes:
            # Far over the budget whatever canonicalisation drops (fragment, trackers): never processed.
            long_links += 1
            continue
        c = canonicalize(href, final_url)
        if c is not None:
            links[c] = None
    own = canonicalize(final_url)
    if canonical == own or canonical == canonicalize(url):
        canonical = None
    return Analysis(
        role=role,
        charset=charset,
        text=text,
        sha256=sha,
        links=list(links),
        canonical=canonical,
        noindex=noindex,
        long_links=long_links,
    )
