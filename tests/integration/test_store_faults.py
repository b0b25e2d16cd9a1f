"""The store under faults: PostgreSQL unreachable for a while, SIGTERM, kill -9 mid-stream."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url

from services.common.settings import Settings
from services.store.domain import ClassifiedBatch
from services.store.errors import TransientStoreError
from services.store.repository import SqlStoreRepository
from services.store.tables import consumer_offsets, facts
from services.store.testing import (
    eventually,
    fact_event,
    producer_for,
    running_store,
    sample_fact,
    store_test_settings,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 60.0


def unique_settings(database_url: str, **overrides: object) -> Settings:
    return store_test_settings(database_url, **{"store_batch_size": 50, **overrides})


def count_rows(engine: Engine, topic: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(select(func.count()).select_from(facts).where(facts.c.source_topic == topic)) or 0
        )


def next_offset(engine: Engine, settings: Settings) -> int | None:
    with engine.connect() as conn:
        return conn.scalar(
            select(consumer_offsets.c.next_offset).where(
                consumer_offsets.c.consumer_group == settings.store_group,
                consumer_offsets.c.topic == settings.facts_topic,
            )
        )


class TcpProxy:
    """A loopback TCP proxy that can cut every connection: PostgreSQL 'going away' without stopping it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_database_outage_is_waited_out_without_losing_place(database_url: str, engine: Engine) -> None:
    real = make_url(database_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = unique_settings(proxied)
    events = [
        fact_event(
            sample_fact(value=str(1000 + i)), article_url=f"https://hddtvn.com/{settings.store_group}/"
        )
        for i in range(6)
    ]
    async with producer_for(settings) as producer, running_store(settings) as runner:
        for event in events[:3]:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        await eventually(lambda: next_offset(engine, settings) == 3, "first three stored")
        await proxy.cut()
        for event in events[3:]:
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        await eventually(lambda: not runner.healthy(), "the store to notice the outage")
        retries_before = transient_errors()
        # Stay down through several retries: the store waits, it does not crash or skip ahead.
        await eventually(lambda: transient_errors() >= retries_before + 5, "five retries")
        assert next_offset(engine, settings) == 3
        await proxy.start()  # same port: the database is back
        await eventually(lambda: next_offset(engine, settings) == 6, "the rest stored after the outage")
        assert runner.healthy()
    await proxy.cut()
    assert count_rows(engine, settings.facts_topic) == 6


def transient_errors() -> float:
    return REGISTRY.get_sample_value("hqfacts_store_errors_total", {"kind": "transient"}) or 0.0


async def test_stop_during_an_outage_abandons_the_batch_cleanly(database_url: str, engine: Engine) -> None:
    real = make_url(database_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = unique_settings(proxied)
    events = [
        fact_event(
            sample_fact(value=str(2000 + i)), article_url=f"https://hddtvn.com/{settings.store_group}/"
        )
        for i in range(4)
    ]
    async with producer_for(settings) as producer:
        async with running_store(settings) as runner:
            await eventually(
                lambda: runner.consumer is not None and bool(runner.consumer.assignment()), "assignment"
            )
            await proxy.cut()
            for event in events:
                await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
            await eventually(lambda: not runner.healthy(), "the store to notice the outage")
        # running_store stopped it (as SIGTERM does) while it waited: nothing stored, nothing lost.
        assert next_offset(engine, settings) is None
        await proxy.start()
        async with running_store(settings):
            await eventually(lambda: next_offset(engine, settings) == 4, "the batch stored by the next run")
    await proxy.cut()
    assert count_rows(engine, settings.facts_topic) == 4


def _store_process(settings: Settings, health_port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HQ_DATABASE_URL": settings.database_url,
        "HQ_FACTS_TOPIC": settings.facts_topic,
        "HQ_EXTRACTIONS_TOPIC": settings.extractions_topic,
        "HQ_RAW_TOPIC": settings.raw_topic,
        "HQ_STORE_GROUP": settings.store_group,
        "HQ_STORE_BATCH_SIZE": str(settings.store_batch_size),
        "HQ_STORE_BATCH_SECONDS": str(settings.store_batch_seconds),
        "HQ_HEALTH_HOST": "127.0.0.1",
        "HQ_HEALTH_PORT": str(health_port),
        "HQ_LOG_FORMAT": "json",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "hqfacts"), "store"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_sigterm_exits_zero_and_kill_9_loses_nothing(database_url: str, engine: Engine) -> None:
    settings = unique_settings(database_url, store_batch_size=20)
    events = [
        fact_event(
            sample_fact(value=str(5000 + i)), article_url=f"https://hddtvn.com/{settings.store_group}/"
        )
        for i in range(300)
    ]
    async with producer_for(settings) as producer:
        for event in events[:100]:
            await producer.send(settings.facts_topic, key=event.key, value=event.encode())
        await producer.flush()
        process = _store_process(settings, _free_port())
        try:
            await eventually(lambda: (next_offset(engine, settings) or 0) > 0, "the first batch")
            process.kill()  # kill -9 mid-stream
            process.wait(timeout=DEADLINE_S)
            for event in events[100:]:
                await producer.send(settings.facts_topic, key=event.key, value=event.encode())
            await producer.flush()
            process = _store_process(settings, _free_port())
            await eventually(lambda: next_offset(engine, settings) == 300, "all 300 stored after the restart")
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            output, _ = process.communicate(timeout=DEADLINE_S)
            assert process.returncode == 0, output.decode(errors="replace")[-2000:]
            assert time.monotonic() - started < 10
            assert b"store stopped" in output
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert count_rows(engine, settings.facts_topic) == 300


def test_a_connection_lost_mid_batch_is_a_transient_error(engine: Engine) -> None:
    """The connection dies inside the batch transaction: the store must see 'retry later', not a crash."""

    class DyingRepository(SqlStoreRepository):
        def _apply(self, conn, batch, group, dlq_topic_of):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
            raise AssertionError("the connection should be gone")

    with pytest.raises(TransientStoreError):
        DyingRepository(engine).apply_batch(ClassifiedBatch(), "test-group", lambda topic: f"{topic}.dlq")
    with engine.connect() as conn:  # the pool recovers: a new connection works
        assert conn.scalar(select(func.count()).select_from(facts)) is not None
