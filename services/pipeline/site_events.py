"""Raw page events made straight from a built site's files: a crawl's output without the crawl.

Benchmarks and fault tests feed the raw topic with these, so they measure the extractor and the store
rather than the crawler's politeness.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common.events import RawPage

SITE_BASE_URL = "https://hddtvn.com"


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
