"""Fixtures shared by the integration, end-to-end and fault suites."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.testing.corpus_site import shared_dir


def _local_stack_env() -> None:
    """The local stack's URLs (`make up` writes .local/hqfacts.env) for a bare `pytest`; the env wins."""
    path = Path(os.environ.get("HQ_LOCAL") or Path(__file__).resolve().parents[1] / ".local") / "hqfacts.env"
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("HQ_") and not os.environ.get(key):
            os.environ[key] = value


_local_stack_env()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only shared folder (corpus, gold, site tools): ../shared or HQ_SHARED_DIR."""
    path = shared_dir()
    if not (path / "tools" / "build_site.py").exists():
        pytest.fail(f"the shared folder is missing at {path} (set HQ_SHARED_DIR)")
    return path
