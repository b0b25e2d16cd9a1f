"""Benchmark: crawl the corpus site served on loopback with delay 0; report time, pages/s and peak memory.

    .venv/bin/python bench/bench_crawl.py [--site DIR] [--limit N] [--out DIR]

Builds the site with ../shared/tools/build_site.py unless --site points at a built one, serves it with
site_server.py, runs `hqfacts crawl` in a real process on a fresh crawl state and a fresh topic, and
prints one JSON line (wall time, requests, events, pages/s, peak RSS of the crawler process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from services.crawler.testing import SiteServer, build_site, count_events, crawl_cmd, loopback_crawl_args


def _peak_rss_kb(pid: int, stop: threading.Event, out: list[int]) -> None:
    """Sample VmHWM (the kernel's peak RSS) of the crawler until it exits."""
    while not stop.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[0] = max(out[0], int(line.split()[1]))
        except OSError:
            return
        stop.wait(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", type=Path, help="an already built site (skips the build)")
    ap.add_argument("--limit", type=int, default=None, help="build only the first N posts")
    ap.add_argument("--out", type=Path, default=None, help="where to build the site (default: a temp dir)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        site = args.site
        build_s = 0.0
        if site is None:
            started = time.monotonic()
            site = build_site((args.out or Path(tmp)) / "site", limit=args.limit)
            build_s = time.monotonic() - started
        uid = uuid.uuid4().hex[:10]
        topic, state = f"bench.crawler.{uid}", f"bench-{uid}"
        env = {**os.environ, "HQ_RAW_TOPIC": topic}
        with SiteServer(site) as srv:
            cmd = crawl_cmd(*loopback_crawl_args(srv.base, state, "none"))
            started = time.monotonic()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            peak = [0]
            stop = threading.Event()
            sampler = threading.Thread(target=_peak_rss_kb, args=(proc.pid, stop, peak), daemon=True)
            sampler.start()
            _, stderr = proc.communicate(timeout=3600)
            elapsed = time.monotonic() - started
            stop.set()
            stats = srv.stats()
        if proc.returncode != 0:
            raise SystemExit(f"crawl failed ({proc.returncode}):\n{stderr[-3000:]}")
        events = count_events(env.get("HQ_KAFKA_BOOTSTRAP", "127.0.0.1:29092"), topic)
        print(
            json.dumps(
                {
                    "site": str(site),
                    "build_s": round(build_s, 1),
                    "crawl_s": round(elapsed, 1),
                    "requests": stats["requests"],
                    "events_published": events,
                    "pages_per_s": round(stats["requests"] / elapsed, 1),
                    "body_mb": round(stats["bytes_sent"] / 1e6, 1),
                    "peak_rss_mb": round(peak[0] / 1024, 1),
                    "duplicates": len(stats["duplicates"]),
                    "by_class": stats["by_class"],
                }
            )
        )


if __name__ == "__main__":
    main()
