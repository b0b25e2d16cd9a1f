"""Alembic migrations on a throwaway database: up, down, up; the advisory-locked `hqfacts migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from services.common.db import make_engine
from services.common.settings import Settings
from services.store.migrate import MIGRATION_LOCK_KEY, current_revision, migrate
from services.store.testing import fresh_database

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STORE_TABLES = {"articles", "facts", "consumer_offsets", "dead_letters", "fact_outbox"}
DEADLINE_S = 60.0


@pytest.fixture
def empty_database() -> Iterator[str]:
    with fresh_database(Settings().database_url, migrate_to=None) as url:
        yield url


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from services.store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("unused")).get_current_head()
    assert head is not None
    return head


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    url = empty_database
    assert migrate(url) == head_revision()
    assert tables(url) >= STORE_TABLES
    # The latest revision goes down and up again; then all the way down to an empty schema and back.
    migrate(url, "-1", downgrade=True)
    assert current_revision(url) != head_revision()
    assert migrate(url) == head_revision()
    migrate(url, "base", downgrade=True)
    assert current_revision(url) is None
    assert tables(url) <= {"alembic_version"}
    assert migrate(url) == head_revision()
    assert tables(url) >= STORE_TABLES


def test_the_schema_matches_the_table_definitions(empty_database: str) -> None:
    """The hand-written revision and services/store/tables.py say the same thing (alembic's compare)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from services.common.db import metadata

    migrate(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(context, metadata) if _is_store_table(d)]
    finally:
        engine.dispose()
    assert diff == []


def _is_store_table(diff: object) -> bool:
    text_form = repr(diff)
    return any(f"'{name}'" in text_form or f"name='{name}'" in text_form for name in STORE_TABLES)


def _migrate_process(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HQ_DATABASE_URL": url, "HQ_LOG_FORMAT": "text"}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "hqfacts"), "migrate"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_migration_waits_for_the_advisory_lock(empty_database: str) -> None:
    url = empty_database
    engine = make_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            holder.commit()
            process = _migrate_process(url)
            try:
                # Deterministic: wait until the process is seen queued on the lock, and not done.
                deadline = time.monotonic() + DEADLINE_S
                while True:
                    waiting = holder.scalar(
                        text(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                            "AND ((classid::bigint << 32) | objid::bigint) = :k"
                        ),
                        {"k": MIGRATION_LOCK_KEY},
                    )
                    holder.commit()
                    if waiting:
                        break
                    assert process.poll() is None, process.communicate()[0]
                    assert time.monotonic() < deadline, "migrate never queued on the advisory lock"
                    time.sleep(0.05)
                assert current_revision(url) is None  # it has not touched the schema while waiting
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                holder.commit()
            output, _ = process.communicate(timeout=DEADLINE_S)
            assert process.returncode == 0, output
    finally:
        engine.dispose()
    assert current_revision(url) == head_revision()


def test_two_replicas_migrating_together_both_succeed(empty_database: str) -> None:
    processes = [_migrate_process(empty_database) for _ in range(2)]
    outputs = [p.communicate(timeout=DEADLINE_S)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert current_revision(empty_database) == head_revision()
