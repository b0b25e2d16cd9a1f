"""Configuration from the environment (prefix ``HQ_``), with defaults for the local stack (make up)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.limits import MAX_FACTS_PER_PAGE


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

    # Health and Prometheus metrics; each service gets its own port (0 disables the server). Loopback by
    # default: set HQ_HEALTH_HOST=0.0.0.0 where a scraper on another host must reach it.
    health_host: str = "127.0.0.1"
    health_port: int | None = None

    log_format: str = Field(default="auto", description="auto | json | text")
    log_level: str = "INFO"

    # Crawler
    user_agent: str = "hqfacts-crawler/0.1 (+https://github.com/hqfacts/hqfacts)"
    crawl_delay: float = 1.0
    max_pages: int | None = None
    max_body_bytes: int = 4 * 1024 * 1024

    # Extractor: parsing and extraction of a page run in a pool of worker processes, each page within a
    # wall-clock budget (on expiry the page is dead-lettered and its worker replaced).
    extract_workers: int = Field(default=1, ge=1, le=16)
    extract_budget_seconds: float = Field(default=10.0, gt=0)
    # Facts one page may yield (extractor) and one extraction event may list (store).
    max_facts_per_page: int = Field(default=MAX_FACTS_PER_PAGE, ge=1)
    # The store refuses events of an extractor newer than the one it ships with; raise this during a
    # rolling upgrade that deploys the new extractor first.
    max_extractor_version: str | None = None

    # Store batching: a batch commits when it is this big or this old, whichever comes first.
    store_batch_size: int = 500
    store_batch_seconds: float = 0.5


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
