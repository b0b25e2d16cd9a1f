"""Periods a number covers: "năm 2020", "9 tháng", "quý 3/2020", "tháng 9", "đến hết 15/10", "đến nay".

Yearless mentions are resolved later (the year comes from the sentence, else the nearest earlier mention
in the article, else the article's date), so a mention carries only what its words fix.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_YEAR = r"(?:19|20)\d\d"
_ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# Comparisons name other periods ("so với cùng kỳ năm 2019", "so với tháng trước"): they are masked out
# before looking for the period a number covers, and their years are not "the current year".
_COMPARED_WORDS = r"(?:[^,;.()\d]|(?<=tháng\s)\d{1,2}|(?<=quý\s)\d|\d{1,2}/\d{4}|\d{4}(?!\d|[.,]\d))*"
COMPARISON_RE = re.compile(
    r"(?:so\s+với|cùng\s+kỳ|với\s+năm\s+(?=\d))"
    + _COMPARED_WORDS
    + r"|(?<!\w)với\s+cùng\s+"
    + _COMPARED_WORDS,
    re.IGNORECASE,
)

PERIOD_RE = re.compile(
    # The lookahead rejects most positions at once: every alternative starts with one of these letters.
    r"(?=[tđhlqkncb\d])(?<!\w)"
    r"(?:(?P<range>từ\s+(?:ngày\s+)?(?P<rd1>\d{1,2})/(?P<rm1>\d{1,2})(?:/(?P<ry1>"
    + _YEAR
    + r"))?\s*(?:đến|tới|-|–)\s*"
    r"(?:hết\s+)?(?:ngày\s+)?(?P<rd2>\d{1,2})/(?P<rm2>\d{1,2})(?:/(?P<ry2>" + _YEAR + r"))?(?![\d/]))"
    r"|(?P<years>từ\s+năm\s+(?P<yy1>" + _YEAR + r")\s*(?:đến|tới|-|–)\s*(?:(?:cuối|hết)\s+)?(?:năm\s+)?"
    r"(?:tháng\s+(?P<yym>\d{1,2})\s*/\s*)?(?P<yy2>" + _YEAR + r")(?![\d/]))"
    r"|(?P<upto>(?:tính\s+)?(?:đến\s+hết|đến|tới\s+hết|tới|hết|lũy\s+kế\s+đến|lũy\s+kế\s+tới)"
    r"(?:\s+ngày)?\s+(?P<ud>\d{1,2})/(?P<um>\d{1,2})(?:/(?P<uy>" + _YEAR + r"))?(?![\d/]))"
    r"|(?P<uptomonth>(?:(?:đến|tới)\s+(?:hết|cuối)|hết|đến|tới|lũy\s+kế\s+đến)\s+tháng\s+(?P<umon>\d{1,2})"
    r"(?:\s*/\s*(?P<umy>" + _YEAR + r")|\s+năm\s+(?P<umy2>" + _YEAR + r"))?(?![\d/]))"
    r"|(?P<midmonth>(?:đến|tới)\s+(?:hết\s+)?(?:trung\s+tuần|giữa)\s+tháng\s+(?P<mm>\d{1,2})"
    r"(?:\s*(?:/|năm)\s*(?P<mmy>" + _YEAR + r"))?(?![\d/]))"
    r"|(?P<firstmonth>tháng\s+đầu\s+tiên(?:\s+(?:của\s+)?năm\s+(?P<fmy>" + _YEAR + r"))?)"
    r"|(?P<months>(?<![\d,.])(?P<n>\d{1,2})\s+tháng(?:\s+đầu)?(?:\s+(?:đầu\s+)?(?:của\s+)?năm)?"
    r"(?:\s*(?:/|năm)?\s*(?P<ny>" + _YEAR + r"))?(?![\w]))"
    r"|(?P<quarters>(?P<qn>\d|ba|hai)\s+quý\s+đầu(?:\s+năm)?(?:\s*(?:/|năm)?\s*(?P<qny>" + _YEAR + r"))?)"
    r"|(?P<quarter>quý\s+(?P<q>IV|III|II|I|[1-4])(?![\w])(?:\s*(?:/|năm)\s*(?P<qy>" + _YEAR + r"))?)"
    r"|(?P<half>(?:kỳ\s+(?P<hk>[12])|nửa\s+(?P<hh>đầu|cuối)|15\s+ngày\s+(?P<hd>đầu|cuối))\s+(?:của\s+)?tháng\s+"
    r"(?P<hm>\d{1,2})(?!\d|[,.]\d)(?:\s*(?:/|năm)\s*(?P<hy>" + _YEAR + r"))?)"
    # "số thu trong tháng của đơn vị": the month the text is about (resolved against it)
    r"|(?P<thismonth>trong\s+tháng(?!\s*(?:\d|này|nay|trước|qua|tới|sau|đầu|cuối|gần|cao|[,.;:])))"
    # "kỳ 1", "nửa đầu tháng này": a half of the month the text is about (resolved against it)
    r"|(?P<halfnow>kỳ\s+(?P<hk2>[12])(?![\s/]*(?:tháng|\d))(?!\w)|"
    r"(?:nửa\s+(?P<hh2>đầu|cuối)|15\s+ngày\s+(?P<hd2>đầu|cuối))\s+(?:của\s+)?tháng\s+(?:này|nay))"
    r"|(?P<month>tháng\s+(?P<m>\d{1,2})(?!\d|[,.]\d)(?:\s*(?:/|năm)\s*(?P<my>" + _YEAR + r"))?)"
    r"|(?P<sofar>(?:từ\s+đầu\s+năm\s+)?đến\s+nay|hiện\s+nay)"
    r"|(?P<ytd>(?:lũy|luỹ)\s+kế(?:\s+từ\s+đầu\s+năm)?(?!\s+(?:đến|tới))|từ\s+đầu\s+năm(?!\s+(?:đến|tới)))"
    r"|(?P<halfyear>nửa\s+(?P<hyw>đầu|cuối)\s+năm(?:\s+(?P<hyy>" + _YEAR + r"))?)"
    r"|(?P<year>(?:cả\s+)?năm\s+(?P<y>" + _YEAR + r"))"
    r"|(?P<thisyear>(?:trong|cả)\s+năm(?!\s*\d)))",
    re.IGNORECASE,
)
# The look-behind comes after the year so that the search can jump to the "19"/"20" it starts with.
# The same pattern for lower-cased text (Roman quarter numbers lower-cased too): much faster.
_PERIOD_LOWER_RE = re.compile(PERIOD_RE.pattern.replace("(?P<q>IV|III|II|I|", "(?P<q>iv|iii|ii|i|"))
# A year inside a document's number ("Thông tư 12/2016/TT-BCT", "Nghị quyết 128/2020/QH14") dates the
# document, not the figures: it is followed by "/" and the issuer's letters.
YEAR_MENTION_RE = re.compile(r"(" + _YEAR + r")(?<![\d,.]\d{4})(?!\d|[,.]\d|/[^\W\d_])")
_WORD_NUMBERS = {"ba": 3, "hai": 2}


@dataclass(frozen=True, slots=True)
class PeriodMention:
    """A period as the words give it: month ranges inside one year, the year possibly unknown."""

    first_month: int
    first_day: int
    last_month: int | None  # None: "đến nay", open-ended
    last_day: int | None  # None: the month's last day
    year: int | None
    position: int
    first_year: int | None = None  # a period that starts in an earlier year ("từ 16/12/2019 đến 15/11/2020")
    to_current: bool = False  # "lũy kế (từ đầu năm)": from the year's start to the end of the period in force
    half_of_current: int | None = None  # "kỳ 1", "nửa cuối tháng này": 1 or 2, a half of the month in force
    month_of_current: bool = False  # "trong tháng": the whole month in force

    def resolve(self, default_year: int) -> tuple[date, date | None]:
        year = self.year or default_year
        start = date(self.first_year or year, self.first_month, self.first_day)
        if self.last_month is None:
            return start, None
        last_day = self.last_day or calendar.monthrange(year, self.last_month)[1]
        return start, date(year, self.last_month, last_day)


def _year(value: str | None) -> int | None:
    return int(value) if value else None


def mask_comparisons(text: str) -> str:
    """The text with comparison phrases blanked out (same length, so positions still line up)."""
    return COMPARISON_RE.sub(lambda m: " " * len(m.group(0)), text)


# Every period mention holds one of these words (or a day/month slash): texts without any are skipped.
_PERIOD_WORDS = ("/", "tháng", "quý", "nay", "năm", "kế")


def find_periods(text: str, lower: str | None = None) -> list[PeriodMention]:
    """Period mentions in a text whose comparisons are already masked, in reading order.

    ``lower``, the lower-cased text (or any text that holds it), only speeds up the search.
    """
    lower = text.lower() if lower is None else lower
    if not any(word in lower for word in _PERIOD_WORDS):
        return []
    found: list[PeriodMention] = []
    text_lower = text.lower()
    matches = (
        _PERIOD_LOWER_RE.finditer(text_lower) if len(text_lower) == len(text) else PERIOD_RE.finditer(text)
    )
    for match in matches:
        if match.group("year") and _is_birth_year(text, match.start("y")):
            continue
        mention = _mention(match)
        if mention is not None:
            found.append(mention)
    return found


def _mention(match: re.Match[str]) -> PeriodMention | None:
    pos = match.start()
    try:
        if match.group("range"):
            first_day, first_month = int(match.group("rd1")), int(match.group("rm1"))
            last_day, last_month = int(match.group("rd2")), int(match.group("rm2"))
            first_year, year = _year(match.group("ry1")), _year(match.group("ry2") or match.group("ry1"))
            crosses = first_year is not None and year is not None and first_year < year
            if not (1 <= first_month <= 12 and 1 <= last_month <= 12):
                return None
            if (first_month, first_day) > (last_month, last_day) and not crosses:
                return None  # "từ 15/12 đến 14/12/2020": it starts in the year before, which is not said
            if not (1 <= first_day <= 31 and 1 <= last_day <= 31):
                return None
            return PeriodMention(
                first_month,
                first_day,
                last_month,
                last_day,
                year,
                pos,
                first_year=first_year if crosses else None,
            )
        if match.group("years"):
            first_year, year = int(match.group("yy1")), int(match.group("yy2"))
            last_month = int(match.group("yym") or 12)
            if first_year > year or not 1 <= last_month <= 12:
                return None
            return PeriodMention(1, 1, last_month, None, year, pos, first_year=first_year)
        if match.group("upto"):
            day, month = int(match.group("ud")), int(match.group("um"))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                return None
            return PeriodMention(1, 1, month, day, _year(match.group("uy")), pos)
        if match.group("uptomonth"):
            month = int(match.group("umon"))
            if not 1 <= month <= 12:
                return None
            return PeriodMention(1, 1, month, None, _year(match.group("umy") or match.group("umy2")), pos)
        if match.group("midmonth"):
            month = int(match.group("mm"))
            if not 1 <= month <= 12:
                return None
            return PeriodMention(1, 1, month, 15, _year(match.group("mmy")), pos)
        if match.group("firstmonth"):
            return PeriodMention(1, 1, 1, None, _year(match.group("fmy")), pos)
        if match.group("months"):
            count = int(match.group("n"))
            if not 1 <= count <= 12:
                return None
            return PeriodMention(1, 1, count, None, _year(match.group("ny")), pos)
        if match.group("quarters"):
            raw = match.group("qn").lower()
            count = _WORD_NUMBERS.get(raw) or int(raw)
            if not 1 <= count <= 4:
                return None
            return PeriodMention(1, 1, count * 3, None, _year(match.group("qny")), pos)
        if match.group("quarter"):
            raw = match.group("q").lower()
            quarter = _ROMAN_QUARTERS.get(raw) or int(raw)
            return PeriodMention(quarter * 3 - 2, 1, quarter * 3, None, _year(match.group("qy")), pos)
        if match.group("half"):
            month = int(match.group("hm"))
            if not 1 <= month <= 12:
                return None
            first = (
                match.group("hk") == "1" or (match.group("hh") or match.group("hd") or "").lower() == "đầu"
            )
            if first:
                return PeriodMention(month, 1, month, 15, _year(match.group("hy")), pos)
            return PeriodMention(month, 16, month, None, _year(match.group("hy")), pos)
        if match.group("thismonth"):
            return PeriodMention(1, 1, 1, None, None, pos, month_of_current=True)
        if match.group("halfnow"):
            first = (
                match.group("hk2") == "1" or (match.group("hh2") or match.group("hd2") or "").lower() == "đầu"
            )
            return PeriodMention(1, 1, 1, None, None, pos, half_of_current=1 if first else 2)
        if match.group("month"):
            month = int(match.group("m"))
            if not 1 <= month <= 12:
                return None
            return PeriodMention(month, 1, month, None, _year(match.group("my")), pos)
        if match.group("sofar"):
            return PeriodMention(1, 1, None, None, None, pos)
        if match.group("ytd"):
            return PeriodMention(1, 1, None, None, None, pos, to_current=True)
        if match.group("halfyear"):
            first = match.group("hyw").lower() == "đầu"
            return PeriodMention(
                1 if first else 7, 1, 6 if first else 12, None, _year(match.group("hyy")), pos
            )
        if match.group("year"):
            return PeriodMention(1, 1, 12, None, int(match.group("y")), pos)
        if match.group("thisyear"):
            return PeriodMention(1, 1, 12, None, None, pos)
    except ValueError:
        return None
    return None


# "sinh năm 1978", "(SN 1978)": a person's birth year, not a period the text is about.
_BIRTH_BEFORE = re.compile(r"(?:\bsinh|\bSN|năm\s+sinh)\s*(?:năm\s*)?:?\s*$", re.IGNORECASE)


def _is_birth_year(text: str, position: int) -> bool:
    return _BIRTH_BEFORE.search(text[max(0, position - 16) : position]) is not None


def year_mentions(masked_text: str) -> list[tuple[int, int]]:
    """(position, year) of the years a masked text names: the candidates for "the current year"."""
    return [
        (m.start(), int(m.group(1)))
        for m in YEAR_MENTION_RE.finditer(masked_text)
        if not _is_birth_year(masked_text, m.start())
    ]
