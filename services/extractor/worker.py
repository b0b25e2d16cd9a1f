"""``hqfacts extractor``: run the Faust extraction agent as a long-lived worker."""

from __future__ import annotations

import asyncio

import click
import faust

from services.common.kafka import ensure_topics, topic_specs
from services.common.observability import logging_dict_config
from services.common.settings import Settings


def run_worker(settings: Settings, *, group_id: str | None = None) -> None:
    """Create the topics, then run the agent until SIGTERM/SIGINT (Faust finishes the event in flight)."""
    from services.extractor.app import create_app  # deferred: importing faust's app wires signal handlers

    asyncio.run(ensure_topics(settings.kafka_bootstrap, topic_specs(settings)))
    app, _ = create_app(settings, web_port=settings.health_port, group_id=group_id)
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logging_dict_config(settings.log_level, settings.log_format),
        redirect_stdouts=False,
        quiet=True,
    )
    worker.execute_from_commandline()


@click.command("extractor")
@click.option("--group", default=None, help="Consumer group (default: HQ_EXTRACTOR_GROUP).")
def extractor_command(group: str | None) -> None:
    """Consume raw pages, produce fact events (a Faust worker; stops cleanly on SIGTERM)."""
    run_worker(Settings(), group_id=group)


COMMANDS: list[click.Command] = [extractor_command]
