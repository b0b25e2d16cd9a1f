"""The extractor against the dev gold set on a freshly built small site (needs ../shared)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.extractor.cli import html_parser, predict_site
from services.extractor.evaluation import load_gold, score

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HQ_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def dev_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SHARED / "gold" / "dev.jsonl").exists():
        pytest.skip(f"no shared data at {SHARED}")
    out = tmp_path_factory.mktemp("dev-site") / "site"
    include = SHARED / "gold" / "dev_articles.txt"
    count = sum(1 for line in include.read_text(encoding="utf-8").splitlines() if line.strip())
    # --limit 0 means "all posts"; the included gold articles alone make a small site.
    subprocess.run(
        [
            sys.executable,
            str(SHARED / "tools" / "build_site.py"),
            "--posts",
            str(SHARED / "corpus" / "hddtvn" / "posts"),
            "--out",
            str(out),
            "--limit",
            str(count),
            "--include",
            str(include),
            "--dates",
            str(SHARED / "corpus" / "hddtvn" / "dates.tsv"),
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_dev_gold_meets_the_bar(dev_site: Path) -> None:
    gold = load_gold(SHARED / "gold" / "dev.jsonl")
    source = "html" if html_parser() is not None else "posts"
    overall = score(gold, predict_site(sorted(gold), dev_site, source)).overall
    assert overall.f1 >= 0.90, overall
    assert overall.precision >= 0.95, overall
