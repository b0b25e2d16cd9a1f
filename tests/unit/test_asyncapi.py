"""docs/asyncapi.yaml describes every topic the pipeline creates, with the configuration it creates it with,
and names payload schemas that real encoded events satisfy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, get_args

import fastjsonschema
import jsonschema
import pytest

from services.common.events import (
    PAGE_OFFSET_HEADER,
    ExtractionEvent,
    FactEvent,
    PagePosition,
    PageRole,
    RawPage,
)
from services.common.facts import Fact
from services.common.kafka import dlq_headers, topic_specs
from services.common.settings import Settings
from services.common.topics import dlq_topic
from services.crawler.adapters.publisher import CRAWL_HEADER, ROLE_HEADER
from services.pipeline.replay_worker import REPLAY_STAGE
from services.store.consolidation import (
    ObservationKey,
    SourceFact,
    consolidate,
    encode_observation,
    observation_id,
)
from services.store.consumer import STAGE as STORE_STAGE
from services.store.dlq import REDRIVEN_FROM, dlq_topics
from tests.unit.test_store_asyncapi import DOC, REPO, load, resolve

SCHEMAS = REPO / "services" / "common" / "schemas"
ICT = timezone(timedelta(hours=7))


def channel_at(document: dict[str, Any], address: str) -> dict[str, Any]:
    (channel,) = [c for c in document["channels"].values() if c["address"] == address]
    return channel  # type: ignore[no-any-return]


def file_refs(node: Any) -> Iterator[str]:
    """Every $ref to another file, anywhere in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                yield value
            else:
                yield from file_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from file_refs(item)


def payload_schema(document: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a message's payload: the repository file it names, or the schema written inline."""
    payload = message["payload"]
    schema = payload.get("schema", payload)
    if set(schema) == {"$ref"}:
        loaded: dict[str, Any] = json.loads((DOC.parent / schema["$ref"]).read_text("utf-8"))
        return loaded
    return schema  # type: ignore[no-any-return]


def message_schema(address: str, message: str) -> dict[str, Any]:
    doc = load()
    return payload_schema(doc, resolve(doc, channel_at(doc, address)["messages"][message]["$ref"]))


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """jsonschema as the reference, and fastjsonschema as events.py runs it (it also checks formats)."""
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(instance)
    fastjsonschema.compile(schema)(instance)


def test_every_topic_the_project_creates_is_a_channel_and_no_other() -> None:
    settings = Settings()
    addresses = {c["address"] for c in load()["channels"].values()}
    public = [
        settings.raw_topic,
        settings.facts_topic,
        settings.extractions_topic,
        settings.observations_topic,
    ]
    assert set(public) <= addresses
    consumed = [settings.raw_topic, settings.facts_topic, settings.extractions_topic]
    assert {dlq_topic(t) for t in consumed} == set(dlq_topics(settings)) <= addresses
    assert addresses == set(topic_specs(settings))


def test_the_documented_configuration_is_the_one_topics_are_created_with() -> None:
    doc = load()
    settings = Settings()
    for name, spec in topic_specs(settings).items():
        binding = channel_at(doc, name)["bindings"]["kafka"]
        assert binding["topic"] == name
        assert binding["partitions"] == spec.partitions, name
        documented = binding["topicConfiguration"]
        assert documented["cleanup.policy"] == [spec.config.get("cleanup.policy", "delete")], name
        for key in ("retention.ms", "delete.retention.ms", "max.message.bytes"):
            assert str(documented.get(key)) == str(spec.config.get(key)), (name, key)
    # The offline limit the description promises is the configured one.
    assert f"{settings.topic_delete_retention_days} days" in doc["info"]["description"]


def test_operations_name_their_own_channel_and_its_messages() -> None:
    doc = load()
    actions: dict[str, set[str]] = {key: set() for key in doc["channels"]}
    for operation in doc["operations"].values():
        key = operation["channel"]["$ref"].removeprefix("#/channels/")
        channel = doc["channels"][key]
        actions[key].add(operation["action"])
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"#/channels/{key}/messages/")  # AsyncAPI 3: its channel's
            assert resolve(doc, message["$ref"]) in channel["messages"].values()
    assert all(found == {"send", "receive"} for found in actions.values()), actions
    for channel in doc["channels"].values():
        for message in channel["messages"].values():
            assert resolve(doc, message["$ref"])["payload"]


def test_referenced_schema_files_exist_are_valid_and_are_every_schema_we_ship() -> None:
    refs = set(file_refs(load()))
    files = {(DOC.parent / ref).resolve() for ref in refs}
    assert files == {p.resolve() for p in SCHEMAS.glob("*.json")}
    for path in files:
        schema = json.loads(path.read_text("utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        fastjsonschema.compile(schema)
        assert "2020-12" in schema["$schema"]
        assert schema["additionalProperties"] is True  # compatible changes only add optional fields
    raw = message_schema(Settings().raw_topic, "rawPage")  # the one schema written inline
    jsonschema.Draft202012Validator.check_schema(raw)


def test_no_pointer_outside_the_repository() -> None:
    assert "shared/" not in DOC.read_text("utf-8")


def fact_event() -> FactEvent:
    fact = Fact(
        subject="chi-cuc:cua-khau-cang-hon-gai",
        metric="budget_revenue",
        kind="target",
        value=Decimal("1200000000000"),
        unit="VND",
        bound="over",
        period_start=date(2021, 1, 1),
        period_end=date(2021, 12, 31),
        target_type="chi-tieu",
        assigned_by="bo-tai-chinh",
        evidence="Chi cục Hải quan cửa khẩu cảng Hòn Gai được giao chỉ tiêu thu hơn 1.200 tỷ đồng.",
        rule="target/named",
        confidence=0.97,
    )
    return FactEvent.of(
        fact,
        article_url="https://hddtvn.com/hon-gai-2021/",
        article_title="Hòn Gai 2021",
        article_published=datetime(2021, 1, 5, 8, 0, tzinfo=ICT),
        extractor_version="0.4.0",
    )


def test_an_encoded_fact_event_satisfies_the_facts_channel_schema() -> None:
    schema = message_schema(Settings().facts_topic, "fact")
    event = fact_event()
    validate(json.loads(event.encode()), schema)
    assert set(schema["properties"]) == set(event.to_json())  # every field, the optional ones included


@pytest.mark.parametrize("optional", [True, False])
def test_an_encoded_extraction_event_satisfies_the_extractions_channel_schema(optional: bool) -> None:
    schema = message_schema(Settings().extractions_topic, "extraction")
    event = ExtractionEvent(
        article_url="https://hddtvn.com/hon-gai-2021/",
        article_title="Hòn Gai 2021" if optional else "",  # a withdrawal keeps the stored title
        article_published=datetime(2021, 1, 5, 8, 0, tzinfo=ICT) if optional else None,
        extractor_version="0.4.0",
        content_sha256="0" * 64,
        fact_ids=(fact_event().fact_id,) if optional else (),
        extracted_at=datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC),
        discovered_at=datetime(2025, 12, 31, tzinfo=UTC) if optional else None,
        fetched_at=datetime(2026, 1, 1, 9, 59, tzinfo=UTC) if optional else None,
    )
    data = json.loads(event.encode())
    validate(data, schema)
    assert ExtractionEvent.decode(event.encode()) == event
    # The schema and the model name the same fields and require the same ones.
    fields = ExtractionEvent.model_fields
    assert set(schema["properties"]) == set(fields) == set(data)
    assert set(schema["required"]) == {name for name, f in fields.items() if f.is_required()}


@pytest.mark.parametrize("withdrawn", [False, True])
def test_an_encoded_raw_page_satisfies_the_raw_pages_channel_schema(withdrawn: bool) -> None:
    schema = message_schema(Settings().raw_topic, "rawPage")
    page = RawPage(
        url="https://hddtvn.com/a/",
        final_url="https://hddtvn.com/a/",
        status=410 if withdrawn else 200,
        role="article",
        content_type="text/html; charset=UTF-8",
        etag=None if withdrawn else '"abc"',
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        content_sha256="0" * 64,
        body_bytes=0 if withdrawn else 12,
        body=None if withdrawn else "<html>ô</html>",
        discovered_at=datetime(2025, 12, 31, tzinfo=UTC),
    )
    validate(json.loads(page.encode()), schema)
    fields = RawPage.model_fields
    assert set(schema["properties"]) == set(fields)
    assert set(schema["required"]) == {name for name, f in fields.items() if f.is_required()}
    assert schema["properties"]["role"]["enum"] == list(get_args(PageRole))


def test_an_encoded_observation_satisfies_the_observations_channel_schema() -> None:
    key = ObservationKey("cuc:ha-noi", "budget_revenue", "actual", date(2020, 1, 1), date(2020, 12, 31), None)

    def source(fact_id: str, url: str, value: str, bound: str, published: datetime | None) -> SourceFact:
        return SourceFact(
            fact_id, url, "Thu ngân sách", published, Decimal(value), "VND", bound, "Thu ... tỷ."
        )

    # Two articles that disagree beyond rounding: a conflict, both values listed, one of them undated.
    sources = [
        source("a" * 32, "https://hddtvn.com/a/", "4290300000000", "exact", datetime(2021, 1, 5, tzinfo=UTC)),
        source("b" * 32, "https://hddtvn.com/b/", "5000000000000", "about", None),
    ]
    observation = consolidate(key, sources)
    assert observation is not None and observation.conflict
    validate(
        json.loads(encode_observation(observation.to_event())),
        message_schema(Settings().observations_topic, "observation"),
    )


def test_every_documented_example_is_a_valid_event() -> None:
    doc = load()
    for name, message in doc["components"]["messages"].items():
        for example in message.get("examples", []):
            validate(example["payload"], payload_schema(doc, message))
            if name == "fact":  # its fact_id is the real one of its fields
                FactEvent.decode(json.dumps(example["payload"]).encode())
            if name == "observation":
                p = example["payload"]
                when = [date.fromisoformat(p[k]) if p[k] else None for k in ("period_start", "period_end")]
                assert p["observation_id"] == observation_id(
                    p["subject"], p["metric"], p["kind"], *when, p["target_type"]
                )


def test_headers_are_the_ones_the_services_write() -> None:
    doc = load()
    messages = doc["components"]["messages"]
    raw = messages["rawPage"]["headers"]
    assert set(raw["required"]) == {CRAWL_HEADER, ROLE_HEADER}
    assert REDRIVEN_FROM in raw["properties"]
    position = resolve(doc, messages["fact"]["headers"]["$ref"])
    assert messages["extraction"]["headers"] == messages["fact"]["headers"]
    written = {name for name, _ in PagePosition("t", 0, 1).headers()}
    assert written <= set(position["properties"]) and PAGE_OFFSET_HEADER in written
    letter = messages["deadLetter"]["headers"]
    written = {name for name, _ in dlq_headers(error="e", source_topic="t", partition=0, offset=1, stage="s")}
    assert set(letter["required"]) == written
    assert set(letter["properties"]["hq.stage"]["enum"]) == {"extractor", REPLAY_STAGE, STORE_STAGE}
    assert "hq.truncated" in letter["properties"]
