"""Alembic environment: the shared MetaData, the URL from Settings (HQ_DATABASE_URL), not from alembic.ini.

`hqfacts migrate` passes its own connection (holding the advisory lock) in
``config.attributes["connection"]``; plain `alembic upgrade head` connects with ``Settings().database_url``.
"""

from __future__ import annotations

import importlib
import importlib.util

from alembic import context
from sqlalchemy.engine import Connection

import services.store.tables  # noqa: F401  (registers the store's tables on the shared metadata)
from services.common.db import make_engine, metadata
from services.common.settings import Settings

# The crawler's state tables (revision 0002_crawl_state) join the metadata once that module exists.
_CRAWLER_TABLES = "services.crawler.adapters.state_tables"
try:
    if importlib.util.find_spec(_CRAWLER_TABLES) is not None:
        importlib.import_module(_CRAWLER_TABLES)
except ModuleNotFoundError:  # services.crawler.adapters itself is not there yet
    pass

target_metadata = metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.attributes.get("database_url") or Settings().database_url,
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
    engine = make_engine(config.attributes.get("database_url") or Settings().database_url)
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
