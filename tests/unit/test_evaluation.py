"""Scoring per the contract: key match, value tolerance, one prediction per gold, micro P/R/F1."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from services.common.facts import Fact
from services.extractor.evaluation import article_from_post, format_report, load_gold, score


def fact(metric: str, value: str, unit: str = "VND", kind: str = "actual", **extra: object) -> Fact:
    return Fact(subject="cuc:x", metric=metric, kind=kind, value=Decimal(value), unit=unit, **extra)  # type: ignore[arg-type]


def test_values_within_tolerance_match_once() -> None:
    gold = {"a": [fact("budget_revenue", "1000000"), fact("budget_revenue_change", "12.4", "percent")]}
    predicted = {
        "a": [
            fact("budget_revenue", "1000900"),  # 0.09%: matches
            fact("budget_revenue", "1000000"),  # a second prediction of the same gold: spurious
            fact("budget_revenue_change", "12.42", "percent"),  # 0.02 absolute: too far for a percent
            fact("vehicles", "3", "count"),  # not a scored metric: ignored
        ]
    }
    report = score(gold, predicted)
    assert (report.overall.gold, report.overall.predicted, report.overall.matched) == (2, 3, 1)
    assert report.overall.precision == 1 / 3
    assert report.overall.recall == 1 / 2
    assert len(report.missed) == 1 and len(report.spurious) == 2
    assert "budget_revenue" in format_report(report, show_errors=True)


def test_kind_must_agree_and_period_and_target_type_are_accuracies() -> None:
    period = {"period_start": date(2020, 1, 1), "period_end": date(2020, 12, 31)}
    gold = {"a": [fact("budget_revenue", "5", kind="target", target_type="du-toan", **period)]}
    wrong_kind = {"a": [fact("budget_revenue", "5", kind="actual")]}
    assert score(gold, wrong_kind).overall.matched == 0
    right = {"a": [fact("budget_revenue", "5", kind="target", target_type="chi-tieu", **period)]}
    report = score(gold, right)
    assert report.overall.matched == 1
    assert report.period_accuracy == 1.0
    assert report.target_type_accuracy == 0.0


def test_load_gold_and_posts(tmp_path: Path) -> None:
    row = {"article": "s", **fact("budget_revenue", "7").to_contract()}
    (tmp_path / "g.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    gold = load_gold(tmp_path / "g.jsonl")
    assert gold["s"][0].value == Decimal(7)
    post = {
        "url": "u",
        "title": "T",
        "lead": "L",
        "published": "2020-01-02T03:04:05+07:00",
        "body_text": "a\n\nb",
    }
    built = article_from_post(post)
    assert built.blocks == ("a", "b")
    assert built.published is not None and built.published.year == 2020
