"""Article -> facts: the rules of the fact contract (docs/contract.md), pure and deterministic.

The stages, in reading order:
1. blocks -> sentences (`split_sentences`); title, lead and headings are read for context, and title and
   heading numbers are summaries, kept only when the body does not state the same number;
2. a sentence -> its mentions: quantities (`numbers.find_quantities`), units (`subjects.find_subjects`),
   periods and years (`periods`), and the cues of `lexicon` (the Vietnamese words, kept as data there);
3. each quantity -> a reading (`_read_quantity`): its metric, kind, target type from the words between it
   and the previous quantity (its "segment"), the words right after it and the value that governs it (a
   percentage belongs to the amount before it); readings that are out of scope reject their clause;
4. a reading -> a fact: its subject (`_subject_for`) and period (`_period_for`), with the state the
   article carries (the unit being talked about, the period, the year, a list's opening metric);
5. the article's facts, one per identity, each with its rule id and that rule's measured confidence.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from services.common.facts import Fact, Kind, TargetType
from services.extractor.domain import lexicon as lex
from services.extractor.domain.article import Article
from services.extractor.domain.numbers import Quantity, find_quantities
from services.extractor.domain.periods import PeriodMention, find_periods, mask_comparisons, year_mentions
from services.extractor.domain.subjects import (
    ASSIGNER_RE,
    CHI_CUC_RE,
    OTHER_UNIT,
    PROVINCES,
    UNRESOLVED_PLACE,
    SubjectMention,
    assigner_id,
    find_subjects,
    province_of,
)

EXTRACTOR_VERSION = "0.4.2"

# Each rule's precision on the dev gold, measured by `hqfacts eval --write-confidence` (smoothed: a rule
# seen a few times is not called certain); a fact's confidence is its rule's. A rule dev never exercised
# gets 0.5: nothing is known about it.
RULE_PRECISION_FILE = Path(__file__).with_name("rule_precision.json")
UNMEASURED_RULE_CONFIDENCE = 0.5


def _load_rule_precision() -> dict[str, float]:
    try:
        table = json.loads(RULE_PRECISION_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(rule): float(value) for rule, value in table.items()}


RULE_PRECISION: dict[str, float] = _load_rule_precision()

Family = Literal[
    "budget",
    "trade_turnover",
    "export_turnover",
    "import_turnover",
    "trade_balance",
    "violations_value",
    "penalty_revenue",
    "other",
]


_HUNDRED = Decimal(100)


def _names_customs(lower: str) -> bool:
    """A lower-cased text names customs other than as a paper's name or in an official's title."""
    if "hải" not in lower:
        return False
    return any(
        not lex.CUSTOMS_PRESS_BEFORE.search(lower, max(0, match.start() - 40), match.start())
        for match in lex.CUSTOMS_LOWER.finditer(lower)
    )


# --- sentences ----------------------------------------------------------------------------------------


def split_sentences(block: str) -> list[str]:
    pieces = [p for p in lex.SENTENCE_END.split(block.strip()) if p]
    sentences: list[str] = []
    for piece in pieces:
        if sentences and lex.ABBREVIATION_END.search(sentences[-1]):
            sentences[-1] = sentences[-1] + " " + piece
        else:
            sentences.append(piece)
    return [s.strip() for s in sentences if s.strip()]


_TRADE_FAMILIES: frozenset[str] = frozenset({"trade_turnover", "export_turnover", "import_turnover"})


# Reading a sentence costs its length times its numbers (each number looks back over the sentence). The
# corpus' longest sentence has ~1,300 characters and 71 numbers; a longer "sentence" (a flattened table, a
# hostile page) is read in pieces cut at clause boundaries, so one page's cost stays linear in its size.
MAX_SENTENCE_CHARS = 2_000
_PIECE_BREAKS = (";", ",", " ")


def bounded_pieces(sentence: str, limit: int = MAX_SENTENCE_CHARS) -> list[str]:
    """The sentence, or pieces of at most ``limit`` characters cut after a ';', else a ',', else a space."""
    pieces: list[str] = []
    rest = sentence
    while len(rest) > limit:
        window = rest[:limit]
        cut = next(
            (window.rfind(mark) + 1 for mark in _PIECE_BREAKS if window.rfind(mark) > limit // 2), limit
        )
        pieces.append(rest[:cut].strip())
        rest = rest[cut:]
    if rest.strip():
        pieces.append(rest.strip())
    return pieces


# --- article state ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    default_year: int
    default_month: int = 12
    published: date | None = None
    subject: str | None = None
    subject_block: int = -1
    unit_subject: str | None = None
    branches: list[str] = field(default_factory=list)
    year: int | None = None
    period: tuple[date, date | None] | None = None
    last_target_type: TargetType | None = None
    trade_family: str | None = None
    trade_family_block: int = -1
    sub_scope_block: int = -1
    enforcement_block: int = -1
    sentence_index: int = 0
    trade_family_sentence: int = -1
    last_cuc: str | None = None
    last_unit: str | None = None
    implied_year: int | None = None  # "so với cùng kỳ năm 2019" with no other year: the text is about 2020
    title_scope: bool = False  # the title is about one commodity or one partner country
    customs: bool = True  # the article names customs at all
    customs_article: bool = True  # the article is about customs (named other than as a paper or a title)
    block_customs: bool = False  # the paragraph being read names customs
    other_force_block: int = -1  # a paragraph about the police, border guards...: their figures
    revenue_cue_sentence: int = -1  # the last sentence that named budget revenue (a list's opening)
    estimate_sentence: int = -1  # the last sentence whose figures were estimates
    subject_is_source: bool = False  # the carried subject is the Tổng cục named as a source of figures
    unit_run_sentence: int = -1  # the last sentence that gave a named unit's revenue (a run of units)
    audit_block: int = -1  # a paragraph about post-clearance audits: its revenue is theirs
    revenue_cue_block: int = -1


@dataclass(slots=True)
class _Reading:
    """What one quantity reads as before it becomes a fact."""

    metric: str
    kind: Kind
    value: Decimal
    unit: Literal["VND", "USD", "percent", "count"]
    bound: Literal["exact", "over", "under", "about"]
    family: str
    target_type: TargetType | None = None
    assigned_by: str | None = None
    comparison: bool = False
    compared_period: PeriodMention | None = None  # "so với năm 2019 (X)": the period the value is for
    rule: str = ""  # which reading made it (see RULES): the provenance a fact carries


def _resolve_mention(mention: SubjectMention, state: _State) -> str | None:
    if not mention.subject.startswith(UNRESOLVED_PLACE):
        return mention.subject
    place = mention.subject[len(UNRESOLVED_PLACE) :]
    for branch in reversed(state.branches):
        if branch.endswith("-" + place) or branch == "chi-cuc:" + place:
            return branch
    return None


def _sentence_subjects(sentence: str, state: _State) -> list[tuple[int, int, str]]:
    """(start, end, subject) of the units the sentence talks about, assigners left out."""
    result: list[tuple[int, int, str]] = []
    for mention in find_subjects(sentence):
        if lex.ASSIGNER_AFTER.match(sentence, mention.end) or lex.ASSIGNER_BEFORE.search(
            sentence[: mention.start]
        ):
            continue
        subject = _resolve_mention(mention, state)
        if subject is None:
            continue
        if (
            subject == "tong-cuc"
            and state.subject is not None
            and state.subject.startswith(("cuc:", "chi-cuc:"))
            and lex.GENERIC_CUSTOMS.fullmatch(sentence, mention.start, mention.end)
        ):
            subject = state.subject  # "lực lượng Hải quan" in a text about one unit: that unit's officers
        if subject.startswith("chi-cuc:") and subject not in state.branches:
            state.branches.append(subject)
        result.append((mention.start, mention.end, subject))
    if state.branches and "cục" in sentence:
        for match in lex.BARE_BRANCH.finditer(sentence):
            if not any(start <= match.start() < end for start, end, _ in result):
                result.append((match.start(), match.end(), state.branches[-1]))
        result.sort()
    return result


def _target_type_of(text: str) -> TargetType | None:
    """The target type ``text`` names: the last target noun or "phấn đấu" ("chỉ tiêu ... giao phấn đấu" is
    a goal to strive for), else "giao" (chỉ tiêu)."""
    cues: list[tuple[int, TargetType]] = [(m.start(), "phan-dau") for m in lex.TARGET_STRIVE.finditer(text)]
    for match in lex.TARGET_NOUNS.finditer(text):
        if match.group("phan"):
            cues.append((match.start(), "phan-dau"))
        elif match.group("dutoan"):
            cues.append((match.start(), "du-toan"))
        else:
            cues.append((match.start(), "chi-tieu"))
    if cues:
        return max(cues)[1]
    if lex.TARGET_ASSIGNED.search(text):
        return "chi-tieu"
    return None


def _target_type_after(text: str) -> TargetType | None:
    """The target type named right after an attainment ("chỉ tiêu dự toán" is du-toan)."""
    head = re.split(r"\d", text[:60], maxsplit=1)[0]
    match = lex.TARGET_TYPES.search(head)
    if not match:
        return None
    if re.match(r"\s*dự\s+toán", head[match.start() :]) or re.search(r"^[^,;(]*dự\s+toán", head):
        return "du-toan"
    if match.group("phan") or re.search(r"^[^,;(]*phấn\s+đấu", head):
        return "phan-dau"
    return "chi-tieu"


def _assigned_by(text: str, state: _State) -> str | None:
    place = (
        state.unit_subject.split(":", 1)[1]
        if state.unit_subject and state.unit_subject.startswith("cuc:")
        else None
    )
    for match in ASSIGNER_RE.finditer(text):
        head = text[max(0, match.start() - 20) : match.start()]
        # "chỉ tiêu của Bộ Tài chính": a body that sets targets; "chỉ tiêu của Cục X là": its owner.
        body = bool(match.group("btc") or match.group("qh") or match.group("ubnd"))
        if lex.ASSIGNER_AFTER.match(text, match.end()) or re.search(r"\bdo\s*$", head):
            return assigner_id(match, place)
        if body and re.search(r"\bcủa\s*$", head):
            return assigner_id(match, place)
    return None


def _period_for(
    found: list[PeriodMention],
    position: int,
    state: _State,
    sentence_years: list[tuple[int, int]],
    end: int = -10,
) -> tuple[date, date | None] | None:
    year = _year_for(position, state, sentence_years)
    mentions = [m for m in found if m.position < position]
    # "282 tỷ USD năm 2020": a period named just after the number, with nothing between them.
    right_after = [m for m in found if end <= m.position <= end + 1]
    if right_after:
        mentions = right_after[:1]  # "282 tỷ USD năm 2020"
    elif not mentions:
        # "kim ngạch 27,9 tỷ USD trong tháng 12/2020": the period named right after the number.
        mentions = [m for m in found if position < m.position <= position + 40]
        mentions = mentions[:1]
    if mentions:
        try:
            current = mentions[-2].resolve(year) if len(mentions) > 1 else state.period
            return _resolve_in_page_year(mentions[-1], year, current, state, sentence_years)
        except ValueError:
            return None
    return state.period


def _resolve(
    mention: PeriodMention, year: int, current: tuple[date, date | None] | None, default_month: int = 12
) -> tuple[date, date | None]:
    """A mention's period; "lũy kế" runs from the year's start to the end of the period in force, and "kỳ 1"
    is the first half of the month in force (else of the article's month)."""
    if mention.to_current and current is not None and current[1] is not None and current[1].year == year:
        return date(year, 1, 1), current[1]
    if mention.month_of_current:
        month = (current[1] or current[0]).month if current is not None else default_month
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if mention.half_of_current:
        month = (current[1] or current[0]).month if current is not None else default_month
        if mention.half_of_current == 1:
            return date(year, month, 1), date(year, month, 15)
        return date(year, month, 16), date(year, month, calendar.monthrange(year, month)[1])
    return mention.resolve(year)


def _resolve_in_page_year(
    mention: PeriodMention,
    year: int,
    current: tuple[date, date | None] | None,
    state: _State,
    sentence_years: list[tuple[int, int]],
) -> tuple[date, date | None]:
    """``_resolve``, except that with no year named anywhere ("tháng 10" in a page of January), a period not
    yet begun when the page was published is last year's."""
    period = _resolve(mention, year, current, state.default_month)
    if mention.year or _year_stated(state, sentence_years) or state.published is None:
        return period
    if period[0] > state.published:
        return _resolve(mention, year - 1, current, state.default_month)
    return period


def _year_stated(state: _State, sentence_years: list[tuple[int, int]]) -> bool:
    """The text names its year: in this sentence, before it, or implied by what it said."""
    return bool(sentence_years or state.year or state.implied_year)


def _year_for(position: int, state: _State, sentence_years: list[tuple[int, int]]) -> int:
    before = [y for p, y in sentence_years if p < position]
    if before:
        return before[-1]
    if sentence_years:
        return sentence_years[0][1]
    return state.year or state.implied_year or state.default_year


# A page may be published (or re-published) weeks after the period it reports on; a result whose period, with
# no year named anywhere in the text, would end more than this after the page's date is last year's.
_RESULT_LAG = timedelta(days=31)


def _ends_long_after_publication(
    reading: _Reading,
    period: tuple[date, date | None] | None,
    state: _State,
    sentence_years: list[tuple[int, int]],
) -> bool:
    """A result read with the page's own year that ends well after the page: the year before is meant."""
    if reading.kind != "actual" or period is None or period[1] is None or state.published is None:
        return False
    if _year_stated(state, sentence_years):
        return False  # the text names its year: it is trusted
    return period[1] > state.published + _RESULT_LAG


def _shift_year(period: tuple[date, date | None] | None, year: int | None) -> tuple[date, date | None] | None:
    if period is None:
        return None
    start, end = period
    target_year = year if year else start.year - 1
    try:
        return (
            start.replace(year=target_year),
            end.replace(year=target_year + (end.year - start.year)) if end else None,
        )
    except ValueError:
        return None


# --- classification -----------------------------------------------------------------------------------


def _classify_count(
    sentence: str, quantity: Quantity, segment: str, after: str, before: str, other_forces: bool = False
) -> tuple[str, Decimal] | None:
    if quantity.unit is not None:
        return None
    value = quantity.value
    if value != value.to_integral_value():
        return None
    noun = _count_noun(after, segment)
    if noun is None:
        return None
    if lex.COUNT_DIFFERENCE.search(segment) or re.search(r"\bchở\b|[Cc]ông\s+ty", segment):
        return None
    if re.search(r"(?:tăng|giảm|\bthêm)(?:\s+(?:thêm|được|gần|hơn|khoảng))?\s*$", segment, re.IGNORECASE):
        return None  # "tăng 3 DN", "có thêm 131 doanh nghiệp": a difference
    if re.search(r"\(\s*$", segment) and (
        re.search(r"%\s*$", before[: len(before) - len(segment)]) or "/" in after[:12]
    ):
        return None  # "giảm 30% (2.658 bộ tờ khai)", "Cà Mau (5 vụ/8 tàu)": differences and breakdowns
    if re.search(r"vi\s+phạm\s+về|về\s+các\s+hành\s+vi", segment, re.IGNORECASE):
        return "sub-type", value
    if re.search(r"(?:mỗi|bình\s+quân|trung\s+bình)\b[^,;]{0,30}$", segment, re.IGNORECASE):
        return None  # "mỗi tháng phát sinh hơn 220 tờ khai": an average
    if lex.RATE.search(before[before.rfind(";") + 1 :][-150:]) or lex.RATE_AFTER.match(after):
        return None  # "mỗi ngày, tại cửa khẩu X, tiếp nhận khoảng 80 tờ khai": a rate, not a total
    handed_over = lex.HANDED_OVER.search(_last_chunk(segment)) is not None
    if noun == "cases" and handed_over and _case_cue(before, after) != "refer":
        return None  # "chuyển UBND tỉnh X xử lý 2 vụ": cases handed to another body, not customs' own
    if (
        noun == "cases"
        and re.match(r"\s*Trong\s+(?:đó|số\s+(?:đó|này|trên))\b", sentence)
        and _case_cue(before, after) in (None, "violation")
    ):
        return "sub-type", value  # a sentence that breaks a total down by kind of case
    if lex.CLAUSE_OUT_OF_SCOPE.search(re.split(r"[,;.]", after[:40], maxsplit=1)[0]):
        return None  # "2.500 DN FDI" (the count's own phrase, not what the sentence goes on to)
    breakdown = [m.start() for m in re.finditer(r"trong\s+(?:đó|số)|\bgồm\b", before, re.IGNORECASE)]
    if breakdown and _has_number(before[: breakdown[-1]]) and not _prosecution_after(before, breakdown[-1]):
        return None  # "..., trong đó 228 doanh nghiệp trong tỉnh": a part of the total before it
    if lex.COUNT_SUB_AFTER.match(after):
        return None
    if noun == "enterprises":
        context = before + " " + after[:60]
        own_after = re.split(r"[,;.]", after[:40], maxsplit=1)[0]
        if (
            not lex.ENTERPRISE_CONTEXT.search(context)
            or lex.ENTERPRISE_NOT.search(before[-80:] + own_after)
            or lex.ATTENDANCE_OPENING.match(sentence)
        ):
            return None
        if lex.COMMODITY_AFTER_TRADE_CUE.search(after[:60]):
            return None  # "70 doanh nghiệp tham gia xuất khẩu khẩu trang": the traders of one commodity
        return "enterprises", value
    if noun == "declarations" and (
        lex.DECLARATION_NOT.search(before[-80:])
        or re.search(
            r"luồng|phân\s+(?:Vàng|Đỏ|Xanh)|xác\s+nhận|khu\s+vực\s+giám\s+sát|hệ\s+thống\s+giám\s+sát|VASSCM|"
            r"phải\s+kiểm\s+tra|kiểm\s+tra\s+(?:chuyên\s+ngành|thực\s+tế)|vi\s+phạm|sai\s+sót|"
            r"chuyển\s+(?:sang|cho|giao)|danh\s+sách",
            after[:90],
            re.IGNORECASE,
        )
    ):
        return None
    if lex.CLAUSE_OUT_OF_SCOPE.search(segment[-100:]) or lex.COUNT_SCOPE.search(
        before[-100:] + after[:50].split(";", 1)[0]
    ):
        return None
    if noun == "passengers" and (not lex.BORDER_CROSSING.search(sentence) or lex.ONE_FLIGHT.search(before)):
        return None  # tourists, owners of lost luggage, one flight: not the travellers a unit cleared
    if noun != "cases":
        return noun, value
    if (lex.JUST_NOW.search(before) and not lex.PERIOD_WORDS.search(sentence)) or lex.SHORT_WINDOW.search(
        before
    ):
        return None  # "vừa phối hợp bắt giữ 2 vụ": news of an incident, not a period's count
    if _is_drug_count(before, after):
        return "sub-type", value  # "chuyên án ma túy ... phát hiện 12 vụ": drug cases only
    if lex.ALL_SECTORS.search(sentence) and not re.search(r"[Hh]ải\s+quan", before):
        return None
    if lex.OTHER_FORCES.search(_without_handover(sentence)) and not re.search(r"[Hh]ải\s+quan", before):
        return None
    if other_forces and not lex.CUSTOMS.search(before):
        return None
    if _province_is_the_actor(before):
        return None  # "tỉnh Lào Cai đã phát hiện 1.236 vụ": all agencies of a province
    if lex.CASE_SUBTYPE_AFTER.match(after):
        return "sub-type", value  # "1 vụ vi phạm về sở hữu trí tuệ": what follows in the clause is a part
    if lex.CASE_ADMIN_AFTER.match(after):
        return "administrative_penalties", value
    if lex.PASSIVE_PROSECUTION_AFTER.match(after):
        return None  # "21 vụ vi phạm đã bị đơn vị khởi tố và đề nghị khởi tố": two kinds summed
    cue = _case_cue(before, after)
    if cue == "refer":
        return "criminal_referrals", value
    if cue == "criminal":
        return "criminal_cases", value
    if cue == "admin":
        return "administrative_penalties", value
    if cue == "violation":
        return "violations", value
    return None


def _without_handover(text: str) -> str:
    """The text with the forces a case is handed over to blanked out (see ``lex.HANDED_TO_OTHER_FORCE``)."""
    if "chuyển" not in text and "giao" not in text:
        return text
    return lex.HANDED_TO_OTHER_FORCE.sub(" ", text)


def _prosecution_after(before: str, start: int) -> bool:
    """ "600 vụ, trong đó khởi tố 5 vụ": prosecutions named after the breakdown word are a metric of
    their own, not a part of the total before it."""
    cues = [m for m in lex.CASE_CUES.finditer(before, start) if not _in_crime_name(before, m)]
    return bool(cues) and cues[-1].lastgroup in ("criminal", "refer")


def _in_crime_name(text: str, match: re.Match[str]) -> bool:
    """A violation word that names the crime charged ("khởi tố ... tội “Buôn lậu”"), not what was counted."""
    return match.lastgroup == "violation" and lex.CRIME_NAME_BEFORE.search(text, 0, match.start()) is not None


def _case_cue(before: str, after: str) -> str | None:
    """What a count of cases counts, from the last cue before it, else the words right after it."""
    if lex.REFERRED_AFTER.match(after):
        return "refer"
    cue: str | None = None
    for match in lex.CASE_CUES.finditer(before):
        if _in_crime_name(before, match):
            continue
        cue = match.lastgroup
    after_cue = re.match(r"\s*vụ(?:\s+việc)?\s+(?P<w>án\s+hình\s+sự|buôn\s+lậu|vi\s+phạm)", after)
    if cue is None and after_cue:
        cue = "criminal" if after_cue.group("w").startswith("án") else "violation"
    return cue


def _is_drug_count(before: str, after: str) -> bool:
    """Cases of a drug operation ("chuyên án ma túy ... 12 vụ", "8 vụ/9 đối tượng vận chuyển ma túy")."""
    before = lex.DRUG_TEAM.sub(" ", before)  # the team's name says nothing about what it found
    if lex.DRUGS.search(before.lower()):
        return not re.search(r"buôn\s+lậu|gian\s+lận|vi\s+phạm", before, re.IGNORECASE)
    # "14 vụ, vận chuyển trái phép ma túy": a verb phrase right after the count says what the cases were.
    pieces = re.split(r"[,;.]", after, maxsplit=2)
    own = pieces[0]
    if len(pieces) > 1 and lex.CASE_VERB_PHRASE.match(pieces[1]):
        own += " " + pieces[1]
    if lex.DRUGS.search(own.lower()):
        return True
    # "bắt giữ 129 vụ với 162 đối tượng, thu giữ hơn 800 kg ma túy": cases told only by what was seized.
    clause = lex.DRUG_TEAM.sub(" ", re.split(r"[;.]|trong\s+đó", after, maxsplit=1, flags=re.IGNORECASE)[0])
    general = re.match(
        r"\s*vụ(?:\s+việc)?\s+(?:vi\s+phạm|buôn\s+lậu|gian\s+lận|vận\s+chuyển(?:\s+trái\s+phép)?\s+hàng)",
        after,
        re.IGNORECASE,
    )
    return not general and lex.DRUGS.search(clause.lower()) is not None


def _has_number(text: str) -> bool:
    return bool(lex.ANY_NUMBER.search(text))


def _count_noun(after: str, segment: str) -> str | None:
    for pattern, noun in lex.COUNT_NOUNS:
        if pattern.match(after):
            return noun
    if (
        re.match(r"\s*(?:người|lượt)\b", after)
        and not lex.VEHICLE_AFTER.match(after)
        and re.search(r"hành\s+khách|lượt\s+khách", segment)
    ):
        return "passengers"
    return None


def _money_family(sentence: str, window: str, state: _State, block: int) -> tuple[str, int] | None:
    """Which VND metric an amount is, from the nearest cue before it, and where that cue starts."""
    enforcement = bool(lex.ENFORCEMENT_CONTEXT.search(sentence)) or state.enforcement_block == block
    cues: list[tuple[int, str]] = []
    for match in lex.BUDGET_CUES.finditer(window):
        cues.append((match.start(), "budget"))
    for match in lex.VIOLATION_VALUE_CUE.finditer(window):
        cues.append((match.start(), "violations_value"))
    for match in lex.PENALTY_CUE.finditer(window):
        cues.append((match.start(), "penalty_revenue"))
    if not cues:
        return None
    cues.sort(key=lambda c: c[0])
    last_position = cues[-1][0]
    nearest = {kind for pos, kind in cues if pos == last_position}
    if enforcement:
        if re.search(lex.CONFISCATED, sentence, re.IGNORECASE):
            return None
        if "violations_value" in nearest:
            return "violations_value", last_position
        if "penalty_revenue" in nearest or "budget" in nearest:
            if not lex.ENFORCEMENT_CONTEXT.search(sentence) and not re.search(
                r"số\s+tiền|tiền\s+phạt|xử\s+phạt", window, re.IGNORECASE
            ):
                return "budget", last_position
            return "penalty_revenue", last_position
        return None
    if "budget" in nearest or "penalty_revenue" in nearest:
        if re.search(r"số\s+tiền|tiền\s+phạt|xử\s+phạt", window[last_position:], re.IGNORECASE):
            return None
        return "budget", last_position
    return None


# --- the sentence reader ------------------------------------------------------------------------------


def _meaningful(sentence: str, quantity: Quantity) -> bool:
    """Amounts, percentages and counts of something; bare numbers ("tháng 7", "35 cục") are not."""
    if quantity.unit is not None or quantity.scaled:
        return True
    after = sentence[quantity.end : quantity.end + 30]
    segment_start = max(0, quantity.start - 60)
    return _count_noun(after, sentence[segment_start : quantity.start]) is not None


# Searched on the lower-cased sentence.
def _may_have_sub_scope(sentence: str) -> bool:
    return "doanh" in sentence or "FDI" in sentence or "cảng" in sentence


def _may_yield(lower: str) -> bool:
    """False when a (lower-cased) text cannot yield any fact: no quantity with a metric cue."""
    return lex.UNIT_AFTER_NUMBER.search(lower) is not None and (
        lex.ANY_METRIC_CUE.search(lower) is not None
        or lex.COUNT_AFTER_NUMBER.search(lower) is not None
        or ("người" in lower and "khách" in lower)
    )


def _read_sentence(sentence: str, state: _State, block: int, block_may_yield: bool = True) -> list[Fact]:
    """The sentence's facts; only the state it carries when it cannot yield any (see ``_may_yield``)."""
    # Cheap checks first: most sentences carry no number at all, and extraction must stay fast.
    lower = sentence.lower()
    # an item of a run of units ("Cục Hải quan B đạt Y tỷ đồng") names no metric: the sentence before did
    run_item = (
        state.unit_run_sentence == state.sentence_index - 1 and lex.UNIT_RUN_ITEM.match(sentence) is not None
    )
    full = run_item or (block_may_yield and _may_yield(lower))
    has_digit = lex.DIGIT.search(sentence) is not None
    if has_digit and (full or _may_have_sub_scope(sentence)):
        quantities = [q for q in find_quantities(sentence) if _meaningful(sentence, q)]
    else:
        quantities = []
    hint = ("với" in lower or "kỳ" in lower) and lex.COMPARISON_HINT.search(lower) is not None
    masked = mask_comparisons(sentence) if hint else sentence
    if state.year is None and state.implied_year is None and has_digit and "kỳ" in lower:
        compared = lex.COMPARISON_YEAR.search(sentence)
        if compared:
            state.implied_year = int(compared.group(1)) + 1
    sentence_years = year_mentions(masked) if has_digit else []
    if not sentence_years and has_digit and hint:
        # "tăng 14% so với năm 2019" with no year of its own: the sentence reports the year after (the text's
        # own evidence beats the page's date, which is often that of a bulk re-publication).
        compared = lex.COMPARED_YEAR.search(sentence)
        if compared:
            sentence_years = [(0, int(compared.group(1)) + 1)]
    periods = (
        find_periods(masked, lower)
        if has_digit or ("n" in lower and lex.PERIOD_WITHOUT_DIGITS.search(lower))
        else []
    )
    subjects = _sentence_subjects(sentence, state)
    facts: list[Fact] = []
    if not quantities or not full:
        if quantities:
            sub_scope = lex.SUB_SCOPE.search(sentence) if _may_have_sub_scope(sentence) else None
            if sub_scope and any(q.start > sub_scope.start() for q in quantities):
                state.sub_scope_block = block
        _carry_state(sentence, lower, masked, periods, sentence_years, subjects, state, block, None)
        return facts
    sub_scope = lex.SUB_SCOPE.search(sentence) if _may_have_sub_scope(sentence) else None
    sub_scope_at = sub_scope.start() if sub_scope else None
    # "Nếu ... thì sẽ ...", and "Điển hình, ..." (an example case told after a total): no figure of a period.
    hypothetical = (
        ("sẽ" in sentence or "thể" in sentence or "kịch" in sentence or "tới" in sentence)
        and lex.HYPOTHETICAL.search(sentence) is not None
    ) or bool(lex.EXAMPLE_OPENING.match(sentence) and not lex.WHOLE_UNIT.search(sentence))
    estimated = lex.ESTIMATE_OPENING.match(sentence) is not None or (
        state.estimate_sentence == state.sentence_index - 1
        and lex.DERIVED_OPENING.match(sentence) is not None
    )
    governing: _Reading | None = None
    governing_period: tuple[date, date | None] | None = None
    governing_subject: str | None = None
    rejected_clause = -1  # the clause (by ';' count) whose headline amount was out of scope
    previous_reading: _Reading | None = None
    previous_index = -1
    last_metric: str | None = None
    first_usd_family: str | None = None
    # A list of units ("Cục A phấn đấu X; Cục B ... Y") names the metric once, in its opening: the sentence
    # before ("... chỉ tiêu phấn đấu thu NSNN ... Cụ thể: ...") or its first item. Items carry it.
    list_family: str | None = (
        "budget"
        if (
            state.revenue_cue_block == block
            and state.revenue_cue_sentence == state.sentence_index - 1
            and lex.LIST_OPENING.match(sentence)
        )
        # "Cục Hải quan A thu đạt X tỷ đồng, ... . Cục Hải quan B đạt Y tỷ đồng, ...": a run of units, the
        # metric named by the first
        or run_item
        else None
    )
    for index, quantity in enumerate(quantities):
        previous_end = quantities[index - 1].end if index else 0
        segment = sentence[previous_end : quantity.start]
        before = sentence[: quantity.start]
        clause_index = before.count(";")
        clause_start = before.rfind(";") + 1
        clause = before[clause_start:]
        next_start = quantities[index + 1].start if index + 1 < len(quantities) else len(sentence)
        after = sentence[quantity.end : quantity.end + 80]
        phrase_after = sentence[quantity.end : next_start]
        semicolon = phrase_after.find(";")
        if semicolon >= 0:
            phrase_after = phrase_after[:semicolon]
        if sub_scope_at is not None and sub_scope_at < quantity.start:
            state.sub_scope_block = block
        # Scope words before a unit named in the clause ("Một số đơn vị ... như Cục Hải quan X đạt") do
        # not reach the number after it.
        scope_from = max(
            (
                end - clause_start
                for _, end, subject in subjects
                if clause_start <= end <= quantity.start and subject.startswith(("cuc:", "chi-cuc:"))
            ),
            default=0,
        )

        outcome = _read_quantity(
            sentence,
            quantity,
            segment,
            clause,
            before,
            after,
            phrase_after,
            governing,
            state,
            block,
            scope_from,
            list_family,
        )
        follows_percent = index > 0 and quantities[index - 1].unit == "percent"
        previous_was_attainment = last_metric == "budget_revenue_attainment"
        last_metric = outcome.metric if isinstance(outcome, _Reading) else None
        if outcome == "out-of-scope":
            # A scope set before a colon ("4 nhóm hàng chính là: vải ...; bông ...") covers every item of
            # the list after it; otherwise only its own clause.
            rejected_clause = _EVERY_CLAUSE if ":" in clause else clause_index
            governing = None
            continue
        if outcome is None or hypothetical:
            continue
        if (
            follows_percent
            and not outcome.comparison
            and outcome.unit in ("VND", "USD")
            and lex.PAREN_AFTER_UNIT.search(segment)
            and not previous_was_attainment
            and outcome.kind != "target"
        ):
            # "đạt 105% số đã báo cáo Quốc hội (300.000 tỷ đồng)": the base of a ratio, not a fact of its own
            continue
        reading = outcome
        inherits = (
            rejected_clause >= 0 and reading.unit in ("VND", "USD") and not lex.OWN_AMOUNT_CUE.search(clause)
        )
        if (rejected_clause in (clause_index, _EVERY_CLAUSE) or inherits) and not _new_subject_in(
            segment, subjects, previous_end
        ):
            continue
        if lex.RANGE_SEPARATOR.fullmatch(segment) and (
            previous_reading is None or previous_index != index - 1
        ):
            continue  # "thêm khoảng 3.000 tỷ đồng đến 4.000 tỷ đồng": the first end was not a fact
        if previous_reading is not None and lex.RANGE_SEPARATOR.fullmatch(segment):
            # "từ 101.000 tỷ đồng đến 101.500 tỷ đồng": both ends are read the same way.
            reading = replace(
                reading,
                kind=previous_reading.kind,
                target_type=previous_reading.target_type,
                assigned_by=previous_reading.assigned_by,
            )
        if masked[quantity.start] == " " and not reading.comparison and reading.unit in ("VND", "USD"):
            continue  # inside "so với ...": the value compared with, for a period the phrase only hints at
        if reading.kind == "actual" and not reading.comparison and estimated:
            reading = replace(reading, kind="estimate")
        if reading.kind == "estimate":
            state.estimate_sentence = state.sentence_index
        previous_reading = reading
        previous_index = index
        subject = _subject_for(
            reading, quantity, subjects, sentence, state, block, governing, governing_subject
        )
        if subject is None:
            continue
        # A subject named in the sentence before the number reads more surely than one carried from before.
        named_subject = any(start < quantity.start and s == subject for start, _, s in subjects)
        period: tuple[date, date | None] | None
        derived = reading.metric == "budget_revenue_attainment" or reading.metric.endswith("_change")
        if derived and governing is not None:
            period = governing_period
        else:
            period = _period_for(periods, quantity.start, state, sentence_years, quantity.end)
        if reading.compared_period is not None:
            with contextlib.suppress(ValueError):
                period = reading.compared_period.resolve(_year_for(quantity.start, state, sentence_years))
        elif reading.comparison:
            match = lex.COMPARISON_YEAR.search(segment + after[:30])
            period = _shift_year(period, int(match.group(1)) if match else None)
        elif _ends_long_after_publication(reading, period, state, sentence_years):
            period = _shift_year(period, None)  # "tính đến 24/11" in a page of January: last November
        if reading.kind == "target":
            year = period[0].year if period else _year_for(quantity.start, state, sentence_years)
            period = (date(year, 1, 1), date(year, 12, 31))
        if reading.target_type:
            state.last_target_type = reading.target_type
        facts.append(
            Fact(
                subject=subject,
                metric=reading.metric,
                kind=reading.kind,
                value=reading.value,
                unit=reading.unit,
                bound=reading.bound,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
                target_type=reading.target_type,
                assigned_by=reading.assigned_by,
                evidence=sentence,
                rule=f"{reading.rule}/{'named' if named_subject else 'carried'}",
            )
        )
        if reading.unit == "USD" and first_usd_family is None and not reading.comparison:
            first_usd_family = reading.family
        if reading.family == "budget" and reading.unit == "VND" and not reading.comparison:
            list_family = "budget"
        # A target in brackets does not govern the change that follows an actual amount.
        governs = reading.kind != "target" or governing is None or governing.kind == "target"
        if reading.unit != "percent" and not reading.comparison and governs:
            governing = reading
            governing_period = period
            governing_subject = subject

    if any(
        f.metric == "budget_revenue"
        and f.kind == "actual"
        and f.subject.startswith(("cuc:", "chi-cuc:"))
        and (f.rule or "").endswith("/named")
        for f in facts
    ):
        state.unit_run_sentence = state.sentence_index
    _carry_state(sentence, lower, masked, periods, sentence_years, subjects, state, block, first_usd_family)
    return facts


_EVERY_CLAUSE = -2


def _names_a_source(sentence: str, start: int) -> bool:
    """The unit mentioned at ``start`` is named as the source of figures ("theo ...", "được ... công bố")."""
    return lex.SOURCE_BEFORE.search(sentence[max(0, start - 40) : start]) is not None


def _is_tong_cuc_department(subject: str) -> bool:
    return subject.startswith("cuc:") and subject[4:] not in PROVINCES


def _new_subject_in(segment: str, subjects: list[tuple[int, int, str]], offset: int) -> bool:
    end = offset + len(segment)
    return any(offset <= start < end for start, _, _ in subjects)


def _carry_state(
    sentence: str,
    lower: str,
    masked: str,
    found_periods: list[PeriodMention],
    sentence_years: list[tuple[int, int]],
    subjects: list[tuple[int, int, str]],
    state: _State,
    block: int,
    usd_family: str | None,
) -> None:
    if sentence_years:
        state.year = sentence_years[-1][1]
    # An aside in brackets ("(tháng 4 với kim ngạch 17,6 tỷ USD)") does not move the text's period.
    brackets = [(m.start(), m.end()) for m in lex.PARENTHESES.finditer(masked)] if "(" in masked else []
    periods = [p for p in found_periods if not any(a <= p.position < b for a, b in brackets)]
    if periods:
        with contextlib.suppress(ValueError):
            year = _year_for(periods[-1].position, state, sentence_years)
            # the same rule as for a number's own period, for the period the next sentences carry
            state.period = _resolve_in_page_year(periods[-1], year, state.period, state, sentence_years)
    # A department of the Tổng cục (Cục Điều tra chống buôn lậu...) is the subject of its own sentence; the
    # text goes on about the unit it was talking about before.
    carried = [(start, s) for start, _, s in subjects if not _is_tong_cuc_department(s)]
    if carried:
        state.subject = carried[-1][1]
        state.subject_block = block
        state.subject_is_source = state.subject == "tong-cuc" and _names_a_source(sentence, carried[-1][0])
        units = [s for _, _, s in subjects if s != "ca-nuoc"]
        if units:
            state.unit_subject = units[-1]
    if lex.ENFORCEMENT_WORDS.search(lower):
        state.enforcement_block = block
    if "kiểm" in lower and lex.AUDIT.search(lower):
        state.audit_block = block
    if "thu" in lower and lex.REVENUE_CUES_LOWER.search(lower):
        state.revenue_cue_sentence = state.sentence_index
        state.revenue_cue_block = block
    if (
        lex.MAY_NAME_OTHER_FORCES.search(lower)
        and (lex.OTHER_FORCES.search(_without_handover(sentence)) or lex.ALL_SECTORS.search(sentence))
        and not lex.CUSTOMS_LOWER.search(lower)
    ):
        state.other_force_block = block
    if usd_family:
        state.trade_family = usd_family
        state.trade_family_block = block
        state.trade_family_sentence = state.sentence_index
    cucs = [s for _, _, s in subjects if s.startswith("cuc:")]
    if cucs:
        state.last_cuc = cucs[-1]
    units = [s for _, _, s in subjects if s.startswith(("cuc:", "chi-cuc:"))]
    if units:
        state.last_unit = units[-1]
    state.sentence_index += 1


def _subject_for(
    reading: _Reading,
    quantity: Quantity,
    subjects: list[tuple[int, int, str]],
    sentence: str,
    state: _State,
    block: int,
    governing: _Reading | None,
    governing_subject: str | None,
) -> str | None:
    subject = _subject_of(reading, quantity, subjects, sentence, state, block, governing, governing_subject)
    if subject == OTHER_UNIT:
        return None
    if subject == "ca-nuoc" and not any(s == "ca-nuoc" for _, _, s in subjects):
        # "kim ngạch XNK qua địa bàn tỉnh Quảng Ninh": one province's trade, never the country's
        for match in lex.PROVINCE_PLACE.finditer(sentence[: quantity.start]):
            if province_of(match.group("name")) is not None:
                return None
    if subject == "tong-cuc" and not (state.customs_article or state.block_customs or "TCHQ" in sentence):
        return None  # the sector as a whole only in a text about customs: not a bank's, a tax law's...
    return subject


def _subject_of(
    reading: _Reading,
    quantity: Quantity,
    subjects: list[tuple[int, int, str]],
    sentence: str,
    state: _State,
    block: int,
    governing: _Reading | None,
    governing_subject: str | None,
) -> str | None:
    is_trade = reading.family in _TRADE_FAMILIES or reading.family == "trade_balance"
    if reading.unit == "percent" and governing is not None and governing_subject is not None:
        return governing_subject
    explicit = [
        s
        for start, _, s in subjects
        if start < quantity.start and not (is_trade and s == "tong-cuc" and _names_a_source(sentence, start))
    ]
    if lex.OF_SUBJECT_AFTER.match(sentence, quantity.end):
        for start, _, subject in subjects:
            if quantity.end <= start <= quantity.end + 16:
                explicit.append(subject)
                break
    if explicit:
        subject = explicit[-1]
        if subject == "ca-nuoc" and not is_trade:
            return state.unit_subject or ("tong-cuc" if state.customs else None)
        return subject
    if state.subject is None:
        # Nothing named yet: a unit named later in the sentence ("..., theo Tổng cục Hải quan"), else the
        # sector as a whole, but only in an article about customs.
        later = [
            s
            for start, _, s in subjects
            if start >= quantity.end
            and not (is_trade and s == "tong-cuc" and _names_a_source(sentence, start))
        ]
        if later:
            return later[0] if is_trade or later[0] != "ca-nuoc" else None
        if not state.customs:
            return None
    carried = state.subject or "tong-cuc"
    if carried == "tong-cuc" and state.last_unit and lex.UNIT_BACKREF.search(sentence[: quantity.start]):
        carried = state.last_unit  # "đơn vị", "toàn Cục": the department or branch, not the sector
    if (
        carried.startswith("chi-cuc:")
        and state.last_cuc
        and re.search(r"trên\s+địa\s+bàn(?!\s+[A-ZĐ])", sentence)
    ):
        carried = state.last_cuc
    if is_trade:
        if carried == "tong-cuc" and (state.subject_block != block or state.subject_is_source):
            return "ca-nuoc"  # the sector named as the source of trade figures: they are the country's
        return carried
    if carried == "ca-nuoc":
        return state.unit_subject or "tong-cuc"
    return carried


ReadOutcome = _Reading | Literal["out-of-scope"] | None


def _in_sub_scope(before: str, state: _State, block: int) -> bool:
    """A sub-area or FDI-only... scope set before the number, in the paragraph or the sentence."""
    if state.sub_scope_block == block:
        return True
    return bool(lex.SENTENCE_SUB_AREA.search(_strip_units(before))) or _province_is_the_actor(before)


def _province_is_the_actor(before: str) -> bool:
    for pattern in (lex.PROVINCE_OWNER, lex.PROVINCE_ACTOR):
        for match in pattern.finditer(before):
            if province_of(match.group("name")) is not None and not re.search(
                r"(?:[Hh]ải\s+quan|HQ|Cục|UBND)\s*$", before[: match.start("name")]
            ):
                return True
    return False


def _out_of_scope(clause: str, cue_position: int, scope_from: int = 0) -> bool:
    """Scope words near the metric's cue, or anywhere in the clause after the last unit it names."""
    near = _strip_units(clause[max(0, cue_position - 30, scope_from) :])
    return bool(
        lex.OUT_OF_SCOPE.search(near)
        or lex.AVERAGE_BEFORE_CUE.search(clause[max(0, cue_position - 15) : cue_position])
        or lex.CONTRIBUTION_BEFORE.search(clause)
        or lex.CLAUSE_OUT_OF_SCOPE.search(_strip_units(clause[scope_from:]))
    )


def _read_quantity(
    sentence: str,
    quantity: Quantity,
    segment: str,
    clause: str,
    before: str,
    after: str,
    phrase_after: str,
    governing: _Reading | None,
    state: _State,
    block: int,
    scope_from: int = 0,
    list_family: str | None = None,
) -> ReadOutcome:
    if quantity.unit == "percent":
        item = _bracketed_attainment(quantity, segment, before, after)
        if item is not None:
            return item
        return _read_percent(quantity, segment, clause, after, phrase_after, governing, state, block)
    count = _classify_count(sentence, quantity, segment, after, before, state.other_force_block == block)
    if count is not None and count[0] == "sub-type":
        return "out-of-scope"
    if count is not None:
        metric, value = count
        kind: Kind = "estimate" if lex.ESTIMATE.search(segment) else "actual"
        # "tăng ... so với cùng kỳ, từ 306 DN lên 334 DN": the first is the figure of the period compared with
        compared = bool(lex.FROM_BEFORE.search(segment) and lex.TO_AFTER.match(after))
        return _Reading(
            metric,
            kind,
            value,
            "count",
            quantity.bound,
            family="count:" + metric,
            comparison=compared,
            rule="count-from" if compared else "count",
        )
    if not quantity.scaled and quantity.unit is None:
        return None
    if lex.DIFFERENCE_BEFORE.search(segment) or lex.THRESHOLD_BEFORE.search(segment):
        return None
    if lex.EXCEEDS_BY_BEFORE.search(segment) and (
        re.match(r"[^,;]{0,40}so\s+với", _blank_parentheses(after))
        or (governing is not None and governing.unit == quantity.unit and governing.kind != "target")
        or lex.COMPARED_EARLIER.search(clause)
    ):
        return None  # "vượt 6,6 tỷ USD so với cùng kỳ", "đạt X tỷ, tức là vượt Y tỷ": a difference
    if lex.THRESHOLD_AFTER.match(after) or lex.NOT_A_LEVEL_AFTER.match(after):
        return None
    if lex.SOURCE_AFTER.match(after) or _in_sub_scope(before, state, block):
        return "out-of-scope"
    comparison = bool(lex.COMPARISON_VALUE_BEFORE.search(segment) or lex.COMPARISON_VALUE_AFTER.match(after))
    compared_period: PeriodMention | None = None
    if not comparison:
        other = lex.OTHER_COMPARISON_VALUE.search(segment)
        if other:
            # "so với năm 2019 (2.142 tỷ)", "so với kỳ tháng 7/2020 (đạt 8.270 tỷ)": the value compared with
            # is a fact of the period the phrase names; with no period named, nothing says which it is.
            named = [m for m in find_periods(other.group(0)) if m.year is not None]
            if not named:
                return None
            comparison, compared_period = True, named[-1]
    if re.fullmatch(r"\s*\(\s*", segment) and re.search(r"%\s*$", before[: len(before) - len(segment)]):
        return None  # "giảm 38% (4.474 tỷ đồng)": the difference, spelled out
    if quantity.unit == "USD":
        usd = _read_usd(quantity, segment, clause, before, sentence, comparison, state, block, scope_from)
        if isinstance(usd, _Reading) and compared_period is not None:
            usd = replace(usd, compared_period=compared_period)
        return usd
    found = _money_family(before, _blank_parentheses(clause), state, block)
    rule = "amount"
    if found is None and lex.PAREN_AFTER_UNIT.search(segment):
        # "...; Chi cục X (11.500 tỷ đồng)": a bracketed amount after a unit takes the sentence's cue.
        clause = before
        found = _money_family(before, _blank_parentheses(before), state, block)
        rule = "amount-bracket"
    if found is None and lex.ATTAINMENT_FOLLOWS.match(after):
        found = (
            "budget",
            len(clause),
        )  # "... đạt 200.217 tỷ đồng, bằng 59,2% dự toán": revenue, by its share
        rule = "amount-by-attainment"
    if found is None and list_family is not None and scope_from > 0:
        found = (list_family, scope_from)  # a list item: its unit, then the number, the metric implied
        rule = "amount-list-item"
    if found is None:
        return None
    family, cue_position = found
    if _out_of_scope(clause, cue_position, scope_from):
        return "out-of-scope"
    if family == "budget" and lex.BUSINESS_MONEY.search(
        clause + " " + re.split(r"[,;.]", phrase_after, maxsplit=1)[0]
    ):
        return None  # "thu về 2.417 tỷ đồng lãi trước thuế": a company's money, not budget revenue
    other_forces = (
        lex.OTHER_FORCES.search(before) is not None
        or state.other_force_block == block
        or lex.ALL_SECTORS.search(before) is not None
    )
    if family != "budget" and not lex.CUSTOMS.search(before) and other_forces:
        return None
    if lex.OTHER_FORCES.search(clause) and not lex.CUSTOMS.search(before):
        return None  # "lực lượng QLTT ... thu nộp ngân sách 50 tỷ": another force's money
    metric = "budget_revenue" if family == "budget" else family
    if family == "budget" and (state.audit_block == block or lex.AUDIT.search(before.lower())):
        return "out-of-scope"  # "... hoàn thành 18 cuộc kiểm tra ...; thu nộp ngân sách X": audit revenue
    if family == "budget" and quantity.value < _SMALLEST_REVENUE:
        return None  # "số thuế phải nộp dưới 50.000 đồng": a rule's amount, not a unit's revenue
    if family in ("violations_value", "penalty_revenue") and _single_case(sentence, clause, family):
        return None
    if _one_party(sentence, before):
        return None  # "Đối với lô hàng ..., chủ hàng đã nộp 320 triệu đồng": one shipment's money
    if family == "budget" and lex.SPENDING_BEFORE.search(_last_chunk(segment)):
        return None  # "giảm chi ngân sách 10.700 tỷ": spending, not revenue
    kind, target_type, assigned = _kind_of(segment, after, phrase_after, before, state)
    bound = quantity.bound
    if bound == "exact" and lex.AT_LEAST_CHUNK.match(segment[segment.rfind(",") + 1 :]):
        bound = "over"  # "tối thiểu thu đạt 300.000 tỷ"
    if comparison:
        kind, target_type, assigned = "actual", None, None
    if family != "budget" and kind == "target":
        return None
    pair = lex.PAIR_SECOND.fullmatch(segment) and re.search(r"\d\s*/\s*$", before)
    follows = lex.ATTAINMENT_FOLLOWS.match(after) if pair and family == "budget" else None
    if follows is not None:
        # "thu đạt 1.150/1.300 tỷ đồng bằng 88,5% dự toán": the second of the pair is the target the share
        # that follows names.
        rest = after[after.index("%", follows.start()) + 1 :]
        kind, target_type = "target", _target_type_after(rest) or "chi-tieu"
        assigned = _assigned_by(rest[:80], state)
    elif kind != "target" and (pair or re.search(r"\d\s*/\s*$", segment)):
        return None  # "bằng 105% (315.000/300.000 tỷ đồng)": the base of a ratio that is not a target
    return _Reading(
        metric,
        kind,
        quantity.value,
        "VND",
        bound,
        family=family,
        target_type=target_type,
        assigned_by=assigned,
        comparison=comparison,
        compared_period=compared_period,
        rule="amount-compared" if comparison else rule,
    )


_SMALLEST_REVENUE = Decimal(1_000_000)


def _single_case(sentence: str, clause: str, family: str) -> bool:
    if family == "penalty_revenue":
        return lex.CASE_COUNT.search(sentence) is None and lex.FINE_RATE.search(clause) is not None
    return _no_count_nor_period(sentence)


def _one_party(sentence: str, before: str) -> bool:
    """An amount told of one shipment or one named firm, with no count of cases or period beside it."""
    return _no_count_nor_period(sentence) and bool(
        lex.ONE_PARTY.search(before) or lex.FINE_RANGE_BEFORE.search(before)
    )


def _no_count_nor_period(sentence: str) -> bool:
    """Neither a count of cases nor a period: the sentence tells of one case, not of a unit's total."""
    return lex.CASE_COUNT.search(sentence) is None and lex.PERIOD_WORDS.search(sentence) is None


def _strip_units(text: str) -> str:
    """Branch names carry words like "khu vực" or "cảng" that are not sub-areas."""
    return CHI_CUC_RE.sub(" ", text)


def _blank_parentheses(text: str) -> str:
    """Closed brackets blanked (same length): their cues do not govern the number after them."""
    return lex.PARENTHESES.sub(lambda m: " " * len(m.group(0)), text)


def _kind_of(
    segment: str, after: str, phrase_after: str, before: str, state: _State
) -> tuple[Kind, TargetType | None, str | None]:
    target_after = lex.TARGET_AFTER.match(after)
    segment = lex.ACHIEVED_TARGET.sub(" ", segment)
    chunk = segment if lex.PAREN_AFTER_UNIT.search(segment) else _last_chunk(segment)
    if (
        not lex.TARGET_CUE.search(chunk)
        and not lex.ACTUAL_CUE.search(chunk)
        and not lex.ESTIMATE.search(chunk)
    ):
        chunk = segment  # "..., được giao chỉ tiêu thu lớn nhất, với 46.000 tỷ đồng"
    target_here = bool(lex.TARGET_CUE.search(chunk)) and (
        lex.STRIVE_BEFORE.search(chunk) is not None
        or not lex.ACTUAL_CUE.search(chunk[_last_target_cue(chunk) :])
    )
    if not target_here and not target_after and lex.PAREN_AFTER_UNIT.search(segment):
        # "... chỉ tiêu ... là Chi cục X (21.900 tỷ đồng)": a bracketed amount takes the sentence's last cue.
        last_target = _last_target_cue(before)
        last_actual = max((m.start() for m in lex.ACTUAL_CUE.finditer(before)), default=-1)
        target_here = last_target > last_actual and last_target > 0
        if target_here:
            chunk = before
    if target_here or target_after:
        if target_after:
            target_type = _target_type_after(after[target_after.start() :]) or "chi-tieu"
        else:
            target_type = _target_type_of(chunk) or "chi-tieu"
        assigned = _assigned_by(chunk + " " + phrase_after[:60], state)
        return "target", target_type, assigned
    if lex.ESTIMATE.search(segment):
        return "estimate", None, None
    return "actual", None, None


def _last_chunk(segment: str) -> str:
    """The comma-separated piece a number sits in; "..., tối thiểu 300.000" reaches one piece further back."""
    cut = segment.rfind(",")
    chunk = segment[cut + 1 :]
    if cut > 0 and lex.BOUND_ONLY.match(chunk):
        chunk = segment[segment.rfind(",", 0, cut) + 1 :]
    return chunk


def _last_target_cue(text: str) -> int:
    return max((m.start() for m in lex.TARGET_CUE.finditer(text)), default=0)


def _read_usd(
    quantity: Quantity,
    segment: str,
    clause: str,
    before: str,
    sentence: str,
    comparison: bool,
    state: _State,
    block: int,
    scope_from: int = 0,
) -> ReadOutcome:
    family, cue_position = _trade_family_at(_blank_parentheses(clause))
    if family == "trade_turnover" and _only_total_cue(clause):
        # "Với tổng trị giá đạt X, quy mô kim ngạch xuất khẩu ...": the total of the metric named next.
        following = re.split(r"[;]|\d", sentence[quantity.end : quantity.end + 60], maxsplit=1)[0]
        named_next, _ = _trade_family_at(following)
        if named_next in ("export_turnover", "import_turnover"):
            family = named_next
    window_start = cue_position if family else len(clause) - len(segment) + 30
    rule = "usd"
    if family is None:
        family, _ = _trade_family_at(before)
    if family is None:
        following = sentence[quantity.end : quantity.end + 60]
        following = re.split(r"trong\s+đó|[;]", following, maxsplit=1, flags=re.IGNORECASE)[0]
        family, _ = _trade_family_at(following)
        rule = "usd-named-after"
    if (
        family is None
        and state.trade_family_block == block
        and state.trade_family_sentence == state.sentence_index - 1
    ):
        family = state.trade_family
        rule = "usd-carried"
    if family is None:
        return None
    if (
        _out_of_scope(clause, window_start, scope_from)
        or _scope_named_after(sentence[quantity.end :])
        or lex.COMMODITY_AFTER_TRADE_CUE.search(clause, scope_from)
    ):
        return "out-of-scope"
    if state.title_scope and not lex.WHOLE_TRADE.search(sentence):
        return "out-of-scope"
    value = quantity.value
    metric = family
    if family == "trade_balance_deficit":
        metric, value = "trade_balance", -value
        family = "trade_balance"
    kind: Kind = "estimate" if lex.ESTIMATE.search(segment) else "actual"
    if lex.TARGET_CUE.search(segment[segment.rfind(",") + 1 :]):
        kind = "target"
    if comparison:
        kind = "actual"
    return _Reading(
        metric,
        kind,
        value,
        "USD",
        quantity.bound,
        family=family,
        comparison=comparison,
        rule="usd-compared" if comparison else rule,
    )


def _only_total_cue(clause: str) -> bool:
    """The clause names a total ("tổng trị giá") but not which trade flow it is."""
    kinds = {m.lastgroup for m in lex.TRADE_CUES.finditer(clause)}
    return bool(kinds) and kinds <= {"total", "generic"}


def _scope_named_after(following: str) -> bool:
    """A part named after the number: "... tỷ USD ... là nhóm hàng ...", "... hàng hóa từ Anh"."""
    if lex.SHARE_OF_TOTAL_AFTER.match(following):
        return True  # "... đạt 77 tỷ USD, tăng 25%, chiếm 27% tổng kim ngạch ...": a part of that total
    window = lex.AFTER_WINDOW_END.split(following[:70], maxsplit=1)[0]
    return bool(lex.CLAUSE_OUT_OF_SCOPE.search(window))


def _trade_family_at(text: str) -> tuple[str | None, int]:
    """The trade metric family the last trade cue in ``text`` names, and where that cue starts."""
    family: str | None = None
    specific: str | None = None
    position = 0
    specific_end = 0
    for match in lex.TRADE_CUES.finditer(text):
        if lex.TRADE_CUE_QUALIFIES.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        kind = match.lastgroup
        if kind == "generic" and lex.ENFORCEMENT_VALUE_AFTER.match(text, match.end()):
            continue  # "trị giá hàng vi phạm": not a trade flow
        position = match.start()
        if kind in ("trade", "export", "import", "surplus", "deficit"):
            specific_end = match.end()
        if kind == "trade":
            family = specific = "trade_turnover"
        elif kind == "export":
            family = specific = "export_turnover"
        elif kind == "import":
            family = specific = "import_turnover"
        elif kind == "total":
            between = text[specific_end : match.start()] if specific else ""
            inherit = specific in ("export_turnover", "import_turnover") and not lex.AMOUNT_IN.search(between)
            family = specific if inherit else "trade_turnover"
        elif kind == "generic":
            family = specific or "trade_turnover"
        elif kind == "surplus":
            family = specific = "trade_balance"
        elif kind == "deficit":
            family = specific = "trade_balance_deficit"
    return family, position


def _segment_family(segment: str) -> tuple[str | None, int]:
    """The family of the nearest metric cue in a percentage's own segment (trade or budget)."""
    trade, trade_pos = _trade_family_at(segment)
    budget_positions = [m.start() for m in lex.REVENUE_CUES.finditer(segment)]
    budget_pos = budget_positions[-1] if budget_positions else -1
    if trade and (not budget_positions or trade_pos > budget_pos):
        return trade, trade_pos
    if budget_positions:
        return "budget", budget_pos
    return None, 0


def _read_percent(
    quantity: Quantity,
    segment: str,
    clause: str,
    after: str,
    phrase_after: str,
    governing: _Reading | None,
    state: _State,
    block: int,
) -> ReadOutcome:
    in_segment = lex.ATTAINMENT_IN_SEGMENT.search(_last_chunk(segment))
    if lex.SHARE_BEFORE.search(segment) and not in_segment:
        return None
    about = lex.ABOUT_AFTER.match(after)
    if about and not about.group("what"):
        return None  # "giảm 22% về tờ khai", "về lượng": a change of something else
    if governing is None and _in_sub_scope(clause, state, block):
        return "out-of-scope"
    own = _last_chunk(segment)
    if governing is None and lex.REFERS_BACK.match(own):
        own = clause  # "..., tương ứng mức giảm 14%": the change of the amount named before
    family, cue_position = _segment_family(own)
    if family == "trade_turnover" and _enforcement_value(own, clause, state, block):
        family = "violations_value"  # "số vụ việc giảm 39,7%; trị giá hàng hóa tăng 1,6%": what was seized
    cue_position += len(segment) - len(own) if len(own) <= len(segment) else 0
    if family is None and governing is None and about is not None:
        # "..., tăng 9,8% về tờ khai và tăng 11,74% về kim ngạch": the metric is named after the percentage,
        # and the words before it belong to another figure.
        family = "budget" if "thu" in (about.group("what") or "") else "trade_turnover"
    elif family is None and governing is None and in_segment:
        family = "budget"  # "đạt tỷ lệ (so với chỉ tiêu) cao nhất là 59%"
    elif (
        family is None
        and governing is None
        and lex.ATTAINMENT_AFTER.match(after)
        and (lex.EXCEEDED_BY.search(segment) or lex.BARE_ATTAINMENT_BEFORE.search(segment))
        and not lex.TRADE_CUES.search(clause)
        and not re.search(r"\d\s+cuộc\b", clause)  # "36 cuộc kiểm tra, đạt 80% kế hoạch": inspections
        and state.revenue_cue_sentence == state.sentence_index - 1
    ):
        family = "budget"  # "Như vậy, đơn vị sẽ vượt 5% dự toán": a share of a revenue target
    elif family is not None:
        if _out_of_scope(segment, cue_position) or (governing is None and _out_of_scope(clause, len(clause))):
            return "out-of-scope"
    elif governing is not None:
        family = governing.family
    else:
        return None
    if family == "budget" and governing is None and lex.BUSINESS_MONEY.search(clause):
        return None  # "lợi nhuận tăng 14%": a company's result
    if (
        governing is None
        and family in _TRADE_FAMILIES
        and (_scope_named_after(after) or lex.COMMODITY_AFTER_TRADE_CUE.search(clause))
    ):
        return "out-of-scope"
    if (
        governing is None
        and family in _TRADE_FAMILIES
        and state.title_scope
        and not lex.WHOLE_TRADE.search(clause)
    ):
        return "out-of-scope"  # "giảm 4,2% ... nhưng điện thoại các loại vẫn là nhóm hàng ..."
    kind: Kind = governing.kind if governing is not None else "actual"
    if lex.ESTIMATE.search(segment):
        kind = "estimate"
    change = lex.CHANGE_BEFORE.search(segment) or lex.CHANGE_NOUN_BEFORE.search(segment)
    value = quantity.value
    bound = quantity.bound

    if family == "budget" and not change:
        attainment_after = lex.ATTAINMENT_AFTER.match(after)
        bare = (
            lex.BARE_ATTAINMENT_BEFORE.search(segment)
            and lex.CLAUSE_END_AFTER.match(after)
            and not lex.COMPARED_AFTER.match(after)
        )
        if attainment_after or in_segment or bare:
            if attainment_after:
                target_type = _target_type_after(after[attainment_after.start() :]) or "chi-tieu"
            elif in_segment:
                target_type = _target_type_after(segment[in_segment.start() :]) or "chi-tieu"
            else:
                target_type = state.last_target_type or "chi-tieu"
            exceeded = lex.EXCEEDED_BY.search(segment)
            if exceeded:
                value = value + _HUNDRED
                if not exceeded.group("bound"):
                    bound = "exact"  # "vượt 5,6%" is exactly 105,6%, not "over 5,6%"
            assigned = _assigned_by(phrase_after[:80], state)
            attain_kind: Kind = kind
            # its own clause only: "... chỉ tiêu phấn đấu ... giao; Chi cục Y đạt 98% chỉ tiêu" is a result
            if lex.STRIVE_BEFORE.search(segment[max(segment.rfind(","), segment.rfind(";")) + 1 :]):
                attain_kind = "target"  # "phấn đấu hoàn thành vượt 5% dự toán": a goal, not a result
            return _Reading(
                "budget_revenue_attainment",
                attain_kind,
                value,
                "percent",
                bound,
                family=family,
                target_type=target_type,
                assigned_by=assigned,
                rule="attainment" if attainment_after or in_segment else "attainment-bare",
            )
    if lex.SO_VOI_TARGET_AFTER.match(after):
        return None
    rule = "change" if governing is None else "change-governed"
    if change:
        if re.search(r"giảm|sụt|thấp|ít", change.group("verb"), re.IGNORECASE):
            value = -value
    elif lex.RATIO_BEFORE.search(segment) and lex.COMPARED_AFTER.match(after):
        value = value - _HUNDRED
        rule = "change-ratio"
    elif lex.REFERS_BACK.match(_last_chunk(segment).lstrip(" (")):
        rule = "change-refers-back"
        # "giảm 13.267 tỷ đồng (tương ứng 21%)": the percentage of the difference named just before.
        referred = clause[: len(clause) - len(segment)][-50:]  # the amount the percentage refers back to
        difference = lex.DIFFERENCE_VERB.findall(referred)
        if not difference:
            return None
        currency = lex.REFERRED_CURRENCY.findall(referred)
        if currency and (currency[-1] == "đồng") == (family in _TRADE_FAMILIES or family == "trade_balance"):
            return None  # "gỗ nhập khẩu giảm 40 tỷ đồng, tương ứng 21%": a VND amount is no trade turnover
        if re.match(r"giảm|sụt|thấp|hụt", difference[-1], re.IGNORECASE):
            value = -value
    elif lex.COORDINATED_CHANGE.match(segment) and lex.COMPARED_AFTER.match(after):
        # "giảm 7% so với tháng trước và 11% so với cùng kỳ": the verb of the first serves the second.
        rule = "change-coordinated"
        verbs = lex.CHANGE_VERB.findall(clause[: len(clause) - len(segment)][-60:])
        if not verbs:
            return None
        if re.match(r"giảm|sụt|thấp|ít", verbs[-1], re.IGNORECASE):
            value = -value
    else:
        return None
    metric = _change_metric(family)
    if metric is None:
        return None
    change_target_type = governing.target_type if governing is not None and kind == "target" else None
    return _Reading(
        metric, kind, value, "percent", bound, family=family, target_type=change_target_type, rule=rule
    )


def _bracketed_attainment(quantity: Quantity, segment: str, before: str, after: str) -> _Reading | None:
    """ "So với chỉ tiêu thu, ... gồm: Chi cục A (đạt 112%); Chi cục B (91%)": each branch's attainment."""
    if not lex.CLOSES_BRACKET.match(after) or not lex.BRACKETED_UNIT_ITEM.search(segment):
        return None
    intro = before[: before.find(":")] if ":" in before else ""
    target = lex.LIST_TARGET_INTRO.search(intro)
    if target is None or not lex.REVENUE_CUES.search(intro) or lex.TRADE_CUES.search(intro):
        return None
    return _Reading(
        "budget_revenue_attainment",
        "estimate" if lex.ESTIMATE.search(intro) else "actual",
        quantity.value,
        "percent",
        quantity.bound,
        family="budget",
        target_type=_target_type_after(intro[target.start("noun") :]) or "chi-tieu",
        rule="attainment",
    )


def _enforcement_value(own: str, clause: str, state: _State, block: int) -> bool:
    """A bare "trị giá hàng hóa" in an enforcement context is the value of goods seized, not trade."""
    lower = own.lower()
    if "trị giá" not in lower or re.search(r"kim\s+ngạch|xuất|nhập|xnk", lower):
        return False
    return state.enforcement_block == block or lex.ENFORCEMENT_WORDS.search(clause.lower()) is not None


def _change_metric(family: str) -> str | None:
    if family == "budget":
        return "budget_revenue_change"
    if family in _TRADE_FAMILIES:
        return family + "_change"
    if family == "trade_balance":
        return "trade_balance_change"  # outside the scored list on purpose
    if family.startswith("count:"):
        return family[len("count:") :] + "_change"
    return family + "_change"


# --- the article --------------------------------------------------------------------------------------


def _is_summary_block(text: str) -> bool:
    """Headings: short, no comma (a decimal one, "101,8%", is not), no sentence punctuation at the end."""
    return len(text) < 120 and not _CLAUSE_COMMA.search(text) and not lex.ENDS_LIKE_PROSE.search(text)


_CLAUSE_COMMA = re.compile(r",(?!\d)")


def _consistent(summary: Fact, body: Fact) -> bool:
    """A rounded lead number ("hơn 30.000 tỷ") agrees with the exact one the body gives."""
    if summary.subject != body.subject or summary.metric != body.metric:
        return False
    s, b = summary.value, body.value
    if s == b:
        return True
    tolerance = abs(b) * Decimal("0.001")
    if summary.unit == "percent":
        tolerance = max(tolerance, Decimal("0.01"))
    if abs(s - b) <= tolerance:
        return True
    s, b = abs(s), abs(b)
    if (summary.value < 0) != (body.value < 0):
        return False
    if summary.bound == "over":
        return s <= b <= s * Decimal("1.25")
    if summary.bound == "under":
        return s * Decimal("0.8") <= b <= s
    if summary.bound == "about":
        return abs(s - b) <= abs(s) * Decimal("0.1")
    return False


# The country's trade in the years the corpus covers (2014 on) never fell below these per month; a smaller
# figure read as the country's or the sector's is one industry's, market's or commodity's ("kim ngạch xuất
# khẩu trên 1 tỷ USD, cây sắn ..."). Figures of earlier years are left alone.
_COUNTRY_TRADE_FLOOR_PER_MONTH: dict[str, Decimal] = {
    "export_turnover": Decimal(5 * 10**9),
    "import_turnover": Decimal(5 * 10**9),
    "trade_turnover": Decimal(10 * 10**9),
}
_FLOOR_FROM_YEAR = 2010


def _plausible(fact: Fact) -> bool:
    floor = _COUNTRY_TRADE_FLOOR_PER_MONTH.get(fact.metric)
    if floor is None or fact.subject not in ("ca-nuoc", "tong-cuc"):
        return True
    if fact.period_start is not None and fact.period_start.year < _FLOOR_FROM_YEAR:
        return True
    months = Decimal(1)
    if fact.period_start is not None and fact.period_end is not None:
        months = max(Decimal(1), Decimal((fact.period_end - fact.period_start).days + 1) / Decimal("30.4"))
    return fact.value >= floor * months


# Some pages carry a publication date months off (reposts): only a period beginning more than a year after
# it is surely not yet a result ("đạt khoảng 330 tỷ USD vào năm 2025" in a page of 2021 is a plan).
_RESULT_AFTER_PUBLICATION = timedelta(days=366)


def _after_publication(fact: Fact, published: date | None) -> bool:
    """A result for a period that had not begun a year after the page was published is a plan."""
    return (
        published is not None
        and fact.kind == "actual"
        and fact.period_start is not None
        and fact.period_start > published + _RESULT_AFTER_PUBLICATION
    )


def extract_facts(article: Article) -> list[Fact]:
    """The article's facts in reading order, one per identity.

    Title and heading numbers are read (they set the subject and period that follow) but not kept: they
    restate the text, rounded. Lead numbers are kept unless the body states them too.
    """
    whole = unicodedata.normalize("NFC", "\0".join((article.title, article.lead, *article.blocks))).lower()
    if not lex.ARTICLE_MAY_HOLD_FACTS.search(whole):
        return []  # no customs, no trade, no enforcement: no subject any fact could have (most pages)
    published_year = article.published.year if article.published else date.today().year
    state = _State(
        default_year=published_year,
        default_month=article.published.month if article.published else 12,
        published=article.published.date() if article.published else None,
    )
    state.customs = bool(lex.CUSTOMS_LOWER.search(whole))
    state.customs_article = _names_customs(whole)
    state.title_scope = bool(
        lex.TITLE_SCOPE.search(article.title) or lex.CLAUSE_OUT_OF_SCOPE_NAMES.search(article.title)
    )
    body: list[Fact] = []
    blocks: list[tuple[str, bool]] = []
    if article.title:
        blocks.append((article.title, True))
    if article.lead:
        blocks.append((article.lead, False))
    for block_text in article.blocks:
        for text in block_text.split("\n"):
            if text.strip():
                blocks.append((text.strip(), _is_summary_block(text.strip())))
    lead_facts: list[Fact] = []
    # Which blocks may yield a fact at all; past the last one that may yield a kept fact nothing is left
    # to find: stop there.
    normalized = [unicodedata.normalize("NFC", text) for text, _ in blocks]
    may_yield = [_may_yield(text.lower()) or lex.UNIT_RUN_ITEM.match(text) is not None for text in normalized]
    last = max((i for i, (_, summary) in enumerate(blocks) if may_yield[i] and not summary), default=-1)
    for block_index, (text, summary) in enumerate(blocks[: last + 1]):
        if lex.CAPTION.search(text):
            continue
        state.block_customs = _names_customs(text.lower())
        is_lead = bool(article.lead) and block_index == (1 if article.title else 0) and text == article.lead
        for original in (piece for sentence in split_sentences(text) for piece in bounded_pieces(sentence)):
            # Some pages use decomposed diacritics ("ty" + combining hook): read the NFC form, keep the
            # sentence as it stands for the evidence.
            sentence = unicodedata.normalize("NFC", original)
            facts = _read_sentence(sentence, state, block_index, may_yield[block_index])
            if sentence != original:
                facts = [replace(f, evidence=original) for f in facts]
            if summary:
                continue
            if is_lead:
                lead_facts.extend(facts)
            else:
                body.extend(facts)
    body = [f for f in body if _plausible(f) and not _after_publication(f, state.published)]
    lead_facts = [f for f in lead_facts if _plausible(f) and not _after_publication(f, state.published)]
    kept_lead = [f for f in lead_facts if not any(_consistent(f, b) for b in body)]
    result: list[Fact] = []
    seen: set[tuple[str, ...]] = set()
    for fact in kept_lead + body:
        # A number restated later (e.g. a target named again with fewer words) is the same fact.
        stated = fact.identity()[:4] + fact.identity()[6:8]
        if fact.identity() in seen or stated in seen:
            continue
        seen.add(fact.identity())
        seen.add(stated)
        confidence = RULE_PRECISION.get(fact.rule or "", UNMEASURED_RULE_CONFIDENCE)
        result.append(replace(fact, confidence=confidence))
    return result
