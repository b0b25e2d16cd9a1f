"""Hostile pages through a real `hqfacts extractor` worker and the real broker (issue 9, findings 3 and 5):
each is dead-lettered with its reason or extracted, the pages after them are extracted, and the worker
stops cleanly with no extraction worker left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.common.kafka import ensure_topics, header_map, make_producer, topic_specs
from services.common.settings import Settings
from services.common.topics import dlq_topic
from services.pipeline.processes import hqfacts_argv
from services.pipeline.runner import settings_env
from tests.support import isolated_settings, read_topic
from tests.unit.test_extractor_hostile import article_html, dense_revenue_paragraph, good_page, raw_page

pytestmark = pytest.mark.integration

DEADLINE_S = 90.0


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), so the test can tell whether any outlives the worker."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def listening_on(port: int) -> set[str]:
    """The local IPv4 addresses with a listening TCP socket on ``port`` (from /proc/net/tcp)."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        host, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            addresses.add(socket.inet_ntoa(bytes.fromhex(host)[::-1]))
    return addresses


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_hostile_pages_are_dead_lettered_and_the_worker_goes_on(tmp_path: Path) -> None:
    # The extractor alone: no database involved.
    settings = isolated_settings(Settings().database_url, "hostile-extractor", extract_budget_seconds=2.0)
    await ensure_topics(settings.kafka_bootstrap, topic_specs(settings))
    hostile = raw_page(
        article_html(dense_revenue_paragraph(1_000_000)), "https://hddtvn.com/hostile-numbers/"
    )
    depth = 100_000
    nested = raw_page(
        article_html("<b>" * depth + "Hải quan thu 5 tỷ đồng." + "</b>" * depth), "https://hddtvn.com/nested/"
    )
    good = good_page()
    port = free_port()
    env = {**os.environ, **settings_env(settings), "HQ_LOG_FORMAT": "text", "HQ_HEALTH_PORT": str(port)}
    env.pop("HQ_HEALTH_HOST", None)  # the default: loopback
    log = tmp_path / "extractor.log"
    worker = subprocess.Popen(
        hqfacts_argv("extractor"), env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb")
    )
    try:
        producer = make_producer(settings.kafka_bootstrap, compression_type="zstd")
        await producer.start()
        try:
            for page in (hostile, nested, good):
                await producer.send_and_wait(settings.raw_topic, page.encode(), key=page.url.encode())
        finally:
            await producer.stop()

        # The pages sit on different partitions and go through the pool together: wait for every outcome.
        deadline = time.monotonic() + DEADLINE_S
        extracted: set[str] = set()
        dead: dict[str, str] = {}
        while (
            ({good.url, nested.url} - (extracted | dead.keys()) or hostile.url not in dead)
            and time.monotonic() < deadline
            and worker.poll() is None
        ):
            extracted = {
                m.key.decode() for m in await read_topic(settings.kafka_bootstrap, settings.extractions_topic)
            }
            dead = {
                m.key.decode(): header_map(m.headers)["hq.error"]
                for m in await read_topic(settings.kafka_bootstrap, dlq_topic(settings.raw_topic))
            }
            await asyncio.sleep(0.2)
        assert good.url in extracted, "the page after the hostile ones was not extracted"
        assert "extraction budget exceeded" in dead[hostile.url]
        # 100k nested <b>: extracted, or at worst that page's failure with a reason; never a crash.
        assert nested.url in extracted or dead.get(nested.url)
        assert worker.poll() is None, "the extractor died"
        # Finding 13: our pages only, on loopback; Faust's router and table pages are not served.
        assert http_status(f"http://127.0.0.1:{port}/healthz") == 200
        assert http_status(f"http://127.0.0.1:{port}/router/") == 404
        assert http_status(f"http://127.0.0.1:{port}/table/") == 404
        assert listening_on(port) == {"127.0.0.1"}
        workers = children_of(worker.pid)
        assert workers
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    assert code == 0, log.read_text(errors="replace")[-2000:]
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)], "extraction workers outlived the extractor"
