"""Publish-to-committed (issue 10): the store observes the age of each committed extraction's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.store import metrics
from services.store.domain import ClassifiedBatch, ExtractionApply, SourceRecord
from services.store.service import _observe_freshness
from services.store.testing import extraction_event


def _apply(fetched_at: datetime | None) -> ExtractionApply:
    event = extraction_event("https://hddtvn.com/a/", []).model_copy(update={"fetched_at": fetched_at})
    return ExtractionApply(event=event, version=(0, 1, 0, 0, 4, 0), source=SourceRecord("t", 0, 0, None, b""))


def _count() -> float:
    for metric in metrics.PUBLISH_TO_COMMITTED.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                return sample.value
    return 0.0


def test_live_extractions_are_observed_replays_and_unknown_ages_are_not() -> None:
    now = datetime.now(UTC)
    before = _count()
    batch = ClassifiedBatch(
        extractions=[
            _apply(now - timedelta(seconds=3)),  # live
            _apply(now - timedelta(days=2)),  # a replay of an old fetch
            _apply(None),  # an extractor that does not say
            _apply(datetime(2026, 1, 1)),  # naive: not comparable, ignored rather than a crash
        ]
    )
    _observe_freshness(batch)
    assert _count() == before + 1
