"""`hqfacts migrate`: alembic upgrade (or downgrade) under a PostgreSQL advisory lock.

Replicas that start together all run the migration; the session-level advisory lock makes them take turns,
so the first upgrades and the others find the schema at head and do nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.common.db import make_engine
from services.common.settings import migration_url_for

log = logging.getLogger(__name__)

# A fixed 64-bit key: the ASCII of "hqfmigr". Every hqfacts migration takes this lock.
MIGRATION_LOCK_KEY = int.from_bytes(b"hqfmigr", "big")


def migrations_dir() -> Path:
    """The alembic script directory, found from the installed package (no alembic.ini needed)."""
    import migrations

    # __path__, not __file__: an editable install may see the folder as a namespace package.
    for entry in migrations.__path__:
        if (Path(entry) / "env.py").is_file():
            return Path(entry)
    raise RuntimeError(f"no alembic env.py in {list(migrations.__path__)}")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def current_revision(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def migrate(database_url: str, revision: str = "head", *, downgrade: bool = False) -> str | None:
    """Upgrade (or downgrade) to ``revision`` holding the advisory lock; returns the revision reached.

    ``database_url`` is the runtime role's URL: the migration runs on its database as the migration owner
    (``migration_url_for``: HQ_MIGRATION_DATABASE_URL's role) and grants its role data rights afterwards.
    """
    runtime_role = make_url(database_url).username if database_url.strip() else None
    database_url = migration_url_for(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            log.info("waiting for the migration lock", extra={"lock_key": MIGRATION_LOCK_KEY})
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()  # the lock is the session's, not the transaction's
            try:
                config = alembic_config(database_url)
                config.attributes["connection"] = conn
                config.attributes["runtime_role"] = runtime_role
                if downgrade:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)
                conn.commit()
                reached = MigrationContext.configure(conn).get_current_revision()
                conn.commit()
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
        log.info("database at revision %s", reached, extra={"revision": reached})
        return reached
    finally:
        engine.dispose()
