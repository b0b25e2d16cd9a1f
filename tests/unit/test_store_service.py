"""The store's batch semantics with a fake repository and a fake sink (no Kafka, no PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

import pytest

from services.store.domain import (
    BatchOutcome,
    ClassifiedBatch,
    DeadLetter,
    OutboxEvent,
    Position,
    RecordKind,
    SourceRecord,
)
from services.store.errors import BatchAbandoned, RejectedByDatabase, TransientStoreError
from services.store.service import Backoff, StoreService
from services.store.testing import fact_event, sample_fact

FACTS = "t.facts"
KINDS: dict[str, RecordKind] = {FACTS: "fact"}
FAST = Backoff(initial=0.001, maximum=0.002)


class FakeRepository:
    def __init__(self) -> None:
        self.batches: list[ClassifiedBatch] = []
        self.transient_failures = 0
        self.reject_offsets: set[int] = set()
        self.recorded_letters: set[Position] = set()
        self.outbox: dict[str, bytes | None] = {}
        self.retire_on_apply: list[str] = []
        self.events: list[str] = []  # the order of effects, shared with the sink

    def apply_batch(
        self, batch: ClassifiedBatch, consumer_group: str, dlq_topic_of: Callable[[str], str]
    ) -> BatchOutcome:
        if self.transient_failures:
            self.transient_failures -= 1
            raise TransientStoreError("connection refused")
        offsets = {f.source.offset for f in batch.facts}
        if offsets & self.reject_offsets:
            raise RejectedByDatabase("value out of range")
        self.batches.append(batch)
        for letter in batch.dead_letters:
            self.recorded_letters.add((letter.source.topic, letter.source.partition, letter.source.offset))
        retired = tuple(self.retire_on_apply)
        for fact_id in retired:
            self.outbox[fact_id] = None
        self.retire_on_apply = []
        self.events.append(f"commit {sorted(batch.next_offsets.items())}")
        return BatchOutcome(inserted=len(batch.facts), retired=retired)

    def stored_offsets(
        self, consumer_group: str, partitions: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        return {}

    def dead_lettered(self, consumer_group: str, positions: Iterable[Position]) -> set[Position]:
        return set(positions) & self.recorded_letters

    def drain_outbox(
        self,
        publish: Callable[[Sequence[OutboxEvent]], None],
        keys: Sequence[str] | None = None,
        limit: int = 5000,
    ) -> int:
        events = [OutboxEvent(k, v) for k, v in self.outbox.items() if keys is None or k in keys]
        if events:
            publish(events)
        for event in events:
            del self.outbox[event.key]
        return len(events)

    def refresh_missing_observations(self, chunk: int = 500) -> int:
        return 0


class FakeSink:
    def __init__(self, events: list[str]) -> None:
        self.letters: list[DeadLetter] = []
        self.published: list[OutboxEvent] = []
        self.events = events

    async def send_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.letters.extend(letters)
        self.events.append(f"dlq {[d.source.offset for d in letters]}")

    async def publish_outbox(self, events: Sequence[OutboxEvent]) -> None:
        self.published.extend(events)
        self.events.append(f"publish {[e.key for e in events]}")


def make_service(
    repo: FakeRepository, *, stopping: asyncio.Event | None = None
) -> tuple[StoreService, FakeSink]:
    sink = FakeSink(repo.events)
    service = StoreService(repo, sink, consumer_group="g", kinds=KINDS, backoff=FAST, stopping=stopping)
    return service, sink


def records(count: int, *, poison_at: Iterable[int] = ()) -> list[SourceRecord]:
    out = []
    for offset in range(count):
        if offset in set(poison_at):
            out.append(SourceRecord(FACTS, 0, offset, b"k", b"{not json"))
        else:
            event = fact_event(sample_fact(value=str(offset + 1)))
            out.append(SourceRecord(FACTS, 0, offset, event.key, event.encode()))
    return out


async def test_dead_letters_are_produced_before_the_commit_that_passes_them() -> None:
    repo = FakeRepository()
    service, sink = make_service(repo)
    report = await service.process(records(4, poison_at=[1]))
    assert [d.source.offset for d in sink.letters] == [1]
    assert repo.events == ["dlq [1]", "commit [(('t.facts', 0), 4)]"]
    assert report.outcome.inserted == 3 and report.dead_letters == 1


async def test_a_redelivered_poison_event_is_not_dead_lettered_twice() -> None:
    repo = FakeRepository()
    service, sink = make_service(repo)
    batch = records(3, poison_at=[2])
    await service.process(batch)
    await service.process(batch)  # e.g. Kafka redelivers after a crash before its offset commit
    assert [d.source.offset for d in sink.letters] == [2]


async def test_transient_errors_are_retried_with_the_same_batch() -> None:
    repo = FakeRepository()
    repo.transient_failures = 3
    service, _ = make_service(repo)
    report = await service.process(records(5))
    assert len(repo.batches) == 1 and report.outcome.inserted == 5
    assert service.healthy


async def test_stop_while_waiting_abandons_the_batch() -> None:
    repo = FakeRepository()
    repo.transient_failures = 10**6
    stopping = asyncio.Event()
    service, _ = make_service(repo, stopping=stopping)
    service.backoff = Backoff(initial=0.01, maximum=0.01)
    task = asyncio.create_task(service.process(records(2)))
    await asyncio.sleep(0.05)
    assert not service.healthy
    stopping.set()
    with pytest.raises(BatchAbandoned):
        await asyncio.wait_for(task, timeout=5)
    assert repo.batches == []


async def test_a_record_the_database_refuses_is_found_by_halving_and_dead_lettered() -> None:
    repo = FakeRepository()
    repo.reject_offsets = {5}
    service, sink = make_service(repo)
    report = await service.process(records(8))
    assert [d.source.offset for d in sink.letters] == [5]
    assert "rejected by the database" in sink.letters[0].error
    stored = sorted(f.source.offset for b in repo.batches for f in b.facts)
    assert stored == [0, 1, 2, 3, 4, 6, 7]
    assert max(o for b in repo.batches for o in b.next_offsets.values()) == 8
    assert report.outcome.inserted == 7


async def test_retired_facts_are_tombstoned_after_the_commit() -> None:
    repo = FakeRepository()
    repo.retire_on_apply = ["a" * 32]
    service, sink = make_service(repo)
    await service.process(records(1))
    assert repo.events[-2:] == ["commit [(('t.facts', 0), 1)]", f"publish {['a' * 32]}"]
    assert sink.published == [OutboxEvent("a" * 32, None)]
    assert repo.outbox == {}


async def test_outbox_left_by_a_crash_is_drained() -> None:
    repo = FakeRepository()
    repo.outbox = {"b" * 32: None, "c" * 32: b"{}"}
    service, sink = make_service(repo)
    assert await service.drain_outbox() == 2
    assert {e.key for e in sink.published} == {"b" * 32, "c" * 32}
