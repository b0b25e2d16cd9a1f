"""Vietnamese numbers and quantities, read into exact decimals (never floats).

Vietnamese writes ``.`` between thousands and ``,`` before decimals (``10.037,6``), scales with words
(``nghìn``/``ngàn``, ``triệu``, ``tỷ``/``tỉ``, ``nghìn tỷ``), sometimes chains them (``4.403 tỷ 46 triệu``)
and puts bounds in front (``hơn``, ``gần``, ``khoảng``). ``find_quantities`` finds every number in a text
that reads as a quantity and skips the ones that are dates, document numbers or years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

QuantityUnit = Literal["VND", "USD", "percent"]
QuantityBound = Literal["exact", "over", "under", "about"]

# A bare number: thousands groups with '.', optional ',' decimals; or plain digits with optional decimals.
_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_SCALE = r"nghìn\s+tỷ|ngàn\s+tỷ|nghìn\s+tỉ|ngàn\s+tỉ|triệu\s+tỷ|tỷ|tỉ|triệu|nghìn|ngàn"
_CURRENCY = r"đồng|VNĐ|VND|vnđ|USD|US\$|đô\s*la|đô-la|đôla|đ\b"

# One quantity: number, optional scale, optional chained smaller part ("tỷ 46 triệu"), optional unit.
QUANTITY_RE = re.compile(
    rf"(?<![\d.,\w])(?P<num>{_NUMBER})(?![\d/]|\.\d|,\d)"
    rf"(?:\s*(?P<scale>{_SCALE})(?![\w])"
    rf"(?:\s+(?P<num2>\d{{1,3}}(?:,\d+)?)\s*(?P<scale2>triệu|nghìn|ngàn)(?![\w]))?)?"
    rf"(?:\s*(?P<pct>%|phần\s+trăm)|\s*(?P<cur>{_CURRENCY})(?![\w]))?",
    re.IGNORECASE,
)

# The same pattern for lower-cased text: case-insensitive Unicode matching is several times slower.
_QUANTITY_LOWER_RE = re.compile(
    QUANTITY_RE.pattern.replace("VNĐ|VND|vnđ|USD|US\\$", "vnđ|vnd|usd|us\\$"),
)

_SCALES: dict[str, Decimal] = {
    "nghìn": Decimal(1000),
    "ngàn": Decimal(1000),
    "triệu": Decimal(10) ** 6,
    "tỷ": Decimal(10) ** 9,
    "tỉ": Decimal(10) ** 9,
    "nghìn tỷ": Decimal(10) ** 12,
    "ngàn tỷ": Decimal(10) ** 12,
    "nghìn tỉ": Decimal(10) ** 12,
    "ngàn tỉ": Decimal(10) ** 12,
    "triệu tỷ": Decimal(10) ** 15,
}

_SPACES = re.compile(r"\s+")

# Bound words directly in front of a number (checked on the text just before it, lower case).
_BOUND_BEFORE = re.compile(
    r"(?P<w>ngoài\s+ra\s+hơn|tối\s+thiểu|ít\s+nhất|gần\s+như|ước\s+chừng|xấp\s+xỉ|khoảng|chưa\s+tới|chưa\s+đến|"
    r"hơn|trên|vượt|gần|dưới)"
    r"(?:\s+(?:mức|con\s+số|tới|đến|lên))?\s*:?\s*$"
)
_BOUND_WORDS: dict[str, QuantityBound] = {
    "ngoài ra hơn": "over",
    "tối thiểu": "over",
    "ít nhất": "over",
    "hơn": "over",
    "trên": "over",
    "vượt": "over",
    "gần": "under",
    "dưới": "under",
    "chưa tới": "under",
    "chưa đến": "under",
    "khoảng": "about",
    "xấp xỉ": "about",
    "ước chừng": "about",
    "gần như": "about",
}

_YEAR_BEFORE = re.compile(r"(?:năm|niên\s+độ|khóa|giai\s+đoạn|kỳ)\s*$", re.IGNORECASE)
_RANK_BEFORE = re.compile(
    r"(?:thứ|hạng|số\s+hiệu|lần|khóa|Khóa|phòng|lô|mục|điều|khoản|Điều|Nghị\s+định|Quyết\s+định|Thông\s+tư)\s*$"
)
# "thu đạt 1.150/1.300 tỷ đồng bằng 88,5% dự toán": a result over its target, told with the share that
# follows; the first number takes the scale and unit of the second.
_SLASH_PAIR = re.compile(
    rf"(?<![\d.,\w/(])(?P<num>{_NUMBER})\s*/\s*(?:{_NUMBER})\s*(?P<scale>{_SCALE})\s*(?P<cur>{_CURRENCY})(?![\w])"
    r"(?=\s*,?\s*(?:bằng|đạt)\s+[\d.,]+\s*%\s*(?:so\s+với\s+)?(?:dự\s+toán|chỉ\s+tiêu|kế\s+hoạch))",
    re.IGNORECASE,
)
_RANGE_FROM = re.compile(r"từ\s*$", re.IGNORECASE)
_RANGE_TO = re.compile(r"^\s*(?:đến|tới|-|–)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number found in a text. ``unit`` is None for a plain count or an amount with no currency."""

    value: Decimal
    unit: QuantityUnit | None
    scaled: bool  # it carried a scale word (triệu, tỷ...): an amount, not a count of items
    bound: QuantityBound
    start: int  # where the number starts in the text (bound words are before it)
    end: int  # just past the unit, scale or number


def parse_number(text: str) -> Decimal | None:
    """``10.037,6`` -> 10037.6, ``1,8`` -> 1.8, ``315.000`` -> 315000. None when it is not a number."""
    text = text.strip()
    if not re.fullmatch(_NUMBER, text):
        return None
    try:
        return Decimal(text.replace(".", "").replace(",", "."))
    except InvalidOperation:
        return None


def scale_factor(word: str) -> Decimal:
    return _SCALES[_SPACES.sub(" ", word.lower())]


def bound_before(prefix: str) -> QuantityBound:
    """The bound that the words just before a number give it."""
    match = _BOUND_BEFORE.search(prefix[-30:].lower())
    if not match:
        return "exact"
    return _BOUND_WORDS[_SPACES.sub(" ", match.group("w"))]


def _unit_of(match: re.Match[str]) -> QuantityUnit | None:
    if match.group("pct"):
        return "percent"
    currency = match.group("cur")
    if not currency:
        return None
    folded = currency.lower()
    if folded in ("usd", "us$") or folded.startswith("đô"):
        return "USD"
    return "VND"


def _is_not_a_quantity(text: str, match: re.Match[str], unit: QuantityUnit | None, scaled: bool) -> bool:
    """Years, ranks and numbers glued to date or document punctuation are not quantities."""
    start = match.start("num")
    before = text[max(0, start - 12) : start]
    if unit is None and not scaled:
        raw = match.group("num")
        if re.fullmatch(r"(?:19|20)\d\d", raw):
            return True
        if _YEAR_BEFORE.search(before) and re.fullmatch(r"\d{4}", raw):
            return True
        if _RANK_BEFORE.search(before):
            return True
    # "08/2015/NĐ-CP", "15/10": the number sits next to a slash or a dash-number.
    if start > 0 and text[start - 1] in "/-–" and unit is None:
        return True
    after = text[match.end() : match.end() + 2]
    return bool(after[:1] in ("/",) and unit is None)


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text`` in reading order. Never raises on any input."""
    found: list[Quantity] = []
    lower = text.lower()
    # Lower-casing keeps positions unless a character changes length (rare): then match the text itself.
    matches = _QUANTITY_LOWER_RE.finditer(lower) if len(lower) == len(text) else QUANTITY_RE.finditer(text)
    for match in matches:
        value = parse_number(match.group("num"))
        if value is None:
            continue
        scale = match.group("scale")
        scaled = bool(scale)
        if scale:
            value *= scale_factor(scale)
            if match.group("num2"):
                extra = parse_number(match.group("num2"))
                if extra is not None:
                    value += extra * scale_factor(match.group("scale2"))
        unit = _unit_of(match)
        if _is_not_a_quantity(text, match, unit, scaled):
            continue
        start = match.start("num")
        found.append(
            Quantity(
                value=value,
                unit=unit,
                scaled=scaled,
                bound=bound_before(text[max(0, start - 30) : start]),
                start=start,
                end=match.end(),
            )
        )
    if "/" in text:
        found.extend(_slash_pair_firsts(text))
        found.sort(key=lambda q: q.start)
    return _spread_ranges(text, found)


def _slash_pair_firsts(text: str) -> list[Quantity]:
    """The first number of "X/Y tỷ đồng", which the quantity pattern skips as glued to a slash."""
    result: list[Quantity] = []
    for match in _SLASH_PAIR.finditer(text):
        value = parse_number(match.group("num"))
        if value is None:
            continue
        start = match.start("num")
        currency = match.group("cur").lower()
        result.append(
            Quantity(
                value=value * scale_factor(match.group("scale")),
                unit="USD" if currency in ("usd", "us$") or currency.startswith("đô") else "VND",
                scaled=True,
                bound=bound_before(text[max(0, start - 30) : start]),
                start=start,
                end=match.end("num"),
            )
        )
    return result


def _spread_ranges(text: str, found: list[Quantity]) -> list[Quantity]:
    """ "từ 10.097 đến 10.320 tỷ đồng": the first end takes the scale and unit of the second."""
    result = list(found)
    for index in range(len(result) - 1):
        first, second = result[index], result[index + 1]
        if first.scaled or first.unit is not None:
            continue
        if not _RANGE_TO.match(text[first.end : second.start]):
            continue
        if not _RANGE_FROM.search(text[max(0, first.start - 8) : first.start]):
            continue
        match = QUANTITY_RE.match(text, second.start)
        if match is None:
            continue
        value = first.value
        scale = match.group("scale")
        if scale:
            value *= scale_factor(scale)
        result[index] = Quantity(
            value=value,
            unit=second.unit,
            scaled=second.scaled,
            bound=first.bound,
            start=first.start,
            end=first.end,
        )
    return result
