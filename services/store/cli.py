"""Subcommands of the store service: migrate, store, facts, observations (and dlq)."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from services.common.cli_errors import CliError, confirm_plan, quiet_client_logs, yes_option
from services.common.db import make_engine
from services.common.facts import KINDS, KNOWN_METRICS, format_decimal
from services.common.observability import configure_logging
from services.common.settings import Settings
from services.store.domain import StorePolicy


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


@click.command("migrate")
@click.argument("revision", required=False)
@click.option(
    "--down",
    "downgrade",
    is_flag=True,
    help="Downgrade to REVISION (default: one step back, -1). Drops what the undone migrations made: "
    "says what and needs --yes.",
)
@yes_option
def migrate_command(revision: str | None, downgrade: bool, yes: bool) -> None:
    """Upgrade the database to REVISION (default head), under an advisory lock."""
    from services.store.migrate import migrate

    settings = _settings()
    target = revision or ("-1" if downgrade else "head")
    if downgrade:
        confirm_plan(_downgrade_plan(settings.database_url, target), yes=yes)
    reached = migrate(settings.database_url, target, downgrade=downgrade)
    click.echo(f"database at revision {reached or '(base)'}")


def _downgrade_plan(database_url: str, target: str) -> str:
    """What ``migrate --down TARGET`` will undo, newest first, with each migration's own description."""
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.engine import make_url

    from services.store.migrate import alembic_config, current_revision

    script = ScriptDirectory.from_config(alembic_config(database_url))
    current = current_revision(database_url)
    steps = int(target[1:]) if target.startswith("-") and target[1:].isdigit() else None
    if steps is None and target != "base":
        try:
            script.get_revision(target)
        except Exception as exc:  # alembic's errors for unknown or ambiguous revisions vary by version
            raise click.BadParameter(f"no migration {target!r}", param_hint="REVISION") from exc
    undone: list[Script] = []
    rev = script.get_revision(current) if current else None
    while rev is not None and rev.revision != target and (steps is None or len(undone) < steps):
        undone.append(rev)
        down = rev.down_revision
        rev = script.get_revision(down) if isinstance(down, str) else None
    where = make_url(database_url).render_as_string(hide_password=True)
    if not undone:
        return f"the database {where} is at {current or '(base)'}: nothing to undo for {target!r}"
    lines = [f"will downgrade the database {where} from {current}, undoing (data in dropped tables is lost):"]
    lines += [f"  {r.revision}: {' '.join((r.doc or '').split())[:150]}" for r in undone]
    return "\n".join(lines)


@click.command("store")
def store_command() -> None:
    """Consume facts and extractions into PostgreSQL until SIGTERM."""
    from services.store.consumer import run_store

    settings = _settings()
    asyncio.run(run_store(settings, policy=StorePolicy.from_settings(settings)))


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


_FACTS_FORMATS = ("table", "jsonl", "csv")


def check_metric(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value not in KNOWN_METRICS:
        raise click.BadParameter(
            f"unknown metric id {value!r}; known ids: {', '.join(sorted(KNOWN_METRICS))}"
        )
    return value


def facts_query(
    *,
    subject: str | None = None,
    metric: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    article: str | None = None,
    extractor_version: str | None = None,
    min_confidence: float | None = None,
    limit: int | None = None,
) -> Any:
    """The active facts matching every given filter (see ``hqfacts facts --help``)."""
    from services.store.filters import article_matches, key_filters
    from services.store.repository import active_facts_query
    from services.store.tables import facts

    c = facts.c
    query = key_filters(
        active_facts_query(min_confidence=min_confidence),
        c,
        subject=subject,
        metric=metric,
        kind=kind,
        year=year,
    )
    if article:
        query = query.where(article_matches(c.article_url, article))
    if extractor_version:
        query = query.where(c.extractor_version == extractor_version)
    if limit is not None:
        query = query.limit(limit)
    return query


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in row.items() if k != "extractor_version_key"}


def _filter_options(noun: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The filters `facts` and `observations` share, worded for ``noun`` (facts / observations)."""
    options = [
        click.option(
            "--subject",
            help="Only this subject, e.g. tong-cuc or cuc:ha-noi; a trailing * is a prefix (cuc:*).",
        ),
        click.option("--metric", callback=check_metric, help="Only this metric id, e.g. budget_revenue."),
        click.option(
            "--kind", type=click.Choice(sorted(KINDS)), default=None, help="Only this kind of figure."
        ),
        click.option(
            "--year",
            type=click.IntRange(1900, 2999),
            default=None,
            help=f"Only {noun} whose period touches this year.",
        ),
        click.option(
            "--article", help=f"Only {noun} of this article: its URL or its slug (the URL's last segment)."
        ),
        click.option(
            "--extractor-version",
            default=None,
            help=f"Only {noun} read by this extractor version, e.g. 0.4.0.",
        ),
        click.option(
            "--format", "fmt", type=click.Choice(_FACTS_FORMATS), default="table", show_default=True
        ),
        click.option("--limit", type=click.IntRange(min=1), default=None, help=f"At most N {noun}."),
        click.option(
            "--min-confidence",
            type=click.FloatRange(0, 1),
            default=None,
            help=f"Only {noun} whose rule's measured precision is at least this (0-1); "
            f"{noun} without one are left out.",
        ),
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _read_rows(query: Any) -> list[dict[str, Any]]:
    engine = make_engine(Settings().database_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
    finally:
        engine.dispose()


def _filtered(filters: Mapping[str, Any]) -> str:
    return " for that filter" if any(v not in (None, False) for v in filters.values()) else ""


@click.command("facts")
@_filter_options("facts")
def facts_command(fmt: str, limit: int | None, **filters: Any) -> None:
    """Print the stored (active) facts."""
    query = facts_query(**filters, limit=limit)
    rows = _read_rows(query)
    if fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(_json_row(row), ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        columns = [str(c.name) for c in query.selected_columns if c.name != "extractor_version_key"]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_json_row(row) for row in rows)
        return
    if not rows:
        click.echo("no facts stored" + _filtered(filters))
        return
    click.echo(render_table(rows))
    click.echo(f"\n{len(rows)} fact(s)")


_OBSERVATION_CSV_COLUMNS = (
    "observation_id",
    "subject",
    "metric",
    "kind",
    "period_start",
    "period_end",
    "target_type",
    "value",
    "unit",
    "bound",
    "source_count",
    "agreeing_count",
    "conflict",
    "other_values",
    "evidence",
    "evidence_url",
    "first_published",
    "latest_published",
)


def _bounded(value: str, bound: str) -> str:
    return {"over": ">", "under": "<", "about": "~"}.get(bound, "") + value


def _other_values(event: Mapping[str, Any]) -> str:
    """The values that compete with the agreed one: "315000000000000 (1 article)"; empty without conflict."""
    return "; ".join(
        f"{_bounded(v['value'], v['bound'])} {v['unit']} ({v['source_count']} article(s))"
        for v in event["values"][1:]
    )


def render_observation_table(events: Sequence[Mapping[str, Any]]) -> str:
    headers = ["subject", "metric", "kind", "value", "unit", "period", "target", "sources", "conflict with"]
    cells = []
    for e in events:
        start, end = e["period_start"], e["period_end"]
        cells.append(
            [
                e["subject"],
                e["metric"],
                e["kind"],
                _bounded(e["value"], e["bound"]),
                e["unit"],
                f"{start or '?'}..{end or '?'}" if (start or end) else "",
                e["target_type"] or "",
                f"{e['agreeing_count']}/{e['source_count']}",
                _other_values(e),
            ]
        )
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    widths[-1] = min(widths[-1], 70)

    def line(values: Sequence[str]) -> str:
        out = []
        for i, v in enumerate(values):
            v = v if len(v) <= widths[i] else v[: widths[i] - 1] + "…"
            out.append(v.rjust(widths[i]) if i == 3 else v.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)])


@click.command("observations")
@_filter_options("observations")
@click.option("--conflicts", is_flag=True, help="Only observations whose articles disagree beyond rounding.")
def observations_command(fmt: str, limit: int | None, conflicts: bool, **filters: Any) -> None:
    """Print the observations: one agreed value per question across articles, with its sources.

    A question is (subject, metric, kind, period, target type). "sources" is agreeing/all articles;
    a conflict lists the other values stated and by how many articles. --format jsonl prints the
    observations topic's events (docs/contract.md).
    """
    from services.store.observations import observations_query

    query = observations_query(**filters, conflicts_only=conflicts, limit=limit)
    events = [json.loads(row["payload"]) for row in _read_rows(query)]
    if fmt == "jsonl":
        for event in events:
            sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=_OBSERVATION_CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for event in events:
            flat = {c: event.get(c) for c in _OBSERVATION_CSV_COLUMNS}
            flat["other_values"] = _other_values(event)
            flat["first_published"] = event["first_article"]["published"]
            flat["latest_published"] = event["latest_article"]["published"]
            writer.writerow(flat)
        return
    if not events:
        click.echo("no observations stored" + _filtered({**filters, "conflicts": conflicts}))
        return
    click.echo(render_observation_table(events))
    conflicting = sum(1 for e in events if e["conflict"])
    click.echo(f"\n{len(events)} observation(s), {conflicting} with conflicting values")


@click.group("dlq")
def dlq_group() -> None:
    """Dead-letter topics: list them, re-drive events to their source topic after a fix."""


def _selected_topics(settings: Settings, topics: tuple[str, ...]) -> list[str]:
    """The DLQ topics named (a source topic names its DLQ), all of ours by default; a name that is
    neither one of ours nor a topic on the broker is an error, not an empty list."""
    from services.store.dlq import dlq_topics

    ours = dlq_topics(settings)
    if not topics:
        return ours
    selected = [t if t.endswith(".dlq") else t + ".dlq" for t in topics]
    unknown = [t for t in selected if t not in ours]
    if unknown:
        existing = asyncio.run(_broker_topics(settings.kafka_bootstrap))
        missing = [t for t in unknown if t not in existing]
        if missing:
            raise CliError(
                f"no such dead-letter topic: {', '.join(missing)} (ours: {', '.join(ours)}; "
                "--topic takes a DLQ topic or its source topic)"
            )
    return selected


async def _broker_topics(bootstrap: str) -> set[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    from services.common.settings import kafka_client_options

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    try:
        await admin.start()
        return set(await admin.list_topics())
    finally:
        await admin.close()


@dlq_group.command("list")
@click.option("--topic", "topics", multiple=True, help="A DLQ topic or its source topic (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the last N of each topic.")
def dlq_list_command(topics: tuple[str, ...], fmt: str, limit: int | None) -> None:
    """List dead letters: where each came from, why, and whether it was re-driven."""
    from services.store.dlq import read_dlq, redriven_positions

    quiet_client_logs()
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
@click.option("--dry-run", is_flag=True, help="Only say what would be re-driven.")
@yes_option
def dlq_redrive_command(
    topic: str,
    offsets: tuple[int, ...],
    everything: bool,
    check: bool,
    again: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """Produce dead letters again to their source topic, after the fix that makes them acceptable.

    Says what it will re-drive first, and needs --yes (or a "y" at a terminal) to do it."""
    from services.store.dlq import read_dlq, redrive, redriven_positions

    if not offsets and not everything:
        raise click.UsageError("say which events: --offset N (repeatable) or --all")
    quiet_client_logs()
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
    policy = StorePolicy.from_settings(settings)  # HQ_MAX_EXTRACTOR_VERSION and the limits, as the store's
    if not dry_run and not yes:
        plan = asyncio.run(redrive(settings, entries, policy=policy, check=check, dry_run=True))
        would = [r.entry for r in plan if r.reason == "dry run"]
        if would:  # nothing to send needs no confirmation
            lines = [f"will produce {len(would)} event(s) of {dlq} again to {would[0].source_topic}:"]
            lines += [f"  @{e.offset}: {e.error[:100]}" for e in would]
            confirm_plan("\n".join(lines), yes=False)
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
