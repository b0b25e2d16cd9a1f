"""Configuration from the environment (prefix ``HQ_``), with defaults for the local stack (make up)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HQ_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:29092"
    database_url: str = "postgresql+psycopg://hqfacts:hqfacts@127.0.0.1:55432/hqfacts"

    raw_topic: str = "hddtvn.pages.raw"
    facts_topic: str = "hddtvn.facts.v1"
    extractions_topic: str = "hddtvn.extractions.v1"

    # Consumer groups; replays use fresh ones so the live groups are never disturbed.
    extractor_group: str = "hqfacts-extractor"
    store_group: str = "hqfacts-store"

    # Health and Prometheus metrics; each service gets its own port (0 disables the server).
    health_host: str = "0.0.0.0"
    health_port: int | None = None

    log_format: str = Field(default="auto", description="auto | json | text")
    log_level: str = "INFO"

    # Crawler
    user_agent: str = "hqfacts-crawler/0.1 (+https://github.com/hqfacts/hqfacts)"
    crawl_delay: float = 1.0
    max_pages: int | None = None
    max_body_bytes: int = 4 * 1024 * 1024

    # Store batching: a batch commits when it is this big or this old, whichever comes first.
    store_batch_size: int = 500
    store_batch_seconds: float = 0.5


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
