"""PostgreSQL trust boundaries (issue 9, finding 8): a migration owner, a runtime role with data rights only,
no `trust` authentication and a private socket on the local stack (deploy/local/postgres.sh)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from services.common.db import make_engine
from services.common.settings import Settings, migration_url_for
from services.store.tables import facts
from services.store.testing import (
    eventually,
    fact_event,
    fresh_database,
    producer_for,
    running_store,
    sample_fact,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LOCAL = Path(os.environ.get("HQ_LOCAL") or ROOT / ".local")
PG = LOCAL / "pg"


@pytest.fixture(scope="module")
def runtime_url() -> Iterator[str]:
    with fresh_database(Settings().database_url, prefix="hqfacts_trust") as url:
        yield url


@pytest.fixture
def runtime(runtime_url: str) -> Iterator[Engine]:
    engine = make_engine(runtime_url)
    yield engine
    engine.dispose()


def test_services_and_migrations_use_two_different_roles() -> None:
    settings = Settings()
    runtime, owner = make_url(settings.database_url), make_url(settings.migration_database_url)
    assert runtime.username and owner.username and runtime.username != owner.username
    assert make_url(migration_url_for(settings.database_url)).username == owner.username
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
            ).one()
            assert tuple(row) == (False, False, False)
            assert conn.execute(text("SELECT current_user")).scalar_one() == runtime.username
    finally:
        engine.dispose()


def test_owner_owns_the_tables_of_a_fresh_database(runtime: Engine) -> None:
    owner = make_url(Settings().migration_database_url).username
    with runtime.connect() as conn:
        owners = set(
            conn.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")).scalars()
        )
        assert owners == {owner}
        assert (
            conn.execute(
                text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
            == owner
        )


@pytest.mark.parametrize(
    "ddl",
    [
        "DROP TABLE facts",
        "ALTER TABLE facts ADD COLUMN forged text",
        "ALTER TABLE facts DROP COLUMN evidence",
        "TRUNCATE facts",
        "CREATE TABLE forged (x int)",
        "CREATE INDEX forged_ix ON facts (metric)",
        "DELETE FROM alembic_version",
        "COMMENT ON TABLE facts IS 'forged'",
        "CREATE SCHEMA forged",
    ],
)
def test_runtime_role_cannot_change_the_schema(runtime: Engine, ddl: str) -> None:
    with runtime.connect() as conn:
        with pytest.raises(ProgrammingError) as caught:
            conn.execute(text(ddl))
        assert getattr(caught.value.orig, "sqlstate", None) == "42501", ddl  # insufficient_privilege
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_runtime_role_cannot_create_databases() -> None:
    engine = make_engine(Settings().database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn, pytest.raises(ProgrammingError):
            conn.execute(text(f'CREATE DATABASE "hqfacts_forged_{uuid.uuid4().hex[:8]}"'))
    finally:
        engine.dispose()


async def test_runtime_role_runs_the_store_upserts_and_all(runtime_url: str, runtime: Engine) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=runtime_url,
        facts_topic=f"test.{run}.facts",
        extractions_topic=f"test.{run}.extractions",
        raw_topic=f"test.{run}.raw",
        store_group=f"test-trust-{run}",
        store_batch_size=100,
        store_batch_seconds=0.2,
        health_port=None,
        max_extractor_version="99.0.0",
    )
    article = f"https://hddtvn.com/{settings.store_group}/"
    fact = sample_fact()
    v1 = fact_event(fact, article_url=article, version="1.0.0")
    v2 = fact_event(fact, article_url=article, version="1.1.0", title="Thu ngân sách 2020 (sửa)")

    def stored() -> list[tuple[str, str]]:
        with runtime.connect() as conn:
            rows = conn.execute(
                select(facts.c.fact_id, facts.c.extractor_version).where(facts.c.article_url == article)
            )
            return [(r[0], r[1]) for r in rows]

    async with producer_for(settings) as producer:
        for event in (v1, v2):
            await producer.send_and_wait(settings.facts_topic, key=event.key, value=event.encode())
        async with running_store(settings):
            await eventually(lambda: stored() == [(v1.fact_id, "1.1.0")], "the upserted fact")


def test_no_trust_authentication_and_a_private_socket() -> None:
    hba = (PG / "data" / "pg_hba.conf").read_text(encoding="utf-8")
    rules = [line.split() for line in hba.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert rules, hba
    assert all(rule[-1] != "trust" and "trust" not in rule for rule in rules), hba
    assert all(rule[0] in {"local", "host"} for rule in rules), hba
    assert all(rule[3] == "127.0.0.1/32" for rule in rules if rule[0] == "host"), hba
    assert all(rule[2] == "postgres" and rule[3] == "peer" for rule in rules if rule[0] == "local"), hba
    conf = (PG / "data" / "hqfacts.conf").read_text(encoding="utf-8")
    socket_dir = next(
        line.split("=", 1)[1].strip().strip("'")
        for line in conf.splitlines()
        if line.startswith("unix_socket_directories")
    )
    assert stat.S_IMODE(os.stat(socket_dir).st_mode) == 0o700
    env_file = LOCAL / "hqfacts.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_tcp_needs_the_password() -> None:
    url = make_url(Settings().database_url)
    for user, password in ((url.username, "wrong"), ("postgres", None), (url.username, None)):
        # URL.set(password=None) keeps the password: build the URL without one.
        auth = f"{user}:{password}@" if password else f"{user}@"
        forged = f"{url.drivername}://{auth}{url.host}:{url.port}/{url.database}"
        engine = make_engine(forged, connect_args={"connect_timeout": 5})
        try:
            with pytest.raises(OperationalError) as caught, engine.connect():
                pass
            assert "password" in str(caught.value).lower() or "authentication" in str(caught.value).lower()
        finally:
            engine.dispose()


def test_a_second_start_keeps_the_credentials() -> None:
    env_file = LOCAL / "hqfacts.env"
    before = env_file.read_text(encoding="utf-8")
    result = subprocess.run(
        [str(ROOT / "deploy" / "local" / "postgres.sh"), "start"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr
    assert env_file.read_text(encoding="utf-8") == before
    engine = make_engine(Settings().database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_hqfacts_migrate_runs_as_the_owner_and_grants_the_runtime_role() -> None:
    settings = Settings()
    owner = make_url(settings.migration_database_url).username
    with fresh_database(settings.database_url, migrate_to=None, prefix="hqfacts_trust_cli") as url:
        env = {**os.environ, "HQ_DATABASE_URL": url, "HQ_LOG_FORMAT": "text"}
        result = subprocess.run(
            [str(Path(sys.executable).parent / "hqfacts"), "migrate"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                owners = set(
                    conn.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"))
                )
                assert owners == {(owner,)}
                assert conn.execute(text("SELECT count(*) FROM facts")).scalar_one() == 0
                assert conn.execute(text("SELECT has_table_privilege('facts', 'INSERT')")).scalar_one()
                assert not conn.execute(text("SELECT has_table_privilege('facts', 'TRUNCATE')")).scalar_one()
        finally:
            engine.dispose()
