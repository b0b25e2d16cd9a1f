"""Vietnamese number parsing: examples and round-trip properties (values are exact Decimals)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.extractor.domain.numbers import find_quantities, parse_number


@pytest.mark.parametrize(
    ("text", "value", "unit", "bound"),
    [
        ("đạt 10.037,6 tỷ đồng", "10037600000000", "VND", "exact"),
        ("2.735,79 triệu USD", "2735790000", "USD", "exact"),
        ("46.938,1 triệu đồng", "46938100000", "VND", "exact"),
        ("315.000 tỷ", "315000000000000", None, "exact"),
        ("228 nghìn tỷ đồng", "228000000000000", "VND", "exact"),
        ("hơn 4.224 tỷ", "4224000000000", None, "over"),
        ("gần 8 tỷ USD", "8000000000", "USD", "under"),
        ("khoảng 3 tỉ đô la", "3000000000", "USD", "about"),
        ("xấp xỉ 12 ngàn VNĐ", "12000", "VND", "about"),
        ("12,4%", "12.4", "percent", "exact"),
        ("56,5 %", "56.5", "percent", "exact"),
        ("4.403 tỷ 46 triệu đồng", "4403046000000", "VND", "exact"),
        ("1,8 triệu tờ khai", "1800000", None, "exact"),
    ],
)
def test_examples(text: str, value: str, unit: str | None, bound: str) -> None:
    (quantity,) = find_quantities(text)
    assert quantity.value == Decimal(value)
    assert quantity.unit == unit
    assert quantity.bound == bound


def test_range_gives_both_ends_with_the_scale_of_the_second() -> None:
    values = [q.value for q in find_quantities("dự kiến thu từ 10.097 đến 10.320 tỷ đồng")]
    assert values == [Decimal("10097000000000"), Decimal("10320000000000")]
    assert all(q.unit == "VND" for q in find_quantities("từ 10.097 đến 10.320 tỷ đồng"))


@pytest.mark.parametrize(
    "text",
    ["ngày 15/10", "đến 15/10/2020", "Nghị định 08/2015/NĐ-CP", "năm 2020", "đứng thứ 2", "quý 3/2020"],
)
def test_not_quantities(text: str) -> None:
    assert find_quantities(text) == []


def test_parse_number() -> None:
    assert parse_number("10.037,6") == Decimal("10037.6")
    assert parse_number("1,8") == Decimal("1.8")
    assert parse_number("315.000") == Decimal("315000")
    assert parse_number("abc") is None


def vietnamese(value: Decimal) -> str:
    """Format a non-negative decimal the Vietnamese way: '.' between thousands, ',' before decimals."""
    text = format(value, "f")
    whole, _, fraction = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    result = ".".join(groups)
    return result + ("," + fraction if fraction else "")


SCALES = {"": 1, "nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9, "nghìn tỷ": 10**12}
UNITS = {"đồng": "VND", "VNĐ": "VND", "USD": "USD", "%": "percent"}


@given(
    whole=st.integers(min_value=0, max_value=10**9),
    fraction=st.integers(min_value=0, max_value=999),
    places=st.integers(min_value=0, max_value=3),
    scale=st.sampled_from(sorted(SCALES)),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_formatted_values_parse_back_exactly(
    whole: int, fraction: int, places: int, scale: str, unit: str
) -> None:
    number = Decimal(whole) + (Decimal(fraction % 10**places) / Decimal(10) ** places if places else 0)
    if unit == "%":
        scale = ""
    text = "đạt " + vietnamese(number) + (" " + scale if scale else "") + (" " if unit != "%" else "") + unit
    quantities = find_quantities(text)
    assert len(quantities) == 1, text
    assert quantities[0].value == number * SCALES[scale], text
    assert quantities[0].unit == UNITS[unit]


@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    for quantity in find_quantities(text):
        assert quantity.start <= quantity.end


def test_upper_case_units_and_scales_read_like_lower_case() -> None:
    (q,) = find_quantities("ĐẠT 12,5 TỶ USD")
    assert (q.value, q.unit) == (Decimal("12500000000"), "USD")
    (q,) = find_quantities("thu 7 Tỷ VNĐ")
    assert (q.value, q.unit) == (Decimal("7000000000"), "VND")
