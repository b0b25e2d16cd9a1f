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
    policy = _policy(settings, extra_metrics)
    asyncio.run(run_store(settings, policy=policy))


def _policy(settings: Settings, extra_metrics: Sequence[str]) -> StorePolicy:
    policy = StorePolicy.from_settings(settings)
    if extra_metrics:
        policy = StorePolicy.from_settings(
            settings, known_metrics=policy.known_metrics | frozenset(extra_metrics)
        )
    return policy


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
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    default=None,
    help="Only facts whose rule's measured precision is at least this (0-1); facts without one are left out.",
)
def facts_command(
    subject: str | None,
    metric: str | None,
    article: str | None,
    fmt: str,
    limit: int | None,
    min_confidence: float | None,
) -> None:
    """Print the stored (active) facts."""
    from services.store.repository import active_facts_query

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(active_facts_query(subject, metric, article, limit, min_confidence))
            ]
    finally:
        engine.dispose()
    if fmt == "jsonl":
        for row in rows:
            row.pop("extractor_version_key", None)
            sys.stdout.write(json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
        return
    if not rows:
        filtered = subject or metric or article or min_confidence is not None
        click.echo("no facts stored" + (" for that filter" if filtered else ""))
        return
    click.echo(render_table(rows))
    click.echo(f"\n{len(rows)} fact(s)")


@click.group("dlq")
def dlq_group() -> None:
    """Dead-letter topics: list them, re-drive events to their source topic after a fix."""


def _selected_topics(settings: Settings, topics: tuple[str, ...]) -> list[str]:
    from services.store.dlq import dlq_topics

    if not topics:
        return dlq_topics(settings)
    return [t if t.endswith(".dlq") else t + ".dlq" for t in topics]


@dlq_group.command("list")
@click.option("--topic", "topics", multiple=True, help="A DLQ topic or its source topic (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option("--limit", type=int, default=None, help="Only the last N of each topic.")
def dlq_list_command(topics: tuple[str, ...], fmt: str, limit: int | None) -> None:
    """List dead letters: where each came from, why, and whether it was re-driven."""
    from services.store.dlq import read_dlq, redriven_positions

    settings = Settings()
    for topic in _selected_topics(settings, topics):
        entries = asyncio.run(read_dlq(settings.kafka_bootstrap, topic))
        if limit:
            entries = entries[-limit:]
        redriven = redriven_positions(settings.database_url, entries)
        if fmt == "jsonl":
            for e in entries:
                line = {
                    "dlq_topic": e.dlq_topic,
                    "partition": e.partition,
                    "offset": e.offset,
                    "at": e.at.isoformat(),
                    "source_topic": e.source_position[0],
                    "source_partition": e.source_position[1],
                    "source_offset": e.source_position[2],
                    "stage": e.stage,
                    "error": e.error,
                    "key": e.key.decode("utf-8", "replace") if e.key else None,
                    "bytes": len(e.value or b""),
                    "redriven": e.source_position in redriven,
                }
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            continue
        click.echo(f"{topic}: {len(entries)} event(s)")
        seen: set[tuple[str, int, int]] = set()
        for e in entries:
            topic_, partition, offset = e.source_position
            again = " (again)" if e.source_position in seen else ""
            seen.add(e.source_position)
            mark = " [re-driven]" if e.source_position in redriven else ""
            error = e.error if len(e.error) <= 100 else e.error[:99] + "…"
            where = f"@{e.partition}:{e.offset:<6} {e.at:%Y-%m-%d %H:%M:%S}"
            source = f"from {topic_}[{partition}]@{offset}{again}"
            click.echo(f"  {where}  {source}  {len(e.value or b'')}B{mark}\n      {error}")


@dlq_group.command("redrive")
@click.option("--topic", required=True, help="The DLQ topic (or its source topic).")
@click.option("--offset", "offsets", type=int, multiple=True, help="DLQ offset to re-drive (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Every event of the DLQ topic.")
@click.option(
    "--check/--no-check", default=True, show_default=True, help="Skip events the store would refuse again."
)
@click.option("--again", is_flag=True, help="Also events already re-driven once.")
@click.option("--extra-metric", "extra_metrics", multiple=True, help="As for `hqfacts store`, for --check.")
@click.option("--dry-run", is_flag=True)
def dlq_redrive_command(
    topic: str,
    offsets: tuple[int, ...],
    everything: bool,
    check: bool,
    again: bool,
    extra_metrics: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Produce dead letters again to their source topic, after the fix that makes them acceptable."""
    from services.store.dlq import read_dlq, redrive, redriven_positions

    if not offsets and not everything:
        raise click.UsageError("say which events: --offset N (repeatable) or --all")
    settings = _settings()
    (dlq,) = _selected_topics(settings, (topic,))
    entries = asyncio.run(read_dlq(settings.kafka_bootstrap, dlq))
    if offsets:
        wanted = set(offsets)
        entries = [e for e in entries if e.offset in wanted]
        missing = wanted - {e.offset for e in entries}
        if missing:
            raise click.UsageError(f"no such offset(s) on {dlq}: {sorted(missing)}")
    # One source event dead-lettered twice (a redelivery) is re-driven once.
    unique = {e.source_position: e for e in reversed(entries)}
    entries = sorted(unique.values(), key=lambda e: e.offset)
    if not again:
        done = redriven_positions(settings.database_url, entries)
        skipped = [e for e in entries if e.source_position in done]
        entries = [e for e in entries if e.source_position not in done]
        for e in skipped:
            click.echo(f"  @{e.offset}: already re-driven (use --again)")
    policy = _policy(settings, extra_metrics)
    results = asyncio.run(redrive(settings, entries, policy=policy, check=check, dry_run=dry_run))
    sent = 0
    for r in results:
        if r.new_offset is None:
            click.echo(f"  @{r.entry.offset}: not re-driven: {r.reason}")
        else:
            sent += 1
            click.echo(f"  @{r.entry.offset}: -> {r.entry.source_topic}@{r.new_offset}")
    click.echo(f"{sent} event(s) re-driven from {dlq}")


COMMANDS: list[click.Command] = [migrate_command, store_command, facts_command, dlq_group]
