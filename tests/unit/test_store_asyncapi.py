"""docs/asyncapi.yaml describes the facts topic and points at the schema events are checked with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.common.events import facts_schema
from services.common.settings import Settings
from services.common.topics import FACTS_TOPIC_CONFIG

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "asyncapi.yaml"


def load() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DOC.read_text("utf-8"))
    return document


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_document_describes_the_facts_topic() -> None:
    doc = load()
    assert doc["asyncapi"].startswith("3.")
    channel = doc["channels"]["facts"]
    assert channel["address"] == Settings().facts_topic
    assert channel["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == [
        FACTS_TOPIC_CONFIG["cleanup.policy"]
    ]
    for message in channel["messages"].values():
        resolved = resolve(doc, message["$ref"])
        assert resolved["bindings"]["kafka"]["key"]["pattern"] == "^[0-9a-f]{32}$"
    # The other topics' operations are checked by tests/unit/test_asyncapi.py.
    operations = [op for op in doc["operations"].values() if resolve(doc, op["channel"]["$ref"]) is channel]
    assert {op["action"] for op in operations} == {"send", "receive"}
    for operation in operations:
        for message in operation["messages"]:
            resolve(doc, message["$ref"])


def test_the_payload_is_the_repository_schema() -> None:
    doc = load()
    payload = doc["components"]["messages"]["fact"]["payload"]
    schema_path = (DOC.parent / payload["schema"]["$ref"]).resolve()
    assert schema_path == (REPO / "services" / "common" / "schemas" / "facts.v1.json").resolve()
    assert "2020-12" in payload["schemaFormat"]
    assert "2020-12" in facts_schema()["$schema"]
    # Compatible changes only add optional fields: the schema must keep accepting unknown ones.
    assert facts_schema()["additionalProperties"] is True


def test_the_documented_example_is_a_valid_event() -> None:
    import jsonschema

    example = load()["components"]["messages"]["fact"]["examples"][0]["payload"]
    jsonschema.validate(example, facts_schema())
    assert set(facts_schema()["required"]) <= set(example)
