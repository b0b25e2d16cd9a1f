"""Configuration from the environment (prefix ``HQ_``), with defaults for the local stack (make up).

No credentials have a default: the database URLs come from the environment (``make up`` writes them to
``.local/hqfacts.env`` and the Makefile exports them; compose takes them from ``deploy/.env``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from services.common.limits import MAX_FACTS_PER_PAGE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HQ_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:29092"
    # Kafka authentication (docs/security.md, "Trust boundaries"): PLAINTEXT on the local loopback stack; on a
    # shared cluster SASL/SCRAM, one principal per service (its ACLs: deploy/kafka/acls.sh).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_cafile: str = ""  # SASL_SSL: the CA that signed the brokers' certificates (empty: system CAs)
    # The runtime role (data rights only): what every service connects with. Required, no default.
    database_url: str = ""
    # The migration owner (owns the tables, runs `hqfacts migrate`). Empty: migrations use database_url
    # (a single-role database); see migration_url_for.
    migration_database_url: str = ""

    raw_topic: str = "hddtvn.pages.raw"
    facts_topic: str = "hddtvn.facts.v1"
    extractions_topic: str = "hddtvn.extractions.v1"
    # Published by the store: one consolidated answer per question (docs/contract.md, "Observations").
    observations_topic: str = "hddtvn.observations.v1"
    # Topic layout, applied when a topic is created (existing topics are reported, never changed). The
    # partitions bound how many replicas of a consumer group can share the work; a cluster wants replication
    # 3 with min.insync.replicas 2 (default: replication - 1, at least 1).
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    topic_replication_factor: int = Field(default=1, ge=1, le=10)
    topic_min_insync_replicas: int | None = Field(default=None, ge=1, le=10)
    # How long the compacted topics (facts, extractions, observations) keep a tombstone: the longest a
    # consumer may be offline and still see every retirement (after longer, it re-reads from the beginning).
    topic_delete_retention_days: int = Field(default=30, ge=1, le=3650)

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
    # wall-clock budget timed in the worker (on expiry the page is dead-lettered).
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


class MissingSettingError(ValueError):
    """A required setting (a database URL) is not set; the message is one line for the operator."""


DATABASE_URL_HINT = (
    "HQ_DATABASE_URL is not set: export the runtime role's URL, "
    'postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB (local stack: eval "$(deploy/local/env.sh)")'
)


def require_database_url(database_url: str) -> str:
    """``database_url`` itself, or a one-line error saying which setting is missing."""
    if not database_url.strip():
        raise MissingSettingError(DATABASE_URL_HINT)
    return database_url


def migration_url_for(database_url: str, settings: Settings | None = None) -> str:
    """The URL migrations of ``database_url``'s database run with: the migration owner's credentials.

    With ``HQ_MIGRATION_DATABASE_URL`` set and naming the same server, its role and password are used on
    ``database_url``'s database (so a throwaway test database is migrated by the owner too); otherwise
    ``database_url`` as given. With ``database_url`` empty, the migration URL itself (a migration-only job).
    """
    owner = (settings or Settings()).migration_database_url.strip()
    if not owner:
        return require_database_url(database_url)
    if not database_url.strip():
        return owner
    target = make_url(database_url)
    owner_url = make_url(owner)
    if (owner_url.host, owner_url.port) != (target.host, target.port):
        return database_url
    return owner_url.set(database=target.database).render_as_string(hide_password=False)


def kafka_client_options(settings: Settings | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for the configured authentication ({} for PLAINTEXT).

    Every Kafka client of the services passes them (``settings``: the caller's; None: the environment's).
    """
    s = settings or Settings()
    if s.kafka_security_protocol == "PLAINTEXT":
        return {}
    if not (s.kafka_sasl_username and s.kafka_sasl_password):
        raise MissingSettingError(
            f"HQ_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol} needs HQ_KAFKA_SASL_USERNAME "
            "and HQ_KAFKA_SASL_PASSWORD"
        )
    options: dict[str, Any] = {
        "security_protocol": s.kafka_security_protocol,
        "sasl_mechanism": s.kafka_sasl_mechanism,
        "sasl_plain_username": s.kafka_sasl_username,
        "sasl_plain_password": s.kafka_sasl_password,
    }
    if s.kafka_security_protocol == "SASL_SSL":
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(cafile=s.kafka_ssl_cafile or None)
    return options


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
