"""`hqfacts report`: the page's structure, read back with the stdlib parsers from synthetic observations (no
database, no browser; tests/unit/test_report_browser.py loads the page in one)."""

from __future__ import annotations

import hashlib
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from services.store.report import (
    DEFAULT_TITLE,
    format_value,
    metric_label,
    render_report,
    report_counts,
    safe_url,
    subject_label,
)

GENERATED_AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SITE = "https://tin-hai-quan.example"
HOSTILE_EVIDENCE = (
    'Thu ngân sách <script>alert("x")</script> đạt 1.000 tỷ đồng "><img src=x onerror=alert(1)>'
)
HOSTILE_URL = "javascript:alert(document.domain)"

# --- synthetic observations (invented sentences, invented site) ------------------------------------------


def observation(
    subject: str,
    metric: str,
    kind: str,
    start: str | None,
    end: str | None,
    value: str,
    unit: str,
    *,
    target_type: str | None = None,
    bound: str = "exact",
    evidence: str | None = None,
    slug: str | None = None,
    others: list[tuple[str, str]] | None = None,  # competing (value, article slug)s: a conflict
) -> dict[str, Any]:
    """One observation in the shape of schemas/observations.v1.json."""
    key = "|".join([subject, metric, kind, start or "", end or "", target_type or ""])
    observation_id = hashlib.md5(key.encode()).hexdigest()
    slug = slug or f"bai-{observation_id[:6]}"
    url = f"{SITE}/tin-tuc/{slug}"
    fact = hashlib.sha256(key.encode()).hexdigest()[:32]
    values = [
        {
            "value": value,
            "unit": unit,
            "bound": bound,
            "source_count": 2,
            "articles": [url, url + "-cap-nhat"],
            "fact_ids": [fact],
        }
    ]
    for i, (other, other_slug) in enumerate(others or []):
        values.append(
            {
                "value": other,
                "unit": unit,
                "bound": "exact",
                "source_count": 1,
                "articles": [f"{SITE}/tin-tuc/{other_slug}"],
                "fact_ids": [f"{i:032x}"],
            }
        )
    return {
        "observation_id": observation_id,
        "subject": subject,
        "metric": metric,
        "kind": kind,
        "period_start": start,
        "period_end": end,
        "target_type": target_type,
        "value": value,
        "unit": unit,
        "bound": bound,
        "source_count": sum(v["source_count"] for v in values),  # type: ignore[misc]
        "agreeing_count": 2,
        "conflict": len(values) > 1,
        "fact_id": fact,
        "evidence": evidence or f"Đơn vị {subject} báo cáo số liệu {metric} là {value} ({kind}).",
        "evidence_url": url,
        "first_article": {"url": url, "title": f"Tin {slug}", "published": "2024-07-03T08:00:00+07:00"},
        "latest_article": {
            "url": url + "-cap-nhat",
            "title": f"Cập nhật {slug}",
            "published": "2024-07-09T10:15:00+07:00",
        },
        "values": values,
    }


def sample() -> list[dict[str, Any]]:
    return [
        # cuc:ha-noi budget revenue: quarters, an estimate, a target, a conflict, one without a period
        observation(
            "cuc:ha-noi", "budget_revenue", "actual", "2024-01-01", "2024-03-31", "4120500000000", "VND"
        ),
        observation(
            "cuc:ha-noi",
            "budget_revenue",
            "actual",
            "2024-01-01",
            "2024-06-30",
            "8730000000000",
            "VND",
            others=[("8730000000", "so-lieu-nham-don-vi")],
        ),
        observation(
            "cuc:ha-noi", "budget_revenue", "estimate", "2024-01-01", "2024-12-31", "17900000000000", "VND"
        ),
        observation(
            "cuc:ha-noi",
            "budget_revenue",
            "target",
            "2024-01-01",
            "2024-12-31",
            "16500000000000",
            "VND",
            target_type="du-toan",
        ),
        observation(
            "cuc:ha-noi", "budget_revenue", "actual", None, None, "950000000000", "VND", bound="over"
        ),
        # tong-cuc trade: one series in USD, one in percent with a negative value
        observation(
            "tong-cuc", "trade_turnover", "actual", "2023-01-01", "2023-12-31", "683000000000", "USD"
        ),
        observation(
            "tong-cuc",
            "trade_turnover",
            "actual",
            "2024-01-01",
            "2024-06-30",
            "368500000000",
            "USD",
            bound="about",
        ),
        observation(
            "tong-cuc", "trade_turnover_change", "actual", "2023-01-01", "2023-12-31", "-6.6", "percent"
        ),
        observation(
            "tong-cuc", "trade_turnover_change", "actual", "2024-01-01", "2024-06-30", "15.7", "percent"
        ),
        # a department, counted
        observation(
            "chi-cuc:cua-khau-mong-cai",
            "declarations",
            "actual",
            "2024-01-01",
            "2024-05-31",
            "18234",
            "count",
        ),
    ]


def hostile() -> list[dict[str, Any]]:
    bad = observation(
        "cuc:hai-phong",
        "violations",
        "actual",
        "2024-01-01",
        "2024-09-30",
        "1520",
        "count",
        evidence=HOSTILE_EVIDENCE,
        others=[("1620", "x")],
    )
    bad["evidence_url"] = HOSTILE_URL
    bad["first_article"] = {
        "url": "data:text/html,<b>x</b>",
        "title": '"><svg onload=alert(1)>',
        "published": None,
    }
    bad["latest_article"] = {
        "url": "//evil.example/x",
        "title": "</title><script>x()</script>",
        "published": "?",
    }
    bad["values"][1]["articles"] = ["JaVaScRiPt:alert(2)", "https://ok.example/a b", "http://[::1"]
    weird = observation(
        '<b onmouseover="x">cuc:"q"</b>', "budget_revenue", "actual", "2024-01-01", "2024-12-31", "77", "VND"
    )
    weird["observation_id"] = '"><script>alert(3)</script>'
    return [bad, weird]


def render(observations: list[dict[str, Any]], **kwargs: Any) -> str:
    return render_report(observations, generated_at=GENERATED_AT, **kwargs)


# --- a tiny DOM on html.parser ---------------------------------------------------------------------------

VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
)
# Elements that would fetch something or run something: the page has none.
FETCHING_OR_RUNNING = ("script", "link", "img", "iframe", "object", "embed", "source", "video", "base")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"unbalanced </{tag}>"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


def by_class(root: Node, tag: str, css: str) -> list[Node]:
    return [n for n in root.iter(tag) if css in n.classes()]


def ids(root: Node) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for node in root.iter():
        if "id" in node.attrs:
            assert node.attrs["id"] not in found, f"duplicate id {node.attrs['id']}"
            found[node.attrs["id"]] = node
    return found


def points(root: Node) -> list[Node]:
    return [a for a in root.iter("a") if "point" in a.classes()]


def row_of(root: Node, obs: dict[str, Any]) -> Node:
    return ids(root)[f"obs-{obs['observation_id']}"]


def hrefs(node: Node) -> list[str]:
    return [a.attrs["href"] for a in node.iter("a") if "href" in a.attrs]


# --- structure -------------------------------------------------------------------------------------------


def test_one_section_per_series_national_first_with_an_index() -> None:
    data = sample()
    root = parse(render(data))
    sections = by_class(root, "section", "series")
    pairs = [
        ("tong-cuc", "trade_turnover"),
        ("tong-cuc", "trade_turnover_change"),
        ("cuc:ha-noi", "budget_revenue"),
        ("chi-cuc:cua-khau-mong-cai", "declarations"),
    ]
    assert len(sections) == len(pairs) == len({(o["subject"], o["metric"]) for o in data})
    for section, (subject, metric) in zip(sections, pairs, strict=True):
        codes = [c.text() for c in section.iter("code")]
        assert codes[:2] == [subject, metric]
    index = ids(root)["index"]
    assert hrefs(index) == ["#" + s.attrs["id"] for s in sections]


def test_one_point_per_dated_observation_each_linking_to_its_row() -> None:
    data = sample()
    root = parse(render(data))
    dated = [o for o in data if o["period_end"] or o["period_start"]]
    found = points(root)
    assert len(found) == len(dated) == len(data) - 1
    assert sorted(p.attrs["href"] for p in found) == sorted(f"#obs-{o['observation_id']}" for o in dated)
    every_id = ids(root)
    for point in found:
        target = every_id[point.attrs["href"][1:]]
        assert target.tag == "tr"
        assert any(a.tag == "svg" for a in point.ancestors())
        assert point.attrs["href"][1:] in [
            a.attrs["href"][1:] for a in target.iter("a") if "permalink" in a.classes()
        ]


def test_every_internal_link_resolves() -> None:
    root = parse(render(sample() + hostile()))
    every_id = ids(root)
    internal = [h for h in hrefs(root) if h.startswith("#")]
    assert internal
    assert all(h[1:] in every_id for h in internal)


def test_each_row_has_its_evidence_and_its_article_links() -> None:
    data = sample()
    root = parse(render(data))
    for obs in data:
        row = row_of(root, obs)
        assert obs["evidence"] in row.text()
        links = hrefs(row)
        assert obs["evidence_url"] in links
        assert obs["first_article"]["url"] in links
        assert obs["latest_article"]["url"] in links
        assert obs["first_article"]["title"] in row.text()


def test_the_undated_observation_is_listed_not_plotted_and_the_page_says_so() -> None:
    data = sample()
    undated = next(o for o in data if o["period_end"] is None)
    root = parse(render(data))
    row = row_of(root, undated)
    assert "no period" in row.text() and "not plotted" in row.text()
    assert "over 950 tỷ đồng" in row.text()
    section = next(a for a in row.ancestors() if a.tag == "section")
    notes = " ".join(n.text() for n in by_class(section, "p", "note"))
    assert "not plotted" in notes and "1 with no period" in notes


def test_conflicts_are_marked_on_the_chart_and_in_the_table_with_the_competing_values() -> None:
    data = sample()
    conflicted = next(o for o in data if o["conflict"])
    root = parse(render(data))
    [point] = [p for p in points(root) if p.attrs["href"] == f"#obs-{conflicted['observation_id']}"]
    assert "conflict" in point.classes()
    assert by_class(point, "circle", "ring")
    assert "CONFLICT" in next(point.iter("title")).text()
    calm = [p for p in points(root) if p is not point]
    assert all("conflict" not in p.classes() and not by_class(p, "circle", "ring") for p in calm)

    row = row_of(root, conflicted)
    assert "conflict" in row.classes()
    [values] = by_class(row, "ul", "values")
    items = list(values.iter("li"))
    assert [i.attrs["class"] for i in items] == ["agreed", "competing"]
    assert "8.730 tỷ đồng" in items[0].text() and "8,73 tỷ đồng" in items[1].text()
    assert f"{SITE}/tin-tuc/so-lieu-nham-don-vi" in hrefs(items[1])
    assert all(u in hrefs(items[0]) for u in conflicted["values"][0]["articles"])
    # the index and the section heading count it
    assert "1 conflict(s)" in ids(root)["index"].text()
    assert report_counts(data).conflicts == 1


def test_kinds_are_distinct_visual_series_with_a_legend() -> None:
    root = parse(render(sample()))
    [section] = [s for s in by_class(root, "section", "series") if "budget_revenue" in s.text()]
    marks: dict[str, set[tuple[str, str]]] = {}
    for point in points(section):
        kind = next(c for c in point.classes() if c.startswith("kind-"))
        mark = next(n for n in point.iter() if "mark" in n.classes())
        marks.setdefault(kind, set()).add((mark.tag, mark.attrs["fill"]))
    assert set(marks) == {"kind-actual", "kind-estimate", "kind-target"}
    assert all(len(m) == 1 for m in marks.values())
    assert len({next(iter(m)) for m in marks.values()}) == 3  # three different shape/colour pairs
    [legend] = by_class(section, "p", "legend")
    for word in ("actual", "estimate", "target", "conflict"):
        assert word in legend.text()


def test_points_sit_on_a_time_axis_and_a_value_axis() -> None:
    data = [
        observation(
            "tong-cuc", "budget_revenue", "actual", "2022-01-01", "2022-12-31", "100000000000000", "VND"
        ),
        observation(
            "tong-cuc", "budget_revenue", "actual", "2023-01-01", "2023-12-31", "300000000000000", "VND"
        ),
        observation(
            "tong-cuc", "budget_revenue", "actual", "2024-01-01", "2024-06-30", "200000000000000", "VND"
        ),
    ]
    page = render(data)
    [svg] = re.findall(r'<svg class="chart".*?</svg>', page, flags=re.S)
    chart = ET.fromstring(svg)
    marks = [(float(c.get("cx", "0")), float(c.get("cy", "0"))) for c in chart.iter("circle")]
    assert len(marks) == 3
    (x22, y22), (x23, y23), (x24, y24) = marks  # rows and points in period order
    assert x22 < x23 < x24
    assert y23 < y24 < y22  # SVG y grows downwards
    assert "nghìn tỷ đồng" in "".join(chart.itertext())  # the axis says its scale
    spans = [line for line in chart.iter("line") if line.get("class") == "span"]
    assert len(spans) == 3 and all(float(s.get("x1", "0")) < float(s.get("x2", "0")) for s in spans)


def test_every_chart_is_well_formed_svg() -> None:
    page = render(sample() + hostile())
    charts = re.findall(r'<svg class="chart".*?</svg>', page, flags=re.S)
    assert len(charts) == 6  # 4 series + 2 hostile ones
    total = 0
    for svg in charts:
        chart = ET.fromstring(svg)  # raises on anything malformed
        total += sum(1 for a in chart.iter("a") if "point" in a.get("class", ""))
    assert total == len(points(parse(page)))


# --- nothing loaded, nothing run, everything escaped -----------------------------------------------------


def test_the_page_loads_no_resource_and_runs_no_script() -> None:
    page = render(sample() + hostile())
    root = parse(page)
    lowered = page.lower()
    assert "@import" not in lowered and "url(" not in lowered
    for tag in FETCHING_OR_RUNNING:
        assert not list(root.iter(tag)), tag
    for node in root.iter():
        assert "src" not in node.attrs and "srcset" not in node.attrs and "xlink:href" not in node.attrs
        assert not [a for a in node.attrs if a.startswith("on")], node
        if "href" in node.attrs:
            assert node.tag == "a"
            href = node.attrs["href"]
            assert href.startswith("#") or re.match(r"https?://[^\s]+$", href), href
        assert "style" not in node.attrs or "url" not in node.attrs["style"]
    [csp] = [m for m in root.iter("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp.attrs["content"]


def test_hostile_strings_are_text_and_hostile_urls_are_not_links() -> None:
    data = hostile()
    page = render(data)
    root = parse(page)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    row = row_of(root, data[0])
    assert HOSTILE_EVIDENCE in row.text()  # shown, as text
    links = hrefs(root)
    assert not [h for h in links if "javascript" in h.lower() or h.startswith(("data:", "//"))]
    assert "https://ok.example/a b" not in links and "http://[::1" not in links
    assert HOSTILE_URL in row.text()  # the reader still sees what the URL was
    assert '"><svg onload=alert(1)>' in row.text()
    # the forged observation id became an id of ours, and its point still reaches its row
    every_id = ids(root)
    assert all(re.fullmatch(r"[a-z0-9_-]+", i) for i in every_id)
    assert all(p.attrs["href"][1:] in every_id for p in points(root))
    subjects = [next(s.iter("code")).text() for s in by_class(root, "section", "series")]
    assert subjects == ["cuc:hai-phong", '<b onmouseover="x">cuc:"q"</b>']  # an unknown subject goes last


def test_control_and_bidi_characters_are_dropped() -> None:
    data = sample()[:1]
    data[0]["evidence"] = "thu\x00 ngân\u202e sách\x1b đạt\ud800 1.000 tỷ"
    page = render(data)
    assert "thu ngân sách đạt 1.000 tỷ" in page
    page.encode("utf-8")  # no lone surrogate left to fail the write


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://hddtvn.com/a", True),
        ("HTTP://hddtvn.com/a?b=1&c=2", True),
        ("javascript:alert(1)", False),
        (" https://hddtvn.com/a", False),
        ("java\nscript:alert(1)", False),
        ("//hddtvn.com/a", False),
        ("/relative", False),
        ("data:text/html,x", False),
        ("https:\\\\evil.example", False),
        ("https://", False),
        (None, False),
    ],
)
def test_safe_url(url: Any, safe: bool) -> None:
    assert (safe_url(url) is not None) is safe


def test_malformed_fields_are_shown_not_plotted() -> None:
    data = sample()[:2]
    data[0]["value"] = "mười tỷ"
    data[1]["period_end"] = "2024-13-45"
    data[1]["period_start"] = None
    root = parse(render(data))
    assert points(root) == []
    assert "mười tỷ VND (not a number)" in row_of(root, data[0]).text()
    assert "2024-13-45 (not a date)" in row_of(root, data[1]).text()
    assert "Nothing to plot" in root.text()


# --- determinism -----------------------------------------------------------------------------------------


def test_the_same_observations_give_the_same_page_in_any_order() -> None:
    data = sample() + hostile()
    page = render(data)
    assert render(data) == page
    shuffled = list(data)
    random.Random(7).shuffle(shuffled)
    assert render(shuffled) == page
    assert render(data, title="x") != page  # (the title is in it)


def test_the_page_says_when_and_how_much() -> None:
    data = sample()
    root = parse(render(data))
    summary = by_class(root, "p", "summary")[0].text()
    assert "4 series" in summary and "10 observation(s), 9 plotted" in summary and "1 conflict(s)" in summary
    assert "2025-03-01T09:30:00+00:00" in summary
    assert next(root.iter("title")).text() == DEFAULT_TITLE


def test_no_observations() -> None:
    root = parse(render([]))
    assert "No observations." in root.text()
    assert not by_class(root, "section", "series")


# --- words and numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "bound", "shown"),
    [
        ("4290300000000", "VND", "exact", "4.290,3 tỷ đồng"),
        ("372500000000000", "VND", "over", "over 372,5 nghìn tỷ đồng"),
        ("850000000", "VND", "exact", "850 triệu đồng"),
        ("12500", "VND", "exact", "12.500 đồng"),
        ("368530000000", "USD", "about", "about 368,53 tỷ USD"),
        ("2400000", "USD", "exact", "2,4 triệu USD"),
        ("-6.6", "percent", "exact", "-6,6%"),
        ("1234567", "count", "under", "under 1.234.567"),
    ],
)
def test_values_are_shown_in_a_readable_scale(value: str, unit: str, bound: str, shown: str) -> None:
    assert format_value(Decimal(value), unit, bound) == shown


def test_labels_fall_back_to_the_ids() -> None:
    assert subject_label("tong-cuc") == "Tổng cục Hải quan"
    assert subject_label("cuc:ha-noi") == "Cục Ha Noi"
    assert subject_label("chi-cuc:cua-khau-mong-cai") == "Chi cục Cua Khau Mong Cai"
    assert subject_label("cuc:") == "cuc:"
    assert subject_label("other") == "other"
    assert metric_label("budget_revenue") == "Budget revenue"
    assert metric_label("declarations_change") == "Customs declarations, change"
    assert metric_label("something_new") == "something_new"


# --- the command -----------------------------------------------------------------------------------------


class _Engine:
    disposed = False

    def dispose(self) -> None:
        self.disposed = True


def test_the_command_writes_index_html_and_says_what_is_in_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from services.cli import cli

    calls: list[dict[str, Any]] = []
    engine = _Engine()

    def load(engine_: Any, *, subject: str | None = None, metric: str | None = None) -> list[dict[str, Any]]:
        calls.append({"engine": engine_, "subject": subject, "metric": metric})
        return sample()

    monkeypatch.setenv("HQ_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:1/db")
    monkeypatch.setattr("services.store.observations.load_observation_events", load)
    monkeypatch.setattr("services.common.db.make_engine", lambda url, **kw: engine)
    out = tmp_path / "new" / "report"
    result = CliRunner().invoke(cli, ["report", "--out", str(out), "--subject", "cuc:*"])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text("utf-8")
    assert "cuc:*" in next(parse(page).iter("title")).text()
    assert calls == [{"engine": engine, "subject": "cuc:*", "metric": None}] and engine.disposed
    assert str((out / "index.html").resolve()) in result.output
    assert "4 series, 10 observation(s) (9 plotted), 1 conflict(s)" in result.output
    assert [p.name for p in out.iterdir()] == ["index.html"]  # no temporary file left


def test_the_command_reports_a_database_failure_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import psycopg
    from sqlalchemy.exc import OperationalError

    from services.cli import cli

    def load(engine: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise OperationalError("SELECT", {}, psycopg.OperationalError("connection refused"))

    monkeypatch.setenv("HQ_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/db")
    monkeypatch.setattr("services.store.observations.load_observation_events", load)
    monkeypatch.setattr("services.common.db.make_engine", lambda url, **kw: _Engine())
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot use the database"), result.stderr
    assert "secret" not in result.stderr and not (tmp_path / "r" / "index.html").exists()


def test_the_command_refuses_an_unknown_metric_id_as_facts_does(tmp_path: Path) -> None:
    from services.cli import cli

    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path), "--metric", "Budget Revenue"])
    assert result.exit_code == 2 and "unknown metric id 'Budget Revenue'; known ids:" in result.stderr
