"""Live pipeline throughput: how fast K running extractors (and M stores) drain a backlog of raw pages.

    .venv/bin/python -m bench.bench_live [--pages N] [--site DIR] [--extractors 1,2] [--stores 1,2]

For each (K extractors, M stores) configuration, on a fresh database and private topics with
HQ_TOPIC_PARTITIONS partitions (default 6): the workers are started (``hqfacts extractor`` K times and
``hqfacts store`` M times, each extractor with one pool worker) and polled until every extractor's /healthz
answers 200 (assigned, consuming); then N raw pages are published as fast as the producer goes, and the
clock runs from the first publish until (a) the extractor group has committed every raw page (all its
records delivered) and (b) the store group has committed every fact and extraction event (so the facts are
in PostgreSQL).

Baseline in the same run: ``extract_record`` (decode, extract, encode: a pool worker's unit of work) over
the same raw records, in-process, one core. Printed as ratios: one live extractor against that rate (target
>= 0.8), two against one. Never asserted; the load average is printed with each run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from sqlalchemy import func, select

from bench.bench_pipeline import (
    DEFAULT_SITE,
    ensure_site,
    loadavg,
    private_run,
    publish_pages,
)
from services.common.db import make_engine
from services.common.events import RawPage
from services.common.lag import wait_caught_up
from services.common.settings import Settings
from services.extractor.service import extract_record
from services.pipeline.processes import ProcessGroup
from services.pipeline.runner import PORT_STEP, free_replica_ports, read_health, start_workers, worker_names
from services.pipeline.site import REPO_ROOT
from services.store.tables import facts as facts_table
from services.testing.corpus_site import raw_events_from_site

READY_TIMEOUT = 180.0
DRAIN_TIMEOUT = 900.0


@dataclass(frozen=True)
class LiveRun:
    extractors: int
    stores: int
    pages: int
    extracted_s: float  # until the extractor group committed every raw page
    stored_s: float  # until the store group committed every event
    load: str
    cpu_s: dict[str, float]  # CPU seconds spent during the run, by role (extractor, its pool, store, broker)
    facts: int  # fact rows in PostgreSQL at the end
    disk_bytes: dict[str, int]  # bytes of each topic's log segments on the broker's disk (local broker only)

    def render(self, baseline_rate: float) -> str:
        rate = self.pages / self.extracted_s
        cpu = ", ".join(f"{role} {1000 * s / self.pages:.2f}" for role, s in sorted(self.cpu_s.items()))
        return (
            f"{self.extractors} extractor(s), {self.stores} store(s): extracted in {self.extracted_s:6.1f} s "
            f"({rate:6.1f} pages/s, {rate / baseline_rate:.2f}x in-process), facts committed after "
            f"{self.stored_s:6.1f} s ({self.pages / self.stored_s:6.1f} pages/s); load average {self.load}\n"
            f"  CPU ms per page: {cpu}\n"
            f"  {self.facts} facts ({self.facts / self.pages:.2f} per page, "
            f"{self.facts / self.stored_s:.0f} rows/s committed); broker disk per page (one replica): "
            + ", ".join(
                f"{topic} {size / self.pages / 1024:.1f} KiB" for topic, size in self.disk_bytes.items()
            )
        )


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks


def tree_cpu_seconds(roots: Sequence[int], *, descendants_only: bool = False) -> float:
    """CPU seconds of the live processes ``roots`` and all their descendants (the pool's workers too), or
    of the descendants only."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            parents[int(entry.name)], cpu[int(entry.name)] = stat
    total = 0.0
    for pid, seconds in cpu.items():
        if descendants_only and pid in roots:
            continue
        node: int | None = pid
        while node:  # walk up to a root (or to init)
            if node in roots:
                total += seconds
                break
            node = parents.get(node)
    return total


def broker_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"kafka.Kafka" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def live_run(pages: list[RawPage], extractors: int, stores: int) -> LiveRun:
    with private_run("bench-live", "live") as (settings, logs):
        port = free_replica_ports(extractors)
        ports = [port + PORT_STEP * i for i in range(extractors)]
        with ProcessGroup(logs) as group:
            # One pool process per extractor: the in-process baseline is one core.
            workers = start_workers(
                group,
                settings.model_copy(update={"extract_workers": 1}),
                extractor_port=port,
                extractors=extractors,
                stores=stores,
            )
            deadline = time.monotonic() + READY_TIMEOUT
            while not all(read_health(p)[0] == 200 for p in ports):  # 200: assigned and consuming
                group.check_alive(*worker_names(group))
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"extractors not consuming within {READY_TIMEOUT:.0f} s (logs: {logs})"
                    )
                time.sleep(0.2)
            roles = {
                "extractor": [w.pid for w in workers if w.name.startswith("extractor")],
                "store": [w.pid for w in workers if w.name.startswith("store")],
                "broker": broker_pids(),
            }

            def cpu_by_role() -> dict[str, float]:
                by_role = {role: tree_cpu_seconds(pids) for role, pids in roles.items()}
                pool = tree_cpu_seconds(roles["extractor"], descendants_only=True)
                return {**by_role, "extractor": by_role["extractor"] - pool, "extraction pool": pool}

            cpu_before = cpu_by_role()
            load = loadavg()
            started = time.perf_counter()
            asyncio.run(publish_pages(settings, pages))
            extracted_s, stored_s = asyncio.run(_drain(settings, group, started))
            cpu = {role: seconds - cpu_before[role] for role, seconds in cpu_by_role().items()}
        disk = {
            role: topic_bytes_on_disk(topic)
            for role, topic in (
                ("raw", settings.raw_topic),
                ("facts", settings.facts_topic),
                ("extractions", settings.extractions_topic),
            )
        }
        engine = make_engine(settings.database_url)
        try:
            with engine.connect() as conn:
                facts = int(conn.scalar(select(func.count()).select_from(facts_table)) or 0)
        finally:
            engine.dispose()
    return LiveRun(
        extractors,
        stores,
        len(pages),
        extracted_s,
        stored_s,
        f"{load} -> {loadavg()}",
        cpu,
        facts,
        {role: size for role, size in disk.items() if size is not None},
    )


def broker_data_dir() -> Path | None:
    """The local broker's log.dirs (deploy/local), if this machine runs it."""
    properties = REPO_ROOT / ".local" / "kafka" / "server.properties"
    try:
        for line in properties.read_text().splitlines():
            if line.startswith("log.dirs="):
                return Path(line.split("=", 1)[1])
    except OSError:
        return None
    return None


def topic_bytes_on_disk(topic: str) -> int | None:
    """Bytes of the topic's log segments over all its partitions (compressed as produced)."""
    data = broker_data_dir()
    if data is None:
        return None
    return sum(f.stat().st_size for d in data.glob(f"{topic}-*") if d.is_dir() for f in d.glob("*.log"))


async def _drain(settings: Settings, group: ProcessGroup, started: float) -> tuple[float, float]:
    def alive() -> None:
        group.check_alive(*worker_names(group))

    await wait_caught_up(
        settings.kafka_bootstrap,
        settings.extractor_group,
        [settings.raw_topic],
        timeout=DRAIN_TIMEOUT,
        still_running=alive,
        interval=0.2,
    )
    extracted = time.perf_counter() - started
    await wait_caught_up(
        settings.kafka_bootstrap,
        settings.store_group,
        [settings.facts_topic, settings.extractions_topic],
        timeout=DRAIN_TIMEOUT,
        still_running=alive,
        interval=0.2,
    )
    return extracted, time.perf_counter() - started


def in_process_rate(pages: Sequence[RawPage]) -> float:
    values = [page.encode() for page in pages]
    gc.collect()
    started = time.perf_counter()
    for value in values:
        with contextlib.suppress(Exception):  # a page the pipeline dead-letters costs its time too
            extract_record(value)
    return len(values) / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, default=Path(os.environ.get("HQ_BENCH_SITE", DEFAULT_SITE)))
    parser.add_argument("--pages", type=int, default=int(os.environ.get("HQ_BENCH_LIVE_PAGES", "2000")))
    parser.add_argument("--extractors", default="1,2", help="comma-separated extractor counts to run")
    parser.add_argument("--stores", default="1", help="comma-separated store counts (paired in order)")
    args = parser.parse_args(argv)
    extractor_counts = [int(k) for k in args.extractors.split(",")]
    store_counts = [int(m) for m in args.stores.split(",")]
    store_counts += [store_counts[-1]] * (len(extractor_counts) - len(store_counts))
    pages = list(islice(raw_events_from_site(ensure_site(args.site)), args.pages))
    print(f"-- live throughput: {len(pages)} raw pages, {Settings().topic_partitions} partitions", flush=True)
    baseline = in_process_rate(pages)
    print(f"in-process extraction (extract_record, one core): {baseline:6.1f} pages/s", flush=True)
    runs = []
    for extractors, stores in zip(extractor_counts, store_counts, strict=True):
        run = live_run(pages, extractors, stores)
        runs.append(run)
        print(run.render(baseline), flush=True)
    one = next((r for r in runs if r.extractors == 1), None)
    if one is not None:
        rate = one.pages / one.extracted_s
        verdict = "MET" if rate >= 0.8 * baseline else "NOT MET"
        print(
            f"ratio one live extractor / in-process extraction: {rate / baseline:.2f}x "
            f"(target >= 0.8: {verdict})"
        )
        for run in runs:
            if run.extractors > 1:
                print(
                    f"ratio {run.extractors} extractors / 1: {one.extracted_s / run.extracted_s:.2f}x "
                    f"extraction, {one.stored_s / run.stored_s:.2f}x to facts committed "
                    f"({os.cpu_count()} CPUs)"
                )


if __name__ == "__main__":
    main()
