"""The store's pure rules: version order, classification, in-batch dedup."""

from __future__ import annotations

import json

import pytest

from services.common.events import FactEvent, PagePosition
from services.store.domain import RecordKind, SourceRecord, StorePolicy, VersionError, classify, version_key
from services.store.testing import extraction_event, fact_event, sample_fact

FACTS, EXTRACTIONS = "t.facts", "t.extractions"
KINDS: dict[str, RecordKind] = {FACTS: "fact", EXTRACTIONS: "extraction"}
# Versions above the deployed extractor's are refused by default (forged); these tests order made-up ones.
POLICY = StorePolicy(max_extractor_version="99.0.0")


def record(value: bytes | None, *, offset: int, key: bytes | None = None, topic: str = FACTS) -> SourceRecord:
    return SourceRecord(topic=topic, partition=0, offset=offset, key=key, value=value)


def fact_record(event: FactEvent, offset: int) -> SourceRecord:
    return record(event.encode(), offset=offset, key=event.key)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.9.0", "1.10.0"),  # a string compare gets this one wrong
        ("1.2", "1.2.1"),
        ("0.9.9", "1.0.0"),
        ("1.0.0rc1", "1.0.0"),
        ("1.0.0.dev3", "1.0.0a1"),
        ("1.0.0a2", "1.0.0b1"),
        ("1.0.0-rc.1", "1.0.0-rc.2"),
        ("1.0.0", "1.0.0.post1"),
        ("v2.0", "10.0"),
    ],
)
def test_versions_order_semantically(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)


def test_equal_versions_and_build_metadata() -> None:
    assert version_key("1.2") == version_key("1.2.0") == version_key("1.2.0+abc123") == version_key("v1.2.0")
    assert len(version_key("1")) == len(version_key("1.2.3.4rc5"))  # fixed length: arrays compare like tuples


@pytest.mark.parametrize("bad", ["", "latest", "1.2.3.4.5", "abc1.0", "1.0 beta"])
def test_unorderable_versions_are_refused(bad: str) -> None:
    with pytest.raises(VersionError):
        version_key(bad)


def test_dedup_inside_a_batch_last_of_the_highest_version_wins() -> None:
    fact = sample_fact()
    v1 = fact_event(fact, version="1.0.0", title="first")
    v1_again = fact_event(fact, version="1.0.0", title="second")
    v2 = fact_event(fact, version="2.0.0", title="newer")
    other = fact_event(sample_fact(value="1"))
    batch = classify([fact_record(v1, 0), fact_record(other, 1), fact_record(v1_again, 2)], KINDS, POLICY)
    assert [f.event.article_title for f in batch.facts if f.event.fact_id == v1.fact_id] == ["second"]
    assert batch.duplicates == 1 and len(batch.facts) == 2
    # An older version later in the batch does not displace a newer one.
    batch = classify([fact_record(v2, 0), fact_record(v1, 1)], KINDS, POLICY)
    assert [f.event.extractor_version for f in batch.facts] == ["2.0.0"]
    assert batch.next_offsets == {(FACTS, 0): 2}


def test_invalid_events_become_dead_letters_with_reasons() -> None:
    good = fact_event(sample_fact())
    data = json.loads(good.encode())
    wrong_id = {**data, "fact_id": "0" * 32}
    unknown_metric = fact_event(sample_fact(metric="mystery_metric")).to_json()  # encode() refuses it too
    huge = fact_event(sample_fact(value="9" * 60)).to_json()  # encode() refuses to make it
    nul = {**data, "evidence": "bad \u0000 byte"}
    old_version = {**data, "extractor_version": "latest"}
    records = [
        record(b"\xff\xfe not json", offset=0),
        record(json.dumps(wrong_id).encode(), offset=1),
        record(json.dumps(unknown_metric).encode(), offset=2),
        record(json.dumps(huge).encode(), offset=3),
        record(json.dumps(nul).encode(), offset=4),
        record(json.dumps(old_version).encode(), offset=5),
        record(good.encode(), offset=6, key=b"not-the-fact-id"),
        record(b"{}" + b" " * 300_000, offset=7),
        fact_record(good, 8),
    ]
    batch = classify(records, KINDS, POLICY)
    reasons = {d.source.offset: d.error for d in batch.dead_letters}
    assert sorted(reasons) == [0, 1, 2, 3, 4, 5, 6, 7]
    assert "not JSON" in reasons[0]
    assert "does not match" in reasons[1]
    assert "unknown metric" in reasons[2]
    assert "60 integer digits" in reasons[3]
    assert "control" in reasons[4] and "U+0000" in reasons[4]
    assert "version" in reasons[5]
    assert "key" in reasons[6]
    assert "bytes" in reasons[7]
    assert [f.source.offset for f in batch.facts] == [8]
    assert batch.next_offsets == {(FACTS, 0): 9}  # dead letters are consumed too


def test_the_policy_narrows_the_published_metric_ids_but_cannot_widen_them() -> None:
    # facts.v1.json enumerates the metric ids: an id outside it fails the schema whatever the policy says.
    unknown = json.dumps(fact_event(sample_fact(metric="other_metric")).to_json()).encode()
    policy = StorePolicy(
        max_extractor_version="99.0.0", known_metrics=POLICY.known_metrics | {"other_metric"}
    )
    (letter,) = classify([record(unknown, offset=0)], KINDS, policy).dead_letters
    assert "unknown metric id 'other_metric'" in letter.error
    # A published id the policy leaves out is refused by the policy.
    event = fact_event(sample_fact(metric="budget_revenue_attainment", value="126"))
    assert classify([fact_record(event, 0)], KINDS, POLICY).facts
    narrow = StorePolicy(max_extractor_version="99.0.0", known_metrics=frozenset({"budget_revenue"}))
    (letter,) = classify([fact_record(event, 0)], KINDS, narrow).dead_letters
    assert "unknown metric id 'budget_revenue_attainment'" in letter.error


def test_tombstones_on_the_facts_topic_are_skipped_not_dead_lettered() -> None:
    batch = classify([record(None, offset=0, key=b"a" * 32)], KINDS, POLICY)
    assert batch.tombstones_skipped == 1 and not batch.dead_letters and not batch.facts
    assert batch.next_offsets == {(FACTS, 0): 1}
    batch = classify([record(None, offset=0, topic=EXTRACTIONS)], KINDS, POLICY)
    assert len(batch.dead_letters) == 1


def test_extractions_are_checked_and_deduplicated_by_article() -> None:
    url = "https://hddtvn.com/a/"
    old = extraction_event(url, ["a" * 32], version="1.0.0")
    new = extraction_event(url, ["b" * 32], version="1.1.0")
    bad = extraction_event(url, ["NOT-HEX"], version="1.1.0")
    records = [
        record(new.encode(), offset=0, key=new.key, topic=EXTRACTIONS),
        record(old.encode(), offset=1, key=old.key, topic=EXTRACTIONS),
        record(bad.model_dump_json().encode(), offset=2, key=bad.key, topic=EXTRACTIONS),  # encode() refuses
        record(b"[]", offset=3, topic=EXTRACTIONS),
    ]
    batch = classify(records, KINDS, POLICY)
    assert [e.event.fact_ids for e in batch.extractions] == [("b" * 32,)]
    assert sorted(d.source.offset for d in batch.dead_letters) == [2, 3]


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("hq.page.topic", b"raw"), ("hq.page.partition", b"1")],
        [("hq.page.topic", b"raw"), ("hq.page.partition", b"x"), ("hq.page.offset", b"5")],
        [("hq.page.topic", b"raw"), ("hq.page.partition", b"1"), ("hq.page.offset", b"-5")],
        [("hq.page.topic", b"\xff"), ("hq.page.partition", b"1"), ("hq.page.offset", b"5")],
        [("hq.page.topic", b"r" * 300), ("hq.page.partition", b"1"), ("hq.page.offset", b"5")],
        [("hq.page.topic", b"raw"), ("hq.page.partition", b"1"), ("hq.page.offset", str(2**63).encode())],
    ],
)
def test_page_headers_that_name_no_position_are_ignored(headers: list[tuple[str, bytes]]) -> None:
    assert PagePosition.from_headers(headers) is None


def test_page_headers_round_trip() -> None:
    position = PagePosition("hddtvn.pages.raw", 4, 123456789)
    assert PagePosition.from_headers([("other", b"x"), *position.headers()]) == position
