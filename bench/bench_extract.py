"""How much slower is article extraction than just parsing the HTML? (target: <= 3x a bare parse)

Builds (or reuses, env HQ_BENCH_SITE) the whole-corpus test site under /tmp, loads every post page into
memory, then times, in the same process and on the same pages:
  (a) a bare selectolax parse of each page plus `.text()` of its body;
  (b) parse_article + extract_facts (or parse_article alone when extract_facts is not importable).
Each is the median of N repeats (env HQ_BENCH_REPEATS, default 3). Prints rates and the ratio; never
asserts on wall-clock time.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from services.extractor.domain.article import Article
from services.extractor.domain.html_article import parse_article

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HQ_SHARED_DIR", REPO.parent / "shared"))
DEFAULT_SITE = Path("/tmp/hqfacts-bench-site")


def ensure_site(site: Path | None = None) -> Path:
    """The whole-corpus site: reused when it has ground truth, else built (~20 s, ~670 MB)."""
    site = site or Path(os.environ.get("HQ_BENCH_SITE", DEFAULT_SITE))
    if (site / "_posts.jsonl").exists():
        return site
    cmd = [
        sys.executable,
        str(SHARED / "tools" / "build_site.py"),
        "--posts",
        str(SHARED / "corpus" / "hddtvn" / "posts"),
        "--out",
        str(site),
    ]
    dates = SHARED / "corpus" / "hddtvn" / "dates.tsv"
    if dates.exists():
        cmd += ["--dates", str(dates)]
    print(f"building {site} ...", flush=True)
    subprocess.run(cmd, check=True)
    return site


def post_pages(site: Path) -> list[tuple[str, str]]:
    """(url, html) of every post of the site, read into memory."""
    out = []
    with (site / "_posts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            url = json.loads(line)["url"]
            rel = url.split("://", 1)[1].split("/", 1)[1]
            out.append((url, (site / rel / "index.html").read_text(encoding="utf-8")))
    return out


def load_extract_facts() -> Callable[[Article], object] | None:
    try:
        from services.extractor.domain.facts import extract_facts
    except ImportError:
        return None
    return extract_facts


def bare_parse(pages: list[tuple[str, str]]) -> int:
    total = 0
    for _, html in pages:
        body = LexborHTMLParser(html).body
        total += len(body.text()) if body is not None else 0
    return total


def full_extract(pages: list[tuple[str, str]], facts: Callable[[Article], object] | None) -> int:
    n = 0
    for url, html in pages:
        art = parse_article(html, url)
        if art is not None and facts is not None:
            facts(art)
        n += art is not None
    return n


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    repeats = int(os.environ.get("HQ_BENCH_REPEATS", "3"))
    site = ensure_site()
    pages = post_pages(site)
    mb = sum(len(h.encode("utf-8")) for _, h in pages) / 1e6
    facts = load_extract_facts()
    what = "parse_article + extract_facts" if facts else "parse_article ONLY (extract_facts not importable)"
    print(f"site {site}: {len(pages)} post pages, {mb:.0f} MB in memory; median of {repeats} runs")
    bare = median_seconds(lambda: bare_parse(pages), repeats)
    parse_only = median_seconds(lambda: full_extract(pages, None), repeats)
    full = median_seconds(lambda: full_extract(pages, facts), repeats) if facts else parse_only
    n = len(pages)
    print(f"(a) bare parse + body.text():      {n / bare:8.0f} articles/s  ({bare:.2f} s)")
    print(f"    parse_article:                 {n / parse_only:8.0f} articles/s  ({parse_only:.2f} s)")
    print(f"(b) {what}: {n / full:8.0f} articles/s  ({full:.2f} s)")
    print(f"ratio parse_article / bare parse:  {parse_only / bare:.2f}x")
    print(f"ratio (b) / (a):                   {full / bare:.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
