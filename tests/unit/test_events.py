"""Event (de)serialisation: round trips, and clear reasons for what does not decode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.common.events import EventError, ExtractionEvent, FactEvent, RawPage, validate_fact_json
from services.common.facts import Fact

ICT = timezone(timedelta(hours=7))


def make_fact_event(**overrides: object) -> FactEvent:
    fact = Fact(
        subject="tong-cuc",
        metric="budget_revenue_change",
        kind="actual",
        value=Decimal("-8.45"),
        unit="percent",
        bound="exact",
        period_start=date(2020, 1, 1),
        period_end=date(2020, 9, 30),
        evidence="Số thu giảm 8,45% so với cùng kỳ.",
    )
    return FactEvent.of(
        fact,
        article_url=str(overrides.get("article_url", "https://hddtvn.com/bai-mau/")),
        article_title="Bài mẫu",
        article_published=datetime(2020, 10, 2, 9, 30, tzinfo=ICT),
        extractor_version="1.2.3",
    )


def test_fact_event_round_trip() -> None:
    event = make_fact_event()
    decoded = FactEvent.decode(event.encode())
    assert decoded == event
    assert decoded.fact.evidence == event.fact.evidence
    assert decoded.article_published == datetime(2020, 10, 2, 9, 30, tzinfo=ICT)


def test_fact_event_json_has_the_contract_fields() -> None:
    data = json.loads(make_fact_event().encode())
    assert data["value"] == "-8.45"
    assert data["period_end"] == "2020-09-30"
    assert data["target_type"] is None
    assert data["article_published"] == "2020-10-02T09:30:00+07:00"
    assert {"fact_id", "article_url", "extractor_version", "evidence"} <= data.keys()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.update(value="1,5"), "value"),
        (lambda d: d.update(value="1e5"), "value"),
        (lambda d: d.update(kind="guess"), "kind"),
        (lambda d: d.update(unit="EUR"), "unit"),
        (lambda d: d.update(period_start="30/09/2020"), "period_start"),
        (lambda d: d.pop("evidence"), "evidence"),
        (lambda d: d.update(unit="VND"), "must be in percent"),
        (lambda d: d.update(fact_id="0" * 32), "does not match"),
    ],
)
def test_invalid_fact_events_are_refused_with_a_reason(mutate: object, reason: str) -> None:
    data = json.loads(make_fact_event().encode())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(EventError, match=reason):
        FactEvent.decode(json.dumps(data).encode())


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b"{}"])
def test_garbage_is_an_event_error(raw: bytes) -> None:
    with pytest.raises(EventError):
        FactEvent.decode(raw)


def test_metric_ids_are_the_published_ones_each_with_its_unit() -> None:
    data = json.loads(make_fact_event().encode())
    data.update(metric="declarations_change", unit="percent", value="12.5")  # unscored, but published
    validate_fact_json(data)
    data.update(metric="vehicles_cleared", unit="count", value="120")  # not in facts.v1.json's enum
    with pytest.raises(EventError, match="unknown metric id 'vehicles_cleared'"):
        validate_fact_json(data)


def test_raw_page_round_trip_and_errors() -> None:
    page = RawPage(
        url="https://hddtvn.com/a/",
        final_url="https://hddtvn.com/a/",
        status=200,
        role="article",
        content_type="text/html; charset=UTF-8",
        etag='"abc"',
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        content_sha256="0" * 64,
        body_bytes=12,
        body="<html>ô</html>",
    )
    assert RawPage.decode(page.encode()) == page
    with pytest.raises(EventError, match="schema"):
        RawPage.decode(b'{"url": "x"}')
    with pytest.raises(EventError, match="no value"):
        RawPage.decode(None)


def test_extraction_event_round_trip() -> None:
    event = ExtractionEvent(
        article_url="https://hddtvn.com/a/",
        article_title="A",
        article_published=None,
        extractor_version="1.0.0",
        content_sha256="f" * 64,
        fact_ids=("a" * 32, "b" * 32),
        extracted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert ExtractionEvent.decode(event.encode()) == event
    assert event.key == b"https://hddtvn.com/a/"
