"""Subcommands of the crawler service: ``crawl``, ``crawl-status``, ``crawl-reset``."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys

import click

from services.common.cli_errors import confirm_plan, yes_option
from services.common.db import make_engine
from services.common.observability import configure_logging, start_health_server
from services.crawler.adapters.fetcher import Fetcher
from services.crawler.adapters.publisher import Publisher
from services.crawler.adapters.state import StateStore
from services.crawler.config import CrawlConfig, CrawlerSettings
from services.crawler.engine import Crawler, Stats, scope_of
from services.crawler.options import crawl_options
from services.crawler.progress import report

log = logging.getLogger("hqfacts.crawler")

_STATE_HELP = "crawl-state name: each name is an independent frontier/seen set (env HQ_CRAWL_STATE)"


async def run_crawl(settings: CrawlerSettings, config: CrawlConfig) -> Stats:
    """Wire the adapters together and crawl until idle, the page limit, or SIGTERM/SIGINT."""
    engine = make_engine(settings.database_url)
    store = StateStore(engine, config.state_name)
    await asyncio.to_thread(store.check_schema)
    if not await asyncio.to_thread(store.acquire):
        raise click.ClickException(f"another crawler is running on state {config.state_name!r}")
    crawler_scope = scope_of(config)
    # Private/loopback addresses only with --allow-private, and then only for the hosts in scope.
    trusted = crawler_scope.allowed_hosts if config.allow_private else frozenset()
    fetcher = Fetcher(
        user_agent=config.user_agent,
        trusted_hosts=trusted,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        max_body_bytes=config.max_body_bytes,
        deadline=config.request_deadline,
        min_rate=config.min_transfer_rate,
        min_rate_grace=config.min_rate_grace,
    )
    publisher = Publisher(settings.model_copy(), config.state_name)
    crawler = Crawler(config, store, fetcher, publisher, crawler_scope)
    health = start_health_server(
        settings.health_host,
        settings.health_port,
        lambda: (
            crawler.writer.healthy,
            "" if crawler.writer.healthy else "the Kafka broker to accept raw pages",
        ),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, crawler.request_stop, f"signal {sig.name}")
    progress = asyncio.create_task(report(crawler.stats.snapshot, config.progress))
    try:
        await publisher.start()
        stats = await crawler.run()
    finally:
        progress.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await publisher.stop()
        await fetcher.close()
        store.release()
        engine.dispose()
        if health is not None:
            health.stop()
    log.info(
        "crawl finished",
        extra={"reason": crawler.stop_reason, **stats.snapshot(), "refused": dict(stats.refused)},
    )
    return stats


@click.command("crawl")
@crawl_options
@click.option("--until-idle", is_flag=True, help="stop when the frontier is empty instead of waiting")
@click.option("--state-name", envvar="HQ_CRAWL_STATE", default=None, help=_STATE_HELP)
@click.option("--recrawl", is_flag=True, help="revisit every done page now (conditional GET)")
@click.option("--fresh", is_flag=True, help="forget this state first: crawl everything again")
@click.option("--progress", type=click.Choice(["auto", "tty", "log", "none"]), default="auto")
def crawl_command(
    seeds: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    allow_private: bool,
    delay: float | None,
    max_pages: int | None,
    until_idle: bool,
    state_name: str | None,
    recrawl: bool,
    fresh: bool,
    progress: str,
) -> None:
    """Crawl from the seeds, publishing every fetched page to the raw topic."""
    settings = CrawlerSettings()
    configure_logging(settings.log_level, settings.log_format)
    config = CrawlConfig.from_settings(
        settings,
        list(seeds),
        allow_hosts=list(allow_hosts),
        allow_private=allow_private,
        delay=delay,
        max_pages=max_pages,
        until_idle=until_idle,
        state_name=state_name,
        recrawl=recrawl,
        progress=progress,
    )
    if fresh:
        engine = make_engine(settings.database_url)
        StateStore(engine, config.state_name).reset()
        engine.dispose()
    stats = asyncio.run(run_crawl(settings, config))
    if stats.parked:
        log.warning("some URLs were parked; see `hqfacts crawl-status`", extra={"parked": stats.parked})
    if stats.stop_reason == "error":
        # A script or an orchestrator must not take a crashed crawl for a finished one.
        raise SystemExit(1)


@click.command("crawl-status")
@click.option("--state-name", envvar="HQ_CRAWL_STATE", default="default", help=_STATE_HELP)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def crawl_status_command(state_name: str, as_json: bool) -> None:
    """Show the persisted crawl state: URLs by state and role, parked URLs with their last error."""
    settings = CrawlerSettings()
    engine = make_engine(settings.database_url)
    try:
        status = StateStore(engine, state_name).status()
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=1))
        return
    click.echo(f"crawl state {status['crawl']!r}: {status['urls']} URLs, {status['published']} published")
    run = status["run"]
    if run:
        click.echo(
            f"  last run: started {run.get('run_started_at')}, finished {run.get('run_finished_at')}, "
            f"{run.get('run_status')}"
        )
    for key, n in status["by_state_role"].items():
        click.echo(f"  {key:<24} {n}")
    if status["polls"]:
        click.echo("polled (feeds, home page, sitemaps): last poll -> next poll")
        for p in status["polls"]:
            nxt = p["next_poll"] or "not scheduled"
            click.echo(f"  {p['url']}  {p['last_status']}  {p['last_poll']} -> {nxt}")
    if status["parked"]:
        click.echo("parked URLs (last error):")
        for p in status["parked"]:
            click.echo(f"  {p['url']}  attempts={p['attempts']} status={p['status']} error={p['error']}")
    sys.stdout.flush()


@click.command("crawl-reset")
@click.option("--state-name", envvar="HQ_CRAWL_STATE", required=True, help=_STATE_HELP)
@yes_option
def crawl_reset_command(state_name: str, yes: bool) -> None:
    """Delete a crawl state (frontier, seen set, checkpoints): the next crawl starts fresh."""
    settings = CrawlerSettings()
    engine = make_engine(settings.database_url)
    try:
        store = StateStore(engine, state_name)
        known = store.status()["urls"]
        confirm_plan(
            f"will delete crawl state {state_name!r}: {known} URLs (frontier, seen set) and its checkpoints",
            yes=yes,
        )
        n = store.reset()
    finally:
        engine.dispose()
    click.echo(f"crawl state {state_name!r} reset ({n} URLs forgotten)")


COMMANDS: list[click.Command] = [crawl_command, crawl_status_command, crawl_reset_command]
