"""Withdrawals (issue 10): a 404/410 article retracts its facts; it is not a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.events import ExtractionEvent, RawPage
from services.extractor.service import extract_record


@pytest.mark.parametrize("status", [404, 410])
def test_a_withdrawn_article_yields_an_empty_extraction(status: int) -> None:
    url = "https://hddtvn.com/bai-da-go/"
    page = RawPage(
        url=url,
        final_url=url,
        status=status,
        role="article",
        fetched_at=datetime.now(UTC),
        content_sha256="a" * 64,
        body_bytes=0,
    )
    outcome = extract_record(page.encode())
    assert outcome.facts == () and outcome.extraction is not None
    key, value = outcome.extraction
    event = ExtractionEvent.decode(value)
    assert key == url.encode() and event.fact_ids == () and event.article_title == ""
    # A gone listing or feed has nothing to retract: no events, and no dead letter either.
    listing = page.model_copy(update={"role": "listing"})
    assert extract_record(listing.encode()).extraction is None
