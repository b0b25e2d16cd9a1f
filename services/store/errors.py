"""Failures the store tells apart: retry the same batch later, or refuse the data."""

from __future__ import annotations


class TransientStoreError(Exception):
    """The database or the broker is unreachable or restarting: retry the same batch later."""


class RejectedByDatabase(Exception):
    """The database refused the data itself (constraint, type): retrying the same batch cannot help."""


class BatchAbandoned(Exception):
    """The store was asked to stop while waiting to retry: the batch is left for the next run."""
