"""Progress: a status line on a terminal, a structured log line every few seconds otherwise."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

from services.crawler import metrics

log = logging.getLogger("hqfacts.crawler")


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}TB"


async def report(snapshot: Callable[[], dict[str, object]], mode: str = "auto") -> None:
    tty = mode == "tty" or (mode == "auto" and sys.stderr.isatty())
    if mode == "none":
        return
    interval = 1.0 if tty else 10.0
    try:
        while True:
            await asyncio.sleep(interval)
            snap = snapshot()
            metrics.QUEUED.set(float(snap["queued"]))  # type: ignore[arg-type]
            if tty:
                line = (
                    f"\rfetched {snap['fetched']}  published {snap['published']}  queued {snap['queued']}  "
                    f"parked {snap['parked']}  {_human(float(snap['bytes']))}  {snap['rate']}/s   "  # type: ignore[arg-type]
                )
                sys.stderr.write(line)
                sys.stderr.flush()
            else:
                log.info("progress", extra=snap)
    finally:
        if tty:
            sys.stderr.write("\n")
            sys.stderr.flush()
