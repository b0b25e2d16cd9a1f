"""The Faust entry point: decode, call the domain, produce, and dead-letter poison with its reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from faust.types.tuples import Message

from services.common.events import ExtractionEvent, FactEvent, RawPage
from services.common.facts import Fact
from services.common.kafka import header_map
from services.common.settings import Settings
from services.extractor import app as extractor_app
from services.extractor.pool import ExtractionPool
from services.extractor.service import PageOutcome

URL = "https://hddtvn.com/bai-mau/"


@dataclass
class FakeTopic:
    name: str
    log: list[str]  # shared by the topics of one test: the order of every send
    sent: list[dict[str, Any]] = field(default_factory=list)

    def get_topic_name(self) -> str:
        return self.name

    async def send(self, **kwargs: Any) -> asyncio.Future[None]:
        self.sent.append(kwargs)
        self.log.append(self.name)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@dataclass
class FakeMessage:
    value: bytes | None
    key: bytes | None = URL.encode()
    topic: str = "hddtvn.pages.raw"
    partition: int = 0
    offset: int = 41


@dataclass
class FakeEvent:
    message: FakeMessage


def fake_topics() -> Any:
    log: list[str] = []
    return extractor_app.ExtractorTopics(
        raw=FakeTopic("raw", log),
        facts=FakeTopic("facts", log),
        extractions=FakeTopic("extractions", log),
        dlq=FakeTopic("dlq", log),
    )  # type: ignore[arg-type]


def page(**overrides: Any) -> RawPage:
    fields: dict[str, Any] = {
        "url": URL,
        "final_url": URL,
        "status": 200,
        "role": "article",
        "fetched_at": datetime(2026, 1, 1, tzinfo=UTC),
        "content_sha256": "a" * 64,
        "body_bytes": 10,
        "body": "<html></html>",
    }
    return RawPage(**(fields | overrides))


def one_fact_outcome(raw: RawPage, version: str) -> PageOutcome:
    fact = Fact("tong-cuc", "budget_revenue", "actual", Decimal("315000000000000"), "VND", evidence="Câu.")
    event = FactEvent.of(
        fact, article_url=raw.url, article_title="T", article_published=None, extractor_version=version
    )
    extraction = ExtractionEvent(
        article_url=raw.url,
        article_title="T",
        article_published=None,
        extractor_version=version,
        content_sha256=raw.content_sha256,
        fact_ids=(event.fact_id,),
        extracted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return PageOutcome(facts=[event], extraction=extraction)


async def test_facts_then_extraction_are_produced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.extractor.service.process_page", one_fact_outcome)
    topics = fake_topics()
    await extractor_app.handle_raw_event(FakeEvent(FakeMessage(page().encode())), topics, "9.9.9")  # type: ignore[arg-type]
    assert len(topics.facts.sent) == 1
    fact = FactEvent.decode(topics.facts.sent[0]["value"])
    assert topics.facts.sent[0]["key"] == fact.fact_id.encode()
    assert fact.extractor_version == "9.9.9"
    extraction = ExtractionEvent.decode(topics.extractions.sent[0]["value"])
    assert extraction.fact_ids == (fact.fact_id,)
    assert topics.dlq.sent == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"<html>not an event</html>", "does not match the schema"),
        (None, "no value"),
        (page(body=None, truncated=True, body_bytes=9_000_000).encode(), "too large"),
    ],
)
async def test_poison_goes_to_the_dlq_with_reason_and_offset(value: bytes | None, reason: str) -> None:
    topics = fake_topics()
    await extractor_app.handle_raw_event(FakeEvent(FakeMessage(value)), topics, "1.0.0")  # type: ignore[arg-type]
    assert topics.facts.sent == [] and topics.extractions.sent == []
    (dead,) = topics.dlq.sent
    assert dead["value"] == value
    headers = header_map(dead["headers"])
    assert reason in headers["hq.error"]
    assert headers["hq.source.offset"] == "41"
    assert headers["hq.source.topic"] == "hddtvn.pages.raw"


async def test_a_crashing_domain_is_dead_lettered_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(raw: RawPage, version: str) -> PageOutcome:
        raise ZeroDivisionError("rule bug")

    monkeypatch.setattr("services.extractor.service.process_page", explode)
    topics = fake_topics()
    await extractor_app.handle_raw_event(FakeEvent(FakeMessage(page().encode())), topics, "1.0.0")  # type: ignore[arg-type]
    assert "ZeroDivisionError: rule bug" in header_map(topics.dlq.sent[0]["headers"])["hq.error"]


async def test_a_batch_keeps_the_raw_order_and_isolates_its_poison(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.extractor.service.process_page", one_fact_outcome)
    topics = fake_topics()
    events = [
        FakeEvent(FakeMessage(page().encode(), offset=10)),
        FakeEvent(FakeMessage(b"not an event", offset=11)),
        FakeEvent(FakeMessage(page(url=URL + "hai/", final_url=URL + "hai/").encode(), offset=12)),
    ]
    await extractor_app.handle_raw_events(events, topics, "1.0.0")  # type: ignore[arg-type]
    # Page by page in offset order, each page's facts before its extraction; the poison only dead-lettered.
    assert topics.facts.log == ["facts", "extractions", "dlq", "facts", "extractions"]
    assert header_map(topics.dlq.sent[0]["headers"])["hq.source.offset"] == "11"
    urls = [ExtractionEvent.decode(sent["value"]).article_url for sent in topics.extractions.sent]
    assert urls == [URL, URL + "hai/"]


async def test_agent_runs_in_faust_test_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.extractor.service.process_page", one_fact_outcome)
    pool = ExtractionPool()  # in-process here, so that the patched domain is the one called
    monkeypatch.setattr(pool, "extract", extractor_app.extract_inline)
    app, topics = extractor_app.create_app(
        Settings(), web_port=None, group_id="unit-test-extractor", pool=pool
    )
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    captured = fake_topics()
    monkeypatch.setattr(topics.facts, "send", captured.facts.send)
    monkeypatch.setattr(topics.extractions, "send", captured.extractions.send)
    agent = app.agents["extract-pages"]
    async with agent.test_context() as agent_context:
        await agent_context.put(page().encode(), key=URL.encode())
    assert len(captured.facts.sent) == 1
    assert len(captured.extractions.sent) == 1


def faust_event(offset: int) -> Any:
    message = Message("raw", 0, offset, 0.0, 0, None, b"k", b"v", None)
    message.refcount = 1  # one stream holds it, as when the consumer hands it to the agent
    return FakeEvent(message)  # type: ignore[arg-type]


async def test_a_batch_that_fails_or_is_cancelled_is_never_acked() -> None:
    done, failed = [faust_event(1), faust_event(2)], [faust_event(3)]

    async def batches() -> AsyncIterator[list[Any]]:
        for batch in (done, failed):
            try:
                yield batch
            finally:  # what stream.take_events does: ack the batch when the loop leaves it, however
                for event in batch:
                    event.message.ack(consumer=None)

    async def handle(events: Sequence[Any]) -> None:
        if events is failed:
            raise asyncio.CancelledError  # SIGTERM mid-batch, or a producer error

    stream = batches()
    with pytest.raises(asyncio.CancelledError):
        async for _ in extractor_app.deliver_batches(stream, handle):
            pass
    await stream.aclose()  # the stream's own finally runs (and acks) when it is closed
    # The delivered batch was acked by the stream (final ack: its offsets may be committed); the failed
    # one's acks were withheld: its offset is never reported done, so it is read again.
    assert [e.message.refcount for e in done] == [0, 0]
    assert failed[0].message.refcount == 1  # the stream's ack was a no-op: never a final ack
