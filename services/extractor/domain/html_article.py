"""Find the article in a news page, without relying on one theme's class names.

One parse, then a few targeted walks: the head (og/JSON-LD/meta) tells whether the page claims to be
an article and gives title/date/lead candidates; text density picks the content container; one walk
over that container yields the body blocks in reading order.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from services.extractor.domain.article import Article, MalformedPage

# hddtvn.com publishes in Vietnam's time (UTC+7); dates shown without an offset are read in it.
SITE_TIMEZONE = timezone(timedelta(hours=7))

__all__ = ["is_credit_line", "norm_text", "parse_article"]

# --- text helpers -------------------------------------------------------------------------------

# A regex, not str.translate: translate is slow on non-ASCII text and this runs on every block.
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def norm_text(s: str) -> str:
    """NFC, no zero-width characters, single spaces (NBSP and friends count as spaces)."""
    s = " ".join(_ZERO_WIDTH_RE.sub("", s).split())
    return s if unicodedata.is_normalized("NFC", s) else unicodedata.normalize("NFC", s)


# Photo credits and source lines carry no facts and are not article prose.
_CREDIT_RE = re.compile(
    r"^[(\[]?(?:Ảnh|Nguồn|Biểu đồ|Đồ họa|Đồ hoạ|Infographic|Clip|Video)(?:\s+minh\s+h[ọo]ạ?)?\s*[:.)\]]"
    r"|^Ảnh minh h[ọo]ạ?\b",
    re.IGNORECASE,
)


def is_credit_line(text: str) -> bool:
    """A short "Ảnh: …" / "Nguồn: …" line: a caption or credit, not body text."""
    return len(text) <= 120 and _CREDIT_RE.match(text) is not None


# Widget residue that can survive when a rating plugin uses unknown class names.
_WIDGET_TEXT_RE = re.compile(
    r"^(?:Rate this post|Đánh giá bài viết"
    r"|\d+(?:[.,]\d+)?\s*/\s*\d+\s*(?:-\s*)?\(\s*\d+\s*(?:bình chọn|votes?)\s*\))$",
    re.IGNORECASE,
)

_HAS_ALNUM = re.compile(r"[^\W_]")

_TRUNC_MARKS = ("[…]", "[...]", "…", "...")

# --- tag classes ----------------------------------------------------------------------------------

# Subtrees that never hold article prose.
_SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "video",
        "audio", "canvas", "map", "form", "button", "input", "select", "textarea", "label", "nav",
        "aside", "header", "footer", "figcaption", "img", "picture", "source", "head", "title", "meta",
        "link", "-comment",
    }
)  # fmt: skip
# Elements that end the current line of text (the rest is inline and flows into one block).
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
        "dl", "dt", "dd", "blockquote", "pre", "figure", "table", "thead", "tbody", "tfoot", "tr",
        "caption", "hr", "address", "details", "summary", "center",
    }
)  # fmt: skip
# Generic (not theme-specific) class/id words of page furniture: share bars, ratings, related posts,
# comments, author boxes, captions, navigation, ads.
_NOISE_RE = re.compile(
    r"(?:^|[-_])(?:share|sharing|sharedaddy|addtoany|social|rating|ratings|kksr|stars?|related|"
    r"relatedposts|yarpp|comments?|respond|author|byline|breadcrumbs?|sidebar|widget|navigation|nav|"
    r"pagination|tags|tagcloud|meta|ads?|advert|advertisement|banner|promo|subscribe|newsletter|popup|"
    r"modal|toc|print|caption|wp-caption-text|screen-reader-text|sr-only|hidden|post-views|"
    r"prev|next|readmore|read-more|see-also|xem-them|xemthem|tin-lien-quan|tinlienquan|lienquan|tin-khac|"
    r"tinkhac|doc-nhieu|docnhieu)(?:$|[-_])",
    re.IGNORECASE,
)
# post_class() tokens name the post's own terms ("tag-social-media"): not furniture.
_TAXONOMY_PREFIXES = ("tag-", "category-", "postid-", "format-", "status-", "type-")
# WordPress core body classes (any theme) of pages that are not a single post.
_NON_ARTICLE_BODY = frozenset(
    {"home", "blog", "archive", "category", "tag", "author", "date", "search", "error404", "paged", "page",
     "login", "attachment"}
)  # fmt: skip
_ARTICLE_LD_TYPES = frozenset(
    {"Article", "NewsArticle", "BlogPosting", "ReportageNews", "AnalysisNewsArticle", "OpinionNewsArticle",
     "BackgroundNewsArticle", "Report", "TechArticle", "LiveBlogPosting"}
)  # fmt: skip
_TITLE_SEPS = (" – ", " — ", " - ", " | ", " · ", " » ", " :: ", " : ")

_DMY_RE = re.compile(
    r"(?<!\d)(?:(?P<h1>\d{1,2})[:h](?P<m1>\d{2})\s*(?:[-,|]\s*)?(?:[^\W\d_]+,?\s*)?)?"
    r"(?P<d>\d{1,2})[/.-](?P<mo>\d{1,2})[/.-](?P<y>(?:19|20)\d{2})(?!\d)"
    r"(?:\s*(?:[-,|]|lúc)?\s*(?P<h2>\d{1,2})[:h](?P<m2>\d{2}))?"
)

# Month names as themes print them: WordPress's Vietnamese ("Tháng Mười Hai") and English ones.
_VI_MONTH_NAMES = {
    "mười một": 11, "mười hai": 12, "chạp": 12, "giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4,
    "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10,
}  # fmt: skip
_EN_MONTH_NAMES = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = _VI_MONTH_NAMES | _EN_MONTH_NAMES


def _alternatives(names: dict[str, int]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))  # longest first: "mười hai" before "mười"


_VI_MONTH = rf"(?:\d{{1,2}}|{_alternatives(_VI_MONTH_NAMES)})"
_EN_MONTH = rf"(?:{_alternatives(_EN_MONTH_NAMES)})\.?"
_YEAR = r"(?P<y>(?:19|20)\d{2})(?!\d)"
# Other ways a theme shows the publication date in the page (after the dd/mm/yyyy of _DMY_RE):
VISIBLE_DATE_FORMATS = (
    # "ngày 3 tháng 12 năm 2020", "3 Tháng Mười Hai, 2020"
    re.compile(
        rf"(?<!\d)(?P<d>\d{{1,2}})\s+tháng\s+(?P<mo>{_VI_MONTH})\s*(?:,\s*|\s+)(?:năm\s+)?{_YEAR}", re.I
    ),
    # "Tháng Mười Hai 3, 2020" (WordPress's "F j, Y" in Vietnamese)
    re.compile(rf"tháng\s+(?P<mo>{_VI_MONTH})\s+(?P<d>\d{{1,2}})\s*,\s*{_YEAR}", re.I),
    # "December 3, 2020", "3 December 2020"
    re.compile(rf"\b(?P<mo>{_EN_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}", re.I),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mo>{_EN_MONTH}),?\s+{_YEAR}", re.I),
    # "2020-12-03"
    re.compile(r"(?<![\d-])(?P<y>(?:19|20)\d{2})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d-])"),
)
# Words that say a date is the publication's, when it is not shown right under the title.
PUBLISHED_LABEL = re.compile(
    r"(?:ngày\s+đăng|đăng\s+(?:ngày|lúc|vào(?:\s+lúc)?)|(?:ngày\s+)?xuất\s+bản|thời\s+gian\s+đăng|"
    r"posted(?:\s+on)?|published(?:\s+on)?)\s*:?\s*(?:lúc\s+\d{1,2}[:h]\d{2}\s*,?\s*)?(?:ngày\s*)?$",
    re.IGNORECASE,
)
# A time of day next to such a date ("lúc 08:15", "08h15").
_TIME_NEAR_DATE = re.compile(
    r"(?<!\d)(?P<h>[01]?\d|2[0-3])[:h](?P<m>[0-5]\d)(?!\d)(?:\s*(?P<pm>pm|p\.m\.|CH\b|chiều))?", re.I
)


# --- head ---------------------------------------------------------------------------------------


def _head_meta(tree: LexborHTMLParser) -> dict[str, str]:
    meta: dict[str, str] = {}
    for m in tree.css("meta"):
        a = m.attributes
        key = a.get("property") or a.get("name") or a.get("itemprop")
        content = a.get("content")
        if key and content is not None:
            meta.setdefault(key.lower(), content)
    return meta


def _ld_objects(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(s.text(deep=True))
        except ValueError:
            continue
        stack: list[Any] = [data]
        while stack:
            x = stack.pop()
            if isinstance(x, list):
                stack.extend(reversed(x))
            elif isinstance(x, dict):
                out.append(x)
                if "@graph" in x:
                    stack.append(x["@graph"])
    return out


def _ld_types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def _ld_str(obj: dict[str, Any] | None, key: str) -> str:
    if obj is None:
        return ""
    v = obj.get(key)
    return norm_text(v) if isinstance(v, str) else ""


def _parse_dt(s: str) -> datetime | None:
    s = s.strip()
    if not s:
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        return None


# --- tree helpers -------------------------------------------------------------------------------


def _children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def _is_noise(node: LexborNode) -> bool:
    a = node.attributes
    if "hidden" in a or a.get("aria-hidden") == "true":
        return True
    style = a.get("style")
    if style and "display:none" in style.replace(" ", ""):
        return True
    cls = a.get("class")
    if cls and any(_NOISE_RE.search(tok) for tok in cls.split() if not tok.startswith(_TAXONOMY_PREFIXES)):
        return True
    ident = a.get("id")
    return bool(ident and _NOISE_RE.search(ident))


def _contains(anc: LexborNode, node: LexborNode) -> bool:
    n: LexborNode | None = node
    while n is not None:
        if n.mem_id == anc.mem_id:
            return True
        n = n.parent
    return False


def _in_furniture(node: LexborNode) -> bool:
    """True when an ancestor of node is furniture: sidebar, comments, footer, ... (a header is not:
    article titles live in one)."""
    n = node.parent
    while n is not None and n.tag not in ("body", "html"):
        tag = n.tag
        if tag in ("aside", "nav", "footer", "form") or _is_noise(n):
            return True
        n = n.parent
    return False


# --- content container --------------------------------------------------------------------------


# Wrappers that do not make a container of their own: a list item's or quote's text belongs to the
# element holding the list, so list-heavy posts and posts quoted whole still pick the real content.
_PASS_THROUGH = frozenset(
    {"ul", "ol", "li", "blockquote", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "figure", "dl",
     "dd", "dt", "span", "font", "strong", "b", "em", "i", "u", "a", "center"}
)  # fmt: skip


_SCORED_TAGS = frozenset({"p", "pre", "li", "td"})
_LINE_BREAK = "\u2028"  # a <br> in the text being gathered (a space once normalised)


def _find_container(root: LexborNode, exclude: str) -> tuple[LexborNode | None, float]:
    """The element whose paragraphs carry the most non-link text (readability-style: parent, plus half
    to grandparent), skipping text inside page furniture and the summary (`exclude`, the page's own
    description), which would otherwise win on posts whose body is short."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    noise_cache: dict[int, bool] = {}

    def furniture(n: LexborNode) -> bool:
        # Cached per element: many paragraphs share the same ancestors.
        key = n.mem_id
        hit = noise_cache.get(key)
        if hit is None:
            hit = n.tag in ("aside", "nav", "footer", "form", "header") or _is_noise(n)
            noise_cache[key] = hit
        return hit

    # Link text per text element, from one pass over the anchors (not one css() call per element).
    root_id = root.mem_id
    link_chars: dict[int, int] = {}
    for a in root.css("a"):
        n_a = len(a.text(deep=True))
        up: LexborNode | None = a.parent
        while up is not None and up.mem_id != root_id:
            if up.tag in _SCORED_TAGS:
                link_chars[up.mem_id] = link_chars.get(up.mem_id, 0) + n_a
            up = up.parent

    for p in root.css("p, pre, li, td"):
        anc: LexborNode | None = p.parent
        bad = False
        while anc is not None and anc.mem_id != root_id and anc.tag not in ("body", "html"):
            if furniture(anc):
                bad = True
                break
            anc = anc.parent
        if bad:
            continue
        text = p.text(deep=True).strip()
        length = len(text)
        if length == 0:
            continue
        link_len = link_chars.get(p.mem_id, 0)
        if link_len > 0.5 * length:
            continue
        if exclude and len(exclude) - 2 <= length <= 2 * len(exclude) and norm_text(text) == exclude:
            continue
        parent = p.parent
        while parent is not None and parent.tag in _PASS_THROUGH:
            parent = parent.parent
        if parent is None or parent.tag in ("body", "html"):
            continue
        # Each real paragraph counts, not just its length; short lines (bylines) count a little.
        score = float(length - link_len) + (25.0 if length >= 20 else 0.0)
        pid = parent.mem_id
        scores[pid] = scores.get(pid, 0.0) + score
        nodes[pid] = parent
        grand = parent.parent
        if grand is not None and grand.tag not in ("body", "html"):
            gid = grand.mem_id
            scores[gid] = scores.get(gid, 0.0) + score / 2
            nodes[gid] = grand
    if not scores:
        return None, 0.0
    best = max(scores, key=scores.__getitem__)
    return nodes[best], scores[best]


def _text_div(root: LexborNode) -> tuple[LexborNode | None, float]:
    """The element holding the most text of its own between line breaks, for pages with no paragraph
    elements at all (text + <br><br>): a fallback when ``_find_container`` finds nothing."""
    best: LexborNode | None = None
    best_len = 0
    seen: set[int] = set()
    for br in root.css("br"):
        node = br.parent
        if node is None or node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        if _in_furniture(node):
            continue
        own = sum(len((c.text_content or "").strip()) for c in _children(node) if c.tag == "-text")
        if own > best_len:
            best, best_len = node, own
    return best, float(best_len)


def _locate_content(body: LexborNode, tops: list[LexborNode], desc: str) -> LexborNode | None:
    """Search the page's single <article> first (cheap: no sidebar, footer or calendar to score), the
    whole body when there is no such article or it holds little text; retry without excluding the
    description when that leaves nothing."""
    roots = [tops[0], body] if len(tops) == 1 else [body]
    for exclude in [desc, ""] if desc else [""]:
        for root in roots:
            node, score = _find_container(root, exclude)
            if node is not None and (score >= 150 or root is body):
                return node
    node, score = _text_div(body)
    return node if score >= 300 else None


# --- body walk ----------------------------------------------------------------------------------


def _row_text(tr: LexborNode) -> str:
    cells = []
    for c in _children(tr):
        if c.tag in ("td", "th"):
            t = norm_text(c.text(deep=True, separator=" "))
            if t:
                cells.append(t)
    return " | ".join(cells)


def _walk(node: LexborNode, out: list[str], buf: list[str]) -> None:
    # An explicit stack, not recursion: a hostile page nests elements 100k deep. None marks the end of
    # a block element, where its text is flushed.
    stack: list[LexborNode | None] = list(_children(node))
    stack.reverse()
    while stack:
        c = stack.pop()
        if c is None:
            _flush(buf, out)
            continue
        tag = c.tag
        if tag == "-text":
            t = c.text_content
            if t:
                buf.append(t)
            continue
        if tag is None or tag in _SKIP_TAGS or tag.startswith("-"):
            continue
        if tag == "br":
            # Two line breaks in a row end a paragraph (themes that write text + <br><br>, no <p>).
            if "".join(buf[-3:]).rstrip(" \t\r\n").endswith(_LINE_BREAK):
                _flush(buf, out)
            else:
                buf.append(_LINE_BREAK)
            continue
        if tag == "tr":
            _flush(buf, out)
            row = _row_text(c)
            if row:
                out.append(row)
            continue
        if tag in _BLOCK_TAGS:
            if _is_noise(c) or (tag in _LINK_BOXES and _link_dense(c)):
                continue
            _flush(buf, out)
            stack.append(None)
        elif c.attributes.get("class") and _is_noise(c):
            continue
        first = len(stack)
        stack.extend(_children(c))
        stack[first:] = stack[first:][::-1]


# Containers that, when made of links, are link boxes ("Tin liên quan", "Xem thêm") inside the content.
_LINK_BOXES = frozenset({"div", "section", "ul", "ol", "table", "dl"})


def _link_dense(node: LexborNode) -> bool:
    links = node.css("a")
    if len(links) < 2:
        return False
    total = len(node.text(deep=True).strip())
    link_len = sum(len(a.text(deep=True).strip()) for a in links)
    return total > 0 and link_len >= 0.6 * total


def _flush(buf: list[str], out: list[str]) -> None:
    if not buf:
        return
    t = "".join(buf)
    buf.clear()
    if t.isspace():
        return
    t = norm_text(t)
    # Lines without a letter or digit are separators ("_____", "* * *"), not text.
    if t and _HAS_ALNUM.search(t) and not is_credit_line(t) and not _WIDGET_TEXT_RE.match(t):
        out.append(t)


def _body_blocks(container: LexborNode) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    _walk(container, out, buf)
    _flush(buf, out)
    return out


# --- lead ---------------------------------------------------------------------------------------


def _visible_lead(container: LexborNode, title: str) -> str:
    """A summary shown above the content but outside its container (e.g. an entry-summary div); never the
    title itself (a theme may set it in an h2)."""
    node: LexborNode | None = container
    for _ in range(2):  # the container's own siblings, then its parent's
        if node is None:
            break
        sib = node.prev
        parts: list[str] = []
        while sib is not None:
            tag = sib.tag
            if tag == "-text" or tag is None or tag.startswith("-"):
                sib = sib.prev
                continue
            if tag in ("h1", "header") or sib.css_first("h1") is not None:
                break
            if tag in _SKIP_TAGS or tag == "figure" or _is_noise(sib) or sib.css_first("time") is not None:
                sib = sib.prev
                continue
            text = norm_text(sib.text(deep=True, separator=" "))
            if text == title:
                sib = sib.prev
                continue
            if len(text) >= 40:
                link_len = sum(len(a.text(deep=True)) for a in sib.css("a"))
                if link_len < 0.3 * len(text):
                    parts.append(text)
                    break
            sib = sib.prev
        if parts:
            return parts[0]
        node = node.parent
        if node is None or node.tag in ("body", "article", "main"):
            break
    return ""


def _strip_trunc(s: str) -> tuple[str, bool]:
    for mark in _TRUNC_MARKS:
        if s.endswith(mark):
            return s[: -len(mark)].rstrip(" ,;:-–"), True
    return s, False


def _merge_lead(lead: str, blocks: list[str]) -> tuple[str, list[str]]:
    """Drop the lead's copy from the body start; a trimmed lead becomes the full paragraph(s)."""
    core, _ = _strip_trunc(lead)
    if len(core) < 20 or not blocks:
        return lead, blocks
    acc = ""
    for k, b in enumerate(blocks[:6]):
        acc = f"{acc} {b}" if acc else b
        if acc.startswith(core):
            return acc, blocks[k + 1 :]
        if not core.startswith(acc):
            break
    return lead, blocks


def _first_bold(container: LexborNode, first_block: str) -> bool:
    """Is the body's first block a paragraph set entirely in bold (a common way to show the sapo)?"""
    for p in container.css("p"):
        text = norm_text(p.text(deep=True))
        if not text:
            continue
        if text != first_block:
            return False
        bold = " ".join(norm_text(b.text(deep=True)) for b in p.css("strong, b"))
        return norm_text(bold) == text
    return False


# --- title / date -------------------------------------------------------------------------------


def _strip_site(title: str, site: str) -> str:
    if site:
        for sep in _TITLE_SEPS:
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
            if title.startswith(site + sep):
                return title[len(site + sep) :].strip()
    return title


def _pick_title(metas: list[str], h1s: list[str]) -> str:
    for h in h1s:
        for m in metas:
            if m and (m == h or m.startswith(h) or h.startswith(_strip_trunc(m)[0])):
                return h
    for m in metas:
        if m:
            return m
    return h1s[0] if h1s else ""


def _visible_date(text: str, title: str, text_starts: list[str]) -> datetime | None:
    """The first date shown between the title and the text (its lead or first block) in the article's
    ``text``."""
    start = text.find(title) + len(title) if title and title in text else 0
    ends = [i for s in text_starts if s and (i := text.find(s[:40], start)) >= start]
    end = min(ends, default=len(text))
    return next((when for _, when in _dates_in(text, start, end)), None)


def _labelled_dates(text: str) -> list[datetime]:
    """The dates that a publication label names in ``text`` ("Ngày đăng: 03/12/2020" in a footer below the
    article, say), in order."""
    return [
        when
        for position, when in _dates_in(text, 0, len(text))
        if PUBLISHED_LABEL.search(text, max(0, position - 30), position)
    ]


def _dates_in(text: str, start: int, end: int) -> Iterator[tuple[int, datetime]]:
    """Every date of ``text[start:end]`` in any of the forms above, in order, with a time of day when one
    is shown next to it."""
    found = [m for pattern in (_DMY_RE, *VISIBLE_DATE_FORMATS) for m in pattern.finditer(text, start, end)]
    for m in sorted(found, key=lambda m: m.start()):
        groups = m.groupdict()
        hour, minute = groups.get("h1") or groups.get("h2"), groups.get("m1") or groups.get("m2")
        if hour is None and (near := _TIME_NEAR_DATE.search(text[max(start, m.start() - 40) : m.end() + 25])):
            hour, minute = near.group("h"), near.group("m")
            if near.group("pm") and int(hour) < 12:
                hour = str(int(hour) + 12)  # "8:15 pm", "8:15 CH" (chiều)
        month = m.group("mo").lower().rstrip(".")
        try:
            yield (
                m.start(),
                datetime(
                    int(m.group("y")),
                    int(month) if month.isdigit() else _MONTH_NAMES[" ".join(month.split())],
                    int(m.group("d")),
                    int(hour or 0),
                    int(minute or 0),
                ),
            )
        except (ValueError, KeyError):
            continue


def _time_elements(region: LexborNode) -> datetime | None:
    best: datetime | None = None
    for t in region.css("time[datetime], [itemprop=datePublished]"):
        a = t.attributes
        dt = _parse_dt(a.get("datetime") or a.get("content") or "")
        if dt is None:
            continue
        if "published" in (a.get("class") or "") or a.get("itemprop") == "datePublished":
            return dt
        if best is None:
            best = dt
    return best


# --- entry point --------------------------------------------------------------------------------


def _looks_like_xml(html: str) -> bool:
    head = html[:600].lstrip().lower()
    if head.startswith("<?xml"):
        return "<html" not in head
    return head.startswith(("<rss", "<feed", "<urlset", "<sitemapindex"))


def parse_article(html: str, url: str) -> Article | None:
    """Read the article of a page; None when the page is not an article (listing, 404, feed, ...).

    Raises MalformedPage when the page says it is an article but has no title or no text.
    """
    if not html or _looks_like_xml(html):
        return None
    tree = LexborHTMLParser(html)
    body = tree.body
    if body is None:
        return None
    body_cls = set((body.attributes.get("class") or "").split())
    if body_cls & _NON_ARTICLE_BODY and "single" not in body_cls:
        return None

    meta = _head_meta(tree)
    ld = _ld_objects(tree)
    ld_article = next((o for o in ld if _ld_types(o) & _ARTICLE_LD_TYPES), None)
    og_type = meta.get("og:type", "").strip().lower()
    claims = og_type == "article" or ld_article is not None or "single-post" in body_cls
    if og_type and og_type != "article" and not claims:
        return None
    if not claims and ld and any(_ld_types(o) & {"CollectionPage", "SearchResultsPage"} for o in ld):
        return None

    desc = norm_text(meta.get("og:description") or meta.get("description") or "")
    desc = desc or _ld_str(ld_article, "description")
    tops = [a for a in body.css("article") if not _in_furniture(a)]
    container = _locate_content(body, tops, desc)
    blocks = _body_blocks(container) if container is not None else []

    # Title: a visible h1 that agrees with the metadata beats the metadata (which carries site suffixes).
    site = norm_text(meta.get("og:site_name", ""))
    if not site:
        site = next((_ld_str(o, "name") for o in ld if "WebSite" in _ld_types(o)), "")
    title_tag = tree.css_first("title")
    metas = [
        _ld_str(ld_article, "headline"),
        _strip_site(norm_text(meta.get("og:title", "")), site),
        _strip_site(norm_text(title_tag.text(deep=True)) if title_tag is not None else "", site),
    ]
    h1_nodes = [h for h in body.css("h1") if not _in_furniture(h)]
    h1s = [t for t in (norm_text(h.text(deep=True, separator=" ")) for h in h1_nodes) if t]
    title = _pick_title(metas, h1s)

    # Article region: the <article> holding the content, else the common ancestor of h1 and content.
    region: LexborNode | None = None
    if container is not None:
        n: LexborNode | None = container
        while n is not None and n.tag != "article":
            n = n.parent
        region = n
        if region is None and h1_nodes:
            n = container
            while n is not None and not _contains(n, h1_nodes[0]):
                n = n.parent
            region = n
        if region is None:
            region = container.parent

    if not claims:
        # No metadata says "article": demand what a single article page shows.
        if container is None or region is None or len(" ".join(blocks)) < 300 or not title:
            return None
        if len(tops) > 1 and not any(_contains(a, container) for a in tops[:1]):
            return None
        if len(tops) > 2:
            return None

    if not title:
        raise MalformedPage(f"article page without a title: {url}")

    # Lead: visible summary outside the content, else a bold first paragraph, else the meta description.
    lead = _visible_lead(container, title) if container is not None else ""
    if (
        not lead
        and blocks
        and len(blocks[0]) >= 40
        and container is not None
        and _first_bold(container, blocks[0])
    ):
        lead = blocks.pop(0)
    if not lead:
        site_desc = next((_ld_str(o, "description") for o in ld if "WebSite" in _ld_types(o)), "")
        if desc and desc != site_desc:
            lead = desc
    if lead:
        lead, blocks = _merge_lead(lead, blocks)

    if not blocks and not lead:
        raise MalformedPage(f"article page without text: {url}")

    # Date: page-local metadata first (Yoast JSON-LD is UTC), then <time>, JSON-LD, visible dd/mm/yyyy.
    published = _parse_dt(meta.get("article:published_time", "") or meta.get("datepublished", ""))
    if published is None and region is not None:
        published = _time_elements(region)
    if published is None:
        published = _parse_dt(_ld_str(ld_article, "datePublished"))
    if published is None and region is not None:
        shown = norm_text(region.text(deep=True, separator=" "))
        published = _visible_date(shown, title, [lead, *blocks[:1]])
        if published is None:  # shown elsewhere in the article, after a label
            published = next(iter(_labelled_dates(shown)), None)
    if published is None:  # or elsewhere on the page, if that is the only labelled date (not a sidebar's)
        page_dates = {d.date() for d in _labelled_dates(norm_text(body.text(deep=True, separator=" ")))}
        published = datetime.combine(page_dates.pop(), datetime.min.time()) if len(page_dates) == 1 else None

    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=SITE_TIMEZONE)  # a bare local time on a Vietnamese site
    return Article(url=url, title=title, published=published, lead=lead, blocks=tuple(blocks))
