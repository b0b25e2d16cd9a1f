"""Fixtures for end-to-end runs: a private database and private topic names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.common.settings import Settings
from services.store.testing import fresh_database
from tests.support import isolated_settings


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    """A fresh database migrated with alembic, dropped at the end."""
    with fresh_database(Settings().database_url, prefix="hqfacts_e2e") as url:
        yield url


@pytest.fixture
def e2e_settings(e2e_database: str) -> Settings:
    return isolated_settings(e2e_database, "e2e")
