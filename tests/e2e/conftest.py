"""Fixtures for end-to-end runs: a private database and private topic names for each test session."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.settings import Settings
from services.pipeline.site import shared_dir

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not (path / "tools" / "build_site.py").exists():
        pytest.fail(f"the shared folder is missing at {path} (set HQ_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    """A fresh database migrated with alembic (`hqfacts migrate`), dropped at the end."""
    base = make_url(Settings().database_url)
    name = f"hqfacts_e2e_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-m", "services", "migrate"],
        check=True,
        env={**_env(), "HQ_DATABASE_URL": url},
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
    )
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def e2e_settings(e2e_database: str) -> Settings:
    """Settings with topics and groups of their own, so runs never see each other's events."""
    run = uuid.uuid4().hex[:8]
    return Settings(
        database_url=e2e_database,
        raw_topic=f"e2e-{run}.pages.raw",
        facts_topic=f"e2e-{run}.facts.v1",
        extractions_topic=f"e2e-{run}.extractions.v1",
        extractor_group=f"e2e-{run}-extractor",
        store_group=f"e2e-{run}-store",
        log_format="json",
    )


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
