"""The local stack from `make up` (deploy/local/): Kafka and PostgreSQL answer, scripts are idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import create_engine, text

from services.common.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"
SCRIPTS = ROOT / "deploy" / "local"
KAFKA_PID = LOCAL / "kafka" / "kafka.pid"
PG_PID = LOCAL / "pg" / "data" / "postmaster.pid"


def _run(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _pids() -> tuple[int, int]:
    kafka = int(KAFKA_PID.read_text().strip())
    pg = int(PG_PID.read_text().splitlines()[0].strip())
    return kafka, pg


@pytest.fixture(scope="module", autouse=True)
def stack_up() -> None:
    status = _run(SCRIPTS / "status.sh", timeout=60)
    if status.returncode != 0:
        pytest.fail(f"local stack is not up (run `make up`):\n{status.stdout}{status.stderr}")


async def test_kafka_answers_metadata() -> None:
    bootstrap = Settings().kafka_bootstrap
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        topics = await admin.list_topics()
    finally:
        await admin.close()
    brokers = cluster["brokers"]
    assert [(b["node_id"], b["host"], b["port"]) for b in brokers] == [(1, "127.0.0.1", 29092)]
    assert isinstance(topics, list)


def test_kafka_stdlib_probe() -> None:
    probe = _run(sys.executable, SCRIPTS / "kafka_ready.py", "--wait", "0", timeout=30)
    assert probe.returncode == 0, probe.stderr
    assert "1@127.0.0.1:29092" in probe.stdout


def test_postgres_accepts_app_connection() -> None:
    engine = create_engine(Settings().database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar_one() == 1
            assert conn.execute(text("select current_user")).scalar_one() == "hqfacts_app"  # runtime role
            assert conn.execute(text("select current_database()")).scalar_one() == "hqfacts"
            assert conn.execute(text("show port")).scalar_one() == "55432"
            assert conn.execute(text("show server_encoding")).scalar_one() == "UTF8"
    finally:
        engine.dispose()


def test_up_is_idempotent() -> None:
    before = _pids()
    started = time.monotonic()
    result = _run(SCRIPTS / "up.sh", env={"CI": os.environ.get("CI", "true")}, timeout=300)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr
    assert elapsed < 30, f"second up.sh took {elapsed:.1f}s"
    assert _pids() == before
    assert _run(SCRIPTS / "status.sh", timeout=60).returncode == 0


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_stale_pid_files_are_detected(tmp_path: Path) -> None:
    """A pid file left by a killed process is reported as stale and cleaned by stop.

    Runs against a scratch HQ_LOCAL, so the real stack is not disturbed.
    """
    env = {"HQ_LOCAL": str(tmp_path), "HQ_LOCK_HELD": "0"}
    (tmp_path / "kafka").mkdir()
    kafka_pid = tmp_path / "kafka" / "kafka.pid"
    kafka_pid.write_text(f"{_dead_pid()}\n")
    status = _run(SCRIPTS / "kafka.sh", "status", env=env, timeout=60)
    assert status.returncode != 0
    assert "stale pid file" in status.stdout
    stop = _run(SCRIPTS / "kafka.sh", "stop", env=env, timeout=60)
    assert stop.returncode == 0, stop.stderr
    assert not kafka_pid.exists()

    (tmp_path / "pg" / "data").mkdir(parents=True)
    (tmp_path / "pg" / "data" / "postmaster.pid").write_text(f"{_dead_pid()}\n{tmp_path}/pg/data\n")
    status = _run(SCRIPTS / "postgres.sh", "status", env=env, timeout=60)
    assert status.returncode != 0
    assert "stale postmaster.pid" in status.stdout
