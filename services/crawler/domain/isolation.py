"""Rejected data is one item's failure: split a failing batch until the bad items are alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def write_isolating(
    items: Sequence[T],
    write: Callable[[Sequence[T]], None],
    rejected_reason: Callable[[Exception], str | None],
) -> list[tuple[T, str]]:
    """Write ``items`` in order (each call its own transaction); on a data error, write each half alone,
    down to single items. Returns the rejected items with their reasons; other errors propagate.

    Halves are written first to last, so an item never lands before one that preceded it.
    """
    if not items:
        return []
    try:
        write(items)
        return []
    except Exception as exc:
        reason = rejected_reason(exc)
        if reason is None:
            raise
        if len(items) == 1:
            return [(items[0], reason)]
    mid = len(items) // 2
    return write_isolating(items[:mid], write, rejected_reason) + write_isolating(
        items[mid:], write, rejected_reason
    )
