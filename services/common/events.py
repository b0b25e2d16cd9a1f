"""Wire formats of the topics: raw page, fact and extraction events (JSON, UTF-8).

Decoding is strict: a value that is not what the contract says raises ``EventError`` with a reason, which
consumers put on their dead-letter topic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

import fastjsonschema
from pydantic import BaseModel, ConfigDict, ValidationError

from services.common import limits
from services.common.errors import EventError
from services.common.facts import KNOWN_METRICS, Fact, fact_id

__all__ = [
    "EventError",
    "ExtractionEvent",
    "FactEvent",
    "RawPage",
    "validate_extraction_json",
    "validate_fact_json",
]

PageRole = Literal["article", "listing", "feed", "sitemap", "robots", "other"]


class RawPage(BaseModel):
    """One fetched page on ``hddtvn.pages.raw``; key = canonical URL.

    The body is the page text decoded with the charset from the headers or the page's meta (UTF-8 by
    default); the producer compresses it on the wire. A page larger than the crawler's size limit is
    published without its body (``body=None``, ``truncated=True``) so that consumers can see and
    dead-letter it instead of it vanishing.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: str
    final_url: str
    status: int
    role: PageRole = "other"
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime
    content_sha256: str
    charset: str = "utf-8"
    body_bytes: int
    truncated: bool = False
    body: str | None = None
    # When the crawler first saw the URL (in a feed, sitemap or listing): the start of its freshness.
    discovered_at: datetime | None = None

    def encode(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def decode(cls, value: bytes | None) -> RawPage:
        if value is None:
            raise EventError("raw page event has no value")
        try:
            return cls.model_validate_json(value)
        except ValidationError as exc:
            raise EventError(f"raw page event does not match the schema: {_first_error(exc)}") from exc


class FactEvent(BaseModel):
    """One fact on ``hddtvn.facts.v1``; key = ``fact_id``. Validated against schemas/facts.v1.json."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    fact_id: str
    article_url: str
    article_title: str
    article_published: datetime | None
    extractor_version: str
    fact: Fact

    @classmethod
    def of(
        cls,
        fact: Fact,
        *,
        article_url: str,
        article_title: str,
        article_published: datetime | None,
        extractor_version: str,
    ) -> FactEvent:
        return cls(
            fact_id=fact_id(article_url, fact),
            article_url=article_url,
            article_title=article_title,
            article_published=article_published,
            extractor_version=extractor_version,
            fact=fact,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "fact_id": self.fact_id,
            "article_url": self.article_url,
            "article_title": self.article_title,
            "article_published": self.article_published.isoformat() if self.article_published else None,
            "extractor_version": self.extractor_version,
            **self.fact.to_contract(),
        }

    def encode(self) -> bytes:
        data = self.to_json()
        validate_fact_json(data)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @property
    def key(self) -> bytes:
        return self.fact_id.encode("ascii")

    @classmethod
    def decode(cls, value: bytes | None) -> FactEvent:
        if value is None:
            raise EventError("fact event has no value (tombstones are handled before decoding)")
        try:
            data = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EventError(f"fact event is not JSON: {exc}") from exc
        validate_fact_json(data)
        try:  # the schema checks the shapes; these check that dates and numbers are real ones
            fact = Fact.from_contract(data)
            published = data["article_published"]
            published_at = datetime.fromisoformat(published) if published else None
        except (ValueError, ArithmeticError) as exc:
            raise EventError(f"fact event has an impossible value: {exc}") from exc
        expected_id = fact_id(data["article_url"], fact)
        if data["fact_id"] != expected_id:
            raise EventError(f"fact_id {data['fact_id']} does not match the fact's identity ({expected_id})")
        return cls(
            fact_id=data["fact_id"],
            article_url=data["article_url"],
            article_title=data["article_title"],
            article_published=published_at,
            extractor_version=data["extractor_version"],
            fact=fact,
        )


class ExtractionEvent(BaseModel):
    """One extraction of one article on ``hddtvn.extractions.v1``; key = article URL.

    Sent by the extractor after the article's fact events. It names every fact the extraction yields (possibly
    none), so the store can retire the facts an article no longer yields (supersede by article).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    article_url: str
    article_title: str
    article_published: datetime | None
    extractor_version: str
    content_sha256: str
    fact_ids: tuple[str, ...]
    extracted_at: datetime
    # Freshness (optional, extractor >= 0.4): when the crawler first saw the page and fetched this version.
    discovered_at: datetime | None = None
    fetched_at: datetime | None = None

    def encode(self) -> bytes:
        self.check_budgets()
        value = self.model_dump_json().encode("utf-8")
        # The bytes sent are the ones checked: the published schema holds for every event we produce.
        validate_extraction_json(json.loads(value))
        return value

    @property
    def key(self) -> bytes:
        return self.article_url.encode("utf-8")

    @classmethod
    def decode(cls, value: bytes | None) -> ExtractionEvent:
        """Validated against schemas/extractions.v1.json, then read by the model (which checks that the
        dates are real ones), then the budgets."""
        if value is None:
            raise EventError("extraction event has no value")
        try:
            data = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EventError(f"extraction event is not JSON: {exc}") from exc
        validate_extraction_json(data)
        try:
            event = cls.model_validate(data)
        except ValidationError as exc:
            raise EventError(f"extraction event does not match the schema: {_first_error(exc)}") from exc
        event.check_budgets()
        return event

    def check_budgets(self) -> None:
        """Raise EventError when a field is over its budget (services.common.limits); the fact count is
        the consumer's policy (HQ_MAX_FACTS_PER_PAGE)."""
        limits.check_url("article_url", self.article_url)
        limits.check_text("article_title", self.article_title, max_bytes=limits.MAX_TITLE_BYTES)
        limits.check_text("extractor_version", self.extractor_version, max_bytes=limits.MAX_VERSION_BYTES)
        limits.check_text("content_sha256", self.content_sha256, max_bytes=128)
        bad = [fid for fid in self.fact_ids if not _HEX32.match(fid)]
        if bad:
            raise EventError(f"extraction lists malformed fact ids, e.g. {bad[0][:64]!r}")


@cache
def _schema(name: str) -> dict[str, Any]:
    text = resources.files("services.common").joinpath(f"schemas/{name}").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def facts_schema() -> dict[str, Any]:
    return _schema("facts.v1.json")


def extractions_schema() -> dict[str, Any]:
    return _schema("extractions.v1.json")


@cache
def _validator(name: str) -> Callable[[Any], Any]:
    # Compiled to Python code: ~20x faster than interpreting the schema, and validation was the store's
    # bottleneck (every fact event is validated on produce and again on consume).
    validate: Callable[[Any], Any] = fastjsonschema.compile(_schema(name))
    return validate


def _check_schema(data: Any, name: str, what: str) -> None:
    """Raise EventError unless ``data`` is a JSON object that matches schemas/``name``."""
    if not isinstance(data, dict):
        raise EventError(f"{what} event is not a JSON object")
    try:
        _validator(name)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = (exc.name or "").removeprefix("data").lstrip(".") or "(root)"
        if where == "metric" and isinstance(data.get("metric"), str):
            # The enum's own message lists every id; the dead letter only needs the one refused.
            raise EventError(f"unknown metric id {data['metric'][:64]!r} (not in {name})") from exc
        schema = name.removesuffix(".json")
        raise EventError(f"{what} event fails {schema} schema at {where}: {exc.message}") from exc


def validate_fact_json(data: Any) -> None:
    """Raise EventError unless ``data`` is a valid fact event: JSON Schema plus the metric/unit table."""
    _check_schema(data, "facts.v1.json", "fact")
    expected_unit = KNOWN_METRICS.get(data["metric"])
    if expected_unit is not None and data["unit"] != expected_unit:
        raise EventError(f"metric {data['metric']} must be in {expected_unit}, not {data['unit']}")
    _check_fact_budgets(data)


def validate_extraction_json(data: Any) -> None:
    """Raise EventError unless ``data`` matches schemas/extractions.v1.json (budgets: check_budgets)."""
    _check_schema(data, "extractions.v1.json", "extraction")


def _check_fact_budgets(data: dict[str, Any]) -> None:
    """The budgets of services.common.limits, on a fact event that already matches the schema."""
    limits.check_value_text(data["value"])
    limits.check_url("article_url", data["article_url"])
    limits.check_text("article_title", data["article_title"], max_bytes=limits.MAX_TITLE_BYTES)
    limits.check_text("extractor_version", data["extractor_version"], max_bytes=limits.MAX_VERSION_BYTES)
    limits.check_text("subject", data["subject"], max_bytes=limits.MAX_NAME_BYTES)
    limits.check_text("assigned_by", data["assigned_by"], max_bytes=limits.MAX_NAME_BYTES)
    limits.check_text("evidence", data["evidence"], max_chars=limits.MAX_EVIDENCE_CHARS)
    # Optional provenance (extractor >= 0.4.0): the schema has typed both (confidence within 0..1) and
    # bounds the rule in characters; its bytes are bounded here.
    limits.check_text("rule", data.get("rule"), max_bytes=limits.MAX_NAME_BYTES)


_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']}"


# --- the page a fact or extraction record came from -------------------------------------------------------

# Headers on fact and extraction records naming the raw page record they were extracted from. Not part of
# the event's JSON (the public contract): they let the store order an article's events across partitions.
PAGE_TOPIC_HEADER = "hq.page.topic"
PAGE_PARTITION_HEADER = "hq.page.partition"
PAGE_OFFSET_HEADER = "hq.page.offset"
_MAX_TOPIC_CHARS = 249  # Kafka's own limit on a topic name


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where a raw page record sits: one URL's pages share a partition, so offsets order its versions."""

    topic: str
    partition: int
    offset: int

    def headers(self) -> tuple[tuple[str, bytes], ...]:
        return (
            (PAGE_TOPIC_HEADER, self.topic.encode()),
            (PAGE_PARTITION_HEADER, str(self.partition).encode()),
            (PAGE_OFFSET_HEADER, str(self.offset).encode()),
        )

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes]]) -> PagePosition | None:
        """The position the headers name; None when absent or not a position (such an event is still
        stored, only without the cross-partition ordering)."""
        values = dict(headers)
        try:
            topic = values[PAGE_TOPIC_HEADER].decode("ascii")
            partition = int(values[PAGE_PARTITION_HEADER])
            offset = int(values[PAGE_OFFSET_HEADER])
        except (KeyError, ValueError, UnicodeDecodeError):
            return None
        if not (0 < len(topic) <= _MAX_TOPIC_CHARS and 0 <= partition < 2**31 and 0 <= offset < 2**63):
            return None
        return cls(topic, partition, offset)
