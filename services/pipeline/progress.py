"""Moved to ``services.common.lag`` (the extractor needs it too, and imports in services/ run downwards).

Re-exported here for the callers not switched yet.
"""

from __future__ import annotations

from services.common.lag import committed_offsets as committed_offsets
from services.common.lag import end_offsets as end_offsets
from services.common.lag import group_lag as group_lag
from services.common.lag import wait_caught_up as wait_caught_up
