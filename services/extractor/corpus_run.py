"""Run the extractor over every post of a built test site and summarise what it found.

    python -m services.extractor.corpus_run --site /tmp/site [--sample 30 --seed 7] [--slow-ms 200]

Counts crashes (any exception other than MalformedPage is a crash; both are listed), pages that were
not recognised as articles, facts per metric, the slowest pages (a per-page time guard), and prints a
seeded random sample of facts with their evidence for reading by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.common.facts import Fact, format_decimal
from services.extractor.domain.article import Article, MalformedPage
from services.extractor.domain.html_article import parse_article

ExtractFn = Callable[[Article], list[Fact]]


@dataclass
class CorpusReport:
    pages: int = 0
    articles: int = 0
    not_articles: list[str] = field(default_factory=list)
    malformed: list[tuple[str, str]] = field(default_factory=list)
    crashes: list[tuple[str, str]] = field(default_factory=list)
    facts_per_metric: Counter[str] = field(default_factory=Counter)
    articles_with_facts: int = 0
    slow: list[tuple[float, str]] = field(default_factory=list)  # (ms, url), slowest first
    over_guard: int = 0
    seconds: float = 0.0
    facts: list[tuple[str, Fact]] = field(default_factory=list)  # (url, fact)


def _load_extract_facts() -> ExtractFn | None:
    try:
        from services.extractor.domain.facts import extract_facts
    except ImportError:
        return None
    return extract_facts


def post_urls(site: Path) -> list[tuple[str, Path]]:
    out = []
    with (site / "_posts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            url = json.loads(line)["url"]
            rel = url.split("://", 1)[1].split("/", 1)[1]
            out.append((url, site / rel / "index.html"))
    return out


def run_corpus(
    site: Path, slow_ms: float = 200.0, keep_slowest: int = 10, extract: ExtractFn | None = None
) -> CorpusReport:
    """parse_article + extract_facts over every post of `site` (a build_site.py output tree)."""
    extract = extract or _load_extract_facts()
    rep = CorpusReport()
    timings: list[tuple[float, str]] = []
    t_all = time.perf_counter()
    for url, path in post_urls(site):
        rep.pages += 1
        html = path.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        try:
            art = parse_article(html, url)
            facts = extract(art) if art is not None and extract is not None else []
        except MalformedPage as exc:
            rep.malformed.append((url, str(exc)))
            continue
        except Exception:  # a crash is a finding to report, not a reason to stop the run
            rep.crashes.append((url, traceback.format_exc(limit=3)))
            continue
        finally:
            ms = (time.perf_counter() - t0) * 1000
            timings.append((ms, url))
            rep.over_guard += ms > slow_ms
        if art is None:
            rep.not_articles.append(url)
            continue
        rep.articles += 1
        rep.articles_with_facts += bool(facts)
        for f in facts:
            rep.facts_per_metric[f.metric] += 1
            rep.facts.append((url, f))
    rep.seconds = time.perf_counter() - t_all
    rep.slow = sorted(timings, reverse=True)[:keep_slowest]
    return rep


def format_report(rep: CorpusReport, extract_available: bool, slow_ms: float) -> str:
    lines = [
        f"pages {rep.pages}, articles {rep.articles}, not articles {len(rep.not_articles)}, "
        f"malformed {len(rep.malformed)}, CRASHES {len(rep.crashes)}  ({rep.seconds:.1f} s)",
    ]
    if not extract_available:
        lines.append("extract_facts not importable: parse_article only")
    lines.append(
        f"facts {sum(rep.facts_per_metric.values())} in {rep.articles_with_facts} articles; per metric:"
    )
    lines += [f"  {m:28s} {n:6d}" for m, n in rep.facts_per_metric.most_common()]
    lines.append(f"pages over the {slow_ms:.0f} ms guard: {rep.over_guard}; slowest:")
    lines += [f"  {ms:8.1f} ms  {url}" for ms, url in rep.slow]
    for url, tb in rep.crashes[:10]:
        lines.append(f"CRASH {url}\n{tb}")
    for url, why in rep.malformed[:10]:
        lines.append(f"malformed {url}: {why}")
    for url in rep.not_articles[:10]:
        lines.append(f"not an article: {url}")
    return "\n".join(lines)


def format_sample(rep: CorpusReport, n: int, seed: int) -> str:
    picks = random.Random(seed).sample(rep.facts, min(n, len(rep.facts)))
    out = []
    for url, f in picks:
        period = f"{f.period_start}..{f.period_end}" if f.period_start or f.period_end else "-"
        extra = f" {f.target_type}" if f.target_type else ""
        value = f"{f.bound} {format_decimal(f.value)} {f.unit}"
        out.append(
            f"- {f.subject} {f.metric} {f.kind}{extra} {value} [{period}]\n    {url}\n    « {f.evidence} »"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--site", type=Path, required=True, help="a build_site.py output folder (has _posts.jsonl)"
    )
    ap.add_argument("--slow-ms", type=float, default=200.0, help="per-page time guard (ms)")
    ap.add_argument("--slowest", type=int, default=10, help="how many of the slowest pages to list")
    ap.add_argument("--sample", type=int, default=0, help="print N random facts with their evidence")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    extract = _load_extract_facts()
    rep = run_corpus(args.site, args.slow_ms, args.slowest, extract)
    print(format_report(rep, extract is not None, args.slow_ms))
    if args.sample:
        print(f"\nsample of {args.sample} facts (seed {args.seed}):")
        print(format_sample(rep, args.sample, args.seed))
    return 1 if rep.crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
