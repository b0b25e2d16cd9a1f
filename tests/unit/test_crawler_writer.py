"""The state writer: done marks wait for Kafka's ack, and a failed write loses nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka.structs import RecordMetadata
from sqlalchemy import exc as sa_exc

from services.crawler.adapters.state import Batch, NewUrl, UrlUpdate
from services.crawler.engine import Writer


class FakeStore:
    def __init__(self, fail_first: int = 0) -> None:
        self.batches: list[Batch] = []
        self.fail = fail_first

    def write(self, batch: Batch) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("database down")
        self.batches.append(batch)


def _update(url: str) -> UrlUpdate:
    return UrlUpdate(
        url=url,
        state="done",
        role="article",
        attempts=0,
        next_at=None,
        last_status=200,
        last_error=None,
        fetched_at=datetime.now(UTC),
    )


def _ack(fut: asyncio.Future[RecordMetadata], offset: int) -> None:
    fut.set_result(RecordMetadata("t", 0, None, offset, -1, 0, -1))


async def test_done_marks_wait_for_the_ack() -> None:
    store = FakeStore()
    finals: list[str] = []
    writer = Writer(store, "t", lambda u: finals.append(u.url))  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    f1: asyncio.Future[RecordMetadata] = loop.create_future()
    f2: asyncio.Future[RecordMetadata] = loop.create_future()
    writer.acks += [(f1, _update("a")), (f2, _update("b"))]
    writer.new_urls.append(NewUrl("c", "h", "article", "", 3, 1))
    _ack(f1, 41)
    assert await writer.flush() == []
    assert [u.url for u in store.batches[0].updates] == ["a"]
    assert store.batches[0].checkpoints == {("t", 0): 42}
    assert [n.url for n in store.batches[0].new_urls] == ["c"]
    assert writer.pending()  # b still waits for its ack
    f2.set_exception(RuntimeError("broker gone"))
    failed = await writer.flush()
    assert [u.url for u, _ in failed] == ["b"]  # handed back to be fetched and published again
    assert finals == ["a"]


async def test_a_failed_write_is_retried_with_everything() -> None:
    store = FakeStore(fail_first=1)
    writer = Writer(store, "t", lambda u: None)  # type: ignore[arg-type]
    fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
    _ack(fut, 9)
    writer.acks.append((fut, _update("a")))
    writer.updates.append(_update("x"))
    with pytest.raises(RuntimeError):
        await writer.flush()
    assert not writer.healthy
    await writer.flush()
    batch = store.batches[0]
    assert {u.url for u in batch.updates} == {"a", "x"}
    assert batch.checkpoints == {("t", 0): 10}
    assert writer.healthy and not writer.pending()


class FakePgError(Exception):
    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class RejectingStore(FakeStore):
    """Refuses, like PostgreSQL, any batch holding a row it can never store (SQLSTATE 54000)."""

    def __init__(self, bad: str) -> None:
        super().__init__()
        self.bad = bad
        self.attempts = 0

    def write(self, batch: Batch) -> None:
        self.attempts += 1
        urls = [n.url for n in batch.new_urls] + [u.url for u in batch.updates if u.state != "parked"]
        if self.bad in urls:
            raise sa_exc.OperationalError(
                "INSERT", {}, FakePgError("54000", "index row size 3016 exceeds btree maximum, 2704")
            )
        self.batches.append(batch)


async def test_a_row_the_database_rejects_is_parked_and_the_rest_is_written() -> None:
    store = RejectingStore(bad="bad")
    finals: list[UrlUpdate] = []
    writer = Writer(store, "t", finals.append)  # type: ignore[arg-type]
    fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
    _ack(fut, 4)
    writer.acks.append((fut, _update("a")))
    writer.new_urls += [NewUrl(u, "h", "article", "", 3, 1) for u in ("n1", "n2", "n3")]
    writer.updates += [_update("x"), _update("bad"), _update("y")]
    assert await writer.flush() == []  # no exception: rejected data is not retried
    assert writer.healthy and not writer.pending() and writer.rejected == 1
    written_new = [n.url for b in store.batches for n in b.new_urls]
    written = [(u.url, u.state) for b in store.batches for u in b.updates]
    assert written_new == ["n1", "n2", "n3"]
    assert ("x", "done") in written and ("y", "done") in written and ("a", "done") in written
    assert ("bad", "parked") in written and ("bad", "done") not in written
    parked = next(u for b in store.batches for u in b.updates if u.url == "bad")
    assert parked.last_error is not None and "54000" in parked.last_error and "2704" in parked.last_error
    assert {("t", 0): 5} in [b.checkpoints for b in store.batches]
    assert {u.url for u in finals} == {"a", "x", "y", "bad"}
    attempts = store.attempts
    assert await writer.flush() == [] and store.attempts == attempts  # nothing left to retry


async def test_connection_errors_are_still_retried() -> None:
    class Down(FakeStore):
        def write(self, batch: Batch) -> None:
            raise sa_exc.OperationalError("INSERT", {}, FakePgError("08006", "connection failure"))

    writer = Writer(Down(), "t", lambda u: None)  # type: ignore[arg-type]
    writer.updates.append(_update("x"))
    with pytest.raises(sa_exc.OperationalError):
        await writer.flush()
    assert writer.pending() and not writer.healthy
