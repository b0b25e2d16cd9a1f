"""Alembic environment: the shared MetaData, the URL from Settings, not from alembic.ini.

Migrations run as the migration owner (HQ_MIGRATION_DATABASE_URL; HQ_DATABASE_URL when unset), and after every
upgrade or downgrade grant the runtime role (HQ_DATABASE_URL's user) data rights on the tables, in the same
transaction (services.common.db.grant_runtime_role).

`hqfacts migrate` passes its own connection (holding the advisory lock) in ``config.attributes["connection"]``
and the runtime role in ``config.attributes["runtime_role"]``; plain `alembic upgrade head` connects with the
settings' migration URL.
"""

from __future__ import annotations

import importlib
import importlib.util

from alembic import context
from sqlalchemy.engine import Connection, make_url

import services.store.tables  # noqa: F401  (registers the store's tables on the shared metadata)
from services.common.db import grant_runtime_role, make_engine, metadata
from services.common.settings import Settings, require_database_url

# The crawler's state tables (revision 0002_crawl_state) join the metadata once that module exists.
_CRAWLER_TABLES = "services.crawler.adapters.state_tables"
try:
    if importlib.util.find_spec(_CRAWLER_TABLES) is not None:
        importlib.import_module(_CRAWLER_TABLES)
except ModuleNotFoundError:  # services.crawler.adapters itself is not there yet
    pass

target_metadata = metadata
config = context.config


def _default_url() -> str:
    settings = Settings()
    return settings.migration_database_url.strip() or require_database_url(settings.database_url)


def _runtime_role() -> str | None:
    if "runtime_role" in config.attributes:
        role = config.attributes["runtime_role"]
        return str(role) if role else None
    url = Settings().database_url.strip()
    return make_url(url).username if url else None


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
        grant_runtime_role(connection, _runtime_role())


def run_migrations_offline() -> None:
    context.configure(
        url=config.attributes.get("database_url") or _default_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes.get("database_url") or _default_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
