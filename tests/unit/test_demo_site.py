"""The hand-written demo site (deploy/demo-site) is well-formed and agrees with its answer key."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

SITE = Path(__file__).resolve().parents[2] / "deploy" / "demo-site"
README = SITE / "README.md"
NON_ARTICLE_DIRS = {"category", "assets"}
NO_FACT_PAGES = {"hai-quan-demo-tap-huan-tri-gia"}

SCORED_METRICS = {
    "budget_revenue",
    "budget_revenue_attainment",
    "budget_revenue_change",
    "trade_turnover",
    "export_turnover",
    "import_turnover",
    "trade_balance",
    "trade_turnover_change",
    "export_turnover_change",
    "import_turnover_change",
    "declarations",
    "enterprises",
    "passengers",
    "violations",
    "violations_value",
    "criminal_cases",
    "criminal_referrals",
    "administrative_penalties",
    "penalty_revenue",
}
METRIC_UNIT = {
    "budget_revenue": "VND",
    "violations_value": "VND",
    "penalty_revenue": "VND",
    "trade_turnover": "USD",
    "export_turnover": "USD",
    "import_turnover": "USD",
    "trade_balance": "USD",
}
COLUMNS = [
    "page",
    "subject",
    "metric",
    "kind",
    "value",
    "unit",
    "bound",
    "period",
    "target_type",
    "assigned_by",
    "as written",
]
SUBJECT_RE = re.compile(r"^(tong-cuc|ca-nuoc|(cuc|chi-cuc):[a-z0-9]+(-[a-z0-9]+)*)$")
VALUE_RE = re.compile(r"^-?(0|[1-9]\d*)(\.\d*[1-9])?$")
PERIOD_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$")
SCALE = {"nghìn": Decimal(10) ** 3, "triệu": Decimal(10) ** 6, "tỷ": Decimal(10) ** 9}


class _Page(HTMLParser):
    """Collects links, the <title>, date markers and the visible text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.title = ""
        self.dates: list[str] = []
        self.text: list[str] = []
        self._in_title = False
        self._in_post_date = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "src"):
            if key in a:
                self.links.append(a[key])
        if tag == "title":
            self._in_title = True
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "meta" and a.get("property") == "article:published_time":
            self.dates.append(a.get("content", ""))
        if tag == "time" and "published" in a.get("class", "").split():
            self.dates.append(a.get("datetime", ""))
        if tag == "span" and "post-date" in a.get("class", "").split():
            self._in_post_date = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "span":
            self._in_post_date = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_post_date and re.fullmatch(r"\s*\d{2}/\d{2}/\d{4}\s*", data):
            self.dates.append(data.strip())
        if not self._skip:
            self.text.append(data)


def _parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


def _text(page: _Page) -> str:
    return re.sub(r"\s+", " ", " ".join(page.text))


def _html_files() -> list[Path]:
    return sorted(SITE.rglob("*.html"))


def _article_slugs() -> list[str]:
    return sorted(
        d.name
        for d in SITE.iterdir()
        if d.is_dir() and d.name not in NON_ARTICLE_DIRS and (d / "index.html").is_file()
    )


def _target(link: str) -> Path | None:
    """The file a root-relative link serves under `python -m http.server`, or None if not root-relative."""
    if not link.startswith("/") or link.startswith("//"):
        return None
    path = unquote(urlsplit(link).path)
    rel = path.lstrip("/")
    return SITE / rel / "index.html" if path.endswith("/") else SITE / rel


def _answer_key() -> list[dict[str, str]]:
    rows = []
    lines = README.read_text(encoding="utf-8").splitlines()
    header_seen = False
    for line in lines:
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:3] == ["page", "subject", "metric"]:
            assert cells == COLUMNS
            header_seen = True
            continue
        if set("".join(cells)) <= {"-", ":"}:
            continue
        assert header_seen, line
        assert len(cells) == len(COLUMNS), line
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


def _read_number(written: str) -> Decimal:
    """'1.846,25 tỷ đồng' -> 1846250000000, '12,4%' -> 12.4, 'vượt 4,5%' -> 104.5, 'khởi tố 9 vụ' -> 9."""
    m = re.search(r"(\d[\d.]*(?:,\d+)?)\s*(nghìn|triệu|tỷ)?", written)
    assert m, written
    n = Decimal(m.group(1).replace(".", "").replace(",", "."))
    if m.group(2):
        n *= SCALE[m.group(2)]
    if written.startswith("vượt ") and written.endswith("%"):
        n += 100
    return n


def test_site_layout() -> None:
    assert (SITE / "index.html").is_file()
    assert (SITE / "category" / "hai-quan" / "index.html").is_file()
    robots = (SITE / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in robots
    assert "Disallow: /wp-admin/" in robots
    assert len(_article_slugs()) == 6
    for slug in _article_slugs():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug


@pytest.mark.parametrize("path", _html_files(), ids=lambda p: str(p.relative_to(SITE)))
def test_root_relative_links_exist(path: Path) -> None:
    page = _parse(path)
    for link in page.links:
        assert not link.startswith(("http://127.", "http://localhost", "https://hddtvn.com")), link
        target = _target(link)
        if target is not None:
            assert target.is_file(), f"{path.relative_to(SITE)} links {link} but {target} is missing"


@pytest.mark.parametrize("path", _html_files(), ids=lambda p: str(p.relative_to(SITE)))
def test_every_page_says_it_is_demo_content(path: Path) -> None:
    text = _text(_parse(path))
    assert "hqfacts" in text and "hư cấu" in text


def test_home_links_every_article() -> None:
    links = set(_parse(SITE / "index.html").links)
    for slug in _article_slugs():
        assert f"/{slug}/" in links


@pytest.mark.parametrize("slug", _article_slugs())
def test_article_has_title_and_date(slug: str) -> None:
    page = _parse(SITE / slug / "index.html")
    assert page.title.strip()
    assert page.dates, f"{slug}: no published date"
    assert all(re.match(r"\d{4}-\d{2}-\d{2}T|\d{2}/\d{2}/\d{4}$", d) for d in page.dates), page.dates


def test_two_themes() -> None:
    htmls = {s: (SITE / s / "index.html").read_text(encoding="utf-8") for s in _article_slugs()}
    flatsome = [s for s, h in htmls.items() if 'class="entry-summary"' in h and "application/ld+json" in h]
    plain = [s for s, h in htmls.items() if 'class="post-wrap"' in h and "application/ld+json" not in h]
    assert len(flatsome) == 3 and len(plain) == 3
    for s in plain:
        assert 'property="og:type"' not in htmls[s]
        assert re.search(r'<div class="post-body">\s*<p><strong>', htmls[s]), s


def test_answer_key_parses_and_matches_pages() -> None:
    rows = _answer_key()
    assert rows
    slugs = set(_article_slugs())
    texts = {s: _text(_parse(SITE / s / "index.html")) for s in slugs}
    for r in rows:
        where = f"{r['page']} {r['metric']} {r['value']}"
        assert r["page"] in slugs, where
        assert SUBJECT_RE.match(r["subject"]), where
        assert r["metric"] in SCORED_METRICS, where
        assert r["kind"] in {"actual", "estimate", "target"}, where
        assert VALUE_RE.match(r["value"]), where
        unit = METRIC_UNIT.get(r["metric"])
        if unit is None:
            unit = "percent" if r["metric"].endswith(("_change", "_attainment")) else "count"
        assert r["unit"] == unit, where
        assert r["bound"] in {"exact", "over", "under", "about"}, where
        assert PERIOD_RE.match(r["period"]), where
        start, end = r["period"].split("..")
        assert start <= end, where
        assert r["target_type"] in {"-", "du-toan", "chi-tieu", "phan-dau"}, where
        if r["kind"] == "target" or r["metric"] == "budget_revenue_attainment":
            assert r["target_type"] != "-", where
        else:
            assert r["target_type"] == "-", where
        assert r["as written"] in texts[r["page"]], where
        assert abs(Decimal(r["value"])) == _read_number(r["as written"]), where
    with_facts = {r["page"] for r in rows}
    assert with_facts == slugs - NO_FACT_PAGES
