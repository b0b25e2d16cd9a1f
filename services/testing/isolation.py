"""Settings whose topics and groups belong to one run, so concurrent tests and benchmarks never meet."""

from __future__ import annotations

import uuid

from services.common.settings import Settings


def isolated_settings(database_url: str, prefix: str, **overrides: object) -> Settings:
    """Settings whose topics and groups are this run's own, so runs never see each other's events."""
    run = f"{prefix}-{uuid.uuid4().hex[:8]}"
    values: dict[str, object] = {
        "database_url": database_url,
        "raw_topic": f"{run}.pages.raw",
        "facts_topic": f"{run}.facts.v1",
        "extractions_topic": f"{run}.extractions.v1",
        "observations_topic": f"{run}.observations.v1",
        "extractor_group": f"{run}-extractor",
        "store_group": f"{run}-store",
        "log_format": "json",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]
