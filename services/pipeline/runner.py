"""Running crawler + extractor + store as separate processes until every page's facts are stored.

Shared by ``hqfacts demo``/``hqfacts run`` and the end-to-end tests, so what the tests prove is what the
demo does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from services.common.kafka import ensure_topics, topic_specs
from services.common.lag import wait_caught_up
from services.common.settings import Settings
from services.pipeline.processes import ManagedProcess, ProcessGroup, hqfacts_argv


class Stopped(Exception):
    """A stop was requested (SIGTERM/SIGINT) while waiting."""


class StopSignal:
    """SIGTERM/SIGINT as a flag the waiting loops look at, so the services are stopped in order."""

    def __init__(self) -> None:
        self._requested = False

    def requested(self) -> bool:
        return self._requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._requested = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopSignal]:
        previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def settings_env(settings: Settings) -> dict[str, str]:
    """The HQ_* environment that makes a child process see ``settings``.

    The services it starts connect as the runtime role only: the migration owner's URL is blanked, so none
    of them holds the owner's password (docs/security.md, "Trust boundaries").
    """
    env = {
        f"HQ_{name.upper()}": str(value) for name, value in settings.model_dump().items() if value is not None
    }
    env["HQ_MIGRATION_DATABASE_URL"] = ""
    return env


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# The i-th extra replica of a worker listens on its first port + PORT_STEP * i (9102, 9112, 9122, ...).
PORT_STEP = 10


def replica_name(role: str, index: int) -> str:
    """'extractor', 'extractor-2', ...: the first replica keeps the plain name (logs, check_alive)."""
    return role if index == 0 else f"{role}-{index + 1}"


def free_replica_ports(count: int, attempts: int = 50) -> int:
    """A free loopback port p with p + PORT_STEP * i free too for every replica i < count (start_workers'
    ports for ``count`` replicas)."""
    for _ in range(attempts):
        with contextlib.ExitStack() as held:
            first = held.enter_context(socket.socket())
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            try:
                for index in range(1, count):
                    held.enter_context(socket.socket()).bind(("127.0.0.1", port + PORT_STEP * index))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no {count} free loopback ports {PORT_STEP} apart")


def read_health(port: int, host: str = "127.0.0.1") -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of a worker's /healthz; (0, {}) while nothing answers."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as resp:
            return int(resp.status), json.loads(resp.read())
    except urllib.error.HTTPError as exc:  # a 503 says what the worker waits for
        return exc.code, json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return 0, {}


def worker_names(group: ProcessGroup) -> list[str]:
    """The extractor and store replicas started in ``group``."""
    return [p.name for p in group.processes if p.name.split("-")[0] in ("extractor", "store")]


def start_workers(
    group: ProcessGroup,
    settings: Settings,
    *,
    extractor_port: int | None = None,
    store_port: int | None = None,
    extractors: int = 1,
    stores: int = 1,
) -> list[ManagedProcess]:
    """Start ``extractors`` extractor and ``stores`` store processes, each in its group (the topics'
    partitions are shared among the replicas) with its own health port (None: no health server)."""
    asyncio.run(ensure_topics(settings.kafka_bootstrap, topic_specs(settings)))
    env = settings_env(settings)
    env.pop("HQ_HEALTH_PORT", None)  # each worker gets its own port, or none
    started = []
    for role, count, port in (("extractor", extractors, extractor_port), ("store", stores, store_port)):
        for index in range(count):
            own = {"HQ_HEALTH_PORT": str(port + PORT_STEP * index)} if port else {}
            started.append(group.start(replica_name(role, index), hqfacts_argv(role), {**env, **own}))
    return started


def run_crawl(
    group: ProcessGroup,
    settings: Settings,
    seeds: Sequence[str],
    crawl_args: Sequence[str],
    *,
    timeout: float,
    until_idle: bool = True,
    name: str = "crawler",
    crawler_port: int | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Run the crawler to completion (or until ``stop()``) while checking that the workers stay alive."""
    argv = ["crawl", *(arg for seed in seeds for arg in ("--seed", seed)), *crawl_args]
    if until_idle:
        argv.append("--until-idle")
    env = settings_env(settings)
    env.pop("HQ_HEALTH_PORT", None)
    if crawler_port:
        env["HQ_HEALTH_PORT"] = str(crawler_port)
    crawler = group.start(name, hqfacts_argv(*argv), env)
    deadline = time.monotonic() + timeout
    while crawler.poll() is None:
        if stop():
            return crawler.stop() or 0  # SIGTERM: it finishes the page in hand and saves its frontier
        group.check_alive(*worker_names(group))
        if time.monotonic() > deadline:
            crawler.stop()
            raise TimeoutError(f"crawl did not finish within {timeout:.0f} s:\n{crawler.tail()}")
        time.sleep(0.2)
    code = crawler.poll()
    if code != 0:
        raise RuntimeError(f"crawler exited with {code}:\n{crawler.tail()}")
    return 0


def wait_pipeline_drained(
    group: ProcessGroup, settings: Settings, *, timeout: float, stop: Callable[[], bool] = lambda: False
) -> None:
    """Block until the extractor has committed every raw page and the store every fact event (or until
    ``stop()``).

    The store commits its Kafka offsets only after its database transaction, so a caught-up store group
    means the facts are in PostgreSQL.
    """

    def alive() -> None:
        if stop():
            raise Stopped
        group.check_alive(*worker_names(group))

    async def drained() -> None:
        deadline = time.monotonic() + timeout
        await wait_caught_up(
            settings.kafka_bootstrap,
            settings.extractor_group,
            [settings.raw_topic],
            timeout=timeout,
            still_running=alive,
        )
        await wait_caught_up(
            settings.kafka_bootstrap,
            settings.store_group,
            [settings.facts_topic, settings.extractions_topic],
            timeout=max(1.0, deadline - time.monotonic()),
            still_running=alive,
        )

    with contextlib.suppress(Stopped):
        asyncio.run(drained())
