"""The words the extraction rules look for, as named data apart from the rules' control flow.

Every entry is a pattern over Vietnamese text: the cue lexicons (metric cues, kind and target-type cues,
scope words that put a clause outside a unit's total, enforcement and count nouns, period and comparison
phrases, subject hints) and the few punctuation patterns they are built with. `facts.py` decides what a
match means; adding a wording the rules should know is an edit here, with a sentence of ours in
`tests/unit/test_extraction_patterns.py`.

Conventions: names ending in `_BEFORE` are searched on the text before a number (anchored at its end),
`_AFTER` on the text after it (anchored at its start); `LowerCased` entries and those noted as such are
searched on lower-cased text, which is much faster than case-insensitive matching.
"""

from __future__ import annotations

import re


class LowerCased:
    """A lower-case pattern searched on lower-cased text: a fast case-insensitive ``search``."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text.lower())


# "lực lượng Hải quan", "cơ quan Hải quan": the customs the text is about. In a text about one department or
# branch they name that unit (its staff, its officers), not the whole sector.
GENERIC_CUSTOMS = re.compile(r"[Ll]ực\s+lượng\s+[Hh]ải\s+quan|[Cc]ơ\s+quan\s+[Hh]ải\s+quan")

# Words that point back to the department or branch being talked about. A bare capitalised "Cục" ("số thu của
# Cục") is one too: a named department has its name after it, and the Tổng cục is "Tổng cục".
UNIT_BACKREF = re.compile(
    r"\b(?:[Đđ]ơn\s+vị|toàn\s+[Cc]ục|[Cc]hi\s+cục)\b|(?<![Tt]ổng\s)\bCục\b(?!\s+(?:trưởng|[Hh]ải|HQ|[A-ZĐ]))"
)

CUSTOMS = re.compile(r"hải\s+quan", re.IGNORECASE)

CUSTOMS_LOWER = re.compile(r"hải\s+quan")

# Every fact's subject needs one of these in its article (lower-cased): customs (its units and the sector),
# the country's trade, or enforcement. An article with none of them is not read at all.
ARTICLE_MAY_HOLD_FACTS = re.compile(
    r"hải\s+quan|xuất\s+khẩu|nhập\s+khẩu|kim\s+ngạch|\bxnk\b|\bxk\b|\bnk\b|xuất\s+siêu|nhập\s+siêu|thặng\s+dư|"
    r"thâm\s+hụt|tờ\s+khai|buôn\s+lậu|\btchq\b"
)

# Customs named only as a newspaper's name ("Báo Hải quan") does not make a text about customs.
# Nor does an official's title ("Tổng cục trưởng Tổng cục Hải quan X, Ủy viên Ban Chỉ đạo ...").
# Checked on the words right before each "hải quan" (a search anchored at the end: no scan of the text).
CUSTOMS_PRESS_BEFORE = re.compile(
    r"(?:(?:báo|tạp\s+chí|phóng\s+viên)|(?:tổng\s+)?cục\s+trưởng\s+(?:tổng\s+)?cục)\s+$"
)

# Business results: a company's or a bank's money is never the budget revenue customs collects.
BUSINESS_MONEY = re.compile(
    r"lợi\s+nhuận|\blãi\s+(?:trước|sau)\s+thuế|doanh\s+thu|ngân\s+hàng|[Cc]ông\s+ty|[Tt]ập\s+đoàn|"
    r"tổng\s+tài\s+sản|huy\s+động\s+vốn|cổ\s+đông|cổ\s+tức",
    re.IGNORECASE,
)

# Figures of the whole anti-smuggling effort (all levels and sectors), not customs' own.
ALL_SECTORS = re.compile(
    r"các\s+cấp,?\s+các\s+ngành|các\s+ngành,?\s+các\s+cấp|[Bb]an\s+[Cc]hỉ\s+đạo\s+(?:389|quốc\s+gia)"
)

# "Điển hình như tháng 7 vừa qua, ... toàn Cục đạt ...": an example month of the whole unit, still its figure.
WHOLE_UNIT = re.compile(r"\btoàn\s+(?:[Cc]ục|[Nn]gành)\b")

EXAMPLE_OPENING = re.compile(r"\W*(?:[Đđ]iển\s+hình|[Vv]í\s+dụ|[Cc]hẳng\s+hạn|VD)\b")

# "Như vậy, ..." after an estimate: what it derives from the estimate is an estimate too.
DERIVED_OPENING = re.compile(r"\W*(?:[Nn]hư\s+vậy|[Vv]ới\s+kết\s+quả\s+(?:này|trên|ước\s+tính))\b")

# A sentence that opens on an estimate ("Ước tính năm 2020, ...") estimates every figure in it.
ESTIMATE_OPENING = re.compile(r"^\W*(?:[Ưư]ớc\s+tính|[Ưư]ớc|[Dd]ự\s+kiến|[Dd]ự\s+báo)\b")

# Drug cases are a sub-category of the cases customs reports.
DRUGS = re.compile(r"ma\s+t[uú]y|ma\s+tuý|chất\s+gây\s+nghiện")

# Titles about one commodity: their trade figures are that commodity's unless a sentence says otherwise.
TITLE_SCOPE = re.compile(
    r"\bgỗ\b|dệt\s+may|da\s+giày|th(?:ủy|uỷ)\s+sản|cá\s+ngừ|lâm\s+sản|chăn\s+nuôi|ngành\s+điều|\bgạo\b|cà\s+phê|điện\s+thoại|máy\s+vi\s+tính|sắt\s+thép|xăng\s+dầu|"
    r"\bthan\b|phân\s+bón|nông\s+sản|rau\s+quả|hạt\s+điều|cao\s+su|ô\s*tô|linh\s+kiện|hồ\s+tiêu|dầu\s+thô|"
    r"khoáng\s+sản|tôm|cá\s+tra|sữa|dược\s+phẩm|thép|nhôm",
    re.IGNORECASE,
)

WHOLE_TRADE = re.compile(
    r"cả\s+nước|của\s+Việt\s+Nam|Việt\s+Nam\s+(?:đạt|ước)|toàn\s+[Nn]gành|[Hh]ải\s+quan\s+[A-ZĐ]"
)

# Lower-case letters of Vietnamese: a range like "à-ỹ" would also hold capitals such as Đ, Ư and Ơ, and a
# sentence starting with one ("... dự toán. Ước đến hết ...") would not be split off.
_LOWER_LETTERS = "a-z" + "".join(chr(c) for c in range(0xE0, 0x1EFA) if chr(c).islower())
SENTENCE_END = re.compile(rf"(?<=[.!?…])[\"”’)]*\s+(?=[^\s\d{_LOWER_LETTERS}…])")

ABBREVIATION_END = re.compile(r"(?:\b(?:TP|Tp|T|ThS|TS|PGS|GS|ông|bà|Mr|St|[A-ZĐ])\.)$")

CAPTION = re.compile(r"(?:Ảnh|ảnh|Nguồn|nguồn|Biểu\s+đồ|Đồ\s+họa|Video)\s*:")

ENDS_LIKE_PROSE = re.compile(r"[.!?…:;]\s*[\"”’)]*\s*$")

TRADE_CUES = re.compile(
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
TRADE_CUE_QUALIFIES = re.compile(
    r"(?:\bDN|doanh\s+nghiệp|mặt\s+hàng|nhóm\s+hàng|tờ\s+khai|thủ\s+tục|lượng|phương\s+tiện|"
    r"dầu\s+thô|xăng\s+dầu|than|quặng|khoáng\s+sản)\s*$"
)

BUDGET_CUES = re.compile(
    r"thu\s+ngân\s+sách|thu\s+NSNN|thu\s+nộp|nộp\s+ngân\s+sách|nộp\s+NSNN|số\s+thu|thu\s+thuế|"
    r"thu\s+được|thu\s+đạt|nguồn\s+thu|tổng\s+thu|kết\s+quả\s+thu|\bthu\b(?!\s+(?:mua|hút|giữ|hồi|nhập|thập|gom|xếp))|"
    r"dự\s+toán|chỉ\s+tiêu",
    re.IGNORECASE,
)

REVENUE_CUES = re.compile(
    r"thu\s+ngân\s+sách|thu\s+NSNN|thu\s+nộp|nộp\s+ngân\s+sách|nộp\s+NSNN|số\s+thu|thu\s+thuế|"
    r"thu\s+được|thu\s+đạt|nguồn\s+thu|tổng\s+thu|kết\s+quả\s+thu|\bthu\b(?!\s+(?:mua|hút|giữ|hồi|nhập|thập|gom|xếp))",
    re.IGNORECASE,
)

# Searched on lower-cased text (case-insensitive Unicode matching is slow, and this runs on every sentence).
ENFORCEMENT_WORDS = re.compile(
    r"vi\s+phạm|buôn\s+lậu|bắt\s+giữ|khởi\s+tố|xử\s+phạt|tang\s+vật|gian\s+lận|vận\s+chuyển\s+trái\s+phép"
)

ENFORCEMENT_CONTEXT = LowerCased(ENFORCEMENT_WORDS)

REVENUE_CUES_LOWER = re.compile(REVENUE_CUES.pattern.replace("NSNN", "nsnn"))

VIOLATION_VALUE_CUE = re.compile(r"trị\s+giá|giá\s+trị", re.IGNORECASE)

PENALTY_CUE = re.compile(
    r"tiền\s+phạt|phạt\s+tiền|xử\s+phạt|số\s+tiền|thu\s+nộp|nộp\s+ngân\s+sách|nộp\s+NSNN|số\s+thu|thu\s+ngân\s+sách",
    re.IGNORECASE,
)

# What was confiscated is not a violation total, but "tịch thu hàng vi phạm trị giá X" is that value.
CONFISCATED = r"(?<!và\s)tịch\s+thu(?!\s+hàng\s+(?:hóa\s+|hoá\s+)?vi\s+phạm)"

# Amounts inside a unit's total that the contract leaves out of scope (checked near the cue).
OUT_OF_SCOPE = re.compile(
    r"thuế\s+(?:GTGT|giá\s+trị|nhập\s+khẩu|xuất\s+khẩu|TTĐB|tiêu\s+thụ|bảo\s+vệ|BVMT|thu\s+nhập)|"
    r"mặt\s+hàng|nhóm\s+hàng|[Cc]ông\s+ty|\briêng\s+(?:khu\s+vực|địa\s+bàn|tại|qua|cảng|cửa\s+khẩu|[A-ZĐ])|"
    r"chiếm|\bnợ\b|hoàn\s+thuế|ấn\s+định|truy\s+thu|(?<!\d\s)trường\s+hợp|bình\s+quân|mỗi\s+(?:ngày|tháng)|"
    r"trung\s+bình|"
    + CONFISCATED
    + r"|xăng\s+dầu|dầu\s+thô|\bthan\b|ô\s*tô|sắt\s+thép|điện\s+thoại|máy\s+vi\s+tính|"
    r"dệt\s+may|giày\s+dép|nông\s+sản|thủy\s+sản|quặng|qua\s+cảng|khu\s+vực\s+[A-ZĐ]|địa\s+bàn\s+[A-ZĐ]|"
    r"thị\s+trường|\bFDI\b|trong\s+nước|có\s+thuế|không\s+thuế|nộp\s+thuế|lô\s+hàng|nguồn\s+này|"
    r"từ\s+nguồn|dự\s+án|số\s+lượng|"
    # a volume ("lượng xăng dầu"), but "lượng hàng hóa (đạt) trị giá X USD" is the value of all goods cleared
    r"\blượng\b(?!\s+hàng\s+(?:hóa|hoá)(?:\s+(?:xuất\s+nhập\s+khẩu|XNK))?\s+(?:đạt\s+)?(?:tổng\s+)?trị\s+giá)|"
    r"doanh\s+nghiệp\s+(?:trong|FDI|có\s+vốn|mới)|khối|"
    r"hàng\s+năm|còn\s+phải|phải\s+(?:thực\s+hiện\s+)?thu|cần\s+(?:phải\s+)?thu|còn\s+lại|sau\s+thông\s+quan|"
    r"kiểm\s+tra\s+sau|hậu\s+kiểm|KTSTQ|qua\s+công\s+tác"
)

# Words that put a whole clause outside a unit's total, wherever they stand in it.
CLAUSE_OUT_OF_SCOPE_WORDS = LowerCased(
    re.compile(
        r"có\s+thuế|không\s+thuế|\bfdi\b|trong\s+nước|mặt\s+hàng|nhóm\s+hàng|(?:khối|nhóm)\s+(?:các\s+)?doanh\s+nghiệp|"
        r"doanh\s+nghiệp\s+mới|\bmột\s+số\b|\b(?:như|gồm)\s*:|xăng\s+dầu|dầu\s+thô|\bthan\b|quặng|"
        r"sắt\s+thép|ô\s*tô|linh\s+kiện|phụ\s+tùng|điện\s+thoại|máy\s+vi\s+tính|dệt\s+may|giày\s+dép|"
        r"thị\s+trường|phương\s+tiện|nộp\s+thuế|nguồn\s+này|công\s+ty|điển\s+hình(?!\s+như\s+(?:tháng|năm|quý))|\bchở\b|sản\s+lượng|"
        r"doanh\s+thu|lợi\s+nhuận|giá\s+vốn|hai\s+nước|2\s+nước|song\s+phương|"
        r"ngành\s+(?:lâm\s+sản|gỗ|dệt|da\s+giày|thủy\s+sản|nông\s+nghiệp|điện\s+tử|thép|dầu\s+khí)|"
        r"qua\s+cầu|lối\s+mở|cửa\s+khẩu\s+phụ|\bgdp\b|nợ\s+công|bội\s+chi|nội\s+địa|nợ\s+thuế|thu\s+hồi\s+nợ|thu\s+hồi\s+và\s+xử\s+lý\s+nợ|xử\s+lý\s+nợ|phạt\s+tiền\s+(?:đến|tới)\b|"
        r"nợ\s+đọng|tham\s+vấn|xác\s+định\s+lại|thu\s+đòi|\bbị\s+(?:xử\s+phạt|phạt)\b|"
        r"một\s+doanh\s+nghiệp|doanh\s+nghiệp\s+tư\s+nhân|\d\s+con\b|đề\s+án|mô\s+hình|thí\s+điểm|tiền\s+phí|"
        r"so\s+với\s+số\s+lượng|số\s+thuế\s+phải\s+nộp|mức\s+(?:xử\s+)?phạt|"
        r"vốn\s+đầu\s+tư\s+nước\s+ngoài|kinh\s+tế\s+trong\s+nước|(?:của|tại)\s+(?:\d+\s+)?(?:quốc\s+gia|nền\s+kinh\s+tế)\b|\bcây\s+(?!số)[a-zà-ỹđ]|"
        r"xử\s+phạt\s+(?:doanh\s+nghiệp|công\s+ty|\bdn\b)|đối\s+với\s+trường\s+hợp|phạt\s+tiền\s+từ\s+\d|\d\s+xe\b|\bgrdp\b|"
        r"doanh\s+nghiệp\s+(?:thành\s+phố|tỉnh|trên\s+địa\s+bàn)|hàng\s+hóa\s+và\s+dịch\s+vụ|\bktstq\b|"
        r"(?:doanh\s+nghiệp|\bdn)\b[^.;]{0,80}\bcó\s+kim\s+ngạch|\bcty\b|\bvd\s*:|ví\s+dụ|hàng\s+(?:hóa|hoá)\s+khác|mặt\s+hàng\s+khác|\bdn\s+mới|cuộc\s+kiểm\s+tra|"
        r"\bbị\s+(?:[^,;.]{1,40}\s)?(?:xử\s+phạt|phạt)\b|vụ\s+việc\s+(?:này|trên)|"
        r"(?:từ|sang)\s+(?:thị\s+trường|các\s+nước)|\btấn\b|\bchiếc\b|\bm3\b|\blít\b|phân\s+bón|tàu\s+cá|"
        r"quyết\s+định\s+xử\s+phạt\s+(?:đối\s+với|công\s+ty|doanh\s+nghiệp|dn\b|chủ|cá\s+nhân|ông|bà)|sau\s+thông\s+quan|c/o|da\s+giày|túi\s+xách|\bgạo\b|cà\s+phê|rau\s+quả|"
        r"hạt\s+điều|cao\s+su|\bgỗ\b|trốn\s+thuế|thu\s+phí|lệ\s+phí|lần\s+lượt|"
        + CONFISCATED
        + r"|sung\s+công|tồn\s+đọng|nguồn\s+thu\s+từ|qua\s+cổng|thanh\s+toán\s+điện\s+tử|"
        r"truy\s+thu|tạm\s+nhập|tái\s+xuất|kho\s+ngoại\s+quan|chuyển\s+cửa\s+khẩu|hồ\s+tiêu|"
        r"\bchè\b|máy\s+móc|\d+\s+năm\s+(?:gần\s+đây|qua)|giai\s+đoạn\s+\d{4}|"
        # Gifts and donations: money handed over, not collected.
        r"\btrao\s+(?:tặng|số\s+tiền)|ủng\s+hộ\s+(?:số\s+)?tiền|quyên\s+góp|từ\s+thiện|"
        r"thu\s+từ\s+(?!hoạt\s+động\s+(?:xuất|xnk))|"
        # A province's land-use fees, some flights' passengers, the enterprises of one side of a province
        # line, a city's trade (not its customs department's), a group of units, one industry's taxes.
        r"sử\s+dụng\s+đất|trên\s+(?:\d+\s+|một\s+|hai\s+|ba\s+)?chuyến\s+bay|"
        r"(?:doanh\s+nghiệp|\bdn)\s+(?:trong|ngoài)\s+tỉnh|(?:kim\s+ngạch|xnk|xuất\s+nhập\s+khẩu)[^,;.]{0,30}\bcủa\s+thành\s+phố|"
        r"\b(?:tại|của)\s+\d+\s+đơn\s+vị\b|"
        r"ngành\s+thuốc\s+lá|"
        # Export and import prices ("giá nhập khẩu giảm 0,5%"), not turnover ("trị giá nhập khẩu").
        r"(?<!trị\s)giá\s+(?:hàng\s+hóa\s+)?(?:xuất|nhập)\s+khẩu",
    )
)

# Trading partners: the country's trade with one of them is not its total (case matters: "mỹ phẩm").
CLAUSE_OUT_OF_SCOPE_NAMES = re.compile(
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
COMMODITY_AFTER_TRADE_CUE = re.compile(
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


class ClauseOutOfScope:
    """Both clause-level scope patterns behind one ``search``."""

    @staticmethod
    def search(text: str) -> bool:
        return bool(CLAUSE_OUT_OF_SCOPE_WORDS.search(text) or CLAUSE_OUT_OF_SCOPE_NAMES.search(text))


CLAUSE_OUT_OF_SCOPE = ClauseOutOfScope()

# Other forces' enforcement figures are not customs' own.
OTHER_FORCES = re.compile(
    r"Công\s+an|Biên\s+phòng|Bộ\s+đội|Quản\s+lý\s+thị\s+trường|QLTT|Cảnh\s+sát|Ban\s+Chỉ\s+đạo\s+389|"
    r"lực\s+lượng\s+chức\s+năng|các\s+lực\s+lượng\b|liên\s+ngành|Tổ\s+công\s+tác|các\s+cơ\s+quan\s+chức\s+năng|"
    r"các\s+thành\s+viên"  # of an international operation
)

# Another force named only as the one a case is handed over to ("... khởi tố 2 vụ và bàn giao hồ sơ cho
# Công an huyện X", "chuyển hồ sơ sang Cơ quan Cảnh sát điều tra ..."): the count is still customs' own.
# Blanked out before OTHER_FORCES is looked for; the referral cue itself is read on the text as it stands.
HANDED_TO_OTHER_FORCE = re.compile(
    r"(?:(?<!vận\s)chuyển|bàn\s+giao)\b[^.;]{0,60}?(?:\b(?:cho|sang|tới)\s+)?(?:[Cc]ơ\s+quan\s+)?(?:[Cc]ảnh\s+sát|[Cc]ông\s+an)"
    r"[^,;.]*"
)

# A count in a clause that hands cases over ("chuyển UBND tỉnh X xử lý 2 vụ"): another body deals with them.
HANDED_OVER = re.compile(
    r"(?<!vận\s)\bchuyển\s+(?:hồ\s+sơ|cho|sang|giao|cơ\s+quan|UBND|Ủy\s+ban|[A-ZĐ])|\bbàn\s+giao",
    re.IGNORECASE,
)

# "chuyển hồ sơ 5 vụ sang cơ quan Công an": a count of cases handed to the police is a referral.
REFERRED_AFTER = re.compile(
    r"\s*vụ(?:\s+việc)?(?:\s+vi\s+phạm)?\s+(?:cho|sang)\s+(?:cơ\s+quan\s+)?(?:công\s+an|cảnh\s+sát|điều\s+tra)",
    re.IGNORECASE,
)

# A word every match of OTHER_FORCES or ALL_SECTORS holds, to skip both on most sentences.
MAY_NAME_OTHER_FORCES = re.compile(
    r"công\s+an|biên\s+phòng|bộ\s+đội|quản\s+lý\s+thị|qltt|cảnh\s+sát|chỉ\s+đạo|lực\s+lượng|liên\s+ngành|"
    r"tổ\s+công|chức\s+năng|các\s+cấp|các\s+ngành"
)

# Sub-areas named anywhere before the number in the sentence ("Trong đó, địa bàn Long An, ...").
SENTENCE_SUB_AREA = re.compile(
    r"[Tt]uyến\s+(?:đường\s+)?(?:bộ|biển|hàng\s+không|sắt|bưu\s+chính)|[Tt]uyến\s+đường\s+không|"
    # at the head of a sentence too ("Địa bàn X thu ...", "Riêng X")
    r"khu\s+vực\s+đường\s+(?:bộ|biển|không|sắt)|(?:\b[Rr]iêng|\b[Đđ]ịa\s+bàn|\bkhu\s+vực)\s+(?!Hải\s+quan)[A-ZĐ]|"
    r"\b[Rr]iêng\s+(?:khu\s+vực|địa\s+bàn|tại|qua)"
    # "qua cửa khẩu Tân Thanh": one border gate of a department ("qua các cửa khẩu" is all of them)
    r"|\bqua\s+cửa\s+khẩu\s+(?:quốc\s+tế\s+|chính\s+|phụ\s+)?[A-ZĐ]|\bkhu\s+vực\s+cảng\s+(?:biển|hàng\s+không)"
)

SOURCE_AFTER = re.compile(r"\s*(?:đồng|USD)?\s*từ\s+(?:công\s+tác|hoạt\s+động\s+kiểm\s+tra|kiểm\s+tra|nguồn)")

NOT_A_LEVEL_AFTER = re.compile(
    r"\s*(?:đồng|USD)?\s*(?:tiền\s+)?(?:nợ|phí\b|thuế\s+(?:GTGT|nhập|xuất|TTĐB|BVMT|ấn\s+định)|sử\s+dụng\s+đất)|\s*(?:đồng|USD)?\s*về\s+(?:lượng|giá)|"
    r"\s*/\s*(?:năm|tháng|ngày|tuần|tấn|chiếc|[^\d\s])|\s*(?:đồng|USD)?\s*(?:mỗi|một)\s+(?:năm|tháng|ngày|tuần)\b"
)

# Paragraph-level sub-scopes: once named, later trade figures of the paragraph are about them.
SUB_SCOPE = re.compile(
    r"khối\s+doanh\s+nghiệp|doanh\s+nghiệp\s+(?:trong\s+nước|FDI|có\s+vốn)|\bFDI\b|qua\s+cảng\s+biển"
)

# A value that is a difference, not a level ("tăng 6,6 tỷ USD", "tương đương tăng 132 tỷ").
DIFFERENCE_BEFORE = re.compile(
    r"(?:tăng|giảm|hụt|vượt\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)[^,;]{0,25}?|cao\s+hơn|"
    r"(?:tăng|giảm)\s+thu\s+cho\s+(?:NSNN|ngân\s+sách(?:\s+nhà\s+nước)?)|thấp\s+hơn|chênh\s+lệch|thêm|bớt|(?:giảm|hụt|tăng)\s+thu|tương\s+đương)"
    r"(?:\s+(?:thêm|tới|đến|mạnh|nhẹ|gần|hơn|khoảng|trên|xấp\s+xỉ|là|được|mức|tuyệt\s+đối|so\s+với[^,;()]*?))*\s*$",
    re.IGNORECASE,
)

# "vượt (hơn) X": by how much a level was passed, when what it is compared with is named
# (see COMPARED_EARLIER).
EXCEEDS_BY_BEFORE = re.compile(r"vượt(?:\s+(?:hơn|trên|gần|khoảng|mức))?\s*$", re.IGNORECASE)

# "so với chỉ tiêu ..., đơn vị đã thu vượt hơn X": the comparison named before the amount, in its clause.
COMPARED_EARLIER = re.compile(r"\bso\s+với\b[^;]*$", re.IGNORECASE)

THRESHOLD_BEFORE = re.compile(
    r"(?:mốc|ngưỡng)(?:\s+(?:thu|ngân\s+sách|NSNN|kim\s+ngạch|số\s+thu)){0,3}\s*(?:trên|hơn|gần)?\s*$"
    # "1 trong 8 đơn vị có số thu trên 10.000 tỷ": the bar a group of units clears, not one unit's figure
    r"|(?:đơn\s+vị|cục|chi\s+cục)\s+(?:có\s+)?(?:số\s+thu|thu|kim\s+ngạch)\s*(?:trên|hơn|từ|đạt\s+trên)?\s*$",
    re.IGNORECASE,
)

THRESHOLD_AFTER = re.compile(
    r"^\s*(?:đồng|USD)?\s*trở\s+(?:lên|xuống)|^[^;.]{0,80}\btrở\s+lên"  # "từ 4 triệu USD và ... trở lên"
)

ESTIMATE = re.compile(r"\bước\b|dự\s+kiến|có\s+thể\s+đạt|\bước\s+tính|dự\s+báo", re.IGNORECASE)

RANGE_SEPARATOR = re.compile(r"\s*(?:đến|tới|-|–)\s*")

HYPOTHETICAL = re.compile(
    # "nếu ... thì ... có thể đạt": a supposition ("nếu năm 2019 chỉ có 85 vụ thì năm 2020 có 198 vụ" is not)
    r"\b[Nn]ếu\b[^.;]*\b(?:sẽ|có\s+thể)\b|\bkịch\s+bản\b|"
    r"(?:đến|tới)\s+(?:năm\s+)?20[3-9]\d\b[^.;]*\bsẽ\b|"  # "đến 2030 ... sẽ tăng 6%"
    # "trong 3 tháng tới": a forecast of the coming months; "sẽ giúp cắt giảm": what a plan would save
    r"\b(?:trong|của)\s+(?:\d+|vài|những|các)\s+(?:tháng|năm|quý)\s+tới\b|\bsẽ\s+giúp\b"
)

TARGET_CUE = re.compile(
    r"dự\s+toán|chỉ\s+tiêu|kế\s+hoạch|phấn\s+đấu|mục\s+tiêu|được\s+giao|giao\s+(?:thu|là)|giao\s*\(|phải\s+đạt|"
    # "..., Tổng cục Hải quan giao 900 tỷ đồng": the amount right after "giao" is what was set
    r"\bgiao(?:\s+(?:mức|khoảng|hơn|gần|trên))?\s*$",
    re.IGNORECASE,
)

# "(...) chỉ tiêu", "1.170 tỷ đồng theo dự toán Bộ Tài chính giao": the amount is the target.
TARGET_AFTER = re.compile(r"^\s*\)?\s*(?:theo\s+)?(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)", re.IGNORECASE)

TARGET_TYPES = re.compile(
    r"(?P<phan>chỉ\s+tiêu\s+phấn\s+đấu|mục\s+tiêu\s+phấn\s+đấu|phấn\s+đấu)"
    r"|(?P<dutoan>dự\s+toán)"
    r"|(?P<chitieu>chỉ\s+tiêu|kế\s+hoạch|được\s+giao|giao)",
    re.IGNORECASE,
)

ATTAINMENT_AFTER = re.compile(
    r"^\s*(?:so\s+(?:với\s+)?)?(?:(?:của|tổng)\s+)?(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch|mục\s+tiêu|nhiệm\s+vụ\s+thu)",
    re.IGNORECASE,
)

ATTAINMENT_IN_SEGMENT = re.compile(r"so\s+với\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)", re.IGNORECASE)

BARE_ATTAINMENT_BEFORE = re.compile(
    r"(?:đạt|hoàn\s+thành)(?:\s+(?:xấp\s+xỉ|gần|hơn|khoảng|trên|được))?\s*$", re.IGNORECASE
)

CLAUSE_END_AFTER = re.compile(r"^\s*(?:[.;,…]|$|và\b)")

# "tăng trưởng 1,8%" is a change like "tăng"; the metric may sit between the verb and the percentage
# ("giảm số thu tới 31%", "tăng kim ngạch 12%").
CHANGE_BEFORE = re.compile(
    r"(?P<verb>tăng(?:\s+trưởng)?|giảm|sụt\s+giảm|sụt|thấp\s+hơn|cao\s+hơn|ít\s+hơn|nhiều\s+hơn)"
    r"(?:\s+(?:số\s+thu|thu\s+ngân\s+sách|kim\s+ngạch))?"
    r"(?:\s+(?:tới|đến|mạnh|nhẹ|gần|hơn|khoảng|trên|xấp\s+xỉ|là|được|ở\s+mức|mức|thêm|chỉ|còn))*\s*$",
    re.IGNORECASE,
)

CHANGE_NOUN_BEFORE = re.compile(r"mức\s+(?P<verb>tăng|giảm)(?:\s+(?:là|tới|đến|gần|hơn))*\s*$", re.IGNORECASE)

RATIO_BEFORE = re.compile(r"(?:bằng|đạt)(?:\s+(?:xấp\s+xỉ|gần|hơn|khoảng|trên))?\s*$", re.IGNORECASE)

COMPARED_AFTER = re.compile(
    r"^\s*(?:so\s+với\s+)?(?:cùng\s+kỳ|năm\s+trước|tháng\s+trước|quý\s+trước|năm\s+\d{4})", re.IGNORECASE
)

SO_VOI_TARGET_AFTER = re.compile(r"^\s*so\s+với\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch|mục\s+tiêu)")

SHARE_BEFORE = re.compile(
    r"(?:chiếm|tỷ\s+trọng|tỉ\s+trọng|tỷ\s+lệ|lãi\s+suất|thuế\s+suất)[^,;]*$", re.IGNORECASE
)

COMPARISON_VALUE_BEFORE = re.compile(
    r"(?:cùng\s+kỳ(?:\s+năm\s+(?:trước|ngoái|\d{4})|\s+\d{4})?\s*[(:]?\s*(?:đạt|là|chỉ\s+đạt|ở\s+mức)?"
    r"|\(\s*cùng\s+kỳ[^)]*)\s*$",
    re.IGNORECASE,
)

OTHER_COMPARISON_VALUE = re.compile(
    r"so\s+với(?![^()]*(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch|mục\s+tiêu))[^()]*\(\s*(?:đạt|là)?\s*$",
    re.IGNORECASE,
)

COMPARISON_VALUE_AFTER = re.compile(r"^\s*(?:đồng|USD)?\s*(?:của|trong)\s+cùng\s+kỳ", re.IGNORECASE)

COMPARISON_YEAR = re.compile(r"cùng\s+kỳ\s+(?:năm\s+)?(\d{4})", re.IGNORECASE)
# The year a sentence compares with: "so với (cùng kỳ) năm 2019", "so với năm trước 2019".
COMPARED_YEAR = re.compile(r"(?:cùng\s+kỳ|so\s+với)\s+(?:cùng\s+kỳ\s+)?(?:năm\s+)?(\d{4})\b", re.IGNORECASE)

OF_SUBJECT_AFTER = re.compile(r"\s*(?:đồng|USD)?\s*(?:của|thuộc)\s+")

COUNT_NOUNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\s*(?:bộ\s+)?tờ\s+khai"), "declarations"),
    (re.compile(r"^\s*(?:doanh\s+nghiệp|DN)\b(?!\s+mới)"), "enterprises"),
    (re.compile(r"^\s*(?:lượt\s+(?:hành\s+khách|khách|người)|hành\s+khách)"), "passengers"),
    (re.compile(r"^\s*(?:vụ|trường\s+hợp)\b"), "cases"),
]

ENTERPRISE_CONTEXT = re.compile(
    r"(?:làm|giải\s+quyết|thực\s+hiện)\s+thủ\s+tục|thủ\s+tục\s+hải\s+quan|đăng\s+ký\s+(?:làm\s+)?(?:thủ\s+tục|tờ\s+khai)|"
    r"tham\s+gia\s+(?:hoạt\s+động\s+)?(?:XNK|xuất\s+nhập\s+khẩu|xuất\s+khẩu|nhập\s+khẩu)|"
    r"(?:DN|doanh\s+nghiệp)\s+(?:XNK|xuất\s+nhập\s+khẩu)",
    re.IGNORECASE,
)

ENTERPRISE_NOT = re.compile(
    r"kiểm\s+tra|nghi\s+vấn|vi\s+phạm|\bnợ\b|cưỡng\s+chế|hồ\s+sơ|một\s+cửa|trong\s+tổng\s+số|mới|"
    r"tọa\s+đàm|hội\s+nghị|hội\s+thảo|đối\s+thoại|tham\s+dự|đại\s+lý|công\s+nhận|đủ\s+điều\s+kiện|ưu\s+tiên",
    re.IGNORECASE,
)

CASE_ADMIN_AFTER = re.compile(r"^\s*vụ(?:\s+việc)?\s+vi\s+phạm\s+hành\s+chính")

CASE_SUBTYPE_AFTER = re.compile(
    r"^\s*vụ(?:\s+việc)?(?:\s+vi\s+phạm)?\s+(?:về\s+(?!pháp\s+luật)|có\s+dấu|liên\s+quan|ma\s+t[uú]y|ma\s+tuý)"
)

# "N vụ vi phạm (đã) bị/được ... khởi tố (và đề nghị khởi tố)": the cases are the object of a prosecution
# told in the passive, often prosecuted and referred cases added up; not a count of violations found.
PASSIVE_PROSECUTION_AFTER = re.compile(r"^[^.;,]{0,80}?\b(?:bị|được)\s[^.;,]{0,60}?khởi\s+tố", re.IGNORECASE)

# "khởi tố vụ án hình sự tội “Buôn lậu” 8 vụ": the words after "tội" name the crime charged.
CRIME_NAME_BEFORE = re.compile(r"\btội\s*[“\"'‘]?\s*$", re.IGNORECASE)

CASE_CUES = re.compile(
    r"(?P<refer>(?:chuyển|đề\s+nghị|kiến\s+nghị)[^;.\d]{0,140}?khởi\s+tố|"
    r"(?:chuyển|bàn\s+giao)(?:\s+hồ\s+sơ)?\s+(?:sang\s+|cho\s+)?(?:cơ\s+quan\s+(?:công\s+an|điều\s+tra)|công\s+an))"
    r"|(?P<criminal>khởi\s+tố)"
    # "ra quyết định xử phạt 334 vụ": the cases customs fined are administrative ones (prosecution is khởi tố)
    r"|(?P<admin>hành\s+chính|xử\s+phạt(?!\s+hình\s+sự))"
    r"|(?P<violation>phát\s+hiện|bắt\s+giữ|vi\s+phạm|buôn\s+lậu|(?:xử\s+lý)(?=[^.;]*(?:vi\s+phạm|buôn\s+lậu)))",
    re.IGNORECASE,
)

ASSIGNER_AFTER = re.compile(
    r"(?:\s*(?:,|và)\s+(?:UBND|Ủy\s+ban|HĐND|Bộ|Tổng\s+cục|TCHQ|Cục|Quốc\s+hội)[^\d,;.:]{0,30}?)*"
    # "Cục X xây dựng chỉ tiêu ..." sets a target; "Cục X xây dựng kế hoạch, ..., phấn đấu ..." acts
    r"\s*(?:đã\s+|đề\s+ra\s+|)(?:giao\b|xây\s+dựng(?=\s+(?:chỉ\s+tiêu|mục\s+tiêu)))"
)

ASSIGNER_BEFORE = re.compile(
    r"\bdo\s*$|phối\s+hợp\s+(?:với\s+)?(?:[^;.:]{0,50}(?:,|\bvà)\s+)?$|(?:chỉ\s+đạo|hướng\s+dẫn|yêu\s+cầu)\s+(?:của\s+)?(?:[^;.:]{0,50}(?:,|\bvà)\s+(?:của\s+)?)?$"
)

# "tại Chi cục", "chi cục này": the branch the text is about.
BARE_BRANCH = re.compile(r"\b[Cc]hi\s+cục\b(?!\s+(?:Hải\s+quan|HQ|trưởng|trực\s+thuộc))(?!\s+[A-ZĐ])")

TARGET_NOUNS = re.compile(
    r"(?P<phan>chỉ\s+tiêu\s+phấn\s+đấu|mục\s+tiêu\s+phấn\s+đấu)|(?P<dutoan>dự\s+toán)|(?P<chitieu>chỉ\s+tiêu|kế\s+hoạch)",
    re.IGNORECASE,
)

TARGET_ASSIGNED = re.compile(r"giao", re.IGNORECASE)

TARGET_STRIVE = re.compile(r"phấn\s+đấu|mục\s+tiêu", re.IGNORECASE)

DRUG_TEAM = re.compile(r"(?:Đội|đội)(?:\s+[Kk]iểm\s+soát)?\s+phòng,?\s+chống\s+ma\s+t[uú]y|PCMT")

CASE_VERB_PHRASE = re.compile(
    r"\s*(?:vận\s+chuyển|mua\s+bán|buôn\s+bán|tàng\s+trữ|liên\s+quan|về)\b", re.IGNORECASE
)

BORDER_CROSSING = re.compile(
    r"xuất\s+nhập\s+cảnh|xuất\s+cảnh|nhập\s+cảnh|\bXNC\b|cửa\s+khẩu|thủ\s+tục|chuyến\s+bay", re.IGNORECASE
)

COUNT_SUB_AFTER = re.compile(
    r"[^,;.]{0,70}?(?:qua\s+cảng|qua\s+cầu|lối\s+mở|trong\s+tỉnh|ngoài\s+tỉnh|trong\s+tổng\s+số|mới\b|"
    r"tham\s+dự|tọa\s+đàm|hội\s+nghị|điển\s+hình|nêu\s+trên|\bnày\b)"
    # "69.011 tờ khai xuất khẩu": the export part of a declaration total; "1 tờ khai trị giá ...": one of them
    r"|\s*(?:bộ\s+)?tờ\s+khai\s+(?:hải\s+quan\s+)?(?:xuất\s+khẩu|nhập\s+khẩu|(?:\d+\s+)?trị\s+giá)",
    re.IGNORECASE,
)

ANY_NUMBER = re.compile(r"\d")

RATE = re.compile(
    r"\b(?:mỗi|một)\s+(?:ngày|tuần|tháng)\b|(?:bình\s+quân|trung\s+bình)\s+(?:mỗi\s+)?(?:ngày|tuần|tháng)\b",
    re.IGNORECASE,
)

RATE_AFTER = re.compile(
    r"[^,;.]{0,25}?(?:/\s*(?:ngày|tuần|tháng|năm)|\b(?:mỗi|một)\s+(?:ngày|tuần|tháng)\b|trở\s+(?:lên|xuống))"
)

DECLARATION_NOT = re.compile(
    r"danh\s+sách|cung\s+cấp|chuyển\s+(?:sang|cho|giao)|tham\s+vấn|bác\s+bỏ|kiểm\s+tra|luồng|sai\s+sót|\bhủy|\bsửa|bổ\s+sung|\bnợ\b|vi\s+phạm|ấn\s+định|"
    r"điện\s+tử\s+hóa|giấy|chứng\s+từ|theo\s+khai\s+báo|trị\s+giá\s+hàng",
    re.IGNORECASE,
)

COUNT_SCOPE = re.compile(
    r"đường\s+(?:bộ|biển|hàng\s+không|sắt)\s+\d|tuyến\s+đường|khu\s+vực\s+đường\s+(?:bộ|biển|không|hàng|sắt)|"
    r"qua\s+cửa\s+khẩu\s+(?:quốc\s+tế\s+|chính\s+|phụ\s+)?[A-ZĐ]|phòng\s+vệ|bán\s+phá\s+giá|trợ\s+cấp|"
    r"tiền\s+chất|lô\s+hàng\s+này",
    re.IGNORECASE,
)

COUNT_DIFFERENCE = re.compile(
    r"(?:tương\s+đương|tương\s+ứng)(?:\s+với)?\s*(?:hơn|gần|khoảng)?\s*$", re.IGNORECASE
)

# "10.000 lượt tàu biển", "lượt phương tiện": vehicles, not travellers.
VEHICLE_AFTER = re.compile(r"\s*lượt\s+(?:tàu|xe|phương\s+tiện|chuyến|máy\s+bay|container)", re.IGNORECASE)

PERIOD_WITHOUT_DIGITS = re.compile(r"\bnay\b|\bnăm\b")

COMPARISON_HINT = re.compile(r"so\s+với|cùng\s+kỳ|\bvới\s+(?:năm|cùng)")

DIGIT = re.compile(r"\d")

# A cheap necessary condition for a sentence to yield a fact, checked on its lower-cased text: a number
# with a unit, scale or count noun after it, and a metric cue (or a dollar amount, whose cue may be carried
# over from the sentence before). Sentences that fail it only carry state (subject, period, year...).
UNIT_AFTER_NUMBER = re.compile(
    r"\d\s*(?:%|phần\s+trăm|nghìn|ngàn|triệu|tỷ|tỉ|đồng|vnđ|vnd|usd|us\$|đô|đ(?!\w)|bộ\s|tờ\s|doanh\s|dn(?!\w)|"
    r"lượt|hành\s|vụ(?!\w)|người(?!\w))"
)

COUNT_AFTER_NUMBER = re.compile(
    r"(?:\d|nghìn|ngàn|triệu|tỷ|tỉ)\s*(?:bộ\s+tờ|tờ\s+khai|doanh\s+nghiệp|dn(?!\w)|lượt|hành\s+khách|vụ(?!\w))"
)

ANY_METRIC_CUE = re.compile(
    r"xuất|nhập|xk|nk|kim\s+ngạch|trị\s+giá|giá\s+trị|thặng\s+dư|thâm\s+hụt|thu(?!\w)|(?:số|tổng|nguồn|quả)\s+thu|"
    r"nộp\s+(?:ngân|nsnn)|chỉ\s+tiêu|dự\s+toán|với\s+kế\s+hoạch|tiền\s+phạt|xử\s+phạt|số\s+tiền|usd|us\$|"
    r"đô\s*la|đô-la|đôla"
)

# A clause that names its own amount's metric; one that does not ("...; vải ước đạt 260 triệu USD") reads
# the metric, and so the scope, of the clause before it.
OWN_AMOUNT_CUE = re.compile(
    TRADE_CUES.pattern + "|" + REVENUE_CUES.pattern + r"|trị\s+giá|giá\s+trị|tiền\s+phạt|xử\s+phạt",
    re.IGNORECASE,
)

# A sentence that spells out the one before it, item by item.
LIST_OPENING = re.compile(r"\W*(?:[Cc]ụ\s+thể|[Tt]heo\s+đó|[Tt]rong\s+đó)\s*[:,]")

# A sentence that opens on a named unit and its figure ("Cục Hải quan X đạt 3.300 tỷ đồng, ..."): an item of a
# run of units whose metric the sentence before named (see facts.py, unit_run_sentence).
UNIT_RUN_ITEM = re.compile(
    r"\W*(?:Chi\s+cục|Cục)\s+(?:Hải\s+quan|HQ)\s+[^,;:.]{1,80}?\s(?:đạt|được)"
    r"(?:\s+(?:gần|hơn|trên|khoảng|xấp\s+xỉ))?\s+\d"
)

PROVINCE_PLACE = re.compile(
    r"(?:địa\s+bàn|tỉnh|thành\s+phố)\s+(?:tỉnh\s+|thành\s+phố\s+)?(?P<name>[A-ZĐ]\w*(?:\s+[A-ZĐ]\w*){0,3})"
)

# A province itself as the one whose figures these are ("kim ngạch xuất khẩu của Bình Dương", "Bình Dương đã
# thu ..."): the province's economy, not its customs department.
PROVINCE_OWNER = re.compile(
    r"\bcủa\s+(?:tỉnh\s+|thành\s+phố\s+|TP\.?\s*)?(?P<name>[A-ZĐ]\w*(?:\s+[A-ZĐ]\w*){0,3})"
)

PROVINCE_ACTOR = re.compile(
    r"(?:^|,\s*)(?:(?:đến|hiện)\s+nay\s+)?(?:tỉnh\s+|thành\s+phố\s+)?(?P<name>[A-ZĐ]\w*(?:\s+[A-ZĐ]\w*){0,3})\s+"
    r"(?:đã|có|ước|đạt|thu|dự\s+tính|dự\s+kiến|phấn\s+đấu|xuất\s+siêu|nhập\s+siêu|xuất\s+khẩu|nhập\s+khẩu)\b"
)

AVERAGE_BEFORE_CUE = re.compile(r"bình\s+quân|trung\s+bình|\bmỗi", re.IGNORECASE)

# "đóng góp (số thu) X tỷ": what a group of enterprises brought in, not the unit's total.
CONTRIBUTION_BEFORE = re.compile(r"đóng\s+góp(?:\s+(?:thêm|được|số\s+thu))*\s*$", re.IGNORECASE)

PARENTHESES = re.compile(r"\([^()]*\)")

# An amount followed by its share of a target: budget revenue, whatever cue it lacks.
ATTAINMENT_FOLLOWS = re.compile(
    r"\s*,?\s*(?:bằng|đạt)\s+(?:xấp\s+xỉ\s+|gần\s+|hơn\s+|khoảng\s+)?[\d.,]+\s*%\s*(?:so\s+với\s+)?"
    r"(?:dự\s+toán|chỉ\s+tiêu|kế\s+hoạch)",
    re.IGNORECASE,
)

# A list of branches, each with its share in brackets right after its name ("...: Chi cục Hải quan A (đạt
# 112%); Chi cục Hải quan B (91%)"), opened by words that compare revenue with a target (LIST_TARGET_INTRO,
# before the colon): each bracket is that branch's attainment.
BRACKETED_UNIT_ITEM = re.compile(
    r"(?:[:;,]|\bgồm)\s*(?:Chi\s+cục|Cục)\s+(?:Hải\s+quan|HQ)\b[^();:%]{1,80}\(\s*(?:đạt\s+)?$"
)
CLOSES_BRACKET = re.compile(r"\s*\)")
LIST_TARGET_INTRO = re.compile(
    r"(?:so\s+với|đạt|hoàn\s+thành)[^:;]{0,40}?(?P<noun>chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)", re.IGNORECASE
)

# Nothing but the slash between the two numbers of "X/Y tỷ đồng" (see numbers._SLASH_PAIR).
PAIR_SECOND = re.compile(r"\s*/\s*")

# A sentence listing who attended: its counts are of guests, not of the enterprises a unit cleared.
ATTENDANCE_OPENING = re.compile(r"\W*(?:[Tt]ham\s+dự|[Dd]ự\s+(?:hội|buổi|lễ)|[Cc]ó\s+mặt\s+tại)\b")

ONE_FLIGHT = re.compile(r"[Cc]huyến\s+bay\s+(?:mang\s+)?số\s+hiệu")

JUST_NOW = re.compile(r"\bvừa\s+(?!qua\b)|\bmới\s+đây\b|[Tt]hời\s+gian\s+gần\s+đây")
# A window of days or weeks: the news of a few seizures, not a period's count.
SHORT_WINDOW = re.compile(
    r"(?:trong\s+vòng|chỉ\s+trong)\s+(?:\d+|vài|ít)\s+ngày|\d+\s+tuần\s+(?:trở\s+lại\s+đây|qua)|"
    r"\b(?:sáng|chiều|tối)\s+nay\b|\bhôm\s+nay\b",
    re.IGNORECASE,
)

# Post-clearance audits (searched on lower-cased text): revenue they bring in is out of scope (contract).
AUDIT = re.compile(r"kiểm\s+tra\s+sau\s+thông\s+quan|\bktstq\b|\d\s+cuộc\s+kiểm\s+tra")

FROM_BEFORE = re.compile(r"\btừ\s*$")

TO_AFTER = re.compile(r"\s*[^\d,;.]{0,25}?\s(?:lên|xuống)\s+(?:mức\s+)?\d")

# Enforcement amounts are a unit's totals only with a count of cases or a period beside them; a lone
# amount ("Trị giá hàng vi phạm trên 327 triệu đồng") is one case's, and a fine's rate ("mức phạt") is law.
CASE_COUNT = re.compile(r"\d\s*(?:vụ|trường\s+hợp)\b|\b(?:các|những|nhiều)\s+vụ\b")

# One shipment or one named firm as what a sentence is about ("lô hàng" not counted, "Công ty TNHH ...",
# "doanh nghiệp này"): its tax or fine is a single case's money, out of scope (contract), unless the
# sentence gives a count of cases or a period (see PERIOD_WORDS), as a unit's total would.
ONE_PARTY = re.compile(
    r"(?<!\d\s)(?<![Cc]ác\s)(?<![Nn]hững\s)(?<![Nn]hiều\s)(?<![Mm]ột\s)\b[Ll]ô\s+hàng\b"
    r"|(?<![Cc]ác\s)(?<![Nn]hững\s)(?<![Nn]hiều\s)\b[Cc]ông\s+ty\b"
    r"|\b(?:doanh\s+nghiệp|DN|chủ\s+hàng)\s+(?:này|trên|nói\s+trên|nêu\s+trên)\b"
)

# "phạt tiền từ 2 triệu đến 5 triệu đồng": the range a rule sets for a fine, not an amount collected.
FINE_RANGE_BEFORE = re.compile(r"phạt(?:\s+tiền)?\s+từ\s*$", re.IGNORECASE)

PERIOD_WORDS = re.compile(
    r"\b(?:năm\s+\d{4}|tháng|quý|đến\s+(?:hết|nay|ngày)|từ\s+đầu\s+năm|lũy\s+kế|luỹ\s+kế|trong\s+năm|cả\s+năm|"
    r"cùng\s+kỳ)",
    re.IGNORECASE,
)

FINE_RATE = re.compile(
    r"mức\s+(?:xử\s+)?phạt|phạt\s+tiền|bị\s+(?:xử\s+)?phạt|quyết\s+định\s+xử\s+phạt", re.IGNORECASE
)

SPENDING_BEFORE = re.compile(
    r"(?:\bchi|giảm\s+chi|tiết\s+kiệm\s+chi)\s+(?:ngân\s+sách|NSNN|thường\s+xuyên|đầu\s+tư)"
)

# "đã thu", "đã nộp": what was collected, even after a sentence that talks about how targets were shared out.
ACTUAL_CUE = re.compile(r"đạt|thu\s+được|thực\s+hiện|kết\s+quả|\bđã\s+(?:thu|nộp)\b", re.IGNORECASE)

PAREN_AFTER_UNIT = re.compile(r"\(\s*$")

ACHIEVED_TARGET = re.compile(
    r"(?:vượt|hoàn\s+thành)(?:\s+mức)?\s+(?:chỉ\s+tiêu|dự\s+toán|kế\s+hoạch)(?=[\s,]*(?:,|với|và))",
    re.IGNORECASE,
)

BOUND_ONLY = re.compile(
    r"^\s*(?:đạt\s+)?(?:tối\s+thiểu|ít\s+nhất|tối\s+đa)\s*(?:thu\s+)?(?:đạt\s+)?(?:là\s+)?$"
)

AT_LEAST_CHUNK = re.compile(r"^\s*(?:tối\s+thiểu|ít\s+nhất)\b")

AMOUNT_IN = re.compile(r"\d\s*(?:%|tỷ|tỉ|triệu|nghìn|ngàn|USD)")

ENFORCEMENT_VALUE_AFTER = re.compile(
    r"\s*(?:hàng\s+(?:hóa\s+|hoá\s+)?)?(?:vi\s+phạm|tang\s+vật)", re.IGNORECASE
)

SHARE_OF_TOTAL_AFTER = re.compile(
    r"^[^;]{0,40}?\bchiếm\s+(?:khoảng\s+|gần\s+|hơn\s+)?[\d,.]+\s*%\s*(?:tổng|kim|trị)"
)

AFTER_WINDOW_END = re.compile(r";|trong\s+đó|\briêng\b|\btrong\s+khi", re.IGNORECASE)

# The Tổng cục named as the source of the country's trade figures: "theo Tổng cục Hải quan", "số liệu
# của ...", and the passive agent "(thông tin) được Tổng cục Hải quan công bố / đưa ra".
SOURCE_BEFORE = re.compile(
    r"(?:theo|dữ\s+liệu|số\s+liệu|thống\s+kê|báo\s+cáo|của|từ|được)(?:\s+(?:thông\s+tin|số\s+liệu|thống\s+kê))?\s*$",
    re.IGNORECASE,
)

DIFFERENCE_VERB = re.compile(r"tăng|giảm|sụt|thấp\s+hơn|cao\s+hơn|hụt", re.IGNORECASE)

REFERS_BACK = re.compile(r"\s*(?:tương\s+ứng|tương\s+đương)", re.IGNORECASE)

# The currency of the amount a "tương ứng X%" refers back to: trade turnover is in USD, revenue in đồng, so a
# percentage of a VND difference is never a trade change (a commodity's tax, say) and vice versa.
REFERRED_CURRENCY = re.compile(r"\bđồng\b|\bUSD\b")

EXCEEDED_BY = re.compile(
    r"vượt(?:\s+mức)?(?:\s+(?P<bound>tối\s+thiểu|ít\s+nhất|hơn|trên|khoảng))?\s*$", re.IGNORECASE
)

STRIVE_BEFORE = re.compile(r"phấn\s+đấu|mục\s+tiêu|\bcần\b|\bphải\b|đề\s+nghị|yêu\s+cầu", re.IGNORECASE)

ABOUT_AFTER = re.compile(r"\s*(?:\([^)]*\)\s*)?về\s+(?P<what>kim\s+ngạch|trị\s+giá|số\s+thu)?", re.IGNORECASE)

COORDINATED_CHANGE = re.compile(r"^\s*so\s+với[^,;%]*?\s(?:và|cũng\s+như)\s*$", re.IGNORECASE)

CHANGE_VERB = re.compile(r"tăng|giảm|sụt|thấp\s+hơn|cao\s+hơn|ít\s+hơn|nhiều\s+hơn", re.IGNORECASE)
