"""Article -> facts: the rules of the fact contract (../shared/contract/facts.md), pure and deterministic.

The article is read in order, sentence by sentence, carrying what Vietnamese leaves implicit: the unit
being talked about, the period and the year. Every quantity of a sentence is classified from the words
between it and the previous quantity (its "segment": the verb and cue that govern it), the words right
after it ("đạt 95,5% chỉ tiêu ...") and the value that governs it (a percentage belongs to the amount
before it). Title, lead and heading numbers are summaries: they are kept only when the body does not
state the same number.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from services.common.facts import Fact, Kind, TargetType
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

EXTRACTOR_VERSION = "0.4.0"

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


class _LowerCased:
    """A lower-case pattern searched on lower-cased text: a fast case-insensitive ``search``."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text.lower())


_HUNDRED = Decimal(100)
_UNIT_BACKREF = re.compile(r"\b(?:[Đđ]ơn\s+vị|toàn\s+[Cc]ục|[Cc]hi\s+cục)\b")
_CUSTOMS = re.compile(r"hải\s+quan", re.IGNORECASE)
_CUSTOMS_LOWER = re.compile(r"hải\s+quan")
# Customs named only as a newspaper's name ("Báo Hải quan") does not make a text about customs.
# Nor does an official's title ("Tổng cục trưởng Tổng cục Hải quan X, Ủy viên Ban Chỉ đạo ...").
# Checked on the words right before each "hải quan" (a search anchored at the end: no scan of the text).
_CUSTOMS_PRESS_BEFORE = re.compile(
    r"(?:(?:báo|tạp\s+chí|phóng\s+viên)|(?:tổng\s+)?cục\s+trưởng\s+(?:tổng\s+)?cục)\s+$"
)


def _names_customs(lower: str) -> bool:
    """A lower-cased text names customs other than as a paper's name or in an official's title."""
    if "hải" not in lower:
        return False
    return any(
        not _CUSTOMS_PRESS_BEFORE.search(lower, max(0, match.start() - 40), match.start())
        for match in _CUSTOMS_LOWER.finditer(lower)
    )


# Business results: a company's or a bank's money is never the budget revenue customs collects.
_BUSINESS_MONEY = re.compile(
    r"lợi\s+nhuận|\blãi\s+(?:trước|sau)\s+thuế|doanh\s+thu|ngân\s+hàng|[Cc]ông\s+ty|[Tt]ập\s+đoàn|"
    r"tổng\s+tài\s+sản|huy\s+động\s+vốn|cổ\s+đông|cổ\s+tức",
    re.IGNORECASE,
)
# Figures of the whole anti-smuggling effort (all levels and sectors), not customs' own.
_ALL_SECTORS = re.compile(
    r"các\s+cấp,?\s+các\s+ngành|các\s+ngành,?\s+các\s+cấp|[Bb]an\s+[Cc]hỉ\s+đạo\s+(?:389|quốc\s+gia)"
)
_EXAMPLE_OPENING = re.compile(r"\W*(?:[Đđ]iển\s+hình|[Vv]í\s+dụ|[Cc]hẳng\s+hạn|VD)\b")
# "Như vậy, ..." after an estimate: what it derives from the estimate is an estimate too.
_DERIVED_OPENING = re.compile(r"\W*(?:[Nn]hư\s+vậy|[Vv]ới\s+kết\s+quả\s+(?:này|trên|ước\s+tính))\b")
# A sentence that opens on an estimate ("Ước tính năm 2020, ...") estimates every figure in it.
_ESTIMATE_OPENING = re.compile(r"^\W*(?:[Ưư]ớc\s+tính|[Ưư]ớc|[Dd]ự\s+kiến|[Dd]ự\s+báo)\b")
# Drug cases are a sub-category of the cases customs reports.
_DRUGS = re.compile(r"ma\s+t[uú]y|ma\s+tuý|chất\s+gây\s+nghiện")
# Titles about one commodity: their trade figures are that commodity's unless a sentence says otherwise.
_TITLE_SCOPE = re.compile(
    r"\bgỗ\b|dệt\s+may|da\s+giày|th(?:ủy|uỷ)\s+sản|cá\s+ngừ|lâm\s+sản|chăn\s+nuôi|ngành\s+điều|\bgạo\b|cà\s+phê|điện\s+thoại|máy\s+vi\s+tính|sắt\s+thép|xăng\s+dầu|"
    r"\bthan\b|phân\s+bón|nông\s+sản|rau\s+quả|hạt\s+điều|cao\s+su|ô\s*tô|linh\s+kiện|hồ\s+tiêu|dầu\s+thô|"
    r"khoáng\s+sản|tôm|cá\s+tra|sữa|dược\s+phẩm|thép|nhôm",
    re.IGNORECASE,
)
_WHOLE_TRADE = re.compile(
    r"cả\s+nước|của\s+Việt\s+Nam|Việt\s+Nam\s+(?:đạt|ước)|toàn\s+[Nn]gành|[Hh]ải\s+quan\s+[A-ZĐ]"
)

# --- sentences ----------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[^\s\da-zđà-ỹ…])")
_ABBREVIATION_END = re.compile(r"(?:\b(?:TP|Tp|T|ThS|TS|PGS|GS|ông|bà|Mr|St|[A-ZĐ])\.)$")
_CAPTION = re.compile(r"(?:Ảnh|ảnh|Nguồn|nguồn|Biểu\s+đồ|Đồ\s+họa|Video)\s*:")
_ENDS_LIKE_PROSE = re.compile(r"[.!?…:;]\s*[\"”’)]*\s*$")


def split_sentences(block: str) -> list[str]:
    pieces = [p for p in _SENTENCE_END.split(block.strip()) if p]
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _ABBREVIATION_END.search(sentences[-1]):
            sentences[-1] = sentences[-1] + " " + piece
        else:
            sentences.append(piece)
    return [s.strip() for s in sentences if s.strip()]


# --- cues ---------------------------------------------------------------------------------------------

_TRADE_CUES = re.compile(
    r"(?P<trade>xuất\s*,?\s*nhập\s+khẩu|\bXNK\b|xuất\s*-\s*nhập\s+khẩu|\bXK\s*,?\s*NK\b)"
    r"|(?P<export>xuất\s+khẩu|\bXK\b)"
    r"|(?P<import>nhập\s+khẩu|\bNK\b)"
    r"|(?P<total>tổng\s+kim\s+ngạch|tổng\s+trị\s+giá)"
    r"|(?P<generic>kim\s+ngạch|trị\s+giá)"
    r"|(?P<surplus>thặng\s+dư|xuất\s+siêu)"
    r"|(?P<deficit>nhập\s+siêu|thâm\s+hụt)",
    re.IGNORECASE,
)
# Trade words that qualify something else ("DN xuất nhập khẩu", "mặt hàng xuất khẩu").
_TRADE_CUE_QUALIFIES = re.compile(
    r"(?:\bDN|doanh\s+nghiệp|mặt\s+hàng|nhóm\s+hàng|tờ\s+khai|thủ\s+tục|lượng|phương\s+tiện|"
    r"dầu\s+thô|xăng\s+dầu|than|quặng|khoáng\s+sản)\s*$"
)
_BUDGET_CUES = re.compile(
    r"thu\s+ngân\s+sách|thu\s+NSNN|thu\s+nộp|nộp\s+ngân\s+sách|nộp\s+NSNN|số\s+thu|thu\s+thuế|"
    r"thu\s+được|thu\s+đạt|nguồn\s+thu|tổng\s+thu|kết\s+quả\s+thu|\bthu\b(?!\s+(?:mua|hút|giữ|hồi|nhập|thập|gom|xếp))|"
    r"dự\s+toán|chỉ\s+tiêu",
    re.IGNORECASE,
)
_REVENUE_CUES = re.compile(
    r"thu\s+ngân\s+sách|thu\s+NSNN|thu\s+nộp|nộp\s+ngân\s+sách|nộp\s+NSNN|số\s+thu|thu\s+thuế|"
    r"thu\s+được|thu\s+đạt|nguồn\s+thu|tổng\s+thu|kết\s+quả\s+thu|\bthu\b(?!\s+(?:mua|hút|giữ|hồi|nhập|thập|gom|xếp))",
    re.IGNORECASE,
)
# Searched on lower-cased text (case-insensitive Unicode matching is slow, and this runs on every sentence).
_ENFORCEMENT_WORDS = re.compile(
    r"vi\s+phạm|buôn\s+lậu|bắt\s+giữ|khởi\s+tố|xử\s+phạt|tang\s+vật|gian\s+lận|vận\s+chuyển\s+trái\s+phép"
)


_ENFORCEMENT_CONTEXT = _LowerCased(_ENFORCEMENT_WORDS)
_REVENUE_CUES_LOWER = re.compile(_REVENUE_CUES.pattern.replace("NSNN", "nsnn"))
_VIOLATION_VALUE_CUE = re.compile(r"trị\s+giá|giá\s+trị", re.IGNORECASE)
_PENALTY_CUE = re.compile(
    r"tiền\s+phạt|phạt\s+tiền|xử\s+phạt|số\s+tiền|thu\s+nộp|nộp\s+ngân\s+sách|nộp\s+NSNN|số\s+thu|thu\s+ngân\s+sách",
    re.IGNORECASE,
)
# What was confiscated is not a violation total, but "tịch thu hàng vi phạm trị giá X" is that value.
_CONFISCATED = r"(?<!và\s)tịch\s+thu(?!\s+hàng\s+(?:hóa\s+|hoá\s+)?vi\s+phạm)"
# Amounts inside a unit's total that the contract leaves out of scope (checked near the cue).
_OUT_OF_SCOPE = re.compile(
    r"thuế\s+(?:GTGT|giá\s+trị|nhập\s+khẩu|xuất\s+khẩu|TTĐB|tiêu\s+thụ|bảo\s+vệ|BVMT|thu\s+nhập)|"
    r"mặt\s+hàng|nhóm\s+hàng|[Cc]ông\s+ty|\briêng\s+(?:khu\s+vực|địa\s+bàn|tại|qua|cảng|cửa\s+khẩu|[A-ZĐ])|"
    r"chiếm|\bnợ\b|hoàn\s+thuế|ấn\s+định|truy\s+thu|(?<!\d\s)trường\s+hợp|bình\s+quân|mỗi\s+(?:ngày|tháng)|"
    r"trung\s+bình|"
    + _CONFISCATED
    + r"|xăng\s+dầu|dầu\s+thô|\bthan\b|ô\s*tô|sắt\s+thép|điện\s+thoại|máy\s+vi\s+tính|"
    r"dệt\s+may|giày\s+dép|nông\s+sản|thủy\s+sản|quặng|qua\s+cảng|khu\s+vực\s+[A-ZĐ]|địa\s+bàn\s+[A-ZĐ]|"
    r"thị\s+trường|\bFDI\b|trong\s+nước|có\s+thuế|không\s+thuế|nộp\s+thuế|lô\s+hàng|nguồn\s+này|"
    r"từ\s+nguồn|dự\s+án|số\s+lượng|\blượng\b|doanh\s+nghiệp\s+(?:trong|FDI|có\s+vốn|mới)|khối|"
    r"hàng\s+năm|còn\s+phải|phải\s+(?:thực\s+hiện\s+)?thu|cần\s+(?:phải\s+)?thu|còn\s+lại|sau\s+thông\s+quan|"
    r"kiểm\s+tra\s+sau|hậu\s+kiểm|KTSTQ|qua\s+công\s+tác"
)
# Words that put a whole clause outside a unit's total, wherever they stand in it.
_CLAUSE_OUT_OF_SCOPE_WORDS = _LowerCased(
    re.compile(
        r"có\s+thuế|không\s+thuế|\bfdi\b|trong\s+nước|mặt\s+hàng|nhóm\s+hàng|khối\s+doanh\s+nghiệp|"
        r"doanh\s+nghiệp\s+mới|\bmột\s+số\b|\b(?:như|gồm)\s*:|xăng\s+dầu|dầu\s+thô|\bthan\b|quặng|"
        r"sắt\s+thép|ô\s*tô|linh\s+kiện|phụ\s+tùng|điện\s+thoại|máy\s+vi\s+tính|dệt\s+may|giày\s+dép|"
        r"thị\s+trường|phương\s+tiện|nộp\s+thuế|nguồn\s+này|công\s+ty|điển\s+hình|\bchở\b|sản\s+lượng|"
        r"doanh\s+thu|lợi\s+nhuận|giá\s+vốn|hai\s+nước|2\s+nước|song\s+phương|"
        r"ngành\s+(?:lâm\s+sản|gỗ|dệt|da\s+giày|thủy\s+sản|nông\s+nghiệp|điện\s+tử|thép|dầu\s+khí)|"
        r"qua\s+cầu|lối\s+mở|cửa\s+khẩu\s+phụ|\bgdp\b|nợ\s+công|bội\s+chi|nội\s+địa|nợ\s+thuế|thu\s+hồi\s+nợ|"
        r"nợ\s+đọng|tham\s+vấn|xác\s+định\s+lại|thu\s+đòi|\bbị\s+(?:xử\s+phạt|phạt)\b|"
        r"một\s+doanh\s+nghiệp|doanh\s+nghiệp\s+tư\s+nhân|\d\s+con\b|\d\s+xe\b|\bgrdp\b|"
        r"doanh\s+nghiệp\s+(?:thành\s+phố|tỉnh|trên\s+địa\s+bàn)|hàng\s+hóa\s+và\s+dịch\s+vụ|\bktstq\b|"
        r"(?:doanh\s+nghiệp|\bdn)\b[^.;]{0,80}\bcó\s+kim\s+ngạch|\bcty\b|\bvd\s*:|ví\s+dụ|hàng\s+(?:hóa|hoá)\s+khác|mặt\s+hàng\s+khác|\bdn\s+mới|cuộc\s+kiểm\s+tra|"
        r"\bbị\s+(?:[^,;.]{1,40}\s)?(?:xử\s+phạt|phạt)\b|vụ\s+việc\s+(?:này|trên)|"
        r"(?:từ|sang)\s+(?:thị\s+trường|các\s+nước)|\btấn\b|\bchiếc\b|\bm3\b|\blít\b|phân\s+bón|tàu\s+cá|"
        r"quyết\s+định\s+xử\s+phạt\s+(?:đối\s+với|công\s+ty|doanh\s+nghiệp|dn\b|chủ|cá\s+nhân|ông|bà)|sau\s+thông\s+quan|c/o|da\s+giày|túi\s+xách|\bgạo\b|cà\s+phê|rau\s+quả|"
        r"hạt\s+điều|cao\s+su|\bgỗ\b|trốn\s+thuế|thu\s+phí|lệ\s+phí|lần\s+lượt|"
        + _CONFISCATED
        + r"|sung\s+công|tồn\s+đọng|nguồn\s+thu\s+từ|qua\s+cổng|thanh\s+toán\s+điện\s+tử|"
        r"truy\s+thu|tạm\s+nhập|tái\s+xuất|kho\s+ngoại\s+quan|chuyển\s+cửa\s+khẩu|hồ\s+tiêu|"
        r"\bchè\b|máy\s+móc|\d+\s+năm\s+(?:gần\s+đây|qua)|giai\s+đoạn\s+\d{4}|"
        r"thu\s+từ\s+(?!hoạt\s+động\s+(?:xuất|xnk))",
    )
)
# Trading partners: the country's trade with one of them is not its total (case matters: "mỹ phẩm").
_CLAUSE_OUT_OF_SCOPE_NAMES = re.compile(
    r"giữa\s+Việt\s+Nam|Trung\s+Quốc|Hoa\s+Kỳ|\bMỹ\b|Nhật\s+Bản|Hàn\s+Quốc|\bEU\b|ASEAN|Ấn\s+Độ|"
    r"Thái\s+Lan|Campuchia|\bLào\b(?!\s+Cai)|Đài\s+Loan|Indonesia|Malaysia|Singapore|\bNga\b|Australia|"
    r"\bÚc\b|(?:[Nn]hập\s+khẩu|[Xx]uất\s+khẩu|\bXK|\bNK)\s+(?:từ|sang)\s+[A-ZĐ]|"
    r"(?:[Dd]oanh\s+nghiệp|[Cc]ông\s+ty|\bDN)[^,;.]{0,60}\bbị\b|"
    r"\b(?:sang|từ)\s+(?!Tổng|Cục|Bộ|Hải|Chi|Ủy|UBND)[A-ZĐÂĂÊÔƠƯ][a-zà-ỹ]+|"
    # A partner named after a noun ("sang nước Anh", "với thị trường Liên minh ..."), a region, a bloc.
    r"\b(?:sang|từ|với)\s+(?:\d+\s+)?(?:các\s+)?(?:nước|thị\s+trường|khu\s+vực|khối|châu)\s+[A-ZĐÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĨŨƠƯ]|"
    # Bilateral trade: "hai chiều Việt Nam – Ba Lan", "giữa hai bên", "thương mại song phương".
    r"Việt\s+Nam\s*[–-]\s*[A-ZĐÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĨŨƠƯ]|[A-ZĐ]\w*\s*[–-]\s*Việt\s+Nam|"
    r"hai\s+chiều\s+(?:giữa|với|của\s+(?!cả\s+nước)|[A-ZĐ])|thương\s+mại\s+với\s+[A-ZĐ]|"
    r"[Cc]hâu\s+(?:Á|Âu|Mỹ|Phi|Đại\s+Dương)|Liên\s+minh"
)
# A trade flow named with what is traded ("XK cá ngừ", "nhập khẩu sữa", "xuất khẩu lâm sản"): a commodity's
# figure, not a unit's or the country's total. The words that may follow a total's cue are listed.
_COMMODITY_AFTER_TRADE_CUE = re.compile(
    r"(?:[Xx]uất\s+khẩu|[Nn]hập\s+khẩu|\bXK|\bNK)\s+(?!(?:"
    r"đạt|ước|tăng|giảm|sụt|của|hàng|cả|chung|trong|năm|tháng|quý|là|có|với|và|lên|vẫn|tiếp|chỉ|mới|đã|sẽ|"
    r"được|hơn|khoảng|gần|trên|dưới|ở|thì|lại|theo|tính|đến|tới|từ|sang|qua|so|nhưng|cũng|còn|này|đó|ghi|"
    r"bị|thực|dự|chiếm|xấp|đang|bằng|tương|lần|lũy|luỹ|cao|thấp|toàn|nhẹ|mạnh|vào|ra|về|tại|cho|hết|đầu|"
    r"kỷ|đều|trực|nội|ròng|chính|cùng|kỳ|như|đặt|nước|trung|bình|nửa|quy|ở|thông|tại|xuất|nhập|tính|"
    r"giữa|mà|nên|tuy|khi|trong|hoá|hóa|dù|chủ|mức|quốc)\b)[a-zà-ỹđ]"
    # "xuất khẩu hàng dệt và may mặc": goods of one kind, where "hàng hóa" would be all goods
    r"|(?:[Xx]uất|[Nn]hập)\s+khẩu\s+(?:các\s+)?(?:mặt\s+)?hàng\s+"
    r"(?!(?:hóa|hoá|hải|năm|tháng|quý|của|trong|đạt|ước|tăng|giảm|qua|tại)\b)[a-zà-ỹđ]"
)


class _ClauseOutOfScope:
    """Both clause-level scope patterns behind one ``search``."""

    @staticmethod
    def search(text: str) -> bool:
        return bool(_CLAUSE_OUT_OF_SCOPE_WORDS.search(text) or _CLAUSE_OUT_OF_SCOPE_NAMES.search(text))


_CLAUSE_OUT_OF_SCOPE = _ClauseOutOfScope()
# Other forces' enforcement figures are not customs' own.
_OTHER_FORCES = re.compile(
    r"Công\s+an|Biên\s+phòng|Bộ\s+đội|Quản\s+lý\s+thị\s+trường|QLTT|Cảnh\s+sát|Ban\s+Chỉ\s+đạo\s+389|"
    r"lực\s+lượng\s+chức\s+năng|các\s+lực\s+lượng\b|liên\s+ngành|Tổ\s+công\s+tác|các\s+cơ\s+quan\s+chức\s+năng"
)
# A word every match of _OTHER_FORCES or _ALL_SECTORS holds, to skip both on most sentences.
_MAY_NAME_OTHER_FORCES = re.compile(
    r"công\s+an|biên\s+phòng|bộ\s+đội|quản\s+lý\s+thị|qltt|cảnh\s+sát|chỉ\s+đạo|lực\s+lượng|liên\s+ngành|"
    r"tổ\s+công|chức\s+năng|các\s+cấp|các\s+ngành"
)
# Sub-areas named anywhere before the number in the sentence ("Trong đó, địa bàn Long An, ...").
_SENTENCE_SUB_AREA = re.compile(
    r"[Tt]uyến\s+(?:đường\s+)?(?:bộ|biển|hàng\s+không|sắt|bưu\s+chính)|(?:\briêng|\bđịa\s+bàn|\bkhu\s+vực)\s+(?!Hải\s+quan)[A-ZĐ]|\briêng\s+(?:khu\s+vực|địa\s+bàn|tại|qua)"
    # "qua cửa khẩu Tân Thanh": one border gate of a department ("qua các cửa khẩu" is all of them)
    r"|\bqua\s+cửa\s+khẩu\s+(?:quốc\s+tế\s+|chính\s+|phụ\s+)?[A-ZĐ]|\bkhu\s+vực\s+cảng\s+(?:biển|hàng\s+không)"
)
_SOURCE_AFTER = re.compile(
    r"\s*(?:đồng|USD)?\s*từ\s+(?:công\s+tác|hoạt\s+động\s+kiểm\s+tra|kiểm\s+tra|nguồn)"
)
_NOT_A_LEVEL_AFTER = re.compile(
    r"\s*(?:đồng|USD)?\s*(?:tiền\s+)?(?:nợ|thuế\s+(?:GTGT|nhập|xuất|TTĐB|BVMT))|\s*(?:đồng|USD)?\s*về\s+(?:lượng|giá)|"
    r"\s*/\s*(?:năm|tháng|ngày|tuần|tấn|chiếc|[^\d\s])|\s*(?:đồng|USD)?\s*(?:mỗi|một)\s+(?:năm|tháng|ngày|tuần)\b"
)
# Paragraph-level sub-scopes: once named, later trade figures of the paragraph are about them.
_SUB_SCOPE = re.compile(
    r"khối\s+doanh\s+nghiệp|doanh\s+nghiệp\s+(?:trong\s+nước|FDI|có\s+vốn)|\bFDI\b|qua\s+cảng\s+biển"
)
# A value that is a difference, not a level ("tăng 6,6 tỷ USD", "tương đương tăng 132 tỷ").
_DIFFERENCE_BEFORE = re.compile(
    r"(?:tăng|giảm|hụt|vượt\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)[^,;]{0,25}?|cao\s+hơn|"
    r"(?:tăng|giảm)\s+thu\s+cho\s+(?:NSNN|ngân\s+sách(?:\s+nhà\s+nước)?)|thấp\s+hơn|chênh\s+lệch|thêm|bớt|(?:giảm|hụt|tăng)\s+thu|tương\s+đương)"
    r"(?:\s+(?:thêm|tới|đến|mạnh|nhẹ|gần|hơn|khoảng|trên|xấp\s+xỉ|là|được|mức|tuyệt\s+đối|so\s+với[^,;()]*?))*\s*$",
    re.IGNORECASE,
)
_THRESHOLD_BEFORE = re.compile(
    r"(?:mốc|ngưỡng)(?:\s+(?:thu|ngân\s+sách|NSNN|kim\s+ngạch|số\s+thu)){0,3}\s*(?:trên|hơn|gần)?\s*$"
    # "1 trong 8 đơn vị có số thu trên 10.000 tỷ": the bar a group of units clears, not one unit's figure
    r"|(?:đơn\s+vị|cục|chi\s+cục)\s+(?:có\s+)?(?:số\s+thu|thu|kim\s+ngạch)\s*(?:trên|hơn|từ|đạt\s+trên)?\s*$",
    re.IGNORECASE,
)
_THRESHOLD_AFTER = re.compile(
    r"^\s*(?:đồng|USD)?\s*trở\s+(?:lên|xuống)|^[^;.]{0,80}\btrở\s+lên"  # "từ 4 triệu USD và ... trở lên"
)
_ESTIMATE = re.compile(r"\bước\b|dự\s+kiến|có\s+thể\s+đạt|\bước\s+tính|dự\s+báo", re.IGNORECASE)
_RANGE_SEPARATOR = re.compile(r"\s*(?:đến|tới|-|–)\s*")
_HYPOTHETICAL = re.compile(
    r"\b[Nn]ếu\b[^.;]*\bsẽ\b|(?:đến|tới)\s+(?:năm\s+)?20[3-9]\d\b[^.;]*\bsẽ\b"  # "đến 2030 ... sẽ tăng 6%"
)
_TARGET_CUE = re.compile(
    r"dự\s+toán|chỉ\s+tiêu|kế\s+hoạch|phấn\s+đấu|mục\s+tiêu|được\s+giao|giao\s+(?:thu|là)|giao\s*\(",
    re.IGNORECASE,
)
_TARGET_AFTER = re.compile(r"^\s*\)?\s*(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)", re.IGNORECASE)
_TARGET_TYPES = re.compile(
    r"(?P<phan>chỉ\s+tiêu\s+phấn\s+đấu|mục\s+tiêu\s+phấn\s+đấu|phấn\s+đấu)"
    r"|(?P<dutoan>dự\s+toán)"
    r"|(?P<chitieu>chỉ\s+tiêu|kế\s+hoạch|được\s+giao|giao)",
    re.IGNORECASE,
)
_ATTAINMENT_AFTER = re.compile(
    r"^\s*(?:so\s+(?:với\s+)?)?(?:(?:của|tổng)\s+)?(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch|mục\s+tiêu|nhiệm\s+vụ\s+thu)",
    re.IGNORECASE,
)
_ATTAINMENT_IN_SEGMENT = re.compile(r"so\s+với\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)", re.IGNORECASE)
_BARE_ATTAINMENT_BEFORE = re.compile(
    r"(?:đạt|hoàn\s+thành)(?:\s+(?:xấp\s+xỉ|gần|hơn|khoảng|trên|được))?\s*$", re.IGNORECASE
)
_CLAUSE_END_AFTER = re.compile(r"^\s*(?:[.;,…]|$|và\b)")
_CHANGE_BEFORE = re.compile(
    r"(?P<verb>tăng|giảm|sụt\s+giảm|sụt|thấp\s+hơn|cao\s+hơn|ít\s+hơn|nhiều\s+hơn)"
    r"(?:\s+(?:tới|đến|mạnh|nhẹ|gần|hơn|khoảng|trên|xấp\s+xỉ|là|được|ở\s+mức|mức|thêm|chỉ|còn))*\s*$",
    re.IGNORECASE,
)
_CHANGE_NOUN_BEFORE = re.compile(
    r"mức\s+(?P<verb>tăng|giảm)(?:\s+(?:là|tới|đến|gần|hơn))*\s*$", re.IGNORECASE
)
_RATIO_BEFORE = re.compile(r"(?:bằng|đạt)(?:\s+(?:xấp\s+xỉ|gần|hơn|khoảng|trên))?\s*$", re.IGNORECASE)
_COMPARED_AFTER = re.compile(
    r"^\s*(?:so\s+với\s+)?(?:cùng\s+kỳ|năm\s+trước|tháng\s+trước|quý\s+trước|năm\s+\d{4})", re.IGNORECASE
)
_SO_VOI_TARGET_AFTER = re.compile(r"^\s*so\s+với\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch|mục\s+tiêu)")
_SHARE_BEFORE = re.compile(
    r"(?:chiếm|tỷ\s+trọng|tỉ\s+trọng|tỷ\s+lệ|lãi\s+suất|thuế\s+suất)[^,;]*$", re.IGNORECASE
)
_COMPARISON_VALUE_BEFORE = re.compile(
    r"(?:cùng\s+kỳ(?:\s+năm\s+(?:trước|ngoái|\d{4})|\s+\d{4})?\s*[(:]?\s*(?:đạt|là|chỉ\s+đạt|ở\s+mức)?"
    r"|\(\s*cùng\s+kỳ[^)]*)\s*$",
    re.IGNORECASE,
)
_OTHER_COMPARISON_VALUE = re.compile(
    r"so\s+với(?![^()]*(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch|mục\s+tiêu))[^()]*\(\s*(?:đạt|là)?\s*$",
    re.IGNORECASE,
)
_COMPARISON_VALUE_AFTER = re.compile(r"^\s*(?:đồng|USD)?\s*(?:của|trong)\s+cùng\s+kỳ", re.IGNORECASE)
_COMPARISON_YEAR = re.compile(r"cùng\s+kỳ\s+(?:năm\s+)?(\d{4})", re.IGNORECASE)
_OF_SUBJECT_AFTER = re.compile(r"\s*(?:đồng|USD)?\s*(?:của|thuộc)\s+")

_COUNT_NOUNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\s*(?:bộ\s+)?tờ\s+khai"), "declarations"),
    (re.compile(r"^\s*(?:doanh\s+nghiệp|DN)\b(?!\s+mới)"), "enterprises"),
    (re.compile(r"^\s*(?:lượt\s+(?:hành\s+khách|khách|người)|hành\s+khách)"), "passengers"),
    (re.compile(r"^\s*(?:vụ|trường\s+hợp)\b"), "cases"),
]
_ENTERPRISE_CONTEXT = re.compile(
    r"(?:làm|giải\s+quyết|thực\s+hiện)\s+thủ\s+tục|thủ\s+tục\s+hải\s+quan|đăng\s+ký\s+(?:làm\s+)?(?:thủ\s+tục|tờ\s+khai)|"
    r"tham\s+gia\s+(?:hoạt\s+động\s+)?(?:XNK|xuất\s+nhập\s+khẩu|xuất\s+khẩu|nhập\s+khẩu)|"
    r"(?:DN|doanh\s+nghiệp)\s+(?:XNK|xuất\s+nhập\s+khẩu)",
    re.IGNORECASE,
)
_ENTERPRISE_NOT = re.compile(
    r"kiểm\s+tra|nghi\s+vấn|vi\s+phạm|\bnợ\b|cưỡng\s+chế|hồ\s+sơ|một\s+cửa|trong\s+tổng\s+số|mới|"
    r"tọa\s+đàm|hội\s+nghị|hội\s+thảo|đối\s+thoại|tham\s+dự|đại\s+lý|công\s+nhận|đủ\s+điều\s+kiện|ưu\s+tiên",
    re.IGNORECASE,
)
_CASE_ADMIN_AFTER = re.compile(r"^\s*vụ(?:\s+việc)?\s+vi\s+phạm\s+hành\s+chính")
_CASE_SUBTYPE_AFTER = re.compile(
    r"^\s*vụ(?:\s+việc)?(?:\s+vi\s+phạm)?\s+(?:về\s+(?!pháp\s+luật)|có\s+dấu|liên\s+quan|ma\s+t[uú]y|ma\s+tuý)"
)
_CASE_CUES = re.compile(
    r"(?P<refer>(?:chuyển|đề\s+nghị|kiến\s+nghị)[^;.\d]{0,140}?khởi\s+tố|"
    r"(?:chuyển|bàn\s+giao)(?:\s+hồ\s+sơ)?\s+(?:sang\s+|cho\s+)?(?:cơ\s+quan\s+(?:công\s+an|điều\s+tra)|công\s+an))"
    r"|(?P<criminal>khởi\s+tố)"
    r"|(?P<admin>hành\s+chính)"
    r"|(?P<violation>phát\s+hiện|bắt\s+giữ|vi\s+phạm|buôn\s+lậu|(?:xử\s+lý)(?=[^.;]*(?:vi\s+phạm|buôn\s+lậu)))",
    re.IGNORECASE,
)

_TRADE_FAMILIES: frozenset[str] = frozenset({"trade_turnover", "export_turnover", "import_turnover"})


# --- article state ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    default_year: int
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


_ASSIGNER_AFTER = re.compile(
    r"(?:\s*(?:,|và)\s+(?:UBND|Ủy\s+ban|HĐND|Bộ|Tổng\s+cục|TCHQ|Cục|Quốc\s+hội)[^\d,;.:]{0,30}?)*"
    r"\s*(?:đã\s+|đề\s+ra\s+|)(?:giao\b|xây\s+dựng)"
)
_ASSIGNER_BEFORE = re.compile(
    r"\bdo\s*$|phối\s+hợp\s+(?:với\s+)?(?:[^;.:]{0,50}(?:,|\bvà)\s+)?$|(?:chỉ\s+đạo|hướng\s+dẫn|yêu\s+cầu)\s+(?:của\s+)?(?:[^;.:]{0,50}(?:,|\bvà)\s+(?:của\s+)?)?$"
)


def _sentence_subjects(sentence: str, state: _State) -> list[tuple[int, int, str]]:
    """(start, end, subject) of the units the sentence talks about, assigners left out."""
    result: list[tuple[int, int, str]] = []
    for mention in find_subjects(sentence):
        if _ASSIGNER_AFTER.match(sentence, mention.end) or _ASSIGNER_BEFORE.search(sentence[: mention.start]):
            continue
        subject = _resolve_mention(mention, state)
        if subject is None:
            continue
        if subject.startswith("chi-cuc:") and subject not in state.branches:
            state.branches.append(subject)
        result.append((mention.start, mention.end, subject))
    if state.branches and "cục" in sentence:
        for match in _BARE_BRANCH.finditer(sentence):
            if not any(start <= match.start() < end for start, end, _ in result):
                result.append((match.start(), match.end(), state.branches[-1]))
        result.sort()
    return result


# "tại Chi cục", "chi cục này": the branch the text is about.
_BARE_BRANCH = re.compile(r"\b[Cc]hi\s+cục\b(?!\s+(?:Hải\s+quan|HQ|trưởng|trực\s+thuộc))(?!\s+[A-ZĐ])")


_TARGET_NOUNS = re.compile(
    r"(?P<phan>chỉ\s+tiêu\s+phấn\s+đấu|mục\s+tiêu\s+phấn\s+đấu)|(?P<dutoan>dự\s+toán)|(?P<chitieu>chỉ\s+tiêu|kế\s+hoạch)",
    re.IGNORECASE,
)
_TARGET_ASSIGNED = re.compile(r"giao", re.IGNORECASE)
_TARGET_STRIVE = re.compile(r"phấn\s+đấu|mục\s+tiêu", re.IGNORECASE)


def _target_type_of(text: str) -> TargetType | None:
    """The target type ``text`` names: the last target noun or "phấn đấu" ("chỉ tiêu ... giao phấn đấu" is
    a goal to strive for), else "giao" (chỉ tiêu)."""
    cues: list[tuple[int, TargetType]] = [(m.start(), "phan-dau") for m in _TARGET_STRIVE.finditer(text)]
    for match in _TARGET_NOUNS.finditer(text):
        if match.group("phan"):
            cues.append((match.start(), "phan-dau"))
        elif match.group("dutoan"):
            cues.append((match.start(), "du-toan"))
        else:
            cues.append((match.start(), "chi-tieu"))
    if cues:
        return max(cues)[1]
    if _TARGET_ASSIGNED.search(text):
        return "chi-tieu"
    return None


def _target_type_after(text: str) -> TargetType | None:
    """The target type named right after an attainment ("chỉ tiêu dự toán" is du-toan)."""
    head = re.split(r"\d", text[:60], maxsplit=1)[0]
    match = _TARGET_TYPES.search(head)
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
        if _ASSIGNER_AFTER.match(text, match.end()) or re.search(r"\bdo\s*$", head):
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
            return _resolve(mentions[-1], year, current)
        except ValueError:
            return None
    return state.period


def _resolve(
    mention: PeriodMention, year: int, current: tuple[date, date | None] | None
) -> tuple[date, date | None]:
    """A mention's period; "lũy kế" runs from the year's start to the end of the period in force."""
    if mention.to_current and current is not None and current[1] is not None and current[1].year == year:
        return date(year, 1, 1), current[1]
    return mention.resolve(year)


def _year_for(position: int, state: _State, sentence_years: list[tuple[int, int]]) -> int:
    before = [y for p, y in sentence_years if p < position]
    if before:
        return before[-1]
    if sentence_years:
        return sentence_years[0][1]
    return state.year or state.implied_year or state.default_year


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
    if _COUNT_DIFFERENCE.search(segment) or re.search(r"\bchở\b|[Cc]ông\s+ty", segment):
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
    if _RATE.search(before[before.rfind(";") + 1 :][-150:]) or _RATE_AFTER.match(after):
        return None  # "mỗi ngày, tại cửa khẩu X, tiếp nhận khoảng 80 tờ khai": a rate, not a total
    if (
        noun == "cases"
        and re.match(r"\s*Trong\s+(?:đó|số\s+(?:đó|này|trên))\b", sentence)
        and _case_cue(before, after) in (None, "violation")
    ):
        return "sub-type", value  # a sentence that breaks a total down by kind of case
    if _CLAUSE_OUT_OF_SCOPE.search(re.split(r"[,;.]", after[:40], maxsplit=1)[0]):
        return None  # "2.500 DN FDI" (the count's own phrase, not what the sentence goes on to)
    breakdown = [m.start() for m in re.finditer(r"trong\s+(?:đó|số)", before, re.IGNORECASE)]
    if breakdown and _has_number(before[: breakdown[-1]]):
        return None  # "..., trong đó 228 doanh nghiệp trong tỉnh": a part of the total before it
    if _COUNT_SUB_AFTER.match(after):
        return None
    if noun == "enterprises":
        context = before + " " + after[:60]
        own_after = re.split(r"[,;.]", after[:40], maxsplit=1)[0]
        if not _ENTERPRISE_CONTEXT.search(context) or _ENTERPRISE_NOT.search(before[-80:] + own_after):
            return None
        if _COMMODITY_AFTER_TRADE_CUE.search(after[:60]):
            return None  # "70 doanh nghiệp tham gia xuất khẩu khẩu trang": the traders of one commodity
        return "enterprises", value
    if noun == "declarations" and (
        _DECLARATION_NOT.search(before[-80:])
        or re.search(
            r"luồng|phân\s+(?:Vàng|Đỏ|Xanh)|xác\s+nhận|khu\s+vực\s+giám\s+sát|hệ\s+thống\s+giám\s+sát|VASSCM|"
            r"phải\s+kiểm\s+tra|kiểm\s+tra\s+(?:chuyên\s+ngành|thực\s+tế)|vi\s+phạm|sai\s+sót|"
            r"chuyển\s+(?:sang|cho|giao)|danh\s+sách",
            after[:90],
            re.IGNORECASE,
        )
    ):
        return None
    if _CLAUSE_OUT_OF_SCOPE.search(segment[-100:]) or _COUNT_SCOPE.search(
        before[-100:] + after[:50].split(";", 1)[0]
    ):
        return None
    if noun == "passengers" and not _BORDER_CROSSING.search(sentence):
        return None  # tourists a province welcomed, owners of lost luggage: not travellers customs cleared
    if noun != "cases":
        return noun, value
    if _JUST_NOW.search(before) and not _PERIOD_WORDS.search(sentence):
        return None  # "vừa phối hợp bắt giữ 2 vụ": news of an incident, not a period's count
    if _is_drug_count(before, after):
        return "sub-type", value  # "chuyên án ma túy ... phát hiện 12 vụ": drug cases only
    if _ALL_SECTORS.search(sentence) and not re.search(r"[Hh]ải\s+quan", before):
        return None
    if _OTHER_FORCES.search(sentence) and not re.search(r"[Hh]ải\s+quan", before):
        return None
    if other_forces and not _CUSTOMS.search(before):
        return None
    if _province_is_the_actor(before):
        return None  # "tỉnh Lào Cai đã phát hiện 1.236 vụ": all agencies of a province
    if _CASE_SUBTYPE_AFTER.match(after):
        return "sub-type", value  # "1 vụ vi phạm về sở hữu trí tuệ": what follows in the clause is a part
    if _CASE_ADMIN_AFTER.match(after):
        return "administrative_penalties", value
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


_DRUG_TEAM = re.compile(r"(?:Đội|đội)(?:\s+[Kk]iểm\s+soát)?\s+phòng,?\s+chống\s+ma\s+t[uú]y|PCMT")


def _case_cue(before: str, after: str) -> str | None:
    """What a count of cases counts, from the last cue before it, else the words right after it."""
    cue: str | None = None
    for match in _CASE_CUES.finditer(before):
        cue = match.lastgroup
    after_cue = re.match(r"\s*vụ(?:\s+việc)?\s+(?P<w>án\s+hình\s+sự|buôn\s+lậu|vi\s+phạm)", after)
    if cue is None and after_cue:
        cue = "criminal" if after_cue.group("w").startswith("án") else "violation"
    return cue


def _is_drug_count(before: str, after: str) -> bool:
    """Cases of a drug operation ("chuyên án ma túy ... 12 vụ", "8 vụ/9 đối tượng vận chuyển ma túy")."""
    before = _DRUG_TEAM.sub(" ", before)  # the team's name says nothing about what it found
    if _DRUGS.search(before.lower()):
        return not re.search(r"buôn\s+lậu|gian\s+lận|vi\s+phạm", before, re.IGNORECASE)
    # "14 vụ, vận chuyển trái phép ma túy": a verb phrase right after the count says what the cases were.
    pieces = re.split(r"[,;.]", after, maxsplit=2)
    own = pieces[0]
    if len(pieces) > 1 and _CASE_VERB_PHRASE.match(pieces[1]):
        own += " " + pieces[1]
    return _DRUGS.search(own.lower()) is not None


_CASE_VERB_PHRASE = re.compile(
    r"\s*(?:vận\s+chuyển|mua\s+bán|buôn\s+bán|tàng\s+trữ|liên\s+quan|về)\b", re.IGNORECASE
)


_BORDER_CROSSING = re.compile(
    r"xuất\s+nhập\s+cảnh|xuất\s+cảnh|nhập\s+cảnh|\bXNC\b|cửa\s+khẩu|thủ\s+tục|chuyến\s+bay", re.IGNORECASE
)
_COUNT_SUB_AFTER = re.compile(
    r"[^,;.]{0,70}?(?:qua\s+cảng|qua\s+cầu|lối\s+mở|trong\s+tỉnh|ngoài\s+tỉnh|trong\s+tổng\s+số|mới\b|"
    r"tham\s+dự|tọa\s+đàm|hội\s+nghị|điển\s+hình|nêu\s+trên|\bnày\b)",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(r"\d")


def _has_number(text: str) -> bool:
    return bool(_ANY_NUMBER.search(text))


_RATE = re.compile(
    r"\b(?:mỗi|một)\s+(?:ngày|tuần|tháng)\b|(?:bình\s+quân|trung\s+bình)\s+(?:mỗi\s+)?(?:ngày|tuần|tháng)\b",
    re.IGNORECASE,
)
_RATE_AFTER = re.compile(
    r"[^,;.]{0,25}?(?:/\s*(?:ngày|tuần|tháng|năm)|\b(?:mỗi|một)\s+(?:ngày|tuần|tháng)\b|trở\s+(?:lên|xuống))"
)
_DECLARATION_NOT = re.compile(
    r"danh\s+sách|cung\s+cấp|chuyển\s+(?:sang|cho|giao)|tham\s+vấn|bác\s+bỏ|kiểm\s+tra|luồng|sai\s+sót|\bhủy|\bsửa|bổ\s+sung|\bnợ\b|vi\s+phạm|ấn\s+định|"
    r"điện\s+tử\s+hóa|giấy|chứng\s+từ",
    re.IGNORECASE,
)
_COUNT_SCOPE = re.compile(
    r"đường\s+(?:bộ|biển|hàng\s+không|sắt)\s+\d|tuyến\s+đường|khu\s+vực\s+đường\s+(?:bộ|biển|không|hàng|sắt)|"
    r"qua\s+cửa\s+khẩu\s+(?:quốc\s+tế\s+|chính\s+|phụ\s+)?[A-ZĐ]|phòng\s+vệ|bán\s+phá\s+giá|trợ\s+cấp|"
    r"tiền\s+chất|lô\s+hàng\s+này",
    re.IGNORECASE,
)
_COUNT_DIFFERENCE = re.compile(
    r"(?:tương\s+đương|tương\s+ứng)(?:\s+với)?\s*(?:hơn|gần|khoảng)?\s*$", re.IGNORECASE
)


# "10.000 lượt tàu biển", "lượt phương tiện": vehicles, not travellers.
_VEHICLE_AFTER = re.compile(r"\s*lượt\s+(?:tàu|xe|phương\s+tiện|chuyến|máy\s+bay|container)", re.IGNORECASE)


def _count_noun(after: str, segment: str) -> str | None:
    for pattern, noun in _COUNT_NOUNS:
        if pattern.match(after):
            return noun
    if (
        re.match(r"\s*(?:người|lượt)\b", after)
        and not _VEHICLE_AFTER.match(after)
        and re.search(r"hành\s+khách|lượt\s+khách", segment)
    ):
        return "passengers"
    return None


def _money_family(sentence: str, window: str, state: _State, block: int) -> tuple[str, int] | None:
    """Which VND metric an amount is, from the nearest cue before it, and where that cue starts."""
    enforcement = bool(_ENFORCEMENT_CONTEXT.search(sentence)) or state.enforcement_block == block
    cues: list[tuple[int, str]] = []
    for match in _BUDGET_CUES.finditer(window):
        cues.append((match.start(), "budget"))
    for match in _VIOLATION_VALUE_CUE.finditer(window):
        cues.append((match.start(), "violations_value"))
    for match in _PENALTY_CUE.finditer(window):
        cues.append((match.start(), "penalty_revenue"))
    if not cues:
        return None
    cues.sort(key=lambda c: c[0])
    last_position = cues[-1][0]
    nearest = {kind for pos, kind in cues if pos == last_position}
    if enforcement:
        if re.search(_CONFISCATED, sentence, re.IGNORECASE):
            return None
        if "violations_value" in nearest:
            return "violations_value", last_position
        if "penalty_revenue" in nearest or "budget" in nearest:
            if not _ENFORCEMENT_CONTEXT.search(sentence) and not re.search(
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


_PERIOD_WITHOUT_DIGITS = re.compile(r"\bnay\b|\bnăm\b")
_COMPARISON_HINT = re.compile(r"so\s+với|cùng\s+kỳ|\bvới\s+(?:năm|cùng)")
_DIGIT = re.compile(r"\d")


# A cheap necessary condition for a sentence to yield a fact, checked on its lower-cased text: a number
# with a unit, scale or count noun after it, and a metric cue (or a dollar amount, whose cue may be carried
# over from the sentence before). Sentences that fail it only carry state (subject, period, year...).
_UNIT_AFTER_NUMBER = re.compile(
    r"\d\s*(?:%|phần\s+trăm|nghìn|ngàn|triệu|tỷ|tỉ|đồng|vnđ|vnd|usd|us\$|đô|đ(?!\w)|bộ\s|tờ\s|doanh\s|dn(?!\w)|"
    r"lượt|hành\s|vụ(?!\w)|người(?!\w))"
)
_COUNT_AFTER_NUMBER = re.compile(
    r"(?:\d|nghìn|ngàn|triệu|tỷ|tỉ)\s*(?:bộ\s+tờ|tờ\s+khai|doanh\s+nghiệp|dn(?!\w)|lượt|hành\s+khách|vụ(?!\w))"
)
_ANY_METRIC_CUE = re.compile(
    r"xuất|nhập|xk|nk|kim\s+ngạch|trị\s+giá|giá\s+trị|thặng\s+dư|thâm\s+hụt|thu(?!\w)|(?:số|tổng|nguồn|quả)\s+thu|"
    r"nộp\s+(?:ngân|nsnn)|chỉ\s+tiêu|dự\s+toán|với\s+kế\s+hoạch|tiền\s+phạt|xử\s+phạt|số\s+tiền|usd|us\$|"
    r"đô\s*la|đô-la|đôla"
)


def _may_yield(lower: str) -> bool:
    """False when a (lower-cased) text cannot yield any fact: no quantity with a metric cue."""
    return _UNIT_AFTER_NUMBER.search(lower) is not None and (
        _ANY_METRIC_CUE.search(lower) is not None
        or _COUNT_AFTER_NUMBER.search(lower) is not None
        or ("người" in lower and "khách" in lower)
    )


def _read_sentence(sentence: str, state: _State, block: int, block_may_yield: bool = True) -> list[Fact]:
    """The sentence's facts; only the state it carries when it cannot yield any (see ``_may_yield``)."""
    # Cheap checks first: most sentences carry no number at all, and extraction must stay fast.
    lower = sentence.lower()
    full = block_may_yield and _may_yield(lower)
    has_digit = _DIGIT.search(sentence) is not None
    if has_digit and (full or _may_have_sub_scope(sentence)):
        quantities = [q for q in find_quantities(sentence) if _meaningful(sentence, q)]
    else:
        quantities = []
    hint = ("với" in lower or "kỳ" in lower) and _COMPARISON_HINT.search(lower) is not None
    masked = mask_comparisons(sentence) if hint else sentence
    if state.year is None and state.implied_year is None and has_digit and "kỳ" in lower:
        compared = _COMPARISON_YEAR.search(sentence)
        if compared:
            state.implied_year = int(compared.group(1)) + 1
    sentence_years = year_mentions(masked) if has_digit else []
    periods = (
        find_periods(masked, lower)
        if has_digit or ("n" in lower and _PERIOD_WITHOUT_DIGITS.search(lower))
        else []
    )
    subjects = _sentence_subjects(sentence, state)
    facts: list[Fact] = []
    if not quantities or not full:
        if quantities:
            sub_scope = _SUB_SCOPE.search(sentence) if _may_have_sub_scope(sentence) else None
            if sub_scope and any(q.start > sub_scope.start() for q in quantities):
                state.sub_scope_block = block
        _carry_state(sentence, lower, masked, periods, sentence_years, subjects, state, block, None)
        return facts
    sub_scope = _SUB_SCOPE.search(sentence) if _may_have_sub_scope(sentence) else None
    sub_scope_at = sub_scope.start() if sub_scope else None
    # "Nếu ... thì sẽ ...", and "Điển hình, ..." (an example case told after a total): no figure of a period.
    hypothetical = ("sẽ" in sentence and _HYPOTHETICAL.search(sentence) is not None) or bool(
        _EXAMPLE_OPENING.match(sentence)
    )
    estimated = _ESTIMATE_OPENING.match(sentence) is not None or (
        state.estimate_sentence == state.sentence_index - 1 and _DERIVED_OPENING.match(sentence) is not None
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
        if state.revenue_cue_block == block
        and state.revenue_cue_sentence == state.sentence_index - 1
        and _LIST_OPENING.match(sentence)
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
            and _PAREN_AFTER_UNIT.search(segment)
            and not previous_was_attainment
            and outcome.kind != "target"
        ):
            # "đạt 105% số đã báo cáo Quốc hội (300.000 tỷ đồng)": the base of a ratio, not a fact of its own
            continue
        reading = outcome
        inherits = (
            rejected_clause >= 0 and reading.unit in ("VND", "USD") and not _OWN_AMOUNT_CUE.search(clause)
        )
        if (rejected_clause in (clause_index, _EVERY_CLAUSE) or inherits) and not _new_subject_in(
            segment, subjects, previous_end
        ):
            continue
        if _RANGE_SEPARATOR.fullmatch(segment) and (previous_reading is None or previous_index != index - 1):
            continue  # "thêm khoảng 3.000 tỷ đồng đến 4.000 tỷ đồng": the first end was not a fact
        if previous_reading is not None and _RANGE_SEPARATOR.fullmatch(segment):
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
            match = _COMPARISON_YEAR.search(segment + after[:30])
            period = _shift_year(period, int(match.group(1)) if match else None)
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

    _carry_state(sentence, lower, masked, periods, sentence_years, subjects, state, block, first_usd_family)
    return facts


_EVERY_CLAUSE = -2
# A clause that names its own amount's metric; one that does not ("...; vải ước đạt 260 triệu USD") reads
# the metric, and so the scope, of the clause before it.
_OWN_AMOUNT_CUE = re.compile(
    _TRADE_CUES.pattern + "|" + _REVENUE_CUES.pattern + r"|trị\s+giá|giá\s+trị|tiền\s+phạt|xử\s+phạt",
    re.IGNORECASE,
)
# A sentence that spells out the one before it, item by item.
_LIST_OPENING = re.compile(r"\W*(?:[Cc]ụ\s+thể|[Tt]heo\s+đó|[Tt]rong\s+đó)\s*[:,]")


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
    brackets = [(m.start(), m.end()) for m in _PARENTHESES.finditer(masked)] if "(" in masked else []
    periods = [p for p in found_periods if not any(a <= p.position < b for a, b in brackets)]
    if periods:
        with contextlib.suppress(ValueError):
            state.period = _resolve(
                periods[-1], _year_for(periods[-1].position, state, sentence_years), state.period
            )
    # A department of the Tổng cục (Cục Điều tra chống buôn lậu...) is the subject of its own sentence; the
    # text goes on about the unit it was talking about before.
    carried = [s for _, _, s in subjects if not _is_tong_cuc_department(s)]
    if carried:
        state.subject = carried[-1]
        state.subject_block = block
        units = [s for _, _, s in subjects if s != "ca-nuoc"]
        if units:
            state.unit_subject = units[-1]
    if _ENFORCEMENT_WORDS.search(lower):
        state.enforcement_block = block
    if "kiểm" in lower and _AUDIT.search(lower):
        state.audit_block = block
    if "thu" in lower and _REVENUE_CUES_LOWER.search(lower):
        state.revenue_cue_sentence = state.sentence_index
        state.revenue_cue_block = block
    if (
        _MAY_NAME_OTHER_FORCES.search(lower)
        and (_OTHER_FORCES.search(sentence) or _ALL_SECTORS.search(sentence))
        and not _CUSTOMS_LOWER.search(lower)
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


_PROVINCE_PLACE = re.compile(
    r"(?:địa\s+bàn|tỉnh|thành\s+phố)\s+(?:tỉnh\s+|thành\s+phố\s+)?(?P<name>[A-ZĐ]\w*(?:\s+[A-ZĐ]\w*){0,3})"
)


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
        for match in _PROVINCE_PLACE.finditer(sentence[: quantity.start]):
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
        if start < quantity.start
        and not (is_trade and s == "tong-cuc" and _SOURCE_BEFORE.search(sentence[:start]))
    ]
    if _OF_SUBJECT_AFTER.match(sentence, quantity.end):
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
        later = [s for start, _, s in subjects if start >= quantity.end]
        if later:
            return later[0] if is_trade or later[0] != "ca-nuoc" else None
        if not state.customs:
            return None
    carried = state.subject or "tong-cuc"
    if carried == "tong-cuc" and state.last_unit and _UNIT_BACKREF.search(sentence[: quantity.start]):
        carried = state.last_unit  # "đơn vị", "toàn Cục": the department or branch, not the sector
    if (
        carried.startswith("chi-cuc:")
        and state.last_cuc
        and re.search(r"trên\s+địa\s+bàn(?!\s+[A-ZĐ])", sentence)
    ):
        carried = state.last_cuc
    if is_trade:
        if carried == "tong-cuc" and state.subject_block != block:
            return "ca-nuoc"
        return carried
    if carried == "ca-nuoc":
        return state.unit_subject or "tong-cuc"
    return carried


ReadOutcome = _Reading | Literal["out-of-scope"] | None


def _in_sub_scope(before: str, state: _State, block: int) -> bool:
    """A sub-area or FDI-only... scope set before the number, in the paragraph or the sentence."""
    if state.sub_scope_block == block:
        return True
    return bool(_SENTENCE_SUB_AREA.search(_strip_units(before))) or _province_is_the_actor(before)


# A province itself as the one whose figures these are ("kim ngạch xuất khẩu của Bình Dương", "Bình Dương đã
# thu ..."): the province's economy, not its customs department.
_PROVINCE_OWNER = re.compile(
    r"\bcủa\s+(?:tỉnh\s+|thành\s+phố\s+|TP\.?\s*)?(?P<name>[A-ZĐ]\w*(?:\s+[A-ZĐ]\w*){0,3})"
)
_PROVINCE_ACTOR = re.compile(
    r"(?:^|,\s*)(?:tỉnh\s+|thành\s+phố\s+)?(?P<name>[A-ZĐ]\w*(?:\s+[A-ZĐ]\w*){0,3})\s+"
    r"(?:đã|có|ước|đạt|thu|dự\s+tính|dự\s+kiến|phấn\s+đấu)\b"
)


def _province_is_the_actor(before: str) -> bool:
    for pattern in (_PROVINCE_OWNER, _PROVINCE_ACTOR):
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
        _OUT_OF_SCOPE.search(near)
        or _AVERAGE_BEFORE_CUE.search(clause[max(0, cue_position - 15) : cue_position])
        or _CONTRIBUTION_BEFORE.search(clause)
        or _CLAUSE_OUT_OF_SCOPE.search(_strip_units(clause[scope_from:]))
    )


_AVERAGE_BEFORE_CUE = re.compile(r"bình\s+quân|trung\s+bình|\bmỗi", re.IGNORECASE)
# "đóng góp (số thu) X tỷ": what a group of enterprises brought in, not the unit's total.
_CONTRIBUTION_BEFORE = re.compile(r"đóng\s+góp(?:\s+(?:thêm|được|số\s+thu))*\s*$", re.IGNORECASE)


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
        return _read_percent(quantity, segment, clause, after, phrase_after, governing, state, block)
    count = _classify_count(sentence, quantity, segment, after, before, state.other_force_block == block)
    if count is not None and count[0] == "sub-type":
        return "out-of-scope"
    if count is not None:
        metric, value = count
        kind: Kind = "estimate" if _ESTIMATE.search(segment) else "actual"
        # "tăng ... so với cùng kỳ, từ 306 DN lên 334 DN": the first is the figure of the period compared with
        compared = bool(_FROM_BEFORE.search(segment) and _TO_AFTER.match(after))
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
    if _DIFFERENCE_BEFORE.search(segment) or _THRESHOLD_BEFORE.search(segment):
        return None
    if re.search(r"vượt\s*$", segment) and (
        re.match(r"[^,;]{0,40}so\s+với", _blank_parentheses(after))
        or (governing is not None and governing.unit == quantity.unit and governing.kind != "target")
    ):
        return None  # "vượt 6,6 tỷ USD so với cùng kỳ", "đạt X tỷ, tức là vượt Y tỷ": a difference
    if _THRESHOLD_AFTER.match(after) or _NOT_A_LEVEL_AFTER.match(after):
        return None
    if _SOURCE_AFTER.match(after) or _in_sub_scope(before, state, block):
        return "out-of-scope"
    comparison = bool(_COMPARISON_VALUE_BEFORE.search(segment) or _COMPARISON_VALUE_AFTER.match(after))
    compared_period: PeriodMention | None = None
    if not comparison:
        other = _OTHER_COMPARISON_VALUE.search(segment)
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
    if found is None and _PAREN_AFTER_UNIT.search(segment):
        # "...; Chi cục X (11.500 tỷ đồng)": a bracketed amount after a unit takes the sentence's cue.
        clause = before
        found = _money_family(before, _blank_parentheses(before), state, block)
        rule = "amount-bracket"
    if found is None and list_family is not None and scope_from > 0:
        found = (list_family, scope_from)  # a list item: its unit, then the number, the metric implied
        rule = "amount-list-item"
    if found is None:
        return None
    family, cue_position = found
    if _out_of_scope(clause, cue_position, scope_from):
        return "out-of-scope"
    if family == "budget" and _BUSINESS_MONEY.search(
        clause + " " + re.split(r"[,;.]", phrase_after, maxsplit=1)[0]
    ):
        return None  # "thu về 2.417 tỷ đồng lãi trước thuế": a company's money, not budget revenue
    other_forces = (
        _OTHER_FORCES.search(before) is not None
        or state.other_force_block == block
        or _ALL_SECTORS.search(before) is not None
    )
    if family != "budget" and not _CUSTOMS.search(before) and other_forces:
        return None
    if _OTHER_FORCES.search(clause) and not _CUSTOMS.search(before):
        return None  # "lực lượng QLTT ... thu nộp ngân sách 50 tỷ": another force's money
    metric = "budget_revenue" if family == "budget" else family
    if family == "budget" and (state.audit_block == block or _AUDIT.search(before.lower())):
        return "out-of-scope"  # "... hoàn thành 18 cuộc kiểm tra ...; thu nộp ngân sách X": audit revenue
    if family == "budget" and quantity.value < _SMALLEST_REVENUE:
        return None  # "số thuế phải nộp dưới 50.000 đồng": a rule's amount, not a unit's revenue
    if family in ("violations_value", "penalty_revenue") and _single_case(sentence, clause, family):
        return None
    if family == "budget" and _SPENDING_BEFORE.search(_last_chunk(segment)):
        return None  # "giảm chi ngân sách 10.700 tỷ": spending, not revenue
    kind, target_type, assigned = _kind_of(segment, after, phrase_after, before, state)
    bound = quantity.bound
    if bound == "exact" and _AT_LEAST_CHUNK.match(segment[segment.rfind(",") + 1 :]):
        bound = "over"  # "tối thiểu thu đạt 300.000 tỷ"
    if comparison:
        kind, target_type, assigned = "actual", None, None
    if family != "budget" and kind == "target":
        return None
    if kind != "target" and re.search(r"\d\s*/\s*$", segment):
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


_PARENTHESES = re.compile(r"\([^()]*\)")
_SMALLEST_REVENUE = Decimal(1_000_000)
_JUST_NOW = re.compile(r"\bvừa\s+(?!qua\b)|\bmới\s+đây\b")
# Post-clearance audits (searched on lower-cased text): revenue they bring in is out of scope (contract).
_AUDIT = re.compile(r"kiểm\s+tra\s+sau\s+thông\s+quan|\bktstq\b|\d\s+cuộc\s+kiểm\s+tra")
_FROM_BEFORE = re.compile(r"\btừ\s*$")
_TO_AFTER = re.compile(r"\s*[^\d,;.]{0,25}?\s(?:lên|xuống)\s+(?:mức\s+)?\d")
# Enforcement amounts are a unit's totals only with a count of cases or a period beside them; a lone
# amount ("Trị giá hàng vi phạm trên 327 triệu đồng") is one case's, and a fine's rate ("mức phạt") is law.
_CASE_COUNT = re.compile(r"\d\s*(?:vụ|trường\s+hợp)\b|\b(?:các|những|nhiều)\s+vụ\b")
_PERIOD_WORDS = re.compile(
    r"\b(?:năm\s+\d{4}|tháng|quý|đến\s+(?:hết|nay|ngày)|từ\s+đầu\s+năm|lũy\s+kế|luỹ\s+kế|trong\s+năm|cả\s+năm|"
    r"cùng\s+kỳ)",
    re.IGNORECASE,
)
_FINE_RATE = re.compile(
    r"mức\s+(?:xử\s+)?phạt|phạt\s+tiền|bị\s+(?:xử\s+)?phạt|quyết\s+định\s+xử\s+phạt", re.IGNORECASE
)
_SPENDING_BEFORE = re.compile(
    r"(?:\bchi|giảm\s+chi|tiết\s+kiệm\s+chi)\s+(?:ngân\s+sách|NSNN|thường\s+xuyên|đầu\s+tư)"
)


def _single_case(sentence: str, clause: str, family: str) -> bool:
    if _CASE_COUNT.search(sentence):
        return False
    if family == "penalty_revenue":
        return _FINE_RATE.search(clause) is not None
    return _PERIOD_WORDS.search(sentence) is None


def _strip_units(text: str) -> str:
    """Branch names carry words like "khu vực" or "cảng" that are not sub-areas."""
    return CHI_CUC_RE.sub(" ", text)


def _blank_parentheses(text: str) -> str:
    """Closed brackets blanked (same length): their cues do not govern the number after them."""
    return _PARENTHESES.sub(lambda m: " " * len(m.group(0)), text)


_ACTUAL_CUE = re.compile(r"đạt|thu\s+được|thực\s+hiện|kết\s+quả", re.IGNORECASE)
_PAREN_AFTER_UNIT = re.compile(r"\(\s*$")


def _kind_of(
    segment: str, after: str, phrase_after: str, before: str, state: _State
) -> tuple[Kind, TargetType | None, str | None]:
    target_after = _TARGET_AFTER.match(after)
    segment = _ACHIEVED_TARGET.sub(" ", segment)
    chunk = segment if _PAREN_AFTER_UNIT.search(segment) else _last_chunk(segment)
    if not _TARGET_CUE.search(chunk) and not _ACTUAL_CUE.search(chunk) and not _ESTIMATE.search(chunk):
        chunk = segment  # "..., được giao chỉ tiêu thu lớn nhất, với 46.000 tỷ đồng"
    target_here = bool(_TARGET_CUE.search(chunk)) and (
        _STRIVE_BEFORE.search(chunk) is not None or not _ACTUAL_CUE.search(chunk[_last_target_cue(chunk) :])
    )
    if not target_here and not target_after and _PAREN_AFTER_UNIT.search(segment):
        # "... chỉ tiêu ... là Chi cục X (21.900 tỷ đồng)": a bracketed amount takes the sentence's last cue.
        last_target = _last_target_cue(before)
        last_actual = max((m.start() for m in _ACTUAL_CUE.finditer(before)), default=-1)
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
    if _ESTIMATE.search(segment):
        return "estimate", None, None
    return "actual", None, None


_ACHIEVED_TARGET = re.compile(
    r"(?:vượt|hoàn\s+thành)(?:\s+mức)?\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)(?=[\s,]*(?:,|với|và))",
    re.IGNORECASE,
)
_BOUND_ONLY = re.compile(
    r"^\s*(?:đạt\s+)?(?:tối\s+thiểu|ít\s+nhất|tối\s+đa)\s*(?:thu\s+)?(?:đạt\s+)?(?:là\s+)?$"
)
_AT_LEAST_CHUNK = re.compile(r"^\s*(?:tối\s+thiểu|ít\s+nhất)\b")


def _last_chunk(segment: str) -> str:
    """The comma-separated piece a number sits in; "..., tối thiểu 300.000" reaches one piece further back."""
    cut = segment.rfind(",")
    chunk = segment[cut + 1 :]
    if cut > 0 and _BOUND_ONLY.match(chunk):
        chunk = segment[segment.rfind(",", 0, cut) + 1 :]
    return chunk


def _last_target_cue(text: str) -> int:
    return max((m.start() for m in _TARGET_CUE.finditer(text)), default=0)


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
        or _COMMODITY_AFTER_TRADE_CUE.search(clause, scope_from)
    ):
        return "out-of-scope"
    if state.title_scope and not _WHOLE_TRADE.search(sentence):
        return "out-of-scope"
    value = quantity.value
    metric = family
    if family == "trade_balance_deficit":
        metric, value = "trade_balance", -value
        family = "trade_balance"
    kind: Kind = "estimate" if _ESTIMATE.search(segment) else "actual"
    if _TARGET_CUE.search(segment[segment.rfind(",") + 1 :]):
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


_AMOUNT_IN = re.compile(r"\d\s*(?:%|tỷ|tỉ|triệu|nghìn|ngàn|USD)")


_ENFORCEMENT_VALUE_AFTER = re.compile(
    r"\s*(?:hàng\s+(?:hóa\s+|hoá\s+)?)?(?:vi\s+phạm|tang\s+vật)", re.IGNORECASE
)


def _only_total_cue(clause: str) -> bool:
    """The clause names a total ("tổng trị giá") but not which trade flow it is."""
    kinds = {m.lastgroup for m in _TRADE_CUES.finditer(clause)}
    return bool(kinds) and kinds <= {"total", "generic"}


_SHARE_OF_TOTAL_AFTER = re.compile(
    r"^[^;]{0,40}?\bchiếm\s+(?:khoảng\s+|gần\s+|hơn\s+)?[\d,.]+\s*%\s*(?:tổng|kim|trị)"
)
_AFTER_WINDOW_END = re.compile(r";|trong\s+đó|\briêng\b|\btrong\s+khi", re.IGNORECASE)


def _scope_named_after(following: str) -> bool:
    """A part named after the number: "... tỷ USD ... là nhóm hàng ...", "... hàng hóa từ Anh"."""
    if _SHARE_OF_TOTAL_AFTER.match(following):
        return True  # "... đạt 77 tỷ USD, tăng 25%, chiếm 27% tổng kim ngạch ...": a part of that total
    window = _AFTER_WINDOW_END.split(following[:70], maxsplit=1)[0]
    return bool(_CLAUSE_OUT_OF_SCOPE.search(window))


def _trade_family_at(text: str) -> tuple[str | None, int]:
    """The trade metric family the last trade cue in ``text`` names, and where that cue starts."""
    family: str | None = None
    specific: str | None = None
    position = 0
    specific_end = 0
    for match in _TRADE_CUES.finditer(text):
        if _TRADE_CUE_QUALIFIES.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        kind = match.lastgroup
        if kind == "generic" and _ENFORCEMENT_VALUE_AFTER.match(text, match.end()):
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
            inherit = specific in ("export_turnover", "import_turnover") and not _AMOUNT_IN.search(between)
            family = specific if inherit else "trade_turnover"
        elif kind == "generic":
            family = specific or "trade_turnover"
        elif kind == "surplus":
            family = specific = "trade_balance"
        elif kind == "deficit":
            family = specific = "trade_balance_deficit"
    return family, position


_SOURCE_BEFORE = re.compile(r"(?:theo|dữ\s+liệu|số\s+liệu|thống\s+kê|báo\s+cáo|của|từ)\s*$", re.IGNORECASE)
_DIFFERENCE_VERB = re.compile(r"tăng|giảm|sụt|thấp\s+hơn|cao\s+hơn|hụt", re.IGNORECASE)
_REFERS_BACK = re.compile(r"\s*(?:tương\s+ứng|tương\s+đương)", re.IGNORECASE)
_EXCEEDED_BY = re.compile(
    r"vượt(?:\s+mức)?(?:\s+(?P<bound>tối\s+thiểu|ít\s+nhất|hơn|trên|khoảng))?\s*$", re.IGNORECASE
)
_STRIVE_BEFORE = re.compile(r"phấn\s+đấu|mục\s+tiêu|\bcần\b|\bphải\b|đề\s+nghị|yêu\s+cầu", re.IGNORECASE)
_ABOUT_AFTER = re.compile(
    r"\s*(?:\([^)]*\)\s*)?về\s+(?P<what>kim\s+ngạch|trị\s+giá|số\s+thu)?", re.IGNORECASE
)


def _segment_family(segment: str) -> tuple[str | None, int]:
    """The family of the nearest metric cue in a percentage's own segment (trade or budget)."""
    trade, trade_pos = _trade_family_at(segment)
    budget_positions = [m.start() for m in _REVENUE_CUES.finditer(segment)]
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
    in_segment = _ATTAINMENT_IN_SEGMENT.search(_last_chunk(segment))
    if _SHARE_BEFORE.search(segment) and not in_segment:
        return None
    about = _ABOUT_AFTER.match(after)
    if about and not about.group("what"):
        return None  # "giảm 22% về tờ khai", "về lượng": a change of something else
    if governing is None and _in_sub_scope(clause, state, block):
        return "out-of-scope"
    own = _last_chunk(segment)
    if governing is None and _REFERS_BACK.match(own):
        own = clause  # "..., tương ứng mức giảm 14%": the change of the amount named before
    family, cue_position = _segment_family(own)
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
        and _ATTAINMENT_AFTER.match(after)
        and (_EXCEEDED_BY.search(segment) or _BARE_ATTAINMENT_BEFORE.search(segment))
        and not _TRADE_CUES.search(clause)
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
    if family == "budget" and governing is None and _BUSINESS_MONEY.search(clause):
        return None  # "lợi nhuận tăng 14%": a company's result
    if (
        governing is None
        and family in _TRADE_FAMILIES
        and (_scope_named_after(after) or _COMMODITY_AFTER_TRADE_CUE.search(clause))
    ):
        return "out-of-scope"
    if (
        governing is None
        and family in _TRADE_FAMILIES
        and state.title_scope
        and not _WHOLE_TRADE.search(clause)
    ):
        return "out-of-scope"  # "giảm 4,2% ... nhưng điện thoại các loại vẫn là nhóm hàng ..."
    kind: Kind = governing.kind if governing is not None else "actual"
    if _ESTIMATE.search(segment):
        kind = "estimate"
    change = _CHANGE_BEFORE.search(segment) or _CHANGE_NOUN_BEFORE.search(segment)
    value = quantity.value
    bound = quantity.bound

    if family == "budget" and not change:
        attainment_after = _ATTAINMENT_AFTER.match(after)
        bare = (
            _BARE_ATTAINMENT_BEFORE.search(segment)
            and _CLAUSE_END_AFTER.match(after)
            and not _COMPARED_AFTER.match(after)
        )
        if attainment_after or in_segment or bare:
            if attainment_after:
                target_type = _target_type_after(after[attainment_after.start() :]) or "chi-tieu"
            elif in_segment:
                target_type = _target_type_after(segment[in_segment.start() :]) or "chi-tieu"
            else:
                target_type = state.last_target_type or "chi-tieu"
            exceeded = _EXCEEDED_BY.search(segment)
            if exceeded:
                value = value + _HUNDRED
                if not exceeded.group("bound"):
                    bound = "exact"  # "vượt 5,6%" is exactly 105,6%, not "over 5,6%"
            assigned = _assigned_by(phrase_after[:80], state)
            attain_kind: Kind = kind
            if _STRIVE_BEFORE.search(segment[segment.rfind(",") + 1 :]):
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
    if _SO_VOI_TARGET_AFTER.match(after):
        return None
    rule = "change" if governing is None else "change-governed"
    if change:
        if re.search(r"giảm|sụt|thấp|ít", change.group("verb"), re.IGNORECASE):
            value = -value
    elif _RATIO_BEFORE.search(segment) and _COMPARED_AFTER.match(after):
        value = value - _HUNDRED
        rule = "change-ratio"
    elif _REFERS_BACK.match(_last_chunk(segment).lstrip(" (")):
        rule = "change-refers-back"
        # "giảm 13.267 tỷ đồng (tương ứng 21%)": the percentage of the difference named just before.
        difference = _DIFFERENCE_VERB.findall(clause[: len(clause) - len(segment)][-50:])
        if not difference:
            return None
        if re.match(r"giảm|sụt|thấp|hụt", difference[-1], re.IGNORECASE):
            value = -value
    elif _COORDINATED_CHANGE.match(segment) and _COMPARED_AFTER.match(after):
        # "giảm 7% so với tháng trước và 11% so với cùng kỳ": the verb of the first serves the second.
        rule = "change-coordinated"
        verbs = _CHANGE_VERB.findall(clause[: len(clause) - len(segment)][-60:])
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


_COORDINATED_CHANGE = re.compile(r"^\s*so\s+với[^,;%]*?\s(?:và|cũng\s+như)\s*$", re.IGNORECASE)
_CHANGE_VERB = re.compile(r"tăng|giảm|sụt|thấp\s+hơn|cao\s+hơn|ít\s+hơn|nhiều\s+hơn", re.IGNORECASE)


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
    """Headings: short, no comma, no sentence punctuation at the end."""
    return len(text) < 120 and "," not in text and not _ENDS_LIKE_PROSE.search(text)


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


def _about_customs(article: Article) -> bool:
    """Customs named somewhere, other than as a newspaper's name or in an official's title."""
    return _names_customs("\0".join((article.title, article.lead, *article.blocks)).lower())


def extract_facts(article: Article) -> list[Fact]:
    """The article's facts in reading order, one per identity.

    Title and heading numbers are read (they set the subject and period that follow) but not kept: they
    restate the text, rounded. Lead numbers are kept unless the body states them too.
    """
    published_year = article.published.year if article.published else date.today().year
    state = _State(default_year=published_year)
    state.customs = bool(
        _CUSTOMS_LOWER.search("\0".join((article.title, article.lead, *article.blocks)).lower())
    )
    state.customs_article = _about_customs(article)
    state.title_scope = bool(
        _TITLE_SCOPE.search(article.title) or _CLAUSE_OUT_OF_SCOPE_NAMES.search(article.title)
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
    may_yield = [_may_yield(unicodedata.normalize("NFC", text).lower()) for text, _ in blocks]
    last = max((i for i, (_, summary) in enumerate(blocks) if may_yield[i] and not summary), default=-1)
    for block_index, (text, summary) in enumerate(blocks[: last + 1]):
        if _CAPTION.search(text):
            continue
        state.block_customs = _names_customs(text.lower())
        is_lead = bool(article.lead) and block_index == (1 if article.title else 0) and text == article.lead
        for original in split_sentences(text):
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
