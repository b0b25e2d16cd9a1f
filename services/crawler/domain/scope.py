"""What the crawler may fetch: the host allowlist, trap patterns with budgets, and a role guess by URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.crawler.domain.urls import DEFAULT_PORTS, host_of, www_twin

# Never fetched: admin/login/API endpoints, assets, search, shortlinks, comment feeds, embeds.
_REFUSED_PATHS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "admin",
        re.compile(
            r"^/(?:wp-login\.php|wp-admin(?:/|$)|xmlrpc\.php|wp-cron\.php|wp-comments-post\.php|wp-signup\.php|wp-activate\.php|wp-trackback\.php)"
        ),
    ),
    ("api", re.compile(r"^/wp-json(?:/|$)")),
    ("asset", re.compile(r"^/(?:wp-content|wp-includes)/")),
    ("comment_feed", re.compile(r"^/(?:comments/feed/?$|.+/(?:feed|trackback|embed)/?$)")),
    ("comment_page", re.compile(r"/comment-page-\d+/?$")),
)
# Feeds we do read: the site feed and category feeds (an RSS item list is a cheap discovery source).
_FEED_OK = re.compile(r"^/(?:feed|(?:category|tag)/[^/]+/feed)/?$")
_REFUSED_PARAMS = {
    "s": "search",
    "p": "shortlink",
    "page_id": "shortlink",
    "attachment_id": "shortlink",
    "redirect_to": "admin",
    "rsd": "admin",
    "format": "api",
    "feed": "comment_feed",
    "preview": "admin",
    "action": "admin",
    "orderby": "query",
    "order": "query",
}
_ASSET_EXT = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|css|js|mjs|json|pdf|zip|rar|7z|gz|tgz|bz2|xz|docx?|xlsx?|pptx?"
    r"|odt|ods|mp[34]|m4a|avi|mov|wmv|flv|webm|ogg|wav|exe|msi|apk|dmg|iso|woff2?|ttf|eot|csv)$",
    re.IGNORECASE,
)
_PAGINATION = re.compile(r"/page/(\d+)/?$")
_DAY = re.compile(r"^/\d{4}/\d{2}/\d{2}(?:/|$)")
_MONTH = re.compile(r"^/\d{4}/\d{2}(?:/|$)")
_YEAR = re.compile(r"^/\d{4}(?:/|$)")
_TAXONOMY = re.compile(r"^/(category|tag|author)/")
_SITEMAP = re.compile(
    r"(?:^/(?:wp-)?sitemap[^/]*\.xml$|^/[^/]*sitemap[^/]*\.xml$|^/sitemap(?:_index)?\.xml$)"
)

# Per-pattern budgets: how many URLs of a pattern one crawl state may ever queue. 0 = trap, never queued.
DEFAULT_BUDGETS: Mapping[str, int] = {
    "archive_day": 0,
    "archive_month": 2_000,
    "archive_year": 200,
    "pagination": 50_000,
    "category": 20_000,
    "tag": 20_000,
    "author": 5_000,
    "query": 500,
}
DEFAULT_MAX_PAGE = 2_000  # /page/N/ beyond this is an endless paginator
# Longer URLs are refused when discovered: real pages are far shorter, generated traps are not.
DEFAULT_MAX_URL_BYTES = 2_048
# A path repeating one segment this often (/x/x/x/, /a/b/a/b/a/b/) is a relative-link loop, not a page.
DEFAULT_MAX_SEGMENT_REPEATS = 3


def origin_key(url: str) -> str | None:
    """``scheme://host:port`` with the port always spelled out: the unit of scope."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def _origins(scheme: str | None, host: str, port: int | None) -> set[str]:
    """The origins one allowlist entry stands for. A host on a default port (or without a port) may be
    reached over http and https (sites move between the two); any other port only as given."""
    schemes = [scheme] if scheme else list(DEFAULT_PORTS)
    if port is None or (scheme is not None and port == DEFAULT_PORTS[scheme]):
        return {f"{s}://{host}:{p}" for s, p in DEFAULT_PORTS.items()}
    return {f"{s}://{host}:{port}" for s in schemes}


def parse_allow_entry(entry: str) -> set[str]:
    """``--allow-host`` values: ``host``, ``host:port`` or ``scheme://host[:port]``."""
    entry = entry.strip().lower()
    if not entry:
        return set()
    has_scheme = "://" in entry
    parts = urlsplit(entry if has_scheme else "http://" + entry)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"not a host: {entry!r}")
    return _origins(parts.scheme if has_scheme else None, host, parts.port)


def repeated_segments(path: str) -> int:
    """How often the most frequent non-empty path segment occurs."""
    counts: dict[str, int] = {}
    for seg in path.split("/"):
        if seg:
            counts[seg] = counts.get(seg, 0) + 1
    return max(counts.values(), default=0)


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    pattern: str  # the budget/trap pattern the URL belongs to ("" for plain pages)
    reason: str = ""


@dataclass(frozen=True)
class Scope:
    allowed_origins: frozenset[str]  # scheme://host:port
    budgets: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    max_page: int = DEFAULT_MAX_PAGE
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    max_segment_repeats: int = DEFAULT_MAX_SEGMENT_REPEATS

    @classmethod
    def for_seeds(cls, seeds: Iterable[str], extra_hosts: Iterable[str] = (), **kwargs: object) -> Scope:
        """Default allowlist: the seeds' origins and their www. twins, plus any explicitly allowed origin.

        Scope is scheme + host + port: a seed on 127.0.0.1:8000 does not put other local ports in scope.
        """
        origins: set[str] = set()
        for seed in seeds:
            parts = urlsplit(seed)
            host = host_of(seed)
            for h in (host, www_twin(host)):
                origins |= _origins(parts.scheme.lower(), h, parts.port)
        for entry in extra_hosts:
            origins |= parse_allow_entry(entry)
        return cls(allowed_origins=frozenset(origins), **kwargs)  # type: ignore[arg-type]

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """The host names in scope (on some port)."""
        return frozenset(host_of(o) for o in self.allowed_origins)

    def host_allowed(self, url: str) -> bool:
        return origin_key(url) in self.allowed_origins

    def url_too_long(self, url: str) -> bool:
        return len(url.encode("utf-8", "surrogatepass")) > self.max_url_bytes

    def check(self, url: str) -> Verdict:
        """Is this canonical URL worth fetching? Budgets are enforced by the caller with ``pattern``."""
        if self.url_too_long(url):
            return Verdict(False, "url_too_long", f"URL over {self.max_url_bytes} bytes")
        if not self.host_allowed(url):
            return Verdict(False, "offsite", "host not allowed")
        parts = urlsplit(url)
        path = parts.path
        if repeated_segments(path) >= self.max_segment_repeats:
            return Verdict(False, "repeated_path", "trap: repeated path segment")
        for name, rx in _REFUSED_PATHS:
            if rx.search(path) and not _FEED_OK.match(path):
                return Verdict(False, name, f"trap: {name}")
        if _ASSET_EXT.search(path):
            return Verdict(False, "asset", "not a page")
        if parts.query:
            for pair in parts.query.split("&"):
                name = pair.split("=", 1)[0].lower()
                if name in _REFUSED_PARAMS:
                    return Verdict(False, _REFUSED_PARAMS[name], f"trap: ?{name}=")
        m = _PAGINATION.search(path)
        if m and int(m.group(1)) > self.max_page:
            return Verdict(False, "pagination", "pagination too deep")
        pattern = url_pattern(path, parts.query)
        if pattern and self.budgets.get(pattern, 1) <= 0:
            return Verdict(False, pattern, f"trap: {pattern}")
        return Verdict(True, pattern)


def url_pattern(path: str, query: str = "") -> str:
    """The budget class of a path: archives by granularity, taxonomies, pagination, query URLs."""
    if _DAY.match(path):
        return "archive_day"
    if query:
        return "query"
    if _MONTH.match(path):
        return "archive_month"
    if _YEAR.match(path):
        return "archive_year"
    if _PAGINATION.search(path):
        return "pagination"
    m = _TAXONOMY.match(path)
    if m:
        return m.group(1)
    return ""


def is_pagination(url: str) -> bool:
    return _PAGINATION.search(urlsplit(url).path) is not None


def page_number(path: str) -> int:
    m = _PAGINATION.search(path)
    return int(m.group(1)) if m else 1


def guess_role(url: str) -> str:
    """The role a URL most likely has before it is fetched (priority and revisit schedule use it)."""
    parts = urlsplit(url)
    path = parts.path
    if path == "/robots.txt":
        return "robots"
    if _SITEMAP.search(path):
        return "sitemap"
    if _FEED_OK.match(path) or path.endswith((".rss", "/rss", "/atom")):
        return "feed"
    if path == "/" or url_pattern(path, parts.query) or _PAGINATION.search(path):
        return "listing"
    return "article"


# Lower fetches first: robots -> sitemaps -> feeds -> articles -> first listing pages -> deep pagination.
_ROLE_PRIORITY = {"robots": 0, "sitemap": 1, "feed": 2, "article": 3, "other": 3, "listing": 4}


def priority(url: str, role: str | None = None) -> int:
    role = role or guess_role(url)
    base = _ROLE_PRIORITY.get(role, 3)
    if role == "listing" and page_number(urlsplit(url).path) > 1:
        return base + 1
    return base
