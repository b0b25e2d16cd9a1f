"""Who a number is about: canonical unit ids (contract "Subjects") and the units that set targets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_ADMIN = re.compile(r"^(?:tinh|thanh-pho|tp)-")

# Spelling variants that fold to something else than the canonical place.
_PLACE_ALIASES: dict[str, str] = {
    "hcm": "ho-chi-minh",
    "tphcm": "ho-chi-minh",
    "tp-hcm": "ho-chi-minh",
    "thanh-pho-ho-chi-minh": "ho-chi-minh",
    "br-vt": "ba-ria-vung-tau",
    "brvt": "ba-ria-vung-tau",
    "dac-lac": "dak-lak",
    "dak-lac": "dak-lak",
    "ha-tinh": "ha-tinh",
}


def fold(text: str) -> str:
    """ASCII, lower case, words joined by '-': "Bà Rịa – Vũng Tàu" -> "ba-ria-vung-tau"."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("&", " va ")  # "KCX&KCN" -> kcx-va-kcn
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("-", text.lower()).strip("-")


def place_id(name: str) -> str:
    folded = fold(name)
    folded = folded.replace("tp-hcm", "hcm") if folded.startswith("tp-hcm") else folded
    while True:
        stripped = _LEADING_ADMIN.sub("", folded)
        if stripped == folded:
            break
        folded = stripped
    return _PLACE_ALIASES.get(folded, folded)


_UPPER = "".join(chr(c) for c in range(0x41, 0x1EFF) if chr(c).isupper() and chr(c).isalpha())
_CAP = rf"(?:[{_UPPER}][\w]*\.?)"
# A place: capitalised words, possibly joined by a dash (Bà Rịa – Vũng Tàu), TP.HCM, BR-VT.
_PLACE = rf"(?:TP\.?\s*HCM|TPHCM|BR-VT|{_CAP}(?:(?:\s+|\s*[–-]\s*){_CAP}){{0,4}})"
# Lower-case words that belong to a branch's name ("cửa khẩu cảng ... khu vực 1").
_BRANCH_WORDS = (
    r"cửa|khẩu|cảng|sân|bay|quốc|tế|khu|vực|công|nghiệp|chế|xuất|ga|đường|sắt|bưu|điện|quản|lý|hàng|"
    r"đầu|tư|kinh|biên|giới|chuyển|phát|nhanh|ngoài|cụm|chính|phụ|thuộc|kiểm|soát|hóa|hoá|cao|dầu|khí|gia"
)
# A dash glued to a word ends the name ("... cảng Hòn Gai- đơn vị có số thu ...").
# "KCX và KCN", "KCX&KCN": two zones named together are one branch's name.
_JOINED_NAME = rf"và(?=\s+(?!Cục|Chi|Tổng|Hải|HQ|Bộ|UBND|Ủy){_CAP})"
_BRANCH_TOKEN = rf"(?:{_BRANCH_WORDS}|{_CAP}(?:&{_CAP})?|{_JOINED_NAME}|\d+|[IVX]+)"
_BRANCH_NAME = rf"(?:{_BRANCH_TOKEN}(?:\s+|$|(?=[,.;:)(–-]))){{1,12}}"

CHI_CUC_RE = re.compile(rf"Chi\s+[Cc]ục\s+(?:Hải\s+quan|HQ)\s+(?P<name>{_BRANCH_NAME})")
# "tại chi cục Đức Hoà": a customs branch named by its place alone, in a text about customs. Other
# agencies' branches (Chi cục Thuế, Kiểm lâm, Quản lý thị trường...) are left out by their first word.
CHI_CUC_BARE_RE = re.compile(
    r"\b[Cc]hi\s+cục\s+(?!(?:Hải|HQ|Thuế|Kiểm|Quản|Thú|Bảo|Phát|Tiêu|Thủy|Thuỷ|Văn|Dân|Thống|Trưởng|Phó|"
    rf"Chăn|Trồng|Đo|Giám|An|Lâm|Biển|Môi|Di|Hạt)\b)(?P<name>{_CAP}(?:\s+{_CAP}){{0,3}})"
)
CUC_RE = re.compile(
    rf"(?:(?P<cuc>Cục)\s+)?(?:Hải\s+quan|HQ)\s+(?P<admin>(?:tỉnh|thành\s+phố)\s+)?(?P<place>{_PLACE})"
)
TONG_CUC_RE = re.compile(
    r"Tổng\s+cục\s+Hải\s+quan|Tổng\s+cục(?!\s+trưởng)|[Tt]oàn\s+[Nn]gành(?:\s+[Hh]ải\s+quan)?|"
    r"[Nn]gành\s+[Hh]ải\s+quan|[Hh]ải\s+quan\s+Việt\s+Nam|[Ll]ực\s+lượng\s+[Hh]ải\s+quan(?!\s+[A-ZĐ])|"
    r"[Cc]ơ\s+quan\s+[Hh]ải\s+quan(?!\s+[A-ZĐ])|\bTCHQ\b"
)
COUNTRY_RE = re.compile(r"cả\s+nước|của\s+Việt\s+Nam|Việt\s+Nam\s+(?:đạt|ước)")
# Back-references to the unit being talked about.
BACKREF_RE = re.compile(r"\b(?:toàn\s+[Cc]ục|[Đđ]ơn\s+vị|[Cc]ục)\b")

ASSIGNER_RE = re.compile(
    r"(?P<btc>Bộ\s+Tài\s+chính)|(?P<qh>Quốc\s+hội)|(?P<tc>Tổng\s+cục(?:\s+Hải\s+quan)?|\bTCHQ\b)"
    rf"|(?P<ubnd>(?:UBND|Ủy\s+ban\s+nhân\s+dân|HĐND)(?:\s+(?:tỉnh|thành\s+phố|TP\.?))?(?:\s+(?P<uplace>{_PLACE}))?)"
    rf"|(?P<cuc>Cục\s+Hải\s+quan(?:\s+(?:tỉnh|thành\s+phố)\s+)?(?:\s+(?P<cplace>{_PLACE}))?)"
)
# Provinces and cities (folded): "Hải quan X" is a department only when X is one of them; otherwise it
# names a branch by its place ("Hải quan Móng Cái") and is resolved against the branches already seen.
PROVINCES: frozenset[str] = frozenset(
    {
        "an-giang",
        "ba-ria-vung-tau",
        "bac-giang",
        "bac-kan",
        "bac-lieu",
        "bac-ninh",
        "ben-tre",
        "binh-dinh",
        "binh-duong",
        "binh-phuoc",
        "binh-thuan",
        "ca-mau",
        "can-tho",
        "cao-bang",
        "da-nang",
        "dak-lak",
        "dak-nong",
        "dien-bien",
        "dong-nai",
        "dong-thap",
        "gia-lai",
        "ha-giang",
        "ha-nam",
        "ha-noi",
        "ha-tinh",
        "hai-duong",
        "hai-phong",
        "hau-giang",
        "hoa-binh",
        "hung-yen",
        "khanh-hoa",
        "kien-giang",
        "kon-tum",
        "lai-chau",
        "lam-dong",
        "lang-son",
        "lao-cai",
        "long-an",
        "nam-dinh",
        "nghe-an",
        "ninh-binh",
        "ninh-thuan",
        "phu-tho",
        "phu-yen",
        "quang-binh",
        "quang-nam",
        "quang-ngai",
        "quang-ninh",
        "quang-tri",
        "soc-trang",
        "son-la",
        "tay-ninh",
        "thai-binh",
        "thai-nguyen",
        "thanh-hoa",
        "thua-thien-hue",
        "tien-giang",
        "tra-vinh",
        "tuyen-quang",
        "vinh-long",
        "vinh-phuc",
        "yen-bai",
        "ho-chi-minh",
        "gia-lai-kon-tum",
        "ha-nam-ninh",
        "hue",
    }
)

# Words that are not places although capitalised after "Hải quan".
_NOT_PLACES = frozenset(
    {"viet-nam", "vn", "doanh-nghiep", "cua-khau", "khu-vuc", "the", "trong", "tai", "va", "da", "cung"}
)


@dataclass(frozen=True, slots=True)
class SubjectMention:
    subject: str
    start: int
    end: int


# A person's name after a unit's name ("Chi cục Hải quan X Nguyễn Văn A"): the unit's name stops there.
_PERSON_NAME = re.compile(
    r"\s(?=(?:Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đào|Đinh|Lưu|"
    r"Trương|Tạ|Lâm|Quách|Kiều|Triệu|Đoàn|Vương|Tôn|Thân|La|Mạc)\s+[A-ZĐÀ-Ỹ])"
)
_SUBJECT_HINT = re.compile(
    r"[Hh]ải\s+quan|\bHQ\b|[Cc]ục|[Nn]gành|TCHQ|cả\s+nước|Việt\s+Nam|[Cc]ảnh\s+sát|[Bb]iên\s+phòng|"
    r"KTNN|[Kk]iểm\s+toán|Trạm"
)
# Substrings one of which every hint holds (besides "ục" and "ải"/"HQ", checked on their own).
_HINT_WORDS = ("gành", "TCHQ", "nước", "Việt", "ảnh", "iên", "KTNN", "toán", "Trạm")
_NUMBERED_NAME = re.compile(r".*?(?:\b(?:khu\s+vực|KV)\s*(?:\d+|[IVX]+)|\s\d+)(?=\s|$)")
UNRESOLVED_PLACE = "place:"
OTHER_UNIT = "other"  # a unit that is not a subject of the contract: its figures are not scored
# Departments of the Tổng cục are subjects of their own, `cuc:<name>` folded like a place (contract). Of
# those, only the anti-smuggling department reports in-scope figures of its own: post-clearance audit
# revenue is out of scope, and the staff departments (Thuế XNK, Giám sát quản lý, Quản lý rủi ro) speak for
# the whole sector, so they stay outside with the other agencies (as a speaker, see
# SPEAKING_STAFF_DEPARTMENT_RE).
TONG_CUC_DEPARTMENT_RE = re.compile(r"Cục\s+(?P<name>Điều\s+tra\s+chống\s+buôn\s+lậu)")
OTHER_DEPARTMENT_RE = re.compile(
    r"Kiểm\s+toán\s+[Nn]hà\s+nước|\bKTNN\b|Trạm\s+[Kk]iểm\s+soát\s+liên\s+hợp|"
    r"Cục\s+Kiểm\s+tra\s+sau\s+thông\s+quan|Cục\s+Quản\s+lý\s+rủi\s+ro|"
    r"Cục\s+Thuế\s+(?:XNK|xuất\s+nhập\s+khẩu)|Cục\s+Giám\s+sát\s+quản\s+lý|Cục\s+Thuế\b|Tổng\s+cục\s+Thuế|"
    r"Cục\s+Cảnh\s+sát|Cảnh\s+sát\s+biển|Bộ\s+đội\s+Biên\s+phòng|Tổng\s+cục\s+Quản\s+lý\s+thị\s+trường|"
    r"Cục\s+(?:QLTT|Quản\s+lý\s+thị\s+trường)"
)

# A staff department as the speaker ("Phó Cục trưởng Cục Thuế XNK nhận định, thu ngân sách ...", "theo Cục
# Giám sát quản lý"): it reports the sector's figures, so the mention stands for the Tổng cục, not for an
# outside agency.
SPEAKING_STAFF_DEPARTMENT_RE = re.compile(
    r"(?:(?:\b[Pp]hó\s+)?\b[Cc]ục\s+trưởng|\b[Tt]rưởng\s+phòng|\b[Đđ]ại\s+diện|\b[Ll]ãnh\s+đạo|\b[Tt]heo)\s+"
    r"(?P<dept>Cục\s+(?:Thuế\s+(?:XNK|xuất\s+nhập\s+khẩu)|Giám\s+sát\s+quản\s+lý|Quản\s+lý\s+rủi\s+ro))"
)

# Teams inside a department or branch ("Đội Kiểm soát Hải quan số 2", "Tổ công tác sân bay ..."): their
# figures are a part of their unit's, so the team is a unit outside the contract, and the unit named right
# after it ("Đội Kiểm soát ..., Cục Hải quan X") is its parent, not the subject.
TEAM_RE = re.compile(
    r"\b(?:Đội|Tổ)\s+(?:[Kk]iểm\s+soát|[Cc]ông\s+tác|[Nn]ghiệp\s+vụ|[Đđ]iều\s+tra|[Tt]uần\s+tra|[Cc]hống\s+buôn)"
    r"(?:[^,;.()]|,\s*chống){0,50}"
)
_TEAM_PARENT = re.compile(r"\s*(?:[,(–-]\s*)?(?:(?:trực\s+)?thuộc\s+|của\s+)?$")


def _after_last_proper_word(name: str) -> str:
    """A branch's name ends at its proper name: "cửa khẩu Móng Cái quản lý ..." -> "cửa khẩu Móng Cái".

    Lower-case words before the proper name describe the branch ("cửa khẩu cảng"); after it they are the
    sentence going on. A name with no proper word is kept whole.
    """
    words = name.split()
    proper = [
        i
        for i, word in enumerate(words)
        if word[:1].isupper()
        # a number belongs to the name after "khu vực"/"KV" or a proper word ("Cát Lái 2"), not after a verb
        or (word[:1].isdigit() and i > 0 and (words[i - 1] in ("vực", "KV") or words[i - 1][:1].isupper()))
    ]
    return " ".join(words[: proper[-1] + 1]) if proper else name


def _province_prefix(place: str) -> str | None:
    """The longest run of leading words that names a province ("lang-son-nguyen-hoang" -> "lang-son")."""
    words = place.split("-")
    for size in range(min(len(words), 4), 0, -1):
        candidate = "-".join(words[:size])
        candidate = _PLACE_ALIASES.get(candidate, candidate)
        if candidate in PROVINCES:
            return candidate
    return None


def province_of(name: str) -> str | None:
    """The province a name starts with ("Bình Dương", "TP Hồ Chí Minh"), or None."""
    return _province_prefix(place_id(name))


def _trim_place(place: str) -> str:
    # Stop a place at words that start the next phrase ("Hải quan Lạng Sơn Nguyễn" is rare; keep simple).
    return place.strip(" .–-")


def find_subjects(text: str) -> list[SubjectMention]:
    """Unit mentions in reading order; overlapping matches keep the most specific one."""
    # Most sentences name no unit: plain substring checks skip the expensive patterns.
    cuc = "ục" in text
    customs = "ải" in text or "HQ" in text
    if not (cuc or customs or any(word in text for word in _HINT_WORDS)) or not _SUBJECT_HINT.search(text):
        return []
    found: list[SubjectMention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    if cuc or "Cảnh" in text or "Bộ" in text or "KTNN" in text or "toán" in text or "Trạm" in text:
        speaking = {m.start("dept") for m in SPEAKING_STAFF_DEPARTMENT_RE.finditer(text)}
        for match in OTHER_DEPARTMENT_RE.finditer(text):
            unit = "tong-cuc" if match.start() in speaking else OTHER_UNIT
            found.append(SubjectMention(unit, match.start(), match.end()))
            taken.append((match.start(), match.end()))
        for match in TONG_CUC_DEPARTMENT_RE.finditer(text) if cuc else ():
            if free(match.start(), match.end()):
                found.append(
                    SubjectMention("cuc:" + place_id(match.group("name")), match.start(), match.end())
                )
                taken.append((match.start(), match.end()))
    teams = [(m.start(), m.end()) for m in TEAM_RE.finditer(text)] if "Đội" in text or "Tổ" in text else []
    for start, end in teams:
        if free(start, end):
            found.append(SubjectMention(OTHER_UNIT, start, end))
            taken.append((start, end))
    bare = (
        [m for m in CHI_CUC_BARE_RE.finditer(text) if free(m.start(), m.end())]
        if cuc and ("Chi" in text or "chi" in text)
        else []
    )
    for match in CHI_CUC_RE.finditer(text) if cuc and "Chi" in text else ():
        if not free(match.start(), match.end()):
            continue
        name = _PERSON_NAME.split(match.group("name"), maxsplit=1)[0].strip()
        numbered = _NUMBERED_NAME.match(name)
        if numbered:
            name = numbered.group(0)  # "… khu vực 1 phát hiện": the name ends at its number
        name = _after_last_proper_word(name)
        name = re.sub(r"\s+(?:đạt|thu|là|có|với|và|mới|cho|đã|được)$", "", name)
        branch = place_id(name)
        if not branch:  # a name with no Latin letter or digit (no slug): no subject, not a "chi-cuc:"
            continue
        found.append(SubjectMention("chi-cuc:" + branch, match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in bare:
        if free(match.start(), match.end()):
            branch = place_id(_PERSON_NAME.split(match.group("name"), maxsplit=1)[0].strip())
            if not branch:
                continue
            found.append(SubjectMention("chi-cuc:" + branch, match.start(), match.end()))
            taken.append((match.start(), match.end()))
    tong_cuc = (
        cuc
        or "gành" in text
        or "TCHQ" in text
        or ("ải" in text and "quan" in text and ("Việt" in text or "lượng" in text or "ơ" in text))
    )
    for match in TONG_CUC_RE.finditer(text) if tong_cuc else ():
        if not free(match.start(), match.end()):
            continue
        found.append(SubjectMention("tong-cuc", match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in CUC_RE.finditer(text) if customs else ():
        if not free(match.start(), match.end()):
            continue
        place = place_id(_trim_place(match.group("place")))
        if not place or place in _NOT_PLACES or place.startswith("viet-nam"):
            continue
        province = _province_prefix(place)
        if province:
            subject = "cuc:" + province
        elif match.group("cuc"):
            subject = "cuc:" + place
        else:
            subject = UNRESOLVED_PLACE + place  # a branch named by its place: the caller resolves it
        found.append(SubjectMention(subject, match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in COUNTRY_RE.finditer(text) if "nước" in text or "Việt" in text else ():
        if free(match.start(), match.end()):
            found.append(SubjectMention("ca-nuoc", match.start(), match.end()))
    found.sort(key=lambda m: m.start)
    # "Chi cục Hải quan X (Cục Hải quan Y)": the bracket names the parent, not a new subject; so does the
    # unit right after a team ("Đội Kiểm soát Hải quan, Cục Hải quan Y").
    team_ends = {end for _, end in teams}
    return [
        m
        for i, m in enumerate(found)
        if not (
            i > 0
            and (
                (
                    found[i - 1].subject.startswith("chi-cuc:")
                    and _PARENT_BRACKET.match(text, found[i - 1].end, m.start)
                )
                or (found[i - 1].end in team_ends and _TEAM_PARENT.match(text[found[i - 1].end : m.start]))
            )
        )
    ]


# The parent after a branch: "(Cục Hải quan Y)", "thuộc ...", "của ...", or ", Cục Hải quan Y" right after it.
_PARENT_BRACKET = re.compile(r"\s*(?:[(–-]|,|,?\s*(?:trực\s+)?thuộc|[^,;.()\d]{0,60}\bcủa)\s*$")


def assigner_id(match: re.Match[str], current_place: str | None) -> str | None:
    if match.group("btc"):
        return "bo-tai-chinh"
    if match.group("qh"):
        return "quoc-hoi"
    if match.group("tc"):
        return "tong-cuc"
    if match.group("ubnd"):
        place = match.group("uplace")
        folded = place_id(place) if place else current_place
        return f"ubnd:{folded}" if folded else None
    if match.group("cuc"):
        place = match.group("cplace")
        folded = place_id(place) if place else current_place
        return f"cuc:{folded}" if folded else None
    return None
