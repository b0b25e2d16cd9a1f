"""Freshness benchmark: how long a post published live takes to reach the facts table.

    .venv/bin/python -m bench.bench_freshness [--events 20] [--poll 10]

`hqfacts run` (crawler + extractor + store, as in production) follows a loopback site served by
site_server.py with one snapshot per event (``--next-root``): snapshot i adds one corpus post, dated after
every other, so it tops the feed, the home page and the newest sitemap. Once the first snapshot is in the
database, the benchmark publishes the events one by one (GET /__publish) at a random phase of the poll
interval (seeded; the crawler's poll clock does not know when a post appears) and polls PostgreSQL every
50 ms for the new article's extraction. Latency = first poll that sees it committed - publish time.

The floor is the poll interval: a post published just after a poll waits up to a whole interval (less on
average: the home page, the feed and the newest sitemap each show a new post and are polled out of
phase). Prints p50 / p90 / p99 / max next to it. Throwaway database, own topics and groups; never asserts
on time.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from services.common.db import make_engine
from services.common.settings import Settings
from services.pipeline.processes import ProcessGroup, hqfacts_argv
from services.pipeline.runner import settings_env
from services.pipeline.site import build_growing_snapshots, publish_next_snapshot, serve_corpus_site
from services.store.tables import articles
from services.store.testing import fresh_database
from services.testing.corpus_site import shared_dir
from services.testing.isolation import isolated_settings

BASE_POSTS = 3
READY_TIMEOUT = 300.0
EVENT_TIMEOUT = 120.0


def committed(database_url: str, site: str) -> set[str]:
    """Article URLs whose extraction is committed."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(articles.c.url).where(
                    articles.c.url.startswith(site), articles.c.extracted_at.is_not(None)
                )
            )
            return {url for (url,) in rows}
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(events: int, poll: float, seed: int) -> None:
    slugs = [s for s in (shared_dir() / "gold" / "dev_articles.txt").read_text().split() if s]
    base, added = slugs[:BASE_POSTS], slugs[BASE_POSTS : BASE_POSTS + events]
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="hqfacts-bench-fresh-") as tmp:
        work = Path(tmp)
        t0 = time.monotonic()
        roots = build_growing_snapshots(work / "snapshots", base=base, added=added)
        print(f"built {len(roots)} snapshots in {time.monotonic() - t0:.1f} s", flush=True)
        with fresh_database(Settings().database_url, prefix="hqfacts_bench_fresh") as db:
            settings = isolated_settings(db, "bench-fresh")
            env = {
                **os.environ,
                **settings_env(settings),
                "HQ_FEED_POLL_SECONDS": str(poll),
                "HQ_FEED_POLL_MAX_SECONDS": str(poll),  # a fixed interval: the floor stays the same
            }
            with ProcessGroup(work / "logs") as group:
                next_roots = [arg for root in roots[1:] for arg in ("--next-root", str(root))]
                site = serve_corpus_site(group, roots[0], *next_roots)
                argv = hqfacts_argv("run", "--seed", site + "/", "--allow-private", "--delay", "0")
                argv += ["--state-name", "bench-fresh", "--ports", "0,0,0", "--log-dir", str(work / "run")]
                with (work / "run.out").open("wb") as out:
                    service = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
                try:
                    deadline = time.monotonic() + READY_TIMEOUT
                    while len(committed(db, site)) < BASE_POSTS:
                        if service.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError(
                                f"first snapshot not stored:\n{(work / 'run.out').read_text()}"
                            )
                        time.sleep(0.2)
                    print(f"first snapshot stored after {time.monotonic() - t0:.1f} s", flush=True)
                    latencies: list[float] = []
                    for i, slug in enumerate(added, start=1):
                        time.sleep(rng.uniform(0, poll))  # a random phase of the poll clock
                        published = time.monotonic()
                        publish_next_snapshot(site)
                        deadline = published + EVENT_TIMEOUT
                        while not any(url.rstrip("/").endswith("/" + slug) for url in committed(db, site)):
                            if service.poll() is not None or time.monotonic() > deadline:
                                raise RuntimeError(f"post {i} not stored:\n{(work / 'run.out').read_text()}")
                            time.sleep(0.05)
                        latencies.append(time.monotonic() - published)
                        print(f"  event {i:2d}: {latencies[-1]:5.1f} s", flush=True)
                finally:
                    service.send_signal(signal.SIGTERM)
                    service.wait(timeout=120)
    print(
        f"publish -> committed over {len(latencies)} events at a {poll:g} s poll interval (the floor: a post "
        f"published just after the polls waits up to one interval; the home page, the feed and the newest "
        f"sitemap each show it and are polled out of phase, so the mean wait is under half of it): "
        f"p50 {statistics.median(latencies):.1f} s, p90 {percentile(latencies, 0.9):.1f} s, "
        f"p99 {percentile(latencies, 0.99):.1f} s, max {max(latencies):.1f} s, "
        f"mean {statistics.fmean(latencies):.1f} s",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--poll", type=float, default=10.0, help="HQ_FEED_POLL_SECONDS")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args(argv if argv is not None else [])
    run(args.events, args.poll, args.seed)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
