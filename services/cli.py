"""The ``hqfacts`` command: one entry point, each service contributes its subcommands.

The subcommands live in the services' ``cli`` modules, which import Kafka, Faust, SQLAlchemy and the HTML
parser. They are loaded only when a command is run (``COMMANDS`` names where each one is), so ``hqfacts
--help`` and ``--version`` cost a click import, not a second. Errors are reported here once for every
command (services.common.cli_errors).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import click
import click.utils

from services.common.cli_errors import normalise_environment, run_reporting_errors


class LazyCommand(NamedTuple):
    target: str  # "module:attribute"
    short_help: str  # the command's first sentence, for `hqfacts --help`; a unit test keeps them equal


# Order = the order of `hqfacts --help`. A unit test checks that every module's COMMANDS are listed here.
COMMANDS: dict[str, LazyCommand] = {
    "crawl": LazyCommand(
        "services.crawler.cli:crawl_command",
        "Crawl from the seeds, publishing every fetched page to the raw topic.",
    ),
    "crawl-status": LazyCommand(
        "services.crawler.cli:crawl_status_command",
        "Show the persisted crawl state: URLs by state and role, parked URLs with their last error.",
    ),
    "crawl-reset": LazyCommand(
        "services.crawler.cli:crawl_reset_command",
        "Delete a crawl state (frontier, seen set, checkpoints): the next crawl starts fresh.",
    ),
    "eval": LazyCommand(
        "services.extractor.cli:eval_command", "Score the extractor on a gold set against a built site."
    ),
    "extract": LazyCommand(
        "services.extractor.cli:extract_command",
        "Print the facts of saved article pages (files, or - for stdin).",
    ),
    "extractor": LazyCommand(
        "services.extractor.worker:extractor_command",
        "Consume raw pages, produce fact events (a Faust worker; stops cleanly on SIGTERM).",
    ),
    "migrate": LazyCommand(
        "services.store.cli:migrate_command",
        "Upgrade the database to REVISION (default head), under an advisory lock.",
    ),
    "store": LazyCommand(
        "services.store.cli:store_command", "Consume facts and extractions into PostgreSQL until SIGTERM."
    ),
    "facts": LazyCommand("services.store.cli:facts_command", "Print the stored (active) facts."),
    "observations": LazyCommand(
        "services.store.cli:observations_command",
        "Print the observations: one agreed value per question across articles, with its sources.",
    ),
    "report": LazyCommand(
        "services.store.report_cli:report_command",
        "Write the stored observations as one static HTML page: a chart and a table per subject and metric.",
    ),
    "dlq": LazyCommand(
        "services.store.cli:dlq_group",
        "Dead-letter topics: list them, re-drive events to their source topic after a fix.",
    ),
    "demo": LazyCommand(
        "services.pipeline.cli:demo_command",
        "Serve a local snapshot, run crawler + extractor + store until done, print the stored facts.",
    ),
    "run": LazyCommand(
        "services.pipeline.cli:run_command",
        "Crawler + extractor + store as one service: a continuous live crawl (SIGTERM stops all three).",
    ),
    "replay": LazyCommand(
        "services.pipeline.cli:replay_command",
        "Re-extract the raw topic with this extractor version; returns once every fact is in PostgreSQL.",
    ),
    "topics": LazyCommand(
        "services.pipeline.cli:topics_command",
        "Check the topics against the configured layout; exit 1 when one is missing or differs.",
    ),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """``Group.commands`` whose entries are imported on first access (``in`` and listing import nothing)."""

    def __init__(self, lazy: dict[str, LazyCommand]) -> None:
        self._lazy = dict(lazy)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, _, attribute = self._lazy[name].target.partition(":")  # KeyError: no such command
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._lazy[name].target} is not a click command")
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._lazy.pop(name, None)
        del self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._lazy or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        yield from self._lazy
        yield from (name for name in self._loaded if name not in self._lazy)

    def __len__(self) -> int:
        return len(set(self._lazy) | set(self._loaded))

    def short_help(self, name: str, limit: int) -> str:
        if name in self._loaded or name not in self._lazy:
            return self[name].get_short_help_str(limit)
        return click.utils.make_default_short_help(self._lazy[name].short_help, limit)


class HqfactsGroup(click.Group):
    """The root group: lazy subcommands, and expected failures reported as one line (``--debug``: raw)."""

    commands: LazyCommands

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(COMMANDS)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # registry order, not alphabetical: services in pipeline order

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.commands.short_help(name, limit)) for name in names])

    def invoke(self, ctx: click.Context) -> Any:
        normalise_environment()
        return run_reporting_errors(lambda: super(HqfactsGroup, self).invoke(ctx), debug=ctx.params["debug"])


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    from services.extractor.domain.facts import EXTRACTOR_VERSION

    try:
        package = version("hqfacts")
    except PackageNotFoundError:  # run from a checkout that was never installed
        package = "unknown"
    click.echo(f"hqfacts {package} (extractor {EXTRACTOR_VERSION})")
    ctx.exit()


@click.group(cls=HqfactsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the package and extractor versions and exit.",
)
@click.option(
    "--debug", is_flag=True, envvar="HQ_DEBUG", help="Show the traceback of a failure, not only its message."
)
def cli(debug: bool) -> None:
    """hqfacts: Vietnamese customs news -> facts (crawler -> Kafka -> extractor -> Kafka -> store)."""


def main() -> None:
    cli()
