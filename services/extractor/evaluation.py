"""Scoring predicted facts against a gold set, as the contract's "Scoring" section says.

A prediction matches a gold fact of the same article when subject, metric and kind are equal and the
values agree within 0.1% (relative; 0.01 absolute for percents). Each gold fact matches at most one
prediction. Only scored metrics count. Micro P/R/F1 over all articles; period and target_type accuracy
among the matched pairs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.common.facts import SCORED_METRICS, Fact
from services.extractor.domain.article import Article

_RELATIVE_TOLERANCE = Decimal("0.001")
_PERCENT_TOLERANCE = Decimal("0.01")


def values_agree(predicted: Fact, gold: Fact) -> bool:
    difference = abs(predicted.value - gold.value)
    if gold.unit == "percent":
        return difference <= _PERCENT_TOLERANCE
    return difference <= abs(gold.value) * _RELATIVE_TOLERANCE


def _same_key(predicted: Fact, gold: Fact) -> bool:
    return (predicted.subject, predicted.metric, predicted.kind) == (gold.subject, gold.metric, gold.kind)


@dataclass(frozen=True, slots=True)
class ArticleFact:
    article: str
    fact: Fact


@dataclass(slots=True)
class MetricScore:
    gold: int = 0
    predicted: int = 0
    matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class Report:
    overall: MetricScore
    per_metric: dict[str, MetricScore]
    period_correct: int
    target_type_correct: int
    matched_pairs: list[tuple[ArticleFact, ArticleFact]] = field(default_factory=list)  # (gold, predicted)
    missed: list[ArticleFact] = field(default_factory=list)
    spurious: list[ArticleFact] = field(default_factory=list)

    @property
    def period_accuracy(self) -> float:
        return self.period_correct / self.overall.matched if self.overall.matched else 0.0

    @property
    def target_type_accuracy(self) -> float:
        return self.target_type_correct / self.overall.matched if self.overall.matched else 0.0


def _match_article(gold: Sequence[Fact], predicted: Sequence[Fact]) -> list[tuple[int, int]]:
    """Pairs (gold index, predicted index). Greedy, closest value first, so ties resolve deterministically."""
    candidates: list[tuple[Decimal, int, int]] = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            if _same_key(p, g) and values_agree(p, g):
                # Prefer pairs that also agree on period and target type, then the closest value.
                penalty = Decimal(0)
                if (p.period_start, p.period_end) != (g.period_start, g.period_end):
                    penalty += 1
                if p.target_type != g.target_type:
                    penalty += 1
                candidates.append((penalty * 10**30 + abs(p.value - g.value), gi, pi))
    candidates.sort()
    used_gold: set[int] = set()
    used_predicted: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, gi, pi in candidates:
        if gi in used_gold or pi in used_predicted:
            continue
        used_gold.add(gi)
        used_predicted.add(pi)
        pairs.append((gi, pi))
    return sorted(pairs)


def score(gold: Mapping[str, Sequence[Fact]], predicted: Mapping[str, Sequence[Fact]]) -> Report:
    """Score predictions (article -> facts) against gold (article -> facts). Unscored metrics are ignored."""
    overall = MetricScore()
    per_metric: dict[str, MetricScore] = {m: MetricScore() for m in SCORED_METRICS}
    report = Report(overall=overall, per_metric=per_metric, period_correct=0, target_type_correct=0)
    for article in sorted(set(gold) | set(predicted)):
        gold_facts = [f for f in gold.get(article, ()) if f.metric in SCORED_METRICS]
        predicted_facts = [f for f in predicted.get(article, ()) if f.metric in SCORED_METRICS]
        for f in gold_facts:
            per_metric[f.metric].gold += 1
        for f in predicted_facts:
            per_metric[f.metric].predicted += 1
        overall.gold += len(gold_facts)
        overall.predicted += len(predicted_facts)
        pairs = _match_article(gold_facts, predicted_facts)
        matched_gold = {gi for gi, _ in pairs}
        matched_predicted = {pi for _, pi in pairs}
        for gi, pi in pairs:
            g, p = gold_facts[gi], predicted_facts[pi]
            overall.matched += 1
            per_metric[g.metric].matched += 1
            if (g.period_start, g.period_end) == (p.period_start, p.period_end):
                report.period_correct += 1
            if g.target_type == p.target_type:
                report.target_type_correct += 1
            report.matched_pairs.append((ArticleFact(article, g), ArticleFact(article, p)))
        report.missed.extend(
            ArticleFact(article, g) for i, g in enumerate(gold_facts) if i not in matched_gold
        )
        report.spurious.extend(
            ArticleFact(article, p) for i, p in enumerate(predicted_facts) if i not in matched_predicted
        )
    return report


def rule_scores(report: Report) -> dict[str, MetricScore]:
    """Precision per extraction rule: how many of the facts each rule produced match a gold fact."""
    scores: dict[str, MetricScore] = defaultdict(MetricScore)
    for _, predicted in report.matched_pairs:
        scores[predicted.fact.rule or "?"].predicted += 1
        scores[predicted.fact.rule or "?"].matched += 1
    for item in report.spurious:
        scores[item.fact.rule or "?"].predicted += 1
    return dict(sorted(scores.items()))


def rule_confidence(scores: Mapping[str, MetricScore]) -> dict[str, float]:
    """A rule's confidence: its precision with one success and one failure added (Laplace), so a rule seen
    a few times is not called certain. Three decimals, for a table that diffs cleanly."""
    return {
        rule: round((s.matched + 1) / (s.predicted + 2), 3)
        for rule, s in sorted(scores.items())
        if rule != "?"
    }


def confidence_curve(report: Report, thresholds: Sequence[float]) -> list[tuple[float, int, float]]:
    """(threshold, facts kept, precision of those) as a consumer raising the confidence threshold sees it."""
    outcomes = [(p.fact.confidence or 0.0, True) for _, p in report.matched_pairs]
    outcomes += [(s.fact.confidence or 0.0, False) for s in report.spurious]
    curve = []
    for threshold in thresholds:
        kept = [ok for confidence, ok in outcomes if confidence >= threshold]
        curve.append((threshold, len(kept), sum(kept) / len(kept) if kept else 0.0))
    return curve


def _fact_line(item: ArticleFact) -> str:
    f = item.fact
    period = f"{f.period_start or '-'}..{f.period_end or '-'}"
    extra = f" {f.target_type}" if f.target_type else ""
    extra += f" by={f.assigned_by}" if f.assigned_by else ""
    return (
        f"  [{item.article[:50]}] {f.subject} {f.metric} {f.kind} {f.to_contract()['value']} {f.unit} "
        f"{f.bound} {period}{extra}{' rule=' + f.rule if f.rule else ''}\n      << {f.evidence[:300]}"
    )


CURVE_THRESHOLDS = (0.0, 0.5, 0.8, 0.9, 0.95)


def format_report(report: Report, show_errors: bool = False) -> str:
    o = report.overall
    lines = [
        f"facts: gold={o.gold} predicted={o.predicted} matched={o.matched}",
        f"precision={o.precision:.4f} recall={o.recall:.4f} f1={o.f1:.4f}",
        f"period_accuracy={report.period_accuracy:.4f} "
        f"target_type_accuracy={report.target_type_accuracy:.4f}",
        "",
        f"{'metric':28} {'gold':>5} {'pred':>5} {'match':>5} {'P':>6} {'R':>6} {'F1':>6}",
    ]
    for metric, s in report.per_metric.items():
        if not (s.gold or s.predicted):
            continue
        lines.append(
            f"{metric:28} {s.gold:>5} {s.predicted:>5} {s.matched:>5} "
            f"{s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}"
        )
    lines.append("")
    lines.append(f"{'rule':34} {'pred':>5} {'match':>5} {'P':>6}")
    for rule, s in rule_scores(report).items():
        lines.append(f"{rule:34} {s.predicted:>5} {s.matched:>5} {s.precision:>6.3f}")
    lines.append("")
    lines.append(f"{'confidence >=':14} {'facts':>6} {'P':>6}")
    for threshold, kept, precision in confidence_curve(report, CURVE_THRESHOLDS):
        lines.append(f"{threshold:<14.2f} {kept:>6} {precision:>6.3f}")
    if show_errors:
        lines.append("")
        lines.append(f"missed ({len(report.missed)}):")
        lines.extend(_fact_line(m) for m in report.missed)
        lines.append(f"spurious ({len(report.spurious)}):")
        lines.extend(_fact_line(s) for s in report.spurious)
        wrong_period = [
            (g, p)
            for g, p in report.matched_pairs
            if (g.fact.period_start, g.fact.period_end) != (p.fact.period_start, p.fact.period_end)
            or g.fact.target_type != p.fact.target_type
        ]
        lines.append(f"matched with a wrong period or target_type ({len(wrong_period)}):")
        for g, p in wrong_period:
            lines.append(_fact_line(g))
            lines.append(f"      predicted: {p.fact.period_start}..{p.fact.period_end} {p.fact.target_type}")
    return "\n".join(lines)


# --- loading ------------------------------------------------------------------------------------------

_BLANK_LINES = re.compile(r"\n\s*\n")


def load_gold(path: Path, articles: Iterable[str] = ()) -> dict[str, list[Fact]]:
    """Gold jsonl -> article slug -> facts (file order).

    ``articles`` names the whole labelled set: those without a gold line get an empty list, so whatever is
    predicted there counts as spurious (an article with no in-scope fact is part of the gold too).
    """
    gold: dict[str, list[Fact]] = {slug: [] for slug in articles}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row: dict[str, Any] = json.loads(line)
            gold.setdefault(row["article"], []).append(Fact.from_contract(row))
    return gold


def load_article_list(path: Path) -> list[str]:
    """Slugs (or post URLs) one a line; ``#`` comments and blank lines skipped."""
    slugs: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            slugs.append(line.rstrip("/").rsplit("/", 1)[-1] if "://" in line else line)
    return slugs


# --- the two fixed halves of a labelled set ----------------------------------------------------------

# Rules are written looking at the errors of the "tune" half only; the "blind" half is never inspected and
# its score is the honest estimate on unseen articles. The split is a hash of the slug: fixed, and blind to
# the article's content.
HALVES = ("tune", "blind")


def half_of(slug: str) -> str:
    return HALVES[hashlib.sha256(slug.encode("utf-8")).digest()[0] % 2]


def only_half(gold: Mapping[str, Sequence[Fact]], half: str) -> dict[str, list[Fact]]:
    return {slug: list(facts) for slug, facts in gold.items() if half_of(slug) == half}


def load_site_posts(site: Path, slugs: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """``<site>/_posts.jsonl`` rows by slug (only ``slugs`` when given)."""
    wanted = set(slugs) if slugs is not None else None
    posts: dict[str, dict[str, Any]] = {}
    with (site / "_posts.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row: dict[str, Any] = json.loads(line)
            if wanted is None or row["slug"] in wanted:
                posts[row["slug"]] = row
    return posts


def article_from_post(post: Mapping[str, Any]) -> Article:
    """An Article from a ``_posts.jsonl`` row: body_text paragraphs are separated by blank lines."""
    published = datetime.fromisoformat(post["published"]) if post.get("published") else None
    body = str(post.get("body_text") or "")
    blocks = tuple(b.strip() for b in _BLANK_LINES.split(body) if b.strip())
    return Article(
        url=str(post.get("url") or ""),
        title=str(post.get("title") or ""),
        published=published,
        lead=str(post.get("lead") or ""),
        blocks=blocks,
    )


def post_html_path(site: Path, slug: str) -> Path:
    return site / slug / "index.html"
