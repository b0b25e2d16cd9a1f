"""route_page: a page's records in produce order, or one dead letter that says why and where from; and
send_route, which sends them in that order."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka import AIOKafkaProducer

from services.common.events import EventError, PagePosition
from services.common.kafka import header_map
from services.common.topics import dlq_topic
from services.extractor.producing import send_route
from services.extractor.routing import PageRoute, RouteTopics, SourceRecord, route_page
from services.extractor.service import EncodedOutcome, extract_record

TOPICS = RouteTopics.for_raw_topic("t.pages.raw", "t.facts.v1", "t.extractions.v1")
SOURCE = SourceRecord(topic="t.pages.raw", partition=3, offset=41, key=b"https://x/a", value=b"{raw}")
ARTICLE = EncodedOutcome(
    facts=((b"f1", b"fact one"), (b"f2", b"fact two")), extraction=(b"https://x/a", b"extraction")
)


def test_an_article_yields_its_facts_then_its_extraction_each_naming_the_page() -> None:
    route = route_page(SOURCE, ARTICLE, TOPICS, stage="replay")
    page = PagePosition("t.pages.raw", 3, 41).headers()
    assert [(r.topic, r.key, r.value, r.headers) for r in route.records] == [
        ("t.facts.v1", b"f1", b"fact one", page),
        ("t.facts.v1", b"f2", b"fact two", page),
        ("t.extractions.v1", b"https://x/a", b"extraction", page),
    ]
    assert (route.kind, route.facts, route.reason) == ("article", 2, None)


def test_an_article_without_facts_still_yields_its_extraction() -> None:
    """A withdrawal or an article that no longer states anything: the extraction retires its old facts."""
    route = route_page(SOURCE, EncodedOutcome(extraction=(b"u", b"e")), TOPICS, stage="replay")
    assert [(r.topic, r.value) for r in route.records] == [("t.extractions.v1", b"e")]
    assert (route.kind, route.facts) == ("article", 0)


def test_a_non_article_page_yields_nothing() -> None:
    route = route_page(SOURCE, EncodedOutcome(), TOPICS, stage="replay")
    assert route == PageRoute(records=(), kind="other", facts=0)


def test_a_failure_is_one_dead_letter_with_the_original_bytes_the_reason_and_the_source() -> None:
    route = route_page(SOURCE, EventError("page has no body: https://x/a"), TOPICS, stage="replay")
    (letter,) = route.records
    assert (letter.topic, letter.key, letter.value) == (dlq_topic("t.pages.raw"), b"https://x/a", b"{raw}")
    assert header_map(letter.headers) == {
        "hq.error": "page has no body: https://x/a",
        "hq.source.topic": "t.pages.raw",
        "hq.source.partition": "3",
        "hq.source.offset": "41",
        "hq.stage": "replay",
    }
    assert (route.kind, route.facts, route.reason) == ("dlq", 0, "page has no body: https://x/a")


def test_an_unexpected_exception_is_named_by_its_type() -> None:
    route = route_page(SOURCE, ValueError("boom"), TOPICS, stage="extractor")
    assert route.reason == "ValueError: boom"
    assert header_map(route.records[0].headers)["hq.stage"] == "extractor"


def test_a_poison_record_from_the_extractor_routes_to_the_dead_letters() -> None:
    try:
        outcome: EncodedOutcome | BaseException = extract_record(b"not json")
    except EventError as exc:
        outcome = exc
    route = route_page(SOURCE, outcome, TOPICS, stage="replay")
    assert route.kind == "dlq" and route.reason and route.reason == str(outcome)


def test_source_record_of_a_consumed_record() -> None:
    class Consumed:
        topic, partition, offset, key, value = "t", 1, 2, b"k", b"v"

    assert SourceRecord.of(Consumed()) == SourceRecord("t", 1, 2, b"k", b"v")


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, Any, Any]] = []

    async def send(self, topic: str, value: Any = None, key: Any = None, headers: Any = None) -> Any:
        self.sent.append((topic, key, value, headers))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(len(self.sent))
        return future


def test_send_route_sends_in_order_and_returns_the_deliveries() -> None:
    async def scenario() -> tuple[list[Any], FakeProducer]:
        producer = FakeProducer()
        as_producer = cast(AIOKafkaProducer, producer)
        article = await send_route(as_producer, route_page(SOURCE, ARTICLE, TOPICS, stage="replay"))
        letter = await send_route(as_producer, route_page(SOURCE, ValueError("x"), TOPICS, stage="replay"))
        return [await d for d in article + letter], producer

    delivered, producer = asyncio.run(scenario())
    assert delivered == [1, 2, 3, 4]
    assert [(topic, key) for topic, key, _, _ in producer.sent] == [
        ("t.facts.v1", b"f1"),
        ("t.facts.v1", b"f2"),
        ("t.extractions.v1", b"https://x/a"),
        (dlq_topic("t.pages.raw"), b"https://x/a"),
    ]
    page = list(PagePosition("t.pages.raw", 3, 41).headers())
    assert [headers for _, _, _, headers in producer.sent[:3]] == [page, page, page]  # aiokafka takes lists
    assert header_map(producer.sent[-1][3])["hq.error"] == "ValueError: x"
