"""The Grafana dashboard and the alert rules (deploy/monitoring) use only metrics the services export.

A renamed metric or label would otherwise leave an empty panel or an alert that can never fire, silently.
The exported names come from the prometheus_client objects the services define (their modules are imported,
then prometheus_client.REGISTRY is walked); the PromQL is read with a small tokenizer that is enough for the
expressions written here (and is itself tested below, so the check cannot pass by finding nothing).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))
ALERTS = MONITORING / "prometheus" / "alerts.yml"

# Every module that defines metrics a service serves on /metrics.
METRIC_MODULES = (
    "services.common.observability",
    "services.crawler.metrics",
    "services.crawler.engine",
    "services.extractor.app",
    "services.extractor.pool",
    "services.store.metrics",
    "services.store.consumer",
)
# Added by Prometheus to every scraped series, not by the services.
TARGET_LABELS = {"job", "instance"}
PROMETHEUS_METRICS = {"up": set[str]()}

SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def exported_metrics() -> dict[str, set[str]]:
    """Series name -> its label names, for everything the services register."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    # Label names are not in collect() for a labelled metric that has no child yet: read them from the
    # collectors (prometheus_client keeps them in _labelnames).
    label_names: dict[str, set[str]] = {}
    collectors: dict[Any, Any] = getattr(REGISTRY, "_collector_to_names", {})
    assert collectors, "prometheus_client changed: REGISTRY._collector_to_names is gone"
    for collector, names in collectors.items():
        for name in names:
            label_names[name] = set(getattr(collector, "_labelnames", ()))
    exported: dict[str, set[str]] = {}
    for family in REGISTRY.collect():
        for suffix in SUFFIXES.get(family.type, ("",)):
            name = family.name + suffix
            labels = label_names.get(name, label_names.get(family.name, set()))
            exported[name] = labels | ({"le"} if suffix == "_bucket" else set())
    return exported


# --- a small PromQL reader --------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_RANGE = re.compile(r"\[[^\]]*\]")
# An identifier that is not a function call (not followed by "(").
_IDENT = re.compile(r"(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:])(?!\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
_LEGEND_LABEL = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass
class Query:
    where: str
    metrics: set[str] = field(default_factory=set)
    # Labels matched in a selector, per metric name.
    matched: dict[str, set[str]] = field(default_factory=dict)
    # Labels grouped by (by/without/on/ignoring) or shown in a legend: must exist on some metric of the query.
    grouped: set[str] = field(default_factory=set)


def parse(where: str, expr: str, legend: str = "") -> Query:
    query = Query(where)
    text = _STRING.sub('""', expr)
    for match in _SELECTOR.finditer(text):
        name, matchers = match.group(1), match.group(2)
        labels = {re.split(r"=~|!~|!=|=", m, maxsplit=1)[0].strip() for m in matchers.split(",") if m.strip()}
        if name:
            query.matched.setdefault(name, set()).update(labels)
    text = _SELECTOR.sub(lambda m: f" {m.group(1) or ''} ", text)
    for match in _GROUPING.finditer(text):
        query.grouped |= {label.strip() for label in match.group(1).split(",") if label.strip()}
    text = _RANGE.sub(" ", _GROUPING.sub(" ", text))
    query.metrics = {name for name in _IDENT.findall(text) if name not in _KEYWORDS} | set(query.matched)
    query.grouped |= set(_LEGEND_LABEL.findall(legend))
    return query


def problems(query: Query, known: dict[str, set[str]]) -> list[str]:
    found: list[str] = []
    if not query.metrics:
        found.append(f"{query.where}: no metric found in the expression")
    for name in sorted(query.metrics - set(known)):
        found.append(f"{query.where}: unknown metric {name}")
    for name, labels in query.matched.items():
        for label in sorted(labels - known.get(name, set()) - TARGET_LABELS):
            if name in known:
                found.append(f"{query.where}: {name} has no label {label}")
    available = set().union(*(known.get(name, set()) for name in query.metrics), TARGET_LABELS)
    for label in sorted(query.grouped - available):
        found.append(f"{query.where}: no metric of the query has the label {label}")
    return found


# --- what the dashboard and the rules ask for -------------------------------------------------------------


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # collapsed rows hold their panels


def dashboard_queries() -> list[Query]:
    queries = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in _panels(dashboard["panels"]):
            for target in panel.get("targets", []):
                where = f"{path.name} / {panel['title']} / {target['refId']}"
                queries.append(parse(where, target["expr"], target.get("legendFormat", "")))
    return queries


def rule_queries() -> list[Query]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [
        parse(f"alerts.yml / {rule.get('alert') or rule.get('record')}", rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


@pytest.fixture(scope="module")
def known() -> dict[str, set[str]]:
    return {**exported_metrics(), **PROMETHEUS_METRICS}


def test_the_services_export_metrics(known: dict[str, set[str]]) -> None:
    assert known["hqfacts_store_lag"] == {"topic", "partition"}
    assert known["hqfacts_crawler_fetches_total"] == {"status"}
    assert known["hqfacts_store_batch_seconds_bucket"] == {"le"}
    assert "hqfacts_extractor_lag_messages" in known


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_and_label_referenced_is_exported(source: str, known: dict[str, set[str]]) -> None:
    queries = dashboard_queries() if source == "dashboard" else rule_queries()
    assert len(queries) >= 10, "the dashboard or the rules lost their queries"
    found = [problem for query in queries for problem in problems(query, known)]
    assert not found, "\n".join(found)


def test_the_reader_catches_drift(known: dict[str, set[str]]) -> None:
    good = parse(
        "good",
        'sum by (topic, partition) (hqfacts_store_lag{topic!="x"}) > 100 and on () '
        "histogram_quantile(0.9, sum by (le) (rate(hqfacts_store_batch_seconds_bucket[$__rate_interval])))",
        "{{topic}}[{{partition}}]",
    )
    assert good.metrics == {"hqfacts_store_lag", "hqfacts_store_batch_seconds_bucket"}
    assert problems(good, known) == []
    bad = parse(
        "bad",
        'sum by (shard) (rate(hqfacts_store_fact_total{result="inserted", stage="x"}[5m])) '
        '+ hqfacts_store_lag{partiton="1"} + time() - up',
        "{{outcome}}",
    )
    assert bad.metrics == {"hqfacts_store_fact_total", "hqfacts_store_lag", "up"}
    assert problems(bad, known) == [
        "bad: unknown metric hqfacts_store_fact_total",
        "bad: hqfacts_store_lag has no label partiton",
        "bad: no metric of the query has the label outcome",
        "bad: no metric of the query has the label shard",
    ]


def test_the_dashboard_and_rules_cover_the_pipeline() -> None:
    shown = set().union(*(query.metrics for query in dashboard_queries()))
    for name in (
        "hqfacts_crawler_fetches_total",  # crawl rate and errors
        "hqfacts_extractor_lag_messages",  # lag per group ...
        "hqfacts_store_lag",  # ... and per partition
        "hqfacts_extractor_pages_total",  # extraction rate, extractor DLQ
        "hqfacts_store_dead_letters_total",
        "hqfacts_store_batch_seconds_bucket",
        "hqfacts_store_facts_total",
        "hqfacts_extractor_assigned_partitions",
        "hqfacts_store_assigned_partitions",
    ):
        assert name in shown, name
    alerts = {query.where.split(" / ")[1] for query in rule_queries()}
    assert alerts >= {
        "HqfactsExtractorLagGrowing",
        "HqfactsStoreLagGrowing",
        "HqfactsExtractorDeadLetters",
        "HqfactsStoreDeadLetters",
        "HqfactsWorkerWithoutPartitions",
        "HqfactsCrawlerStalled",
        "HqfactsTargetDown",
    }


def test_dashboard_layout() -> None:
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        panels = list(_panels(dashboard["panels"]))
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        cells: set[tuple[int, int]] = set()
        for panel in panels:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]
            columns, rows = range(grid["x"], grid["x"] + grid["w"]), range(grid["y"], grid["y"] + grid["h"])
            area = {(x, y) for x in columns for y in rows}
            assert not cells & area, f"{path.name}: {panel['title']} overlaps another panel"
            cells |= area
