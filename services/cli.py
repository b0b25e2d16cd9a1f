"""The ``hqfacts`` command: one entry point, each service contributes its subcommands."""

from __future__ import annotations

import click

from services.crawler.cli import COMMANDS as CRAWLER_COMMANDS
from services.extractor.cli import COMMANDS as EXTRACTOR_COMMANDS
from services.extractor.worker import COMMANDS as WORKER_COMMANDS
from services.pipeline.cli import COMMANDS as PIPELINE_COMMANDS
from services.store.cli import COMMANDS as STORE_COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """hqfacts: Vietnamese customs news -> facts (crawler -> Kafka -> extractor -> Kafka -> store)."""


for command in (
    *CRAWLER_COMMANDS,
    *EXTRACTOR_COMMANDS,
    *WORKER_COMMANDS,
    *STORE_COMMANDS,
    *PIPELINE_COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    cli()
