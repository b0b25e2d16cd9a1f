"""Test and benchmark support: build the corpus site, serve it with site_server.py, read a topic back.

Used by tests/integration/test_crawler_*.py and bench/bench_crawl.py; not by the service itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.testing.corpus_site import build_corpus_site, load_posts, shared_dir

REPO_ROOT = Path(__file__).resolve().parents[2]


def build_site(out: Path, *, limit: int | None = None, include_gold: bool = False) -> Path:
    """Render the corpus into ``out`` with ../shared/tools/build_site.py (deterministic)."""
    include = shared_dir() / "gold" / "dev_articles.txt" if include_gold else None
    return build_corpus_site(out, limit=limit, include=include)


def loopback_crawl_args(base: str, state: str, progress: str = "none") -> list[str]:
    """``hqfacts crawl`` arguments for a whole crawl of a local test site with its own state."""
    return [
        "--seed",
        base + "/",
        "--allow-private",
        "--delay",
        "0",
        "--until-idle",
        "--state-name",
        state,
        "--progress",
        progress,
    ]


def site_posts(root: Path, base: str) -> list[str]:
    """The post URLs of a built site (ground truth), rebased onto the local server."""
    return [base + post["url"].removeprefix("https://hddtvn.com") for post in load_posts(root)]


@dataclass
class SiteServer:
    """site_server.py in a subprocess; stopped with SIGTERM on exit."""

    root: Path
    args: Sequence[str] = ()
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SiteServer:
        port_file = self.root.parent / f".port-{os.getpid()}-{time.monotonic_ns()}"
        self._proc = subprocess.Popen(
            [
                sys.executable,
                str(shared_dir() / "tools" / "site_server.py"),
                "--root",
                str(self.root),
                "--port-file",
                str(port_file),
                "--quiet",
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self._proc.poll() is not None:
                raise RuntimeError("site_server.py did not start")
            time.sleep(0.05)
        self.port = int(port_file.read_text().strip())
        port_file.unlink()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self, reset: bool = False) -> dict[str, Any]:
        url = self.base + "/__stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data


def hqfacts_bin() -> str:
    candidate = Path(sys.executable).parent / "hqfacts"
    return str(candidate) if candidate.exists() else "hqfacts"


def crawl_cmd(*args: str) -> list[str]:
    return [hqfacts_bin(), "crawl", *args]


def run_crawl(
    args: Sequence[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run `hqfacts crawl ARGS` to completion in a real process (with a deadline)."""
    full_env = {**os.environ, **env}
    return subprocess.run(
        crawl_cmd(*args), env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass(frozen=True)
class Event:
    key: str
    value: dict[str, Any]
    headers: dict[str, str]
    partition: int
    offset: int


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            return []
        described = await admin.describe_topics([topic])
        return sorted(int(p["partition"]) for d in described for p in d.get("partitions", ()))
    finally:
        await admin.close()


async def _read_topic(bootstrap: str, topic: str, timeout: float, values: bool) -> list[Event]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=16 * 1024 * 1024
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await _partitions(bootstrap, topic)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        events: list[Event] = []
        deadline = time.monotonic() + timeout
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            batches = await consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp] and r.key is not None and r.value is not None:
                        events.append(
                            Event(
                                r.key.decode(),
                                json.loads(r.value) if values else {},
                                {k: v.decode() for k, v in r.headers or ()},
                                tp.partition,
                                r.offset,
                            )
                        )
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return events
    finally:
        await consumer.stop()


def read_topic(bootstrap: str, topic: str, timeout: float = 120, *, values: bool = True) -> list[Event]:
    """Every event on ``topic`` from the beginning to its current end (``values=False``: keys and headers)."""
    return asyncio.run(_read_topic(bootstrap, topic, timeout, values))


async def _count(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await _partitions(bootstrap, topic)]
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        begins = await consumer.beginning_offsets(tps)
        return sum(ends[tp] - begins[tp] for tp in tps)
    finally:
        await consumer.stop()


def count_events(bootstrap: str, topic: str) -> int:
    return asyncio.run(_count(bootstrap, topic))
