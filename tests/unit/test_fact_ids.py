"""Fact ids: stable across re-extraction, distinct for facts that differ."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from services.common.facts import Fact, fact_id, format_decimal

URL = "https://hddtvn.com/mot-bai-viet/"
TARGET = Fact(
    subject="cuc:hai-phong",
    metric="budget_revenue",
    kind="target",
    value=Decimal("56000000000000"),
    unit="VND",
    period_start=date(2021, 1, 1),
    period_end=date(2021, 12, 31),
    target_type="du-toan",
    assigned_by="bo-tai-chinh",
    evidence="Câu thứ nhất.",
)


def test_same_fact_same_id_whatever_the_evidence() -> None:
    restated = replace(TARGET, evidence="Một câu khác nói lại cùng con số.")
    assert fact_id(URL, TARGET) == fact_id(URL, restated)


def test_equal_values_in_other_spellings_share_an_id() -> None:
    assert fact_id(URL, TARGET) == fact_id(URL, replace(TARGET, value=Decimal("5.6000E13")))


def test_two_targets_of_one_unit_for_one_year_differ() -> None:
    phan_dau = replace(TARGET, target_type="phan-dau", assigned_by=None, value=Decimal("58000000000000"))
    same_value_other_type = replace(TARGET, target_type="chi-tieu")
    ids = {fact_id(URL, f) for f in (TARGET, phan_dau, same_value_other_type)}
    assert len(ids) == 3


def test_both_ends_of_a_range_differ() -> None:
    low = replace(TARGET, value=Decimal("10097000000000"), kind="estimate", target_type=None)
    high = replace(low, value=Decimal("10320000000000"))
    assert fact_id(URL, low) != fact_id(URL, high)


def test_the_article_is_part_of_the_identity() -> None:
    assert fact_id(URL, TARGET) != fact_id("https://hddtvn.com/bai-khac/", TARGET)


def test_id_shape() -> None:
    assert len(fact_id(URL, TARGET)) == 32
    assert all(c in "0123456789abcdef" for c in fact_id(URL, TARGET))


def test_format_decimal_follows_the_contract() -> None:
    assert format_decimal(Decimal("12.40")) == "12.4"
    assert format_decimal(Decimal("1E+3")) == "1000"
    assert format_decimal(Decimal("-8.450")) == "-8.45"
    assert format_decimal(Decimal("0.000")) == "0"
    assert format_decimal(Decimal("100.0")) == "100"
