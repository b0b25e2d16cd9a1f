"""Corpus sites for tests, benchmarks and the demo: built with the shared build_site.py, and read back as the
raw page events a crawl of them would publish (a crawl's output without the crawl, so benchmarks and fault
tests measure the extractor and the store rather than the crawler's politeness)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common.events import RawPage

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE_BASE_URL = "https://hddtvn.com"


def shared_dir() -> Path:
    """The read-only shared folder (corpus, gold, site tools): HQ_SHARED_DIR or ../shared beside the repo."""
    return Path(os.environ.get("HQ_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


def build_corpus_site(
    out: Path,
    *,
    posts: Path | None = None,
    limit: int | None = None,
    include: Path | None = None,
    dates: Path | None = None,
) -> Path:
    """Render corpus posts into a WordPress-like site with the shared build_site.py (deterministic)."""
    shared = shared_dir()
    posts = posts or shared / "corpus" / "hddtvn" / "posts"
    if (posts / "posts").is_dir():  # accept the corpus folder as well as its posts/ folder
        posts = posts / "posts"
    dates = dates or posts.parent / "dates.tsv"
    argv = [sys.executable, str(shared / "tools" / "build_site.py"), "--posts", str(posts), "--out", str(out)]
    argv += ["--force"]
    if limit is not None:
        argv += ["--limit", str(limit)]
    if include is not None:
        argv += ["--include", str(include)]
    if dates.exists():
        argv += ["--dates", str(dates)]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return out


def load_posts(site: Path) -> list[dict[str, Any]]:
    """The site's ground truth, one dict per post (split on newlines only: texts hold U+2028)."""
    text = (site / "_posts.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def post_files(site: Path) -> Iterator[tuple[str, Path]]:
    """(path, file) of every post in ``site``'s ground truth, in its order."""
    manifest: dict[str, str] = {}
    for line in (site / "_manifest.tsv").read_text("utf-8").split("\n"):
        if line and not line.startswith("#"):
            path, file, *_ = line.split("\t")
            manifest[path.lower()] = file
    for post in load_posts(site):
        path = post["url"].removeprefix(SITE_BASE_URL)
        yield path, site / manifest[path.lower()]


def raw_events_from_site(site: Path, base_url: str = SITE_BASE_URL) -> Iterator[RawPage]:
    """One article ``RawPage`` per post of a site built by ../shared/tools/build_site.py."""
    fetched_at = datetime(2026, 1, 1, tzinfo=UTC)  # fixed: the same site gives the same events
    for path, file in post_files(site):
        body = file.read_bytes()
        url = base_url + path
        yield RawPage(
            url=url,
            final_url=url,
            status=200,
            role="article",
            content_type="text/html; charset=UTF-8",
            fetched_at=fetched_at,
            content_sha256=hashlib.sha256(body).hexdigest(),
            body_bytes=len(body),
            body=body.decode("utf-8"),
        )
