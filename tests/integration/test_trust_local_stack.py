"""deploy/local/postgres.sh from a bare machine and as an upgrade of an old cluster (`trust`, one role).

Runs a scratch cluster (its own HQ_LOCAL and port), so the running stack is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from services.common.db import make_engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local" / "postgres.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scratch:
    def __init__(self, local: Path, port: int) -> None:
        self.local, self.port = local, port

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HQ_LOCAL": str(self.local), "HQ_PG_PORT": str(self.port), "HQ_LOCK_HELD": "0"}
        return subprocess.run(
            [str(SCRIPT), *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def urls(self) -> dict[str, str]:
        lines = (self.local / "hqfacts.env").read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines if line.startswith("HQ_"))

    def psql(self, sql: str) -> str:
        result = self.run("psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


def _connects(url: str) -> bool:
    engine = make_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one() == 1
    except OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def scratch() -> Iterator[Scratch]:
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL server binaries are not installed")
    # Short path: Unix socket paths are limited to ~107 bytes.
    local = Path(tempfile.mkdtemp(prefix="hqpg-", dir="/tmp"))
    os.chmod(local, 0o755)
    cluster = Scratch(local, _free_port())
    try:
        yield cluster
    finally:
        cluster.run("stop", timeout=60)
        shutil.rmtree(local, ignore_errors=True)


def _assert_locked_down(cluster: Scratch) -> None:
    data = cluster.local / "pg" / "data"
    rules = [
        line.split()
        for line in (data / "pg_hba.conf").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules and not any("trust" in rule for rule in rules), rules
    assert stat.S_IMODE((cluster.local / "pg" / "run").stat().st_mode) == 0o700
    assert stat.S_IMODE((cluster.local / "hqfacts.env").stat().st_mode) == 0o600
    urls = cluster.urls()
    assert _connects(urls["HQ_DATABASE_URL"]) and _connects(urls["HQ_MIGRATION_DATABASE_URL"])
    roles = cluster.psql(
        "SELECT string_agg(rolname || ':' || rolsuper || ':' || rolcreatedb, ',' ORDER BY rolname) "
        "FROM pg_roles WHERE rolname LIKE 'hqfacts%'"
    )
    assert roles == "hqfacts:false:true,hqfacts_app:false:false"
    assert (
        cluster.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'hqfacts'") == "hqfacts"
    )


def test_bare_machine_start(scratch: Scratch) -> None:
    result = scratch.run("start")
    assert result.returncode == 0, result.stderr
    _assert_locked_down(scratch)


def test_upgrade_of_an_old_cluster_in_place(scratch: Scratch) -> None:
    """What an older checkout left: trust on the socket, one role `hqfacts` with password `hqfacts`."""
    assert scratch.run("start").returncode == 0
    pid = (scratch.local / "pg" / "data" / "postmaster.pid").read_text().splitlines()[0]
    old_password = "hq" + "facts"
    scratch.psql(f"ALTER ROLE hqfacts PASSWORD '{old_password}'; DROP ROLE hqfacts_app")
    (scratch.local / "pg" / "data" / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
    )
    (scratch.local / "hqfacts.env").unlink()
    os.chmod(scratch.local / "pg" / "run", 0o777)
    port = scratch.port
    old_url = f"postgresql+psycopg://hqfacts:{old_password}@127.0.0.1:{port}/hqfacts"
    assert _connects(old_url)

    result = scratch.run("start")
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr
    assert (scratch.local / "pg" / "data" / "postmaster.pid").read_text().splitlines()[0] == pid  # no restart
    _assert_locked_down(scratch)
    assert not _connects(old_url)

    again = scratch.urls()
    assert scratch.run("start").returncode == 0
    assert scratch.urls() == again  # the passwords are made once
    assert _connects(again["HQ_DATABASE_URL"])


def test_restart_keeps_everything_and_the_socket_is_private(scratch: Scratch) -> None:
    before = scratch.urls()
    result = scratch.run("restart")
    assert result.returncode == 0, result.stderr
    _assert_locked_down(scratch)
    assert scratch.urls() == before
    sockets = list((scratch.local / "pg" / "run").glob(".s.PGSQL.*[0-9]"))
    assert sockets and all(stat.S_IMODE(s.stat().st_mode) == 0o700 for s in sockets)
