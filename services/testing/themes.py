"""Made-up WordPress themes: a built site's posts re-rendered with the same content in other markup.

The extractor must not depend on the one theme (flatsome) that ../shared/tools/build_site.py renders: a
post's facts must be the same whatever the page around them looks like. Each theme here keeps the
post's content HTML and moves what themes move: where the lead is (an outside summary, the first bold or
plain paragraph, a heading), where the title is (an h1, an h2), how and where the date is shown (as text
only, in Vietnamese words, dd/mm/yyyy or dd.mm.yyyy, under the title or in a footer; no metadata, no
JSON-LD), the class names, and paragraphs written as text + <br><br> instead of <p>.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


@dataclass(frozen=True)
class Post:
    title: str
    lead: str
    published: datetime
    categories: tuple[str, ...]
    content: str  # the inner HTML of the post's content, as the built site has it


def _bold_lead(post: Post) -> tuple[str, str]:
    """The lead as the content's first bold paragraph; the date as text with its weekday."""
    date = f"{WEEKDAYS[post.published.weekday()]}, {post.published:%d/%m/%Y - %H:%M}"
    title = html.escape(post.title)
    body = (
        f'<div class="wrap"><div class="crumbs">{_categories(post)}</div><div class="news-detail">'
        f'<h1 class="news-title">{title}</h1><div class="news-info"><span class="news-date">{date}</span>'
        f'<span class="news-author">BBT</span></div><div class="news-body">'
        f"<p><strong>{html.escape(post.lead)}</strong></p>{post.content}</div>"
        f'<div class="news-tags">Từ khóa: {_categories(post)}</div></div>'
        '<aside class="sidebar"><h3>Tin mới</h3><ul><li><a href="/tin-khac/">Một tin khác</a></li></ul>'
        "</aside></div>"
    )
    return f"<title>{title} | Bản tin</title>", body


def _sapo(post: Post) -> tuple[str, str]:
    """The lead in a summary paragraph; the date in Vietnamese words; a related-posts box below."""
    p = post.published
    date = (
        f"Cập nhật lúc {p:%H:%M}, {WEEKDAYS[p.weekday()].lower()}, ngày {p.day} tháng {p.month} năm {p.year}"
    )
    title, lead = html.escape(post.title), html.escape(post.lead)
    body = (
        f'<main id="main"><section class="detail"><header><h2 class="cat">{_categories(post)}</h2>'
        f'<h1>{title}</h1><p class="meta">{date}</p></header><p class="sapo">{lead}</p>'
        f'<div id="content-detail">{post.content}</div><footer class="related"><h3>Tin liên quan</h3>'
        f'<ul><li><a href="/bai-lien-quan/">Một bài liên quan có tiêu đề khá dài</a> ({p:%d/%m/%Y})</li></ul>'
        "</footer></section></main>"
    )
    return f'<title>{title}</title><meta name="description" content="{lead}">', body


def _line_breaks(post: Post) -> tuple[str, str]:
    """No paragraph elements: text + <br><br>; the lead in a heading; a bare <time> with text only."""
    text = re.sub(r"<p\b[^>]*>", "", post.content).replace("</p>", "<br><br>")
    title = html.escape(post.title)
    body = (
        f'<div id="page"><div class="post-wrap"><h1 class="post-heading">{title}</h1>'
        f'<div class="byline">Đăng bởi BBT | <time>{post.published:%d/%m/%Y %H:%M}</time></div>'
        f'<h2 class="excerpt">{html.escape(post.lead)}</h2><div class="post-text">{text}</div>'
        '<div class="post-nav"><a href="/truoc/">« Bài trước</a> <a href="/sau/">Bài sau »</a></div>'
        "</div></div>"
    )
    return f"<title>{title}</title>", body


def _plain_lead(post: Post) -> tuple[str, str]:
    """The lead as the content's first plain paragraph (and the meta description); the date as dd.mm.yyyy."""
    title, lead = html.escape(post.title), html.escape(post.lead)
    body = (
        f'<div class="container"><h1 class="entry-title">{title}</h1>'
        f'<span class="date">{post.published:%d.%m.%Y}</span>'
        f'<div class="text"><p>{lead}</p>{post.content}</div></div>'
    )
    return f'<title>{title} - Tin tức</title><meta name="description" content="{lead}">', body


def _date_below(post: Post) -> tuple[str, str]:
    """No h1: the title in an h2 (og:title with the site's name); the date only in a footer, after a label."""
    title = html.escape(post.title)
    body = (
        f'<div class="single"><h2 class="title">{title}</h2><div class="content">'
        f'<p class="lead"><b>{html.escape(post.lead)}</b></p>{post.content}</div>'
        f'<div class="post-footer">Ngày đăng: {post.published:%d/%m/%Y}</div></div>'
    )
    head = (
        f'<title>{title} - Tin tức</title><meta property="og:title" content="{title} - Tin tức">'
        '<meta property="og:site_name" content="Tin tức">'
    )
    return head, body


def _categories(post: Post) -> str:
    return " ".join(f'<a href="/chuyen-muc/{i}/">{html.escape(c)}</a>' for i, c in enumerate(post.categories))


THEMES: dict[str, Callable[[Post], tuple[str, str]]] = {
    "bold-lead": _bold_lead,
    "sapo": _sapo,
    "line-breaks": _line_breaks,
    "plain-lead": _plain_lead,
    "date-below": _date_below,
}


def page_path(site: Path, url: str) -> Path:
    return site / url.split("://", 1)[1].split("/", 1)[1] / "index.html"


def rethemed_site(source: Path, out: Path, theme: str) -> Path:
    """A copy of the built site ``source`` whose post pages are rendered by ``theme`` (see THEMES)."""
    render = THEMES[theme]
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    with (source / "_posts.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            truth = json.loads(line)
            path = page_path(out, truth["url"])
            content = LexborHTMLParser(path.read_text("utf-8")).css_first("div.entry-content")
            if content is None:
                continue
            for widget in content.css("div.kk-star-ratings, script, style"):
                widget.decompose()
            inner = content.html or ""
            post = Post(
                title=truth["title"],
                lead=truth["lead"],
                published=datetime.fromisoformat(truth["published"]),
                categories=tuple(truth.get("categories") or ()),
                content=inner[inner.find(">") + 1 : inner.rfind("<")],
            )
            head, body = render(post)
            page = f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">{head}</head>'
            path.write_text(f"{page}<body>{body}</body></html>", encoding="utf-8")
    return out
