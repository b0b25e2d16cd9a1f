"""``hqfacts demo`` and ``hqfacts run``: the whole pipeline on this machine, end to end."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from services.common.cli_errors import CliError, IsoDateTime, debugging, quiet_client_logs, require_broker
from services.common.db import make_engine
from services.common.kafka import ensure_topics, topic_layout_report
from services.common.observability import configure_logging
from services.common.settings import Settings
from services.crawler.options import crawl_options
from services.pipeline.processes import ProcessGroup, hqfacts_argv
from services.pipeline.runner import (
    StopSignal,
    run_crawl,
    settings_env,
    start_workers,
    wait_http,
    wait_pipeline_drained,
)
from services.pipeline.site import DEMO_SITE, REPO_ROOT, serve_corpus_site, serve_static_site
from services.store.cli import render_table
from services.store.consumer import store_topic_specs
from services.store.repository import active_facts_query
from services.store.tables import facts as facts_table
from services.testing.corpus_site import build_corpus_site

DEMO_WORKDIR = REPO_ROOT / ".local" / "demo"
DEMO_PORT = 18765
DEMO_CORPUS_PORT = 18766


def stored_facts(settings: Settings, url_prefix: str) -> list[dict[str, Any]]:
    """Active stored facts of the articles under ``url_prefix`` (this run's site), ordered for reading."""
    query = active_facts_query().where(facts_table.c.article_url.startswith(url_prefix))
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()


def run_local_pipeline(
    *, site_url: str, group: ProcessGroup, settings: Settings, crawl_timeout: float, drain_timeout: float
) -> None:
    """Workers up, crawl the site with a fresh crawl state, wait until every fact is stored."""
    start_workers(group, settings, extractor_port=settings.health_port, store_port=None)
    crawl_args = ["--allow-private", "--delay", "0", "--state-name", f"demo-{uuid.uuid4().hex[:8]}"]
    run_crawl(group, settings, [site_url + "/"], crawl_args, timeout=crawl_timeout)
    wait_pipeline_drained(group, settings, timeout=drain_timeout)


@click.command("demo")
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Build the snapshot from this corpus (e.g. ../shared/corpus/hddtvn) instead of our demo pages.",
)
@click.option("--limit", type=int, default=300, show_default=True, help="Posts to take from --corpus.")
@click.option(
    "--port",
    type=int,
    default=None,
    help="Loopback port of the snapshot site (default 18765 for the demo pages, 18766 for --corpus). "
    "Fixed, so re-runs give the same article URLs and the same facts.",
)
def demo_command(corpus: Path | None, limit: int, port: int | None) -> None:
    """Serve a local snapshot, run crawler + extractor + store until done, print the stored facts."""
    settings = Settings()
    started = time.monotonic()
    if port is None:  # each snapshot its own URL space, so the table shows only that snapshot's facts
        port = DEMO_PORT if corpus is None else DEMO_CORPUS_PORT
    DEMO_WORKDIR.mkdir(parents=True, exist_ok=True)
    with ProcessGroup(DEMO_WORKDIR / "logs") as group:
        if corpus is None:
            site_url = serve_static_site(group, DEMO_SITE, port)
        else:
            click.echo(f"building a {limit}-post snapshot of {corpus} ...")
            root = build_corpus_site(DEMO_WORKDIR / "site", posts=corpus, limit=limit)
            site_url = serve_corpus_site(group, root, "--port", str(port))
        wait_http(site_url + "/", timeout=30)
        click.echo(f"snapshot served at {site_url}/ ; logs in {group.log_dir}")
        run_local_pipeline(
            site_url=site_url, group=group, settings=settings, crawl_timeout=1800, drain_timeout=600
        )
    rows = stored_facts(settings, site_url)
    click.echo(render_table(rows))
    articles = len({row["article_url"] for row in rows})
    click.echo(f"\n{len(rows)} facts from {articles} articles stored in {time.monotonic() - started:.0f} s.")
    click.echo(
        "Next: `hqfacts facts --metric budget_revenue`, `make run SEED=https://hddtvn.com/`, "
        f"service logs in {group.log_dir}, Kafka/PostgreSQL logs: `make status`."
    )


@click.command("run")
@crawl_options
@click.option("--state-name", default=None, help="Crawl-state name (env HQ_CRAWL_STATE, default 'default').")
@click.option(
    "--until-idle/--forever",
    default=False,
    help="--until-idle: return once the crawl is idle and every fact is committed. --forever (default): "
    "keep polling the feeds until SIGTERM/Ctrl-C.",
)
@click.option(
    "--ports",
    default="9101,9102,9103",
    show_default=True,
    help="Health/metrics ports of crawler, extractor, store (0: none); the i-th extra replica of a worker "
    "uses its port + 10*i.",
)
@click.option(
    "--extractors",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Extractor processes (one consumer group; useful up to HQ_TOPIC_PARTITIONS).",
)
@click.option(
    "--stores",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Store processes (one consumer group; useful up to HQ_TOPIC_PARTITIONS).",
)
@click.option(
    "--log-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=REPO_ROOT / ".local" / "run" / "logs",
    show_default=True,
)
def run_command(
    seeds: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    allow_private: bool,
    delay: float | None,
    state_name: str | None,
    max_pages: int | None,
    until_idle: bool,
    ports: str,
    extractors: int,
    stores: int,
    log_dir: Path,
) -> None:
    """Crawler + extractor + store as one service: a continuous live crawl (SIGTERM stops all three)."""
    settings = Settings()
    try:
        crawler_port, extractor_port, store_port = (int(p) for p in ports.split(","))
    except ValueError as exc:
        raise click.BadParameter("three comma-separated ports", param_hint="--ports") from exc
    crawl_args = [arg for host in allow_hosts for arg in ("--allow-host", host)]
    crawl_args += ["--allow-private"] if allow_private else []
    crawl_args += ["--delay", str(delay)] if delay is not None else []
    crawl_args += ["--state-name", state_name] if state_name else []
    crawl_args += ["--max-pages", str(max_pages)] if max_pages is not None else []
    crawl_args += ["--progress", "log"]
    stop = StopSignal()
    with stop.installed(), ProcessGroup(log_dir) as group:
        start_workers(
            group,
            settings,
            extractor_port=extractor_port or None,
            store_port=store_port or None,
            extractors=extractors,
            stores=stores,
        )
        click.echo(
            f"crawling {', '.join(seeds)} with {extractors} extractor(s) and {stores} store(s); "
            f"logs in {group.log_dir}"
        )
        code = run_crawl(
            group,
            settings,
            seeds,
            crawl_args,
            timeout=float("inf"),
            until_idle=until_idle,
            crawler_port=crawler_port or None,
            stop=stop.requested,
        )
        if until_idle and not stop.requested():
            wait_pipeline_drained(group, settings, timeout=float("inf"), stop=stop.requested)
        # The crawler stops first (it saves its frontier), then the extractor and the store finish what
        # they hold: the group stops its processes in reverse order of start.
        codes = group.stop_all()
    failed = {name: c for name, c in codes.items() if c not in (0, None)}
    if failed or code != 0:
        raise click.ClickException(f"stopped with exit codes {codes} (logs in {log_dir})")
    click.echo("stopped cleanly" if stop.requested() else "idle: every fact is committed")


@click.command("replay")
@click.option("--from-beginning", "from_beginning", is_flag=True, help="Replay the whole raw topic.")
@click.option(
    "--since",
    type=IsoDateTime(),
    default=None,
    help="Replay raw events published since this ISO 8601 time, e.g. 2026-11-01 or "
    "2026-11-01T08:00:00+07:00 (UTC unless an offset is given).",
)
@click.option("--group", default=None, help="Consumer group of the replay (default: a fresh one).")
@click.option(
    "--timeout",
    type=float,
    default=3600,
    show_default=True,
    help="Seconds to wait for the store to commit the replayed facts.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes extracting in parallel, each on its share of the raw topic's partitions "
    "[default: the number of cores; at most the partitions].",
)
def replay_command(
    from_beginning: bool, since: datetime | None, group: str | None, timeout: float, workers: int | None
) -> None:
    """Re-extract the raw topic with this extractor version; returns once every fact is in PostgreSQL."""
    from services.pipeline.replay import ReplayFailed, run_replay

    if from_beginning == (since is not None):
        raise click.UsageError("give exactly one of --from-beginning and --since")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    require_broker(settings.kafka_bootstrap)
    with ProcessGroup(REPO_ROOT / ".local" / "replay" / "logs") as processes:

        def start_store() -> Callable[[], None]:
            click.echo("no store is running: the replay runs one until its facts are committed", err=True)
            store = processes.start("store", hqfacts_argv("store"), settings_env(settings))

            def stop_store() -> None:
                store.stop()

            return stop_store

        try:
            summary = run_replay(
                settings, group=group, since=since, start_store=start_store, timeout=timeout, workers=workers
            )
        except ReplayFailed as exc:
            if debugging():
                raise
            raise CliError(str(exc)) from None
    click.echo(summary.render())


@click.command("topics")
@click.option("--create", is_flag=True, help="Create the missing topics with the configured layout first.")
def topics_command(create: bool) -> None:
    """Check the topics against the configured layout; exit 1 when one is missing or differs."""
    quiet_client_logs()
    settings = Settings()
    specs = store_topic_specs(settings)
    if create:
        for name in asyncio.run(ensure_topics(settings.kafka_bootstrap, specs)):
            click.echo(f"created {name}")
    missing, problems = asyncio.run(topic_layout_report(settings.kafka_bootstrap, specs))
    for name, spec in sorted(specs.items()):
        config = ", ".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
        state = "missing" if name in missing else "exists"
        click.echo(
            f"{name}: {state}; wanted {spec.partitions} partition(s), replication {spec.replication_factor}"
            f"{'; ' + config if config else ''}"
        )
    for problem in problems:
        click.echo(problem)
    if missing or problems:
        raise CliError(
            f"{len(missing)} topic(s) missing, {len(problems)} difference(s) from the settings"
            + ("" if create or not missing else " (hqfacts topics --create makes the missing ones)")
        )
    click.echo(f"all {len(specs)} topics match the settings")


COMMANDS: list[click.Command] = [demo_command, run_command, replay_command, topics_command]
