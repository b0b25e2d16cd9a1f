"""SQLAlchemy plumbing shared by the store and the crawler's state: one MetaData for alembic."""

from __future__ import annotations

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Connection, Engine

from services.common.settings import MissingSettingError, require_database_url

# Stable constraint names make alembic migrations reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLSTATE classes that say "this data cannot be stored", whatever exception class the driver maps them to:
# 22 data exception, 23 integrity constraint violation, 54 program limit exceeded (e.g. an index row over
# the btree limit, which psycopg reports as an OperationalError). Retrying the same rows cannot help.
REJECTED_DATA_CLASSES = frozenset({"22", "23", "54"})


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, or of the one SQLAlchemy wraps."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_rejected_data(sqlstate: str | None) -> bool:
    return bool(sqlstate) and str(sqlstate)[:2] in REJECTED_DATA_CLASSES


def make_engine(database_url: str, **kwargs: object) -> Engine:
    """An engine for ``database_url``; a one-line ``MissingSettingError`` when it is empty (unset)."""
    return create_engine(require_database_url(database_url), pool_pre_ping=True, future=True, **kwargs)  # type: ignore[arg-type]


# What the runtime role may do on the tables: data, never DDL (it owns nothing, so it cannot DROP or ALTER).
RUNTIME_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def grant_runtime_role(connection: Connection, role: str | None) -> bool:
    """Give ``role`` data rights on every table and sequence of the current schema (alembic's: read only).

    Run by the migration owner after every upgrade or downgrade (migrations/env.py), in the migration's
    transaction, so new tables are granted as they appear. No-op (False) when ``role`` is empty or is the
    connected role itself (a single-role database). A role that does not exist is an error.
    """
    current = connection.execute(text("SELECT current_user")).scalar_one()
    if not role or role == current:
        return False
    if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
        raise MissingSettingError(
            f"runtime role {role!r} (HQ_DATABASE_URL's user) does not exist; create it before migrating"
        )
    quote = connection.dialect.identifier_preparer.quote
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    r, s = quote(role), quote(schema)
    for sql in (
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT {RUNTIME_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ):
        connection.execute(text(sql))
    has_version_table = connection.execute(
        text("SELECT 1 FROM pg_tables WHERE schemaname = :s AND tablename = 'alembic_version'"), {"s": schema}
    ).first()
    if has_version_table is not None:
        connection.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON {s}.alembic_version FROM {r}"))
    return True


def like_literal(text: str) -> str:
    """``text`` matched literally by LIKE (its own % and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
