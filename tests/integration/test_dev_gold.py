"""The extractor against the dev gold set on a freshly built small site (needs ../shared)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.extractor.cli import html_parser, predict_site
from services.extractor.domain.facts import RULE_PRECISION
from services.extractor.evaluation import (
    HALVES,
    load_article_list,
    load_gold,
    only_half,
    rule_confidence,
    rule_scores,
    score,
)
from services.testing.themes import THEMES, rethemed_site

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


# A ratchet: the level extractor 0.4.0 reached on the 91 dev articles (the 36 without gold facts count what
# is predicted there as spurious), raised with every improvement until it asserts the goal (F1 0.95, P 0.97).
# "tune" is the half whose errors the rules were written from; "blind" is the half nobody looks at.
FLOOR = {
    "all": {"precision": 0.975, "f1": 0.955, "period": 0.97},
    "tune": {"precision": 0.985, "f1": 0.98, "period": 0.95},
    "blind": {"precision": 0.96, "f1": 0.925, "period": 0.95},
}


def test_dev_gold_holds_the_level_reached(dev_site: Path) -> None:
    gold = load_gold(SHARED / "gold" / "dev.jsonl", load_article_list(SHARED / "gold" / "dev_articles.txt"))
    assert len(gold) == 91
    source = "html" if html_parser() is not None else "posts"
    predicted = predict_site(sorted(gold), dev_site, source)
    for name in ("all", *HALVES):
        part = gold if name == "all" else only_half(gold, name)
        report = score(part, {slug: predicted[slug] for slug in part})
        floor = FLOOR[name]
        assert report.overall.precision >= floor["precision"], (name, report.overall)
        assert report.overall.f1 >= floor["f1"], (name, report.overall)
        assert report.period_accuracy >= floor["period"], (name, report.period_accuracy)


def test_the_shipped_confidence_is_each_rules_measured_precision(dev_site: Path) -> None:
    """A changed rule changes its precision: `hqfacts eval --write-confidence` must be run again."""
    gold = load_gold(SHARED / "gold" / "dev.jsonl", load_article_list(SHARED / "gold" / "dev_articles.txt"))
    predicted = predict_site(sorted(gold), dev_site, "html" if html_parser() is not None else "posts")
    assert rule_confidence(rule_scores(score(gold, predicted))) == RULE_PRECISION


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_the_dev_articles_give_the_same_facts_under_other_themes(
    dev_site: Path, tmp_path: Path, theme: str
) -> None:
    """The same posts in made-up themes (services/testing/themes.py: the lead and date elsewhere, no
    metadata, other class names, <br><br> paragraphs): every article yields exactly the same facts."""
    articles = sorted(load_article_list(SHARED / "gold" / "dev_articles.txt"))
    flatsome = predict_site(articles, dev_site, "html")
    other = predict_site(articles, rethemed_site(dev_site, tmp_path / theme, theme), "html")
    assert sum(map(len, flatsome.values())) > 300
    assert {slug: facts for slug, facts in other.items() if facts != flatsome[slug]} == {}
