"""Observations from facts: how values agree, which one is agreed, what a conflict shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

import fastjsonschema
import pytest

from services.common.facts import format_decimal
from services.store.consolidation import (
    ObservationKey,
    SourceFact,
    consolidate,
    encode_observation,
    group_values,
    observation_id,
    rounding_tolerance,
)

KEY = ObservationKey("tong-cuc", "budget_revenue", "actual", date(2020, 1, 1), date(2020, 12, 31), None)
TRILLION = Decimal(10) ** 12


def source(
    value: str,
    article: str,
    day: int | None,
    *,
    bound: str = "exact",
    unit: str = "VND",
    scale: Decimal = TRILLION,
) -> SourceFact:
    published = datetime(2021, 1, day, 8, tzinfo=UTC) if day else None
    return SourceFact(
        fact_id=observation_id(article, value, bound, None, None, unit)[:32],
        article_url=f"https://news.example/{article}/",
        article_title=f"Bài {article}",
        article_published=published,
        value=Decimal(value) * scale,
        unit=unit,
        bound=bound,
        evidence=f"Thu ngân sách đạt {value} nghìn tỷ đồng ({article}).",
    )


def validator() -> fastjsonschema.validator:  # type: ignore[name-defined]
    text = resources.files("services.common").joinpath("schemas/observations.v1.json").read_text("utf-8")
    return fastjsonschema.compile(json.loads(text))


def test_observation_id_is_the_md5_of_the_key_that_migration_0007_computes_in_sql() -> None:
    # The documented form (schema and docs): md5 of the key's fields joined by |, '' for null.
    material = b"tong-cuc|budget_revenue|actual|2020-01-01|2020-12-31|"
    assert KEY.observation_id == hashlib.md5(material, usedforsecurity=False).hexdigest()
    other = ObservationKey(
        "tong-cuc", "budget_revenue", "actual", date(2020, 1, 1), date(2020, 12, 31), "du-toan"
    )
    assert other.observation_id != KEY.observation_id


@pytest.mark.parametrize(
    ("value", "tolerance"),
    [
        ("317", "0.5"),  # half a unit of the last significant digit
        ("317.09", "0.005"),
        ("300", "6.00"),  # a round figure: 50 would be half a unit; at most 2 %
        ("15", "0.5"),
        ("0", "0"),
        ("-12.5", "0.05"),
    ],
)
def test_rounding_tolerance(value: str, tolerance: str) -> None:
    assert rounding_tolerance(Decimal(value)) == Decimal(tolerance)


def test_rounded_statements_of_one_figure_agree_and_the_most_precise_is_agreed() -> None:
    facts = [source("317", "a", 5), source("317.09", "b", 9), source("317.1", "c", 7)]
    observation = consolidate(KEY, facts)
    assert observation is not None
    assert not observation.conflict
    assert observation.agreed.representative.value == Decimal("317.09") * TRILLION
    event = observation.to_event()
    assert event["source_count"] == event["agreeing_count"] == 3
    assert event["first_article"]["url"].endswith("/a/")
    assert event["latest_article"]["url"].endswith("/b/")
    assert event["evidence_url"].endswith("/b/")


def test_disagreeing_values_are_a_conflict_with_the_majority_agreed_and_every_value_listed() -> None:
    facts = [source("315", "a", 1), source("317", "b", 2), source("317.09", "c", 3), source("0.49", "d", 4)]
    observation = consolidate(KEY, facts)
    assert observation is not None and observation.conflict
    event = observation.to_event()
    assert event["value"] == format_decimal(Decimal("317.09") * TRILLION)
    assert (event["source_count"], event["agreeing_count"]) == (4, 2)
    assert event["values"][0]["value"] == event["value"]
    assert sorted(v["source_count"] for v in event["values"]) == [1, 1, 2]
    listed = {a for v in event["values"] for a in v["articles"]}
    assert listed == {f.article_url for f in facts}
    validator()(event)


def test_a_tie_goes_to_the_group_of_the_latest_article() -> None:
    early, late = source("300", "old", 1), source("315", "new", 20)
    observation = consolidate(KEY, [late, early])
    assert observation is not None and observation.conflict
    assert observation.agreed.representative is late


def test_open_bounds_agree_with_values_on_their_open_side_only() -> None:
    over = source("300", "over", 1, bound="over")
    assert len(group_values([over, source("317", "x", 2)])) == 1  # "hơn 300" and 317
    assert len(group_values([over, source("280", "y", 2)])) == 2  # "hơn 300" is not 280
    under = source("50", "under", 1, bound="under", unit="percent", scale=Decimal(1))
    assert len(group_values([under, source("45", "z", 2, unit="percent", scale=Decimal(1))])) == 1
    about = source("100", "about", 1, bound="about")
    assert len(group_values([about, source("104", "w", 2)])) == 1  # khoảng 100 covers 5 %


def test_values_in_other_units_never_agree() -> None:
    dollars = source("317", "usd", 1, unit="USD")
    assert len(group_values([source("317", "vnd", 1), dollars])) == 2


def test_the_event_is_deterministic_whatever_the_order_of_its_sources() -> None:
    facts = [
        source("315", "a", 1),
        source("317", "b", None),
        source("317.09", "c", 3),
        source("0.49", "d", 4),
    ]
    first = consolidate(KEY, facts)
    second = consolidate(KEY, list(reversed(facts)))
    assert first is not None and second is not None
    assert encode_observation(first.to_event()) == encode_observation(second.to_event())
    # An undated article is never the first one when a dated one exists.
    assert first.to_event()["first_article"]["published"] is not None


def test_no_active_fact_is_no_observation() -> None:
    assert consolidate(KEY, []) is None
