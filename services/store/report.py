"""The observations as one static HTML page (``hqfacts report``): a chart and a table per (subject, metric).

Pure: observation dicts in (the shape of ``services/common/schemas/observations.v1.json``), a string out;
the caller reads the database and writes the file. The page loads nothing: inline CSS, inline SVG drawn
here, no script, and a Content-Security-Policy that forbids fetching anything, so a page opened from disk
or mailed around shows the same thing offline and cannot call home.

Everything in an observation comes from scraped pages and is treated as hostile: every text is escaped
(and stripped of control and bidi-override characters), only http(s) URLs become links, and a malformed
field (a value that is not a number, a period that is not a date) is shown as text rather than plotted.
The same observations give the same bytes whatever their order (tests compare pages).

Heuristics (labels, scales, colours, layout) are the data below; the functions after them only apply it.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from services.common.facts import format_decimal

# --- the data -------------------------------------------------------------------------------------------

DEFAULT_TITLE = "hqfacts: observations"

# Subject ids (the fact contract's) to names; `cuc:<slug>` / `chi-cuc:<slug>` get the unit's word + the slug.
SUBJECT_LABELS: dict[str, str] = {"tong-cuc": "Tổng cục Hải quan", "ca-nuoc": "Cả nước"}
SUBJECT_PREFIX_LABELS: tuple[tuple[str, str], ...] = (("chi-cuc:", "Chi cục"), ("cuc:", "Cục"))
# Series order: the sector and the country first, then departments, then branches (a trailing ":" is a
# prefix); any other subject after them. Within a rank by subject id, then metric id.
SUBJECT_RANK: tuple[str, ...] = ("tong-cuc", "ca-nuoc", "cuc:", "chi-cuc:")

METRIC_LABELS: dict[str, str] = {
    "budget_revenue": "Budget revenue",
    "budget_revenue_attainment": "Budget revenue, share of the target",
    "budget_revenue_change": "Budget revenue, change",
    "trade_turnover": "Trade turnover",
    "export_turnover": "Export turnover",
    "import_turnover": "Import turnover",
    "trade_balance": "Trade balance",
    "trade_turnover_change": "Trade turnover, change",
    "export_turnover_change": "Export turnover, change",
    "import_turnover_change": "Import turnover, change",
    "declarations": "Customs declarations",
    "enterprises": "Enterprises",
    "passengers": "Passengers",
    "violations": "Violations",
    "violations_value": "Value of the violations",
    "criminal_cases": "Criminal cases",
    "criminal_referrals": "Criminal referrals",
    "administrative_penalties": "Administrative penalties",
    "penalty_revenue": "Penalty revenue",
}
CHANGE_SUFFIX = "_change"  # `<metric>_change` without a label of its own: "<metric's label>, change"

KIND_ORDER: tuple[str, ...] = ("actual", "estimate", "target")
TARGET_TYPE_LABELS: dict[str, str] = {"du-toan": "dự toán", "chi-tieu": "chỉ tiêu", "phan-dau": "phấn đấu"}
BOUND_WORDS: dict[str, str] = {"exact": "", "over": "over", "under": "under", "about": "about"}


@dataclass(frozen=True, slots=True)
class KindStyle:
    label: str
    colour: str
    shape: str  # a key of _SHAPES


# Three kinds, told apart by shape as well as colour (readable in greyscale and by the colour-blind).
KIND_STYLES: dict[str, KindStyle] = {
    "actual": KindStyle("actual", "#1f5fa8", "circle"),
    "estimate": KindStyle("estimate", "#c76b00", "diamond"),
    "target": KindStyle("target", "#2e7d32", "square"),
}
OTHER_KIND_STYLE = KindStyle("other", "#6b6b6b", "triangle")  # a kind outside the contract
CONFLICT_COLOUR = "#d0021b"


@dataclass(frozen=True, slots=True)
class Scale:
    exponent: int  # shown value = value / 10**exponent
    label: str
    from_magnitude: int  # used when the largest |value| is at least 10**from_magnitude


# Largest first; the words the articles themselves use, so a value reads like its evidence sentence.
UNIT_SCALES: dict[str, tuple[Scale, ...]] = {
    "VND": (Scale(12, "nghìn tỷ đồng", 13), Scale(9, "tỷ đồng", 9), Scale(6, "triệu đồng", 6)),
    "USD": (Scale(9, "tỷ USD", 9), Scale(6, "triệu USD", 6), Scale(3, "nghìn USD", 3)),
    "percent": (),
    "count": (),
}
UNIT_LABELS: dict[str, str] = {"VND": "đồng", "USD": "USD", "percent": "%", "count": ""}  # unscaled
# Numbers are written as in the articles (1.234,5) so a value can be checked against its evidence.
GROUP_MARK = "."
DECIMAL_MARK = ","


@dataclass(frozen=True, slots=True)
class ChartLayout:
    width: int = 960
    height: int = 280
    left: int = 86  # room for the y tick labels
    right: int = 18
    top: int = 16
    bottom: int = 30
    marker: float = 5.0
    ring: float = 9.0
    y_ticks: int = 6  # at most
    x_ticks: int = 9  # at most
    x_padding: float = 0.03  # of the time span, each side: no marker sits on the frame
    lone_date_padding_days: int = 45  # each side when every point is on one date


LAYOUT = ChartLayout()
NICE_STEPS: tuple[Decimal, ...] = tuple(Decimal(s) for s in ("1", "2", "2.5", "5", "10"))
X_TICK_MONTHS: tuple[int, ...] = (1, 2, 3, 6, 12, 24, 60, 120, 240)

MAX_TITLE_CHARS = 160
MAX_LINK_SLUG_CHARS = 60
NOT_PLOTTED = {
    "period": "no period",
    "value": "a value that is not a number",
    "range": "a value too large to draw",
    "unit": "a unit other than the chart's",
}
MAX_PLOTTED = Decimal("1e24")  # ~1000 times any budget in VND; beyond, floats and the y axis give out

# Dropped from every text: C0/C1 controls (bar tab and newlines), surrogates and non-characters (not
# encodable / not XML), and the bidi overrides a page could use to make a text read other than it is.
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # a browser would strip or reinterpret these
_LINK_SCHEMES = frozenset({"http", "https"})
_OBSERVATION_ID = re.compile(r"[0-9a-f]{32}")
_SLUG_DROP = re.compile(r"[^a-z0-9_-]+")

CSS = (
    """
:root { color-scheme: light; --conflict: %(conflict)s; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
  max-width: 1100px; padding: 1rem 1.25rem 3rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.6rem; margin: .2rem 0 .4rem; }
h2 { font-size: 1.25rem; margin: 0 0 .2rem; }
a { color: #0b57d0; }
code { font-size: .85em; background: #f1f3f4; padding: 0 .25em; border-radius: 3px; }
.summary { color: #444; margin: 0 0 1rem; }
nav ul { columns: 2 22rem; column-gap: 3rem; padding-left: 1.2rem; margin: .3rem 0 1rem; }
nav li { break-inside: avoid; }
nav .n, .muted { color: #666; font-size: .9em; }
.badge { color: #fff; background: var(--conflict); border-radius: 3px; padding: 0 .35em; font-size: .8em; }
section.series { border-top: 1px solid #ddd; padding-top: 1rem; margin-top: 1.5rem; }
.ids { margin: 0 0 .5rem; }
.legend { margin: .2rem 0; font-size: .9em; }
.legend span { margin-right: 1rem; white-space: nowrap; }
.legend svg, td.kind svg { vertical-align: middle; }
svg.chart { display: block; width: 100%%; max-width: %(width)dpx; height: auto; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #555; }
svg.chart .grid { stroke: #e5e5e5; }
svg.chart .zero { stroke: #999; }
svg.chart .frame { stroke: #bbb; fill: none; }
svg.chart .span { stroke-width: 2.5; stroke-opacity: .35; }
svg.chart a:hover .mark, svg.chart a:focus .mark { stroke: #000; stroke-width: 2; }
.ring { fill: none; stroke: var(--conflict); stroke-width: 2.2; }
.note { color: #555; font-size: .9em; margin: .3rem 0; }
table { border-collapse: collapse; width: 100%%; margin-top: .6rem; font-size: .9em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .35rem .4rem; text-align: left; vertical-align: top; }
th { background: #f7f7f7; }
td.value { white-space: nowrap; text-align: right; }
td.period { white-space: nowrap; }
tr.conflict td:first-child { box-shadow: inset 4px 0 0 var(--conflict); }
tr:target { background: #fff4c2; }
blockquote.evidence { margin: 0; }
ul.values { margin: .3rem 0 0; padding-left: 1.1rem; text-align: left; white-space: normal; }
ul.values li.agreed { font-weight: 600; }
.unlinked { color: #8a1c1c; word-break: break-all; }
.articles div + div { margin-top: .2rem; }
footer { margin-top: 2.5rem; color: #666; font-size: .85em; }
""".strip()
    % {"conflict": CONFLICT_COLOUR, "width": LAYOUT.width}
)

# Nothing may be fetched or run: the page is data, and the data is scraped.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
)


# --- the model ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Observation:
    raw: Mapping[str, Any]
    anchor: str  # the id of its table row
    subject: str
    metric: str
    kind: str
    target_type: str
    start: date | None
    end: date | None
    value: Decimal | None
    unit: str
    conflict: bool

    @property
    def at(self) -> date | None:
        """Where it sits on the time axis: the end of its period (its start when that is all it has)."""
        return self.end or self.start


@dataclass(frozen=True, slots=True)
class _Series:
    subject: str
    metric: str
    anchor: str
    unit: str  # of the chart; observations in another unit are listed only
    observations: tuple[_Observation, ...]

    def plotted(self) -> list[_Observation]:
        return [o for o in self.observations if _not_plotted_reason(o, self.unit) is None]


@dataclass(frozen=True, slots=True)
class ReportCounts:
    series: int
    observations: int
    plotted: int
    conflicts: int


def report_counts(observations: Sequence[Mapping[str, Any]]) -> ReportCounts:
    """What the page shows, for the command to say."""
    series = _series(observations)
    every = [o for s in series for o in s.observations]
    return ReportCounts(
        series=len(series),
        observations=len(every),
        plotted=sum(len(s.plotted()) for s in series),
        conflicts=sum(1 for o in every if o.conflict),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _values(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = raw.get("values")
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []


def _sort_key(raw: Mapping[str, Any]) -> tuple[Any, ...]:
    start, end = _date(raw.get("period_start")), _date(raw.get("period_end"))
    at = end or start
    kind = _text(raw.get("kind"))
    return (
        at is None,  # undated rows last
        at or date.min,
        start or date.min,
        KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER),
        kind,
        _text(raw.get("target_type")),
        _text(raw.get("observation_id")),
        _text(raw.get("value")),
    )


def _slug(text: str) -> str:
    return _SLUG_DROP.sub("-", text.lower()).strip("-")[:48] or "x"


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()


def _series_key(subject: str, metric: str) -> tuple[int, str, str]:
    rank = next(
        (
            i
            for i, entry in enumerate(SUBJECT_RANK)
            if subject == entry or (entry.endswith(":") and subject.startswith(entry))
        ),
        len(SUBJECT_RANK),
    )
    return rank, subject, metric


def _series(observations: Sequence[Mapping[str, Any]]) -> list[_Series]:
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for raw in observations:
        key = (_text(raw.get("subject")), _text(raw.get("metric")))
        groups.setdefault(key, []).append(raw)
    used: set[str] = set()
    series = []
    for (subject, metric), raws in sorted(groups.items(), key=lambda item: _series_key(*item[0])):
        items = []
        for raw in sorted(raws, key=_sort_key):
            items.append(_observation(raw, used))
        units = Counter(o.unit for o in items if o.value is not None)
        unit = min(units, key=lambda u: (-units[u], u)) if units else ""
        # The hash keeps ids distinct where slugs meet (cuc:a-b and cuc-a:b); the slug keeps them readable.
        anchor = f"series-{_slug(subject)}--{_slug(metric)}-{_digest(subject, metric)[:8]}"
        series.append(_Series(subject, metric, anchor, unit, tuple(items)))
    return series


def _observation(raw: Mapping[str, Any], used: set[str]) -> _Observation:
    observation_id = _text(raw.get("observation_id"))
    if _OBSERVATION_ID.fullmatch(observation_id):
        anchor = f"obs-{observation_id}"
    else:  # not ours: an id that cannot break out of an attribute or collide with a real one
        anchor = f"obs-x{_digest(observation_id)[:31]}"
    base, n = anchor, 1
    while anchor in used:  # a duplicate id would make two points link to one row
        n += 1
        anchor = f"{base}-{n}"
    used.add(anchor)
    values = _values(raw)
    return _Observation(
        raw=raw,
        anchor=anchor,
        subject=_text(raw.get("subject")),
        metric=_text(raw.get("metric")),
        kind=_text(raw.get("kind")),
        target_type=_text(raw.get("target_type")),
        start=_date(raw.get("period_start")),
        end=_date(raw.get("period_end")),
        value=_decimal(raw.get("value")),
        unit=_text(raw.get("unit")),
        conflict=raw.get("conflict") is True or len(values) > 1,
    )


def _not_plotted_reason(observation: _Observation, unit: str) -> str | None:
    if observation.at is None:
        return NOT_PLOTTED["period"]
    if observation.value is None:
        return NOT_PLOTTED["value"]
    if abs(observation.value) >= MAX_PLOTTED:
        return NOT_PLOTTED["range"]
    if observation.unit != unit:
        return NOT_PLOTTED["unit"]
    return None


# --- words and numbers ----------------------------------------------------------------------------------


def _e(text: Any) -> str:
    """Text (or an attribute value: always double-quoted) safe to put in the page."""
    return html.escape(_UNSAFE_CHARS.sub("", _text(text)), quote=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def subject_label(subject: str) -> str:
    if subject in SUBJECT_LABELS:
        return SUBJECT_LABELS[subject]
    for prefix, word in SUBJECT_PREFIX_LABELS:
        if subject.startswith(prefix) and len(subject) > len(prefix):
            return f"{word} {subject[len(prefix) :].replace('-', ' ').title()}"
    return subject


def metric_label(metric: str) -> str:
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    base = metric.removesuffix(CHANGE_SUFFIX)
    if base != metric and base in METRIC_LABELS:
        return f"{METRIC_LABELS[base]}, change"
    return metric


def _kind_style(kind: str) -> KindStyle:
    return KIND_STYLES.get(kind, OTHER_KIND_STYLE)


def _scale(unit: str, magnitude: Decimal) -> Scale:
    for scale in UNIT_SCALES.get(unit, ()):
        if magnitude >= Decimal(1).scaleb(scale.from_magnitude):
            return scale
    return Scale(0, UNIT_LABELS.get(unit, unit), 0)


def format_number(number: Decimal) -> str:
    """1234567.5 -> 1.234.567,5 (the articles' way)."""
    text = format_decimal(number)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        whole, tail = whole[:-3], whole[-3:]
        groups.insert(0, tail)
    groups.insert(0, whole)
    return sign + GROUP_MARK.join(groups) + (DECIMAL_MARK + fraction if fraction else "")


def format_value(value: Decimal, unit: str, bound: str = "exact") -> str:
    """A value in the largest scale that keeps it readable: 4290300000000 VND -> 4.290,3 tỷ đồng."""
    scale = _scale(unit, abs(value))
    shown = format_number(value.scaleb(-scale.exponent))
    word = BOUND_WORDS.get(bound, bound)
    number = f"{shown}{scale.label}" if unit == "percent" else f"{shown} {scale.label}".rstrip()
    return f"{word} {number}" if word else number


def _value_text(raw_value: Any, unit: Any, bound: Any) -> str:
    number = _decimal(raw_value)
    if number is None:
        return f"{_text(raw_value)} {_text(unit)}".strip() + " (not a number)"
    return format_value(number, _text(unit), _text(bound) or "exact")


def _period_text(observation: _Observation) -> str:
    raw = observation.raw
    start_raw, end_raw = raw.get("period_start"), raw.get("period_end")
    if start_raw is None and end_raw is None:
        return "no period"

    def end(value: Any, parsed: date | None) -> str:
        if value is None:
            return "…"
        return parsed.isoformat() if parsed else f"{_text(value)} (not a date)"

    return f"{end(start_raw, observation.start)} – {end(end_raw, observation.end)}"


def _published(article: Mapping[str, Any]) -> str:
    published = article.get("published")
    if not isinstance(published, str) or not published:
        return ""
    try:
        return datetime.fromisoformat(published.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return _clip(published, 40)


def safe_url(url: Any) -> str | None:
    """``url`` when it is an absolute http(s) URL a browser reads as we do; None for anything else
    (javascript:, data:, relative, protocol-relative, with spaces or controls)."""
    if not isinstance(url, str) or not url or _URL_UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in _LINK_SCHEMES and parts.netloc else None


def _link(url: Any, text: str, *, css: str = "") -> str:
    """A link to ``url`` labelled ``text`` (both raw); a URL we do not link is shown, not followed."""
    href = safe_url(url)
    cls = f' class="{css}"' if css else ""
    if href is None:
        shown = _clip(_text(url), 200) or "(no URL)"
        return (
            f'<span class="unlinked" title="not an http(s) URL: not linked">{_e(text)} [{_e(shown)}]</span>'
        )
    return f'<a{cls} href="{_e(href)}" rel="noopener noreferrer nofollow" title="{_e(href)}">{_e(text)}</a>'


def _url_slug(url: Any) -> str:
    text = _text(url).rstrip("/")
    return _clip(text.rsplit("/", 1)[-1] or text, MAX_LINK_SLUG_CHARS) or "(no URL)"


# --- the chart ------------------------------------------------------------------------------------------


def _marker(shape: str, x: float, y: float, r: float, colour: str, css: str = "mark") -> str:
    fill = f'class="{css}" fill="{colour}" stroke="#fff" stroke-width="1"'
    if shape == "circle":
        return f'<circle {fill} cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
    if shape == "square":
        side = r * 1.7
        corner = f'x="{x - side / 2:.1f}" y="{y - side / 2:.1f}"'
        return f'<rect {fill} {corner} width="{side:.1f}" height="{side:.1f}"/>'
    if shape == "diamond":
        d = r * 1.35
        path = f"M{x:.1f},{y - d:.1f}L{x + d:.1f},{y:.1f}L{x:.1f},{y + d:.1f}L{x - d:.1f},{y:.1f}Z"
    else:  # triangle
        d = r * 1.3
        path = f"M{x:.1f},{y - d:.1f}L{x + d:.1f},{y + d * 0.8:.1f}L{x - d:.1f},{y + d * 0.8:.1f}Z"
    return f'<path {fill} d="{path}"/>'


def _legend_icon(body: str) -> str:
    return f'<svg width="16" height="16" viewBox="-8 -8 16 16" aria-hidden="true">{body}</svg>'


def _nice_ticks(low: Decimal, high: Decimal, most: int) -> list[Decimal]:
    """Round tick values (1, 2, 2.5, 5 x 10^n apart) covering [low, high], at most ``most`` + 1 of them."""
    if high <= low:
        high = low + 1
    rough = (high - low) / (most - 1)
    exponent = rough.adjusted()
    step = next(s.scaleb(exponent) for s in NICE_STEPS if s.scaleb(exponent) >= rough)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR)
    last = (high / step).to_integral_value(rounding=ROUND_CEILING)
    return [(first + i) * step for i in range(int(last - first) + 1)]


def _day(ordinal: float) -> date:
    """The date of a (padded) axis position, kept within what ``date`` can hold."""
    return date.fromordinal(min(max(int(ordinal), 1), date.max.toordinal()))


def _month_ticks(first: date, last: date, most: int) -> tuple[list[date], bool]:
    """First days of months, a round number of months apart; and whether to label them by year only."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((m for m in X_TICK_MONTHS if months / m <= most), X_TICK_MONTHS[-1])
    index = first.year * 12 + first.month - 1
    index += -index % step
    ticks: list[date] = []
    while index // 12 <= date.max.year and len(ticks) <= most * 2:  # the bound: only absurd periods hit it
        tick = date(index // 12, index % 12 + 1, 1)
        if tick > last:
            break
        if tick >= first:  # the first month may begin before the axis does
            ticks.append(tick)
        index += step
    return ticks, step % 12 == 0


def _tooltip(observation: _Observation) -> str:
    raw = observation.raw
    parts = [
        _period_text(observation),
        observation.kind + (f" ({observation.target_type})" if observation.target_type else ""),
        _value_text(raw.get("value"), raw.get("unit"), raw.get("bound")),
        f"{_text(raw.get('source_count'))} source(s), {_text(raw.get('agreeing_count'))} agreeing",
    ]
    if observation.conflict:
        others = [_value_text(v.get("value"), v.get("unit"), v.get("bound")) for v in _values(raw)[1:]]
        parts.append("CONFLICT: also " + "; ".join(others) if others else "CONFLICT")
    return " · ".join(parts)


def _chart(series: _Series) -> str:
    points = series.plotted()
    lay = LAYOUT
    dates = [d for o in points for d in (o.start, o.end) if d is not None]
    first, last = min(dates), max(dates)
    day0, day1 = first.toordinal(), last.toordinal()
    if day0 == day1:
        day0, day1 = day0 - lay.lone_date_padding_days, day1 + lay.lone_date_padding_days
    pad = (day1 - day0) * lay.x_padding
    x_low, x_high = day0 - pad, day1 + pad
    plot_w = lay.width - lay.left - lay.right
    plot_h = lay.height - lay.top - lay.bottom

    values = [o.value for o in points if o.value is not None]
    scale = _scale(series.unit, max(abs(v) for v in values))
    shown = [v.scaleb(-scale.exponent) for v in values]
    ticks = _nice_ticks(min([Decimal(0), *shown]), max([Decimal(0), *shown]), lay.y_ticks)
    y_low, y_high = float(ticks[0]), float(ticks[-1])

    def x_of(day: date) -> float:
        return lay.left + (day.toordinal() - x_low) / (x_high - x_low) * plot_w

    def y_of(value: float) -> float:
        return lay.top + (y_high - value) / (y_high - y_low) * plot_h

    axis_label = scale.label or UNIT_LABELS.get(series.unit, series.unit)
    out = [
        f'<svg class="chart" viewBox="0 0 {lay.width} {lay.height}" width="{lay.width}" '
        f'height="{lay.height}" role="img" aria-label="{_e(metric_label(series.metric))}, '
        f'{_e(subject_label(series.subject))}, in {_e(axis_label)}">',
        '<g class="axes">',
    ]
    right, bottom = lay.width - lay.right, lay.height - lay.bottom
    for tick in ticks:
        y = y_of(float(tick))
        css = "zero" if tick == 0 else "grid"
        out.append(f'<line class="{css}" x1="{lay.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
        out.append(
            f'<text x="{lay.left - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(format_number(tick))}</text>'
        )
    month_ticks, yearly = _month_ticks(_day(x_low + 1), _day(x_high), lay.x_ticks)
    for day in month_ticks:
        x = x_of(day)
        label = str(day.year) if yearly else f"{day.year}-{day.month:02d}"
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{lay.top}" x2="{x:.1f}" y2="{bottom}"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{label}</text>')
    out.append(f'<rect class="frame" x="{lay.left}" y="{lay.top}" width="{plot_w}" height="{plot_h}"/>')
    out.append(
        f'<text x="{lay.left}" y="{lay.top - 4}" text-anchor="start">{_e(axis_label or series.unit)}</text>'
    )
    out.append("</g>")
    out.append('<g class="points">')
    for observation in points:
        assert observation.value is not None and observation.at is not None  # plotted() says so
        style = _kind_style(observation.kind)
        x = x_of(observation.at)
        y = y_of(float(observation.value.scaleb(-scale.exponent)))
        css = f"point kind-{_slug(observation.kind)}" + (" conflict" if observation.conflict else "")
        out.append(
            f'<a class="{css}" href="#{observation.anchor}" data-observation="{_e(observation.anchor)}">'
            f"<title>{_e(_tooltip(observation))}</title>"
        )
        if observation.start and observation.end and observation.start < observation.end:
            x0 = x_of(observation.start)
            ends = f'x1="{x0:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y:.1f}"'
            out.append(f'<line class="span" {ends} stroke="{style.colour}"/>')
        out.append(_marker(style.shape, x, y, lay.marker, style.colour))
        if observation.conflict:
            out.append(f'<circle class="ring" cx="{x:.1f}" cy="{y:.1f}" r="{lay.ring:.1f}"/>')
        out.append("</a>")
    out.append("</g></svg>")
    return "\n".join(out)


def _legend(series: _Series) -> str:
    kinds = sorted(
        {o.kind for o in series.plotted()},
        key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k),
    )
    items = []
    for kind in kinds:
        style = _kind_style(kind)
        icon = _legend_icon(_marker(style.shape, 0, 0, LAYOUT.marker, style.colour))
        label = style.label if kind in KIND_STYLES else kind
        items.append(f"<span>{icon} {_e(label)}</span>")
    span = '<line x1="-7" y1="0" x2="7" y2="0" stroke="#777" stroke-width="2.5" stroke-opacity=".5"/>'
    items.append(f"<span>{_legend_icon(span)} period (start to end)</span>")
    if any(o.conflict for o in series.plotted()):
        ring = f'<circle class="ring" cx="0" cy="0" r="{LAYOUT.ring - 2:.1f}"/>'
        items.append(f"<span>{_legend_icon(ring)} conflict: the sources disagree</span>")
    return '<p class="legend">' + "".join(items) + "</p>"


# --- the table ------------------------------------------------------------------------------------------


def _article_line(label: str, article: Any) -> str:
    if not isinstance(article, Mapping):
        return ""
    title = _clip(_text(article.get("title")).strip(), MAX_TITLE_CHARS) or _url_slug(article.get("url"))
    published = _published(article)
    when = f' <span class="muted">({_e(published)})</span>' if published else ""
    return f'<div><span class="muted">{_e(label)}:</span> {_link(article.get("url"), title)}{when}</div>'


def _competing_values(raw: Mapping[str, Any]) -> str:
    items = []
    for i, group in enumerate(_values(raw)):
        value = _value_text(group.get("value"), group.get("unit"), group.get("bound"))
        urls = group.get("articles")
        articles: list[Any] = urls if isinstance(urls, list) else []
        links = ", ".join(_link(url, _url_slug(url)) for url in articles) or "no article"
        count = _e(group.get("source_count"))
        css = "agreed" if i == 0 else "competing"
        tag = " (agreed)" if i == 0 else ""
        items.append(f'<li class="{css}">{_e(value)}{tag}: {count} source(s): {links}</li>')
    return '<ul class="values">' + "".join(items) + "</ul>"


def _row(observation: _Observation, unit: str) -> str:
    raw = observation.raw
    style = _kind_style(observation.kind)
    icon = _legend_icon(_marker(style.shape, 0, 0, LAYOUT.marker, style.colour))
    target = TARGET_TYPE_LABELS.get(observation.target_type, observation.target_type)
    kind = _e(observation.kind) + (f' <span class="muted">({_e(target)})</span>' if target else "")
    period = _e(_period_text(observation))
    reason = _not_plotted_reason(observation, unit)
    if reason is not None:
        period += f'<br><span class="muted">not plotted: {_e(reason)}</span>'
    exact = _decimal(raw.get("value"))
    value = _e(_value_text(raw.get("value"), raw.get("unit"), raw.get("bound")))
    if exact is not None:
        value = f'<data value="{_e(format_decimal(exact))}">{value}</data>'
    if observation.conflict:
        value += ' <span class="badge">conflict</span>' + _competing_values(raw)
    sources = (
        f"{_e(raw.get('source_count'))} article(s)<br>"
        f'<span class="muted">{_e(raw.get("agreeing_count"))} agree</span>'
    )
    evidence = f'<blockquote class="evidence" lang="vi">{_e(raw.get("evidence"))}</blockquote>'
    first, latest = raw.get("first_article"), raw.get("latest_article")
    same = (
        isinstance(first, Mapping) and isinstance(latest, Mapping) and first.get("url") == latest.get("url")
    )
    articles = _link(raw.get("evidence_url"), "evidence article", css="evidence-link")
    articles = f"<div>{articles}</div>" + _article_line("first", first)
    if not same:
        articles += _article_line("latest", latest)
    css = f"kind-{_slug(observation.kind)}" + (" conflict" if observation.conflict else "")
    return (
        f'<tr id="{observation.anchor}" class="{css}">'
        f'<td class="period"><a class="permalink" href="#{observation.anchor}">#</a> {period}</td>'
        f'<td class="kind">{icon} {kind}</td>'
        f'<td class="value">{value}</td>'
        f'<td class="sources">{sources}</td>'
        f"<td>{evidence}</td>"
        f'<td class="articles">{articles}</td>'
        "</tr>"
    )


def _section(series: _Series) -> str:
    plotted = series.plotted()
    conflicts = sum(1 for o in series.observations if o.conflict)
    heading = f"{_e(metric_label(series.metric))} — {_e(subject_label(series.subject))}"
    badge = f' <span class="badge">{conflicts} conflict(s)</span>' if conflicts else ""
    parts = [
        f'<section class="series" id="{series.anchor}">',
        f"<h2>{heading}{badge}</h2>",
        f'<p class="ids muted"><code>{_e(series.subject)}</code> · <code>{_e(series.metric)}</code></p>',
    ]
    if plotted:
        parts += [_legend(series), _chart(series)]
    left_out = Counter(
        reason for o in series.observations if (reason := _not_plotted_reason(o, series.unit)) is not None
    )
    if left_out:
        why = ", ".join(f"{n} with {reason}" for reason, n in sorted(left_out.items()))
        lead = "Nothing to plot" if not plotted else "Listed below but not plotted"
        parts.append(f'<p class="note">{lead}: {_e(why)}.</p>')
    parts.append(
        '<table class="observations"><thead><tr><th>Period</th><th>Kind</th><th>Value</th><th>Sources</th>'
        "<th>Evidence</th><th>Articles</th></tr></thead><tbody>"
    )
    parts += [_row(o, series.unit) for o in series.observations]
    parts.append("</tbody></table></section>")
    return "\n".join(parts)


def _index(series_list: Iterable[_Series]) -> str:
    items = []
    for series in series_list:
        n = len(series.observations)
        conflicts = sum(1 for o in series.observations if o.conflict)
        badge = f' <span class="badge">{conflicts} conflict(s)</span>' if conflicts else ""
        label = f"{_e(subject_label(series.subject))} — {_e(metric_label(series.metric))}"
        count = f'<span class="n">{n} observation(s)</span>'
        items.append(f'<li><a href="#{series.anchor}">{label}</a> {count}{badge}</li>')
    return '<nav id="index" aria-label="Series"><h2>Series</h2><ul>' + "".join(items) + "</ul></nav>"


def render_report(
    observations: Sequence[Mapping[str, Any]], *, generated_at: datetime, title: str = DEFAULT_TITLE
) -> str:
    """The page: counts and an index of the series, then per (subject, metric) a chart and its table."""
    series_list = _series(observations)
    counts = report_counts(observations)
    when = generated_at.isoformat(timespec="seconds")
    summary = (
        f"{counts.series} series · {counts.observations} observation(s), {counts.plotted} plotted · "
        f'{counts.conflicts} conflict(s) · generated <time datetime="{_e(when)}">{_e(when)}</time>'
    )
    body = (
        [_index(series_list), *(_section(s) for s in series_list)]
        if series_list
        else ['<p class="note">No observations.</p>']
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',  # the page's words; the articles' sentences say lang="vi"
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>\n{CSS}\n</style>",
            "</head>",
            "<body>",
            f'<header><h1>{_e(title)}</h1><p class="summary">{summary}</p></header>',
            "<main>",
            *body,
            "</main>",
            "<footer>One point per observation: a key (subject, metric, kind, period, target type) with the "
            "value most articles agree on. A point links to its row; a row to its evidence and articles. "
            f"Numbers are written as in the articles ({_e(format_number(Decimal('1234.5')))} = 1234.5). "
            "A static page: it loads nothing and runs nothing.</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )
