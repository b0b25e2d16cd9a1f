"""URL canonicalisation: one spelling per page, so the seen set, the state and the Kafka keys agree.

Percent-escapes are normalised to lower-case hex (what WordPress itself writes in sitemaps and
rel=canonical), unreserved characters are decoded, raw non-ASCII is encoded, default ports and fragments
are dropped, and tracking/reply parameters are removed. Query parameters are sorted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_HEX = frozenset("0123456789abcdefABCDEF")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that never change the content: trackers, WordPress reply/share/print/amp views.
DROPPED_PARAMS = frozenset(
    {
        "replytocom",
        "share",
        "amp",
        "print",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        # Session ids: every visit spells the same page differently (a crawler trap without end).
        "jsessionid",
        "phpsessid",
        "sid",
        "sessionid",
        "session_id",
        "sessid",
        "aspsessionid",
        "cfid",
        "cftoken",
        "oscsid",
        "zenid",
    }
)
# Session ids carried as path parameters (Java servlets: /a;jsessionid=ABC?x=1), dropped from the path.
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/;?#]*", re.IGNORECASE)
DROPPED_PREFIXES = ("utm_",)
NON_HTTP_SCHEMES = ("mailto:", "javascript:", "tel:", "data:", "ftp:", "sms:", "skype:", "viber:", "zalo:")


def _normalise_component(text: str, safe: frozenset[str]) -> str:
    """Decode escaped unreserved characters, lower-case the other escapes, escape what must be."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                byte = int(text[i + 1 : i + 3], 16)
                decoded = chr(byte)
                out.append(
                    decoded if byte < 128 and decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].lower()
                )
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _dot_segments(path: str) -> str:
    if "/." not in path:
        return path
    segments: list[str] = []
    parts = path.split("/")
    for seg in parts[1:]:
        if seg == "..":
            if segments:
                segments.pop()
        elif seg != ".":
            segments.append(seg)
    tail = "/" if parts[-1] in (".", "..") else ""
    return "/" + "/".join(segments) + tail


def _keep_param(name: str) -> bool:
    low = _PCT.sub(lambda m: chr(int(m.group(1), 16)), name).lower()
    return low not in DROPPED_PARAMS and not low.startswith(DROPPED_PREFIXES)


def canonicalize(url: str, base: str | None = None) -> str | None:
    """The canonical absolute form of ``url`` (resolved against ``base``), or None if not http(s)."""
    url = url.strip()
    if base is not None and not url.lower().startswith(("http://", "https://")):
        if not url or url.startswith("#") or url.lower().startswith(NON_HTTP_SCHEMES):
            return None
        url = urljoin(base, url)
    if len(url) > _CACHED_URL_CHARS:
        # Long links are rare on real sites and common on hostile ones: kept out of the cache's memory.
        return _canonicalize.__wrapped__(url)
    return _canonicalize(url)


_CACHED_URL_CHARS = 1_024


# Pages repeat the same absolute links (menus, sidebars, calendars): the cache is keyed by them alone.
@lru_cache(maxsize=32768)
def _canonicalize(url: str) -> str | None:
    url = url.strip()
    if not url or url.startswith("#"):
        return None
    if url.lower().startswith(NON_HTTP_SCHEMES):
        return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            return None
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _dot_segments(_normalise_component(_PATH_SESSION.sub("", parts.path) or "/", _PATH_SAFE))
    query = ""
    if parts.query:
        kept = [
            _normalise_component(p, _QUERY_SAFE)
            for p in parts.query.split("&")
            if p and _keep_param(p.split("=", 1)[0])
        ]
        query = "&".join(sorted(kept))
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """Lower-case host name without port (the unit of politeness and of the allowlist)."""
    return (urlsplit(url).hostname or "").lower()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def www_twin(host: str) -> str:
    return host[4:] if host.startswith("www.") else "www." + host
