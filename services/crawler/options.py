"""The crawl options ``hqfacts crawl`` and ``hqfacts run`` share (click only: cheap to import)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

_CRAWL_OPTIONS = (
    click.option("--seed", "seeds", multiple=True, required=True, help="start URL (repeatable)"),
    click.option(
        "--allow-host",
        "allow_hosts",
        multiple=True,
        help="also crawl this origin: HOST (ports 80/443), HOST:PORT or SCHEME://HOST[:PORT] (repeatable)",
    ),
    click.option(
        "--allow-private",
        is_flag=True,
        help="let in-scope hosts resolve to private/loopback addresses (local test sites; off for the web)",
    ),
    click.option("--delay", type=float, default=None, help="minimum seconds between requests to one host"),
    click.option("--max-pages", type=int, default=None, help="stop the crawl after this many requests"),
)


def crawl_options(command: F) -> F:
    """--seed, --allow-host, --allow-private, --delay, --max-pages."""
    for option in reversed(_CRAWL_OPTIONS):
        command = option(command)
    return command
