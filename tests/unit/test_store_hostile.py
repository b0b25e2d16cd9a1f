"""Forged events against the store's rules (issue 9): each is refused with its reason, never retried."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from services.common.events import EventError
from services.common.settings import Settings
from services.extractor.domain.facts import EXTRACTOR_VERSION
from services.store.dlq import DlqEntry, redrive
from services.store.domain import (
    RecordKind,
    SourceRecord,
    StorePolicy,
    classify,
    decode_extraction,
    decode_fact,
    version_key,
)
from services.store.errors import RejectedByDatabase, TransientStoreError
from services.store.repository import translate_db_error
from services.store.testing import extraction_event, fact_event, sample_fact

FACTS, EXTRACTIONS = "t.facts", "t.extractions"
KINDS: dict[str, RecordKind] = {FACTS: "fact", EXTRACTIONS: "extraction"}
URL = "https://hddtvn.com/thu-ngan-sach-2020/"


def fact_record(value: bytes, key: bytes | None = None, offset: int = 0) -> SourceRecord:
    return SourceRecord(FACTS, 0, offset, key, value)


def forged_fact(mutate: Callable[[dict[str, object]], None]) -> bytes:
    """A fact event as anyone with broker access could write it: to_json() skips the producer's checks."""
    event = fact_event(sample_fact(), article_url=URL)
    data = event.to_json()
    mutate(data)
    return json.dumps(data).encode()  # ASCII escapes: lone surrogates survive as JSON allows


# --- B: byte budgets and database errors ------------------------------------------------------------


def test_a_url_of_2048_vietnamese_characters_is_refused_in_bytes() -> None:
    url = "https://hddtvn.com/" + "ệ" * (2048 - len("https://hddtvn.com/"))
    assert len(url) == 2048  # passed the old character-count limit
    event = fact_event(sample_fact(), article_url=url).to_json()
    batch = classify([fact_record(json.dumps(event).encode())], KINDS, StorePolicy())
    (letter,) = batch.dead_letters
    assert "article_url is" in letter.error and "bytes long (limit 2048)" in letter.error
    assert batch.next_offsets == {(FACTS, 0): 1}  # consumed, not retried


def test_an_extraction_with_a_url_over_the_byte_budget_is_refused() -> None:
    event = extraction_event("https://hddtvn.com/" + "ệ" * 1000, [])
    record = SourceRecord(EXTRACTIONS, 0, 0, None, event.model_dump_json().encode())
    with pytest.raises(EventError, match="bytes long"):
        decode_extraction(record, StorePolicy())


def _db_error(cls: type[Exception], sqlstate_error: type[psycopg.Error]) -> Exception:
    return cls("INSERT ...", {}, sqlstate_error("index row size 6160 exceeds btree maximum 2704"))  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.ProgramLimitExceeded,  # 54000: the index row of finding 4 (an OperationalError!)
        psycopg.errors.StringDataRightTruncation,  # 22001
        psycopg.errors.NumericValueOutOfRange,  # 22003
        psycopg.errors.UntranslatableCharacter,  # 22P05
        psycopg.errors.UniqueViolation,  # 23505
        psycopg.errors.CheckViolation,  # 23514
    ],
)
def test_data_errors_are_rejected_data_whatever_the_driver_class(error: type[psycopg.Error]) -> None:
    for wrapper in (OperationalError, DataError, IntegrityError):
        translated = translate_db_error(_db_error(wrapper, error))
        assert isinstance(translated, RejectedByDatabase), (wrapper, error)
        assert f"[{error.sqlstate}]" in str(translated)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.AdminShutdown,  # 57P01: PostgreSQL restarting
        psycopg.errors.CannotConnectNow,  # 57P03
        psycopg.errors.TooManyConnections,  # 53300
    ],
)
def test_unavailability_is_still_retried(error: type[psycopg.Error]) -> None:
    assert isinstance(translate_db_error(_db_error(OperationalError, error)), TransientStoreError)


# --- D: extractor versions newer than any deployed one --------------------------------------------


def test_a_fact_from_a_future_extractor_is_refused() -> None:
    event = fact_event(sample_fact(), article_url=URL, version="999.0.0")
    batch = classify([fact_record(event.encode(), event.key)], KINDS, StorePolicy())
    (letter,) = batch.dead_letters
    assert "extractor_version '999.0.0' is newer than the newest deployed extractor" in letter.error
    assert not batch.facts


def test_an_empty_extraction_from_a_future_extractor_is_refused() -> None:
    event = extraction_event(URL, [], version="999.0.0")
    record = SourceRecord(EXTRACTIONS, 0, 0, event.key, event.encode())
    batch = classify([record], KINDS, StorePolicy())
    assert not batch.extractions
    assert "newer than the newest deployed" in batch.dead_letters[0].error


def test_the_deployed_version_and_older_ones_are_accepted() -> None:
    for version in (EXTRACTOR_VERSION, "0.0.1", f"{EXTRACTOR_VERSION}rc1"):
        event = fact_event(sample_fact(), article_url=URL, version=version)
        assert decode_fact(fact_record(event.encode(), event.key), StorePolicy()).event == event


def test_a_rolling_upgrade_raises_the_ceiling_by_setting() -> None:
    policy = StorePolicy.from_settings(Settings(max_extractor_version="1.0.0"))
    assert policy.version_ceiling == version_key("1.0.0")
    accepted = fact_event(sample_fact(), article_url=URL, version="1.0.0")
    refused = fact_event(sample_fact(), article_url=URL, version="1.0.1")
    assert decode_fact(fact_record(accepted.encode()), policy)
    with pytest.raises(EventError, match="newer than"):
        decode_fact(fact_record(refused.encode()), policy)
    assert StorePolicy.from_settings(Settings()).max_extractor_version == EXTRACTOR_VERSION
    with pytest.raises(EventError, match="not a version"):
        StorePolicy.from_settings(Settings(max_extractor_version="latest"))


# --- E: value, text and count budgets on consumed events ------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.update(value="1" * 410), "410 integer digits"),
        (lambda d: d.update(value="0." + "1" * 35), "35 decimals"),
        (lambda d: d.update(evidence="Thu \x1b[2J 5 tỷ đồng."), "control or surrogate character U+001B"),
        (lambda d: d.update(evidence="x" * 200_000), "200000 characters long (limit 2000)"),
        (lambda d: d.update(article_title="T\x00"), "article_title contains the control"),
        (lambda d: d.update(subject="cuc:" + "a" * 300), "subject is"),
        (lambda d: d.update(evidence="lone \ud800 surrogate"), "U+D800"),
        # The facts schema declares rule and confidence, so these are refused by the schema first.
        (lambda d: d.update(rule="r" * 500), "schema at rule"),
        (lambda d: d.update(rule=["a"]), "schema at rule"),
        (lambda d: d.update(confidence=1e308 * 10), "schema at confidence"),
        (lambda d: d.update(confidence="0.9"), "schema at confidence"),
        (lambda d: d.update(confidence=True), "schema at confidence"),
    ],
)
def test_consumed_facts_over_a_budget_are_refused(
    mutate: Callable[[dict[str, object]], None], reason: str
) -> None:
    value = forged_fact(mutate)
    (letter,) = classify([fact_record(value)], KINDS, StorePolicy()).dead_letters
    assert reason in letter.error


def test_an_extraction_listing_too_many_facts_is_refused() -> None:
    event = extraction_event(URL, [f"{i:032x}" for i in range(1001)])
    record = SourceRecord(EXTRACTIONS, 0, 0, event.key, event.encode())
    with pytest.raises(EventError, match="1001 facts"):
        decode_extraction(record, StorePolicy())
    assert decode_extraction(record, StorePolicy(max_facts_per_page=2000))


# --- F: re-drive only to the DLQ's own source topic -------------------------------------------------


def entry(dlq_topic: str, headers: dict[str, str]) -> DlqEntry:
    return DlqEntry(
        dlq_topic=dlq_topic,
        partition=0,
        offset=3,
        timestamp_ms=0,
        key=b"k",
        value=b"v",
        headers=tuple((k, v.encode()) for k, v in headers.items()),
    )


def test_the_source_topic_is_the_dlq_name_never_a_header() -> None:
    forged = entry("hddtvn.facts.v1.dlq", {"hq.source.topic": "hddtvn.pages.raw", "hq.error": "x"})
    assert forged.source_topic == "hddtvn.facts.v1"
    assert "names topic 'hddtvn.pages.raw'" in (forged.misdirected() or "")
    honest = entry("hddtvn.facts.v1.dlq", {"hq.source.topic": "hddtvn.facts.v1"})
    assert honest.misdirected() is None
    assert entry("hddtvn.facts.v1", {}).misdirected() is not None  # not a DLQ at all


async def test_redrive_refuses_a_header_naming_another_topic() -> None:
    settings = Settings()
    forged = entry(f"{settings.facts_topic}.dlq", {"hq.source.topic": "__consumer_offsets"})
    # check=False skips the data checks; the destination check stays. Refused before any broker I/O.
    (result,) = await redrive(settings, [forged], check=False, dry_run=False)
    assert result.new_offset is None
    assert result.reason.startswith("refused:") and "__consumer_offsets" in result.reason


def test_health_binds_loopback_by_default() -> None:
    assert Settings().health_host == "127.0.0.1"
    assert Settings(health_host="0.0.0.0").health_host == "0.0.0.0"


# --- fuzz: whatever is on the topic, each record is stored or dead-lettered, never a crash -------------

_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=300)
    | st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=3000)
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
_FIELDS = [*fact_event(sample_fact()).to_json().keys(), "rule", "confidence"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_FIELDS), value=_JSON, fix_id=st.booleans())
def test_fuzzed_fact_events_are_stored_or_dead_lettered(field: str, value: object, fix_id: bool) -> None:
    data = fact_event(sample_fact(), article_url=URL).to_json()
    data[field] = value
    raw = json.dumps(data).encode()
    batch = classify([fact_record(raw, offset=7)], KINDS, StorePolicy())
    assert len(batch.facts) + len(batch.dead_letters) == 1
    assert batch.next_offsets == {(FACTS, 0): 8}
    for letter in batch.dead_letters:
        assert letter.error and not letter.error.startswith(("TypeError", "AttributeError", "KeyError"))


@settings(max_examples=200, deadline=None)
@given(value=st.binary(max_size=2000))
def test_fuzzed_bytes_on_both_topics_are_dead_lettered(value: bytes) -> None:
    records = [SourceRecord(FACTS, 0, 0, None, value), SourceRecord(EXTRACTIONS, 0, 0, None, value)]
    batch = classify(records, KINDS, StorePolicy())
    assert len(batch.facts) + len(batch.extractions) + len(batch.dead_letters) == 2
