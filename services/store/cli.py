"""Subcommands of the store service: migrate, store, facts (and dlq)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from services.common.db import make_engine
from services.common.facts import format_decimal
from services.common.observability import configure_logging
from services.common.settings import Settings
from services.store.domain import StorePolicy


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


@click.command("migrate")
@click.argument("revision", required=False)
@click.option("--down", "downgrade", is_flag=True, help="Downgrade to REVISION (default: one step back, -1).")
def migrate_command(revision: str | None, downgrade: bool) -> None:
    """Upgrade the database to REVISION (default head), under an advisory lock."""
    from services.store.migrate import migrate

    settings = _settings()
    reached = migrate(settings.database_url, revision or ("-1" if downgrade else "head"), downgrade=downgrade)
    click.echo(f"database at revision {reached or '(base)'}")


@click.command("store")
@click.option(
    "--extra-metric",
    "extra_metrics",
    multiple=True,
    help="Accept this metric id besides the scored ones (others go to the DLQ). Repeatable.",
)
def store_command(extra_metrics: tuple[str, ...]) -> None:
    """Consume facts and extractions into PostgreSQL until SIGTERM."""
    from services.store.consumer import run_store

    settings = _settings()
    policy = StorePolicy()
    if extra_metrics:
        policy = StorePolicy(known_metrics=policy.known_metrics | frozenset(extra_metrics))
    asyncio.run(run_store(settings, policy=policy))


_TABLE_COLUMNS = ("subject", "metric", "kind", "value", "unit", "bound", "period", "target_type", "article")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _table_cells(row: Mapping[str, Any]) -> list[str]:
    start, end = row["period_start"], row["period_end"]
    period = f"{start or '?'}..{end or '?'}" if (start or end) else ""
    value = format_decimal(row["value"])
    if row["bound"] != "exact":
        value = {"over": ">", "under": "<", "about": "~"}[row["bound"]] + value
    article = str(row["article_url"]).rstrip("/").rsplit("/", 1)[-1]
    target = row["target_type"] or ""
    if row["assigned_by"]:
        target = f"{target} by {row['assigned_by']}".strip()
    return [
        row["subject"],
        row["metric"],
        row["kind"],
        value,
        row["unit"],
        row["bound"],
        period,
        target,
        article,
    ]


def render_table(rows: Sequence[Mapping[str, Any]]) -> str:
    headers = ["subject", "metric", "kind", "value", "unit", "bound", "period", "target", "article"]
    cells = [_table_cells(r) for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    widths[-1] = min(widths[-1], 60)
    right = {3}  # numbers align right

    def line(values: Sequence[str]) -> str:
        out = []
        for i, v in enumerate(values):
            v = v if len(v) <= widths[i] else v[: widths[i] - 1] + "…"
            out.append(v.rjust(widths[i]) if i in right else v.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [line(headers), line(["-" * w for w in widths])]
    lines += [line(c) for c in cells]
    return "\n".join(lines)


@click.command("facts")
@click.option("--subject", help="Only this subject, e.g. tong-cuc or cuc:ha-noi.")
@click.option("--metric", help="Only this metric id, e.g. budget_revenue.")
@click.option("--article", help="Only facts of this article URL.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option("--limit", type=int, default=None, help="At most N facts.")
def facts_command(
    subject: str | None, metric: str | None, article: str | None, fmt: str, limit: int | None
) -> None:
    """Print the stored (active) facts."""
    from services.store.repository import active_facts_query

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = [
                dict(r._mapping) for r in conn.execute(active_facts_query(subject, metric, article, limit))
            ]
    finally:
        engine.dispose()
    if fmt == "jsonl":
        for row in rows:
            row.pop("extractor_version_key", None)
            sys.stdout.write(json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
        return
    if not rows:
        click.echo("no facts stored" + (" for that filter" if subject or metric or article else ""))
        return
    click.echo(render_table(rows))
    click.echo(f"\n{len(rows)} fact(s)")


COMMANDS: list[click.Command] = [migrate_command, store_command, facts_command]
