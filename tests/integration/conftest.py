"""Fixtures of the integration tests: a throwaway migrated database per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from services.common.db import make_engine
from services.common.settings import Settings
from services.store.testing import fresh_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh database next to the local one, migrated to head, dropped after the module."""
    with fresh_database(Settings().database_url) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
