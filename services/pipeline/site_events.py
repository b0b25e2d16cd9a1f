"""Moved to ``services.testing.corpus_site`` (the crawler's test helpers need it too); re-exported here for
the callers not switched yet."""

from __future__ import annotations

from services.testing.corpus_site import SITE_BASE_URL as SITE_BASE_URL
from services.testing.corpus_site import load_posts as load_posts
from services.testing.corpus_site import post_files as post_files
from services.testing.corpus_site import raw_events_from_site as raw_events_from_site
