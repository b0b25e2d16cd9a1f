"""The error every consumer turns into a dead letter."""

from __future__ import annotations


class EventError(ValueError):
    """An event that cannot be used: the message is the reason recorded on the DLQ."""
