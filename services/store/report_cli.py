"""``hqfacts report``: the stored observations as one static HTML page (services/store/report.py draws it).

The I/O half: read the observations from PostgreSQL, write DIR/index.html. Failures (database down, schema
behind, a directory that cannot be written) are reported in one line by the ``hqfacts`` group.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from services.common.cli_errors import CliError
from services.store.cli import check_metric

REPORT_FILE = "index.html"


def write_report(html: str, out_dir: Path) -> Path:
    """Write ``html`` to OUT_DIR/index.html (OUT_DIR made if missing), atomically: a browser reloading the
    page while it is rewritten sees the old page or the new one, never half of one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REPORT_FILE
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{REPORT_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600: the page is meant to be read
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _title(subject: str | None, metric: str | None) -> str:
    from services.store.report import DEFAULT_TITLE

    selected = " · ".join(f for f in (subject, metric) if f)
    return f"{DEFAULT_TITLE} ({selected})" if selected else DEFAULT_TITLE


@click.command("report")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path),
    help="Directory to write index.html to (made if missing; an existing index.html is replaced).",
)
@click.option(
    "--subject", help="Only this subject, e.g. tong-cuc or cuc:ha-noi; a trailing * is a prefix (cuc:*)."
)
@click.option("--metric", callback=check_metric, help="Only this metric id, e.g. budget_revenue.")
def report_command(out_dir: Path, subject: str | None, metric: str | None) -> None:
    """Write the stored observations as one static HTML page: a chart and a table per subject and metric.

    Every point links to its row, every row to its evidence sentence and its articles; conflicting values
    are marked. The page loads nothing from the network and runs no script: open DIR/index.html anywhere.
    """
    from services.common.db import make_engine
    from services.common.settings import Settings
    from services.store.observations import load_observation_events
    from services.store.report import render_report, report_counts

    if subject is not None and not subject.strip("*"):
        raise CliError("--subject needs a subject id or a prefix before the * (e.g. cuc:*)")
    engine = make_engine(Settings().database_url)
    try:
        observations: list[dict[str, Any]] = load_observation_events(engine, subject=subject, metric=metric)
    finally:
        engine.dispose()
    html = render_report(observations, generated_at=datetime.now(UTC), title=_title(subject, metric))
    path = write_report(html, out_dir)
    counts = report_counts(observations)
    click.echo(str(path.resolve()))
    click.echo(
        f"{counts.series} series, {counts.observations} observation(s) ({counts.plotted} plotted), "
        f"{counts.conflicts} conflict(s)"
    )
    if not observations:
        filtered = subject is not None or metric is not None
        click.echo("no observations stored" + (" for that filter" if filtered else ""), err=True)


COMMANDS: list[click.Command] = [report_command]
