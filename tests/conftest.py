"""Fixtures shared by the integration, end-to-end and fault suites."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.pipeline.site import shared_dir


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only shared folder (corpus, gold, site tools): ../shared or HQ_SHARED_DIR."""
    path = shared_dir()
    if not (path / "tools" / "build_site.py").exists():
        pytest.fail(f"the shared folder is missing at {path} (set HQ_SHARED_DIR)")
    return path
