"""Live pipeline throughput: how fast K running extractors (and M stores) drain a backlog of raw pages.

    .venv/bin/python -m bench.bench_live [--pages N] [--site DIR] [--extractors 1,2] [--stores 1,2] [--pool P]

For each (K extractors, M stores) configuration, on a fresh database and private topics with
HQ_TOPIC_PARTITIONS partitions (default 6): N raw pages are published first (a backlog, so the publisher
does not compete with the workers for the cores), then the workers are started (``hqfacts extractor`` K
times and ``hqfacts store`` M times, each extractor with one pool worker; M may be 0 to measure the
extractors alone). The extractor group's committed offsets are sampled every 0.1 s:

- **steady rate**: pages committed per second between the samples at 10 % and 90 % of the backlog (no
  start-up, no tail); CPU per page by role is measured over the same window;
- **wall clock**: from starting the workers until (a) the extractor group committed every raw page (all its
  records delivered) and (b) the store group committed every fact and extraction event (facts in PostgreSQL).

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
from collections.abc import Callable, Sequence
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
from bench.cpu import broker_pids, tree_cpu_seconds
from services.common.db import make_engine
from services.common.events import RawPage
from services.common.lag import committed_offsets, wait_caught_up
from services.common.settings import Settings
from services.extractor.service import extract_record
from services.pipeline.processes import ProcessGroup
from services.pipeline.runner import free_replica_ports, start_workers, worker_names
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
    steady_rate: float  # pages/s committed by the extractor group between 10 % and 90 % of the backlog
    extracted_s: float  # from starting the workers until the extractor group committed every raw page
    stored_s: float  # until the store group committed every event (0 stores: the same as extracted_s)
    load: str
    cpu_s: dict[str, float]  # CPU seconds of the steady window by role (extractor, its pool, store, broker)
    window_pages: int  # pages committed in the steady window
    facts: int  # fact rows in PostgreSQL at the end
    disk_bytes: dict[str, int]  # bytes of each topic's log segments on the broker's disk (local broker only)

    def render(self, baseline_rate: float) -> str:
        cpu = ", ".join(
            f"{role} {1000 * s / self.window_pages:.2f}" for role, s in sorted(self.cpu_s.items())
        )
        return (
            f"{self.extractors} extractor(s), {self.stores} store(s): steady {self.steady_rate:6.1f} pages/s "
            f"({self.steady_rate / baseline_rate:.2f}x in-process); wall clock from start-up: extracted in "
            f"{self.extracted_s:6.1f} s ({self.pages / self.extracted_s:6.1f} pages/s)"
            + (
                f", facts committed after {self.stored_s:6.1f} s ({self.pages / self.stored_s:6.1f} pages/s)"
                if self.stores
                else ""
            )
            + f"; load average {self.load}\n"
            f"  CPU ms per page: {cpu}\n"
            f"  {self.facts} facts ({self.facts / self.pages:.2f} per page, "
            f"{self.facts / self.stored_s:.0f} rows/s committed); broker disk per page (one replica): "
            + ", ".join(
                f"{topic} {size / self.pages / 1024:.1f} KiB" for topic, size in self.disk_bytes.items()
            )
        )


def live_run(pages: list[RawPage], extractors: int, stores: int, pool: int = 1) -> LiveRun:
    with private_run("bench-live", "live") as (settings, logs):
        asyncio.run(publish_pages(settings, pages))  # the backlog, before any worker runs
        port = free_replica_ports(extractors)
        with ProcessGroup(logs) as group:
            load = loadavg()
            started = time.perf_counter()
            # One pool process per extractor by default: the in-process baseline is one core.
            workers = start_workers(
                group,
                settings.model_copy(update={"extract_workers": pool}),
                extractor_port=port,
                extractors=extractors,
                stores=stores,
            )
            roles = {
                "extractor": [w.pid for w in workers if w.name.startswith("extractor")],
                "store": [w.pid for w in workers if w.name.startswith("store")],
                "broker": broker_pids(),
            }

            def cpu_by_role() -> dict[str, float]:
                by_role = {role: tree_cpu_seconds(pids) for role, pids in roles.items()}
                pool = tree_cpu_seconds(roles["extractor"], descendants_only=True)
                return {**by_role, "extractor": by_role["extractor"] - pool, "extraction pool": pool}

            window = asyncio.run(_steady_window(settings, group, len(pages), cpu_by_role))
            extracted_s = time.perf_counter() - started
            stored_s = extracted_s
            if stores:
                asyncio.run(_store_caught_up(settings, group))
                stored_s = time.perf_counter() - started
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
        window.rate,
        extracted_s,
        stored_s,
        f"{load} -> {loadavg()}",
        window.cpu_s,
        window.pages,
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


@dataclass(frozen=True)
class SteadyWindow:
    rate: float  # pages/s between the 10 % and 90 % marks
    pages: int
    cpu_s: dict[str, float]


async def _steady_window(
    settings: Settings, group: ProcessGroup, total: int, cpu_by_role: Callable[[], dict[str, float]]
) -> SteadyWindow:
    """Sample the extractor group's committed offsets until the whole backlog is committed; the rate and
    the CPU between the first samples at or past 10 % and 90 % of it."""
    low, high = total // 10, total - total // 10
    marks: list[tuple[float, int, dict[str, float]]] = []
    deadline = time.monotonic() + DRAIN_TIMEOUT
    committed = 0
    while committed < total:
        group.check_alive(*worker_names(group))
        if time.monotonic() > deadline:
            raise TimeoutError(f"extractors committed {committed} of {total} pages in {DRAIN_TIMEOUT:.0f} s")
        offsets = await committed_offsets(settings.kafka_bootstrap, settings.extractor_group)
        committed = sum(o for tp, o in offsets.items() if tp.topic == settings.raw_topic)
        if (not marks and committed >= low) or (len(marks) == 1 and committed >= high):
            marks.append((time.perf_counter(), committed, cpu_by_role()))
        await asyncio.sleep(0.1)
    (t0, c0, cpu0), (t1, c1, cpu1) = marks
    if c1 <= c0:  # everything committed at once (a tiny backlog): no window to measure
        raise RuntimeError(f"no steady window: {total} pages are too few; use --pages 2000 or more")
    return SteadyWindow((c1 - c0) / (t1 - t0), c1 - c0, {role: cpu1[role] - cpu0[role] for role in cpu1})


async def _store_caught_up(settings: Settings, group: ProcessGroup) -> None:
    await wait_caught_up(
        settings.kafka_bootstrap,
        settings.store_group,
        [settings.facts_topic, settings.extractions_topic],
        timeout=DRAIN_TIMEOUT,
        still_running=lambda: group.check_alive(*worker_names(group)),
        interval=0.2,
    )


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
    parser.add_argument(
        "--stores",
        default="1",
        help="comma-separated store counts (paired in order; 0: the extractors alone)",
    )
    parser.add_argument(
        "--pool", type=int, default=1, help="extraction processes per extractor (1: per-core comparison)"
    )
    args = parser.parse_args(argv)
    extractor_counts = [int(k) for k in args.extractors.split(",")]
    store_counts = [int(m) for m in args.stores.split(",")]
    store_counts += [store_counts[-1]] * (len(extractor_counts) - len(store_counts))
    pages = list(islice(raw_events_from_site(ensure_site(args.site)), args.pages))
    print(
        f"-- live throughput: {len(pages)} raw pages, {Settings().topic_partitions} partitions, "
        f"{args.pool} extraction process(es) per extractor",
        flush=True,
    )
    runs = []
    baselines = []
    for extractors, stores in zip(extractor_counts, store_counts, strict=True):
        # This machine's speed drifts (shared cores): the baseline is measured next to each run, before and
        # after it, and the run is compared with their mean.
        before = in_process_rate(pages)
        run = live_run(pages, extractors, stores, args.pool)
        baseline = (before + in_process_rate(pages)) / 2
        print(f"in-process extraction (extract_record, one core): {baseline:6.1f} pages/s", flush=True)
        runs.append(run)
        baselines.append(baseline)
        print(run.render(baseline), flush=True)
    one, baseline = next(
        ((r, b) for r, b in zip(runs, baselines, strict=True) if r.extractors == 1), (None, 0.0)
    )
    if one is not None:
        rate = one.steady_rate
        verdict = "MET" if rate >= 0.8 * baseline else "NOT MET"
        print(
            f"ratio one live extractor (steady, {one.stores} store(s) running) / in-process extraction: "
            f"{rate / baseline:.2f}x "
            f"(target >= 0.8: {verdict})"
        )
        for run in runs:
            if run.extractors > 1:
                print(
                    f"ratio {run.extractors} extractors / 1: {run.steady_rate / one.steady_rate:.2f}x steady "
                    f"extraction, {one.stored_s / run.stored_s:.2f}x wall clock from start-up "
                    f"{'to facts committed' if run.stores else 'to the last page extracted'} "
                    f"({os.cpu_count()} CPUs)"
                )


if __name__ == "__main__":
    main()
