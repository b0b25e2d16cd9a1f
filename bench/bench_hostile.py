"""Is the extractor's worst case bounded? (issue 9, finding 3: target bounded time, page to the DLQ)

Times, in the same run:
  (a) a normal article (tests/fixtures/pages/flatsome_post.html) through the budgeted path, the live agent's
      process pool (services.extractor.pool), median of N (env HQ_BENCH_REPEATS, default 20);
  (b) the hostile page of finding 3: one 100 KB paragraph "1 tỷ đồng, 2 tỷ đồng, ..." with no full stop,
      through the same pool (sentences are read in bounded pieces, so it is read in linear time);
  (c) a page over the budget HQ_EXTRACT_BUDGET_SECONDS (default 10 s): 2 MB of dense revenue clauses;
  (d) the next normal article, in the same worker (the budget timer stopped the page, nothing was killed);
  (e) for scale, the number paragraph at 10 KB, 100 KB and 1 MB extracted inline, without any budget: the
      time per KB stays flat (it grew with the paragraph's length before the pieces).
Prints the times and the ratios to (a); never asserts on wall-clock time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from services.common.events import EventError, RawPage
from services.common.settings import Settings
from services.extractor.pool import ExtractionPool
from services.extractor.service import process_page

REPO = Path(__file__).resolve().parents[1]
NORMAL = REPO / "tests" / "fixtures" / "pages" / "flatsome_post.html"


def raw_page(body: str, url: str) -> RawPage:
    return RawPage(
        url=url,
        final_url=url,
        status=200,
        role="article",
        fetched_at=datetime.now(UTC),
        content_sha256="0" * 64,
        body_bytes=len(body.encode()),
        body=body,
    )


def number_page(
    size_bytes: int, clause: str = "{i} tỷ đồng, ", head: str = "Cục Hải quan Hà Nội thu "
) -> RawPage:
    parts = [head]
    size, i = 0, 1
    while size < size_bytes:
        part = clause.format(i=i)
        parts.append(part)
        size += len(part.encode())
        i += 1
    body = (
        '<html><head><meta property="og:type" content="article"><title>Thu ngân sách</title></head>'
        f"<body><article><h1>Thu ngân sách</h1><p>{''.join(parts)}</p></article></body></html>"
    )
    return raw_page(body, f"https://hddtvn.com/bench-hostile-{size_bytes}/")


async def timed_extract(pool: ExtractionPool, page: RawPage) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        outcome = await pool.extract(page.encode())
        result = f"{len(outcome.facts)} facts"
    except EventError as exc:
        result = f"DLQ: {exc}"
    return time.perf_counter() - started, result


async def run() -> None:
    logging.getLogger("services").setLevel(logging.ERROR)  # the dead letter's warning is expected here
    settings = Settings()
    repeats = int(os.environ.get("HQ_BENCH_REPEATS", "20"))
    normal = raw_page(NORMAL.read_text("utf-8"), "https://hddtvn.com/bench-normal/")
    hostile = number_page(100_000)
    over_budget = number_page(2_000_000, "Cục Hải quan Hà Nội thu ngân sách năm 2020 đạt {i} tỷ đồng, ", "")

    process_page(number_page(1_000))  # warm-up: the first page pays for compiling the cue patterns
    for size in (10_000, 100_000, 1_000_000):
        page = number_page(size)
        started = time.perf_counter()
        facts = len(process_page(page).facts)
        seconds = time.perf_counter() - started
        print(
            f"inline, no budget, {size / 1000:6.0f} KB paragraph: {seconds:7.3f} s "
            f"({seconds / size * 1e6:.2f} ms/KB, {facts} facts)"
        )

    pool = ExtractionPool.from_settings(settings)
    try:
        started = time.perf_counter()
        await pool.start()
        seconds = time.perf_counter() - started
        print(f"pool start, {settings.extract_workers} worker(s):          {seconds:7.3f} s")
        normal_times = [(await timed_extract(pool, normal))[0] for _ in range(repeats)]
        normal_s = statistics.median(normal_times)
        print(f"normal article, budgeted path:        {normal_s:7.4f} s  (median of {repeats})")
        hostile_s, result = await timed_extract(pool, hostile)
        print(f"100 KB number paragraph, budgeted:    {hostile_s:7.3f} s  -> {result}")
        over_s, over = await timed_extract(pool, over_budget)
        print(f"2 MB of revenue clauses, budgeted:    {over_s:7.3f} s  -> {over}")
        after_s, after = await timed_extract(pool, normal)
        print(f"next normal article (same worker):    {after_s:7.3f} s  -> {after}")
    finally:
        pool.close()
    print(
        f"number paragraph / normal: {hostile_s / normal_s:,.0f}x; over-budget page / normal: "
        f"{over_s / normal_s:,.0f}x, bounded by the budget ({settings.extract_budget_seconds:g} s, "
        f"HQ_EXTRACT_BUDGET_SECONDS); workers replaced: {pool.replaced}"
    )


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
