"""``hqfacts demo`` and ``hqfacts run``: the whole pipeline on this machine, end to end."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import click
from sqlalchemy import select

from services.common.db import make_engine
from services.common.settings import Settings
from services.pipeline.processes import ProcessGroup
from services.pipeline.runner import run_crawl, start_workers, wait_http, wait_pipeline_drained
from services.pipeline.site import (
    DEMO_SITE,
    REPO_ROOT,
    build_corpus_site,
    serve_corpus_site,
    serve_static_site,
)
from services.store.tables import facts as facts_table

DEMO_WORKDIR = REPO_ROOT / ".local" / "demo"


def stored_facts(settings: Settings, url_prefix: str) -> list[dict[str, object]]:
    """Active stored facts of the articles under ``url_prefix``, ordered for reading."""
    engine = make_engine(settings.database_url)
    t = facts_table
    query = (
        select(
            t.c.article_url,
            t.c.subject,
            t.c.metric,
            t.c.kind,
            t.c.value,
            t.c.unit,
            t.c.bound,
            t.c.period_start,
            t.c.period_end,
            t.c.target_type,
        )
        .where(t.c.article_url.startswith(url_prefix), t.c.retired_at.is_(None))
        .order_by(t.c.article_url, t.c.subject, t.c.metric, t.c.kind, t.c.period_end, t.c.value)
    )
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()


def format_table(rows: list[dict[str, object]], columns: list[str]) -> str:
    cells = [[str(row[c]) if row[c] is not None else "" for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def run_local_pipeline(
    *, site_url: str, group: ProcessGroup, settings: Settings, crawl_timeout: float, drain_timeout: float
) -> None:
    """Workers up, crawl the site with a fresh crawl state, wait until every fact is stored."""
    start_workers(group, settings, extractor_port=settings.health_port, store_port=None)
    crawl_args = ["--allow-host", "127.0.0.1", "--delay", "0", "--state-name", f"demo-{uuid.uuid4().hex[:8]}"]
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
    default=18765,
    show_default=True,
    help="Loopback port of the snapshot site (fixed, so re-runs give the same article URLs).",
)
def demo_command(corpus: Path | None, limit: int, port: int) -> None:
    """Serve a local snapshot, run crawler + extractor + store until done, print the stored facts."""
    settings = Settings()
    started = time.monotonic()
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
    click.echo(
        format_table(
            rows,
            [
                "article_url",
                "subject",
                "metric",
                "kind",
                "value",
                "unit",
                "bound",
                "period_start",
                "period_end",
                "target_type",
            ],
        )
    )
    articles = len({row["article_url"] for row in rows})
    click.echo(f"\n{len(rows)} facts from {articles} articles stored in {time.monotonic() - started:.0f} s.")
    click.echo(
        "Next: `hqfacts facts --metric budget_revenue`, `make run SEED=https://hddtvn.com/`, "
        f"service logs in {group.log_dir}, Kafka/PostgreSQL logs: `make status`."
    )


@click.command("run")
@click.option("--seed", "seeds", multiple=True, required=True, help="Where the crawl starts.")
@click.option("--until-idle/--forever", default=False, help="Stop when the crawl frontier is empty.")
def run_command(seeds: tuple[str, ...], until_idle: bool) -> None:
    """Run crawler + extractor + store against a real site (Ctrl-C stops all three)."""
    settings = Settings()
    with ProcessGroup(REPO_ROOT / ".local" / "run" / "logs") as group:
        start_workers(group, settings, extractor_port=9102, store_port=9103)
        click.echo(f"crawling {', '.join(seeds)}; logs in {group.log_dir}")
        run_crawl(group, settings, seeds, [], timeout=float("inf"), until_idle=until_idle)
        wait_pipeline_drained(group, settings, timeout=3600)


COMMANDS: list[click.Command] = [demo_command, run_command]
