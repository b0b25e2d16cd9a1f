"""Parsing fetched documents: charset, HTML links and hints, sitemaps, feeds, robots.txt. No I/O."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from protego import Protego
from selectolax.lexbor import LexborHTMLParser

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-.]+)["']""")
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
_LOC = re.compile(r"<(?:\w+:)?loc>\s*(?:<!\[CDATA\[)?\s*([^<\s\]]+)", re.IGNORECASE)
_ROOT = re.compile(r"<(?!\?|!)(?:(\w+):)?(\w+)[\s>/]")
_FEED_LINK = re.compile(r"<link>\s*(?:<!\[CDATA\[)?\s*([^<\s\]]+)", re.IGNORECASE)
_ATOM_LINK = re.compile(r"<(?:atom:)?link\b([^>]*)/?>", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_REL = re.compile(r"""rel\s*=\s*["']([^"']+)["']""", re.IGNORECASE)

HTML_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = (
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
)
# Link relations in <head> that point at documents worth reading (stylesheets, icons, APIs are not).
_FOLLOWED_LINK_RELS = frozenset({"canonical", "next", "prev", "alternate"})
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_kept_type(content_type: str | None, *, robots: bool = False) -> bool:
    """Only HTML and XML are kept (robots.txt is text/plain by nature)."""
    mt = media_type(content_type)
    if robots:
        return mt in ("text/plain", "") or mt in HTML_TYPES
    return mt in HTML_TYPES or mt in XML_TYPES or mt.endswith("+xml")


# Python codecs that are "text encodings" to the codec registry but not document charsets: decoding a page
# with them raises (idna, undefined) or produces nonsense (punycode, the escape codecs).
_NOT_DOCUMENT_CHARSETS = frozenset(
    {"idna", "punycode", "undefined", "raw_unicode_escape", "unicode_escape", "mbcs", "oem", "utf_7"}
)


def usable_charset(name: str) -> str | None:
    """``name`` lower-cased if it is a charset a web page may be decoded with, else None."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name.replace("-", "_") in _NOT_DOCUMENT_CHARSETS:
        return None
    try:
        "".encode(name)  # codecs that are not text encodings (rot13, zlib...) raise LookupError here
    except (LookupError, ValueError, UnicodeError):
        return None
    return name.lower()


def sniff_charset(content_type: str | None, body: bytes) -> str:
    """Charset from the Content-Type header, else the document's own declaration, else UTF-8."""
    for candidate in _charset_candidates(content_type, body):
        usable = usable_charset(candidate)
        if usable is not None:
            return usable
    return "utf-8"


def _charset_candidates(content_type: str | None, body: bytes) -> list[str]:
    found: list[str] = []
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m:
            found.append(m.group(1))
    head = body[:4096]
    for rx in (_XML_ENCODING, _META_CHARSET):
        mb = rx.search(head)
        if mb:
            found.append(mb.group(1).decode("ascii", "replace"))
    return found


def decode_body(body: bytes, charset: str) -> str:
    return decode_document(body, charset)[0]


def decode_document(body: bytes, charset: str) -> tuple[str, str]:
    """The text and the charset actually used: a codec that cannot decode the page falls back to UTF-8."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    try:
        return body.decode(charset, "replace"), charset
    except (LookupError, UnicodeError, ValueError, TypeError):
        return body.decode("utf-8", "replace"), "utf-8"


# A tag, for the nesting estimate: closing slash, name, self-closing slash (SVG icons write <path ... />).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
# Elements that never nest (void) or that the parser closes implicitly (optional end tags): counting them
# would make an ordinary list of unclosed <li> or <p> look deep.
_FLAT_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
        "html",
        "head",
        "body",
    ]
)


def html_depth(text: str, limit: int) -> int:
    """How deep the document's elements nest (an estimate from its tags), stopping once past ``limit``.

    The HTML parser's cost grows quadratically with nesting (100k nested <div>: ~30 s), so a page deeper
    than its budget is refused before it is parsed.
    """
    depth = deepest = 0
    for m in _TAG.finditer(text):
        closing, name, self_closing = m.groups()
        if self_closing or name.lower() in _FLAT_TAGS:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


@dataclass(slots=True)
class HtmlInfo:
    links: list[str] = field(default_factory=list)
    canonical: str | None = None
    noindex: bool = False
    nofollow: bool = False
    is_article: bool = False
    is_static_page: bool = False


def parse_html(text: str) -> HtmlInfo:
    """Links (raw hrefs, resolved later), rel=canonical, robots meta and whether the page is an article."""
    tree = LexborHTMLParser(text)
    info = HtmlInfo()
    base_node = tree.css_first("base[href]")
    base = base_node.attributes.get("href") if base_node is not None else None
    for meta in tree.css("meta[name]"):
        name = (meta.attributes.get("name") or "").lower()
        if name in ("robots", "hqfacts-crawler"):
            content = (meta.attributes.get("content") or "").lower()
            info.noindex = info.noindex or "noindex" in content or "none" in content
            info.nofollow = info.nofollow or "nofollow" in content or "none" in content
    og_type = tree.css_first('meta[property="og:type"]')
    body = tree.body
    classes = set((body.attributes.get("class") or "").split()) if body is not None else set()
    og = (og_type.attributes.get("content") or "").lower() if og_type is not None else ""
    # WordPress marks posts with body.single-post; other CMSs with og:type=article.
    info.is_article = (
        "single-post" in classes or ("single" in classes and "page" not in classes) or og == "article"
    )
    info.is_static_page = "page" in classes and not info.is_article
    links = info.links
    for node in tree.css("link[href]"):
        attrs = node.attributes
        rels = set((attrs.get("rel") or "").lower().split())
        href = attrs.get("href")
        if not href or not rels & _FOLLOWED_LINK_RELS:
            continue
        if "canonical" in rels:
            info.canonical = href
        elif "alternate" in rels and (attrs.get("type") or "").lower() not in _FEED_TYPES:
            continue
        links.append(href)
    if not info.nofollow:
        for node in tree.css("a[href]"):
            attrs = node.attributes
            rel = attrs.get("rel")
            if rel and "nofollow" in rel.lower():
                continue
            href = attrs.get("href")
            if href:
                links.append(href)
    if base:
        info.links = [_join_base(base, h) for h in links]
        if info.canonical:
            info.canonical = _join_base(base, info.canonical)
    return info


def _join_base(base: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, href)


def xml_root(text: str) -> str:
    """The local name of the document element ('urlset', 'sitemapindex', 'rss', 'feed', ...)."""
    m = _ROOT.search(text, 0, 8192) if text else None
    return m.group(2).lower() if m else ""


def parse_sitemap(text: str) -> list[str]:
    """<loc> entries of a sitemap or sitemap index (regex: tolerant of broken XML and namespaces)."""
    return [loc.replace("&amp;", "&") for loc in _LOC.findall(text)]


def parse_feed(text: str) -> list[str]:
    """Item links of an RSS 2.0 / RDF / Atom feed."""
    links = [x.replace("&amp;", "&") for x in _FEED_LINK.findall(text)]
    for attrs in _ATOM_LINK.findall(text):
        rel = _REL.search(attrs)
        if rel and rel.group(1).lower() not in ("alternate",):
            continue
        href = _HREF.search(attrs)
        if href:
            links.append(href.group(1).replace("&amp;", "&"))
    return links


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """A parsed robots.txt; ``allow_all`` stands for a missing (4xx) file."""

    parser: Protego | None
    sitemaps: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> RobotsRules:
        parser = Protego.parse(text)
        return cls(parser=parser, sitemaps=tuple(parser.sitemaps))

    @classmethod
    def allow_all(cls) -> RobotsRules:
        return cls(parser=None)

    def allowed(self, url: str, user_agent: str) -> bool:
        return True if self.parser is None else bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None
