"""`hqfacts` against the real broker and database, and against closed ports: every expected failure is one
line on stderr and exit 1; destructive commands need --yes; `facts` filters find what they say."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from services.cli import cli
from services.common.db import make_engine
from services.common.settings import Settings
from services.crawler.adapters.state import StateStore
from services.store.migrate import current_revision
from services.store.tables import articles, facts
from services.store.testing import fresh_database

pytestmark = pytest.mark.integration

HQFACTS = str(Path(sys.executable).parent / "hqfacts")
TIMEOUT_S = 60


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HQFACTS, *args],
        env={**os.environ, "HQ_LOG_FORMAT": "text", **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def _assert_one_line_failure(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ") and expected in lines[0], lines[0]


@pytest.fixture(scope="module")
def database_at_0003() -> Iterator[str]:
    """A database one migration behind the facts' provenance columns."""
    with fresh_database(Settings().database_url, migrate_to="0003_crawl_url_hash") as url:
        yield url


@pytest.fixture
def empty_database() -> Iterator[str]:
    with fresh_database(Settings().database_url, migrate_to=None) as url:
        yield url


# --- unreachable services, wrong URLs, schema behind --------------------------------------------------------


@pytest.mark.parametrize("args", [("facts",), ("crawl-status", "--state-name", "x"), ("migrate",)])
def test_database_on_a_closed_port(args: tuple[str, ...]) -> None:
    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{_closed_port()}/nothing"
    done = _run(*args, HQ_DATABASE_URL=url, HQ_MIGRATION_DATABASE_URL="")
    _assert_one_line_failure(done, "cannot use the database postgresql+psycopg://nobody@127.0.0.1:")
    assert "secret" not in done.stderr


def test_debug_shows_the_traceback() -> None:
    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{_closed_port()}/nothing"
    done = _run("--debug", "facts", HQ_DATABASE_URL=url)
    assert done.returncode == 1 and "Traceback" in done.stderr and "OperationalError" in done.stderr


def test_broker_on_a_closed_port() -> None:
    done = _run("dlq", "list", HQ_KAFKA_BOOTSTRAP=f"127.0.0.1:{_closed_port()}")
    _assert_one_line_failure(done, "cannot reach Kafka at 127.0.0.1:")
    assert "Unclosed" not in done.stderr


def test_topics_reports_missing_and_different_topics_and_creates_on_request() -> None:
    run = uuid.uuid4().hex[:8]
    env = {
        "HQ_RAW_TOPIC": f"cli-{run}.raw",
        "HQ_FACTS_TOPIC": f"cli-{run}.facts",
        "HQ_EXTRACTIONS_TOPIC": f"cli-{run}.extractions",
        "HQ_OBSERVATIONS_TOPIC": f"cli-{run}.observations",
    }
    _assert_one_line_failure(_run("topics", **env), "7 topic(s) missing, 0 difference(s)")
    created = _run("topics", "--create", **env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.count("created ") == 7 and "all 7 topics match the settings" in created.stdout
    # The same topics asked for with 3 partitions: reported (and left alone), never repartitioned.
    differs = _run("topics", **env, HQ_TOPIC_PARTITIONS="3")
    _assert_one_line_failure(differs, "0 topic(s) missing, 4 difference(s) from the settings")
    assert differs.stdout.count("has 6 partition(s), the settings ask for 3: kept as is") == 4
    assert _run("topics", **env).returncode == 0


def test_postgres_scheme_is_accepted(database_url: str) -> None:
    url = make_url(database_url).set(drivername="postgres").render_as_string(hide_password=False)
    assert url.startswith("postgres://")
    done = _run("facts", HQ_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no facts stored"


def test_another_database_scheme_is_one_line() -> None:
    done = _run("facts", HQ_DATABASE_URL="mysql://u:p@127.0.0.1/db")
    _assert_one_line_failure(done, "is not a usable database URL")


@pytest.mark.parametrize("behind", ["empty", "0003"])
def test_a_schema_behind_says_migrate(behind: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("empty_database" if behind == "empty" else "database_at_0003")
    done = _run("facts", HQ_DATABASE_URL=url)
    _assert_one_line_failure(done, "run `hqfacts migrate`")


def test_dlq_list_of_a_topic_that_does_not_exist() -> None:
    done = _run("dlq", "list", "--topic", f"nosuch-{uuid.uuid4().hex[:8]}")
    _assert_one_line_failure(done, "no such dead-letter topic: nosuch-")


# --- destructive commands -----------------------------------------------------------------------------------


def test_migrate_down_needs_yes(empty_database: str) -> None:
    url = empty_database
    assert _run("migrate", HQ_DATABASE_URL=url).returncode == 0
    head = current_revision(url)
    refused = _run("migrate", "--down", HQ_DATABASE_URL=url)
    assert refused.returncode == 1
    assert "will downgrade the database" in refused.stdout and f"  {head}: " in refused.stdout
    assert "--yes" in refused.stderr and current_revision(url) == head
    done = _run("migrate", "--down", "--yes", HQ_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert current_revision(url) not in (head, None)


def test_crawl_reset_needs_yes(database_url: str) -> None:
    state = f"cli-{uuid.uuid4().hex[:8]}"
    engine = make_engine(database_url)
    try:
        StateStore(engine, state).start_run(["https://example.test/"], datetime.now(UTC))
        refused = _run("crawl-reset", "--state-name", state, HQ_DATABASE_URL=database_url)
        assert refused.returncode == 1 and f"will delete crawl state '{state}'" in refused.stdout
        assert StateStore(engine, state).status()["run"], "the state was deleted without --yes"
        done = _run("crawl-reset", "--state-name", state, "--yes", HQ_DATABASE_URL=database_url)
        assert done.returncode == 0 and "reset" in done.stdout, done.stderr
        assert not StateStore(engine, state).status()["run"]
    finally:
        engine.dispose()


# --- facts filters ------------------------------------------------------------------------------------------

A = "https://hddtvn.test/thu-ngan-sach-2021/"
B = "https://hddtvn.test/chi-cuc-cai-lan-quy-3/"


def _fact(
    article: str, subject: str, metric: str, kind: str, start: date | None, end: date | None, **kw: object
) -> dict[str, object]:
    values: dict[str, object] = {
        "article_url": article,
        "subject": subject,
        "metric": metric,
        "kind": kind,
        "value": Decimal("100"),
        "unit": "percent" if metric.endswith(("_change", "_attainment")) else "VND",
        "bound": "exact",
        "period_start": start,
        "period_end": end,
        "evidence": f"{subject} {metric}",
        "extractor_version": "0.4.0",
        "extractor_version_key": [0, 4, 0],
        "confidence": Decimal("0.9"),
        "source_topic": "t",
        "source_partition": 0,
        "source_offset": 0,
        **kw,
    }
    values["fact_id"] = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]
    return values


@pytest.fixture(scope="module")
def facts_url(database_url: str) -> str:
    rows = [
        _fact(A, "tong-cuc", "budget_revenue", "actual", date(2021, 1, 1), date(2021, 12, 31)),
        _fact(A, "tong-cuc", "budget_revenue", "target", date(2022, 1, 1), date(2022, 12, 31)),
        _fact(A, "cuc:ha-noi", "budget_revenue", "actual", date(2020, 10, 1), date(2021, 3, 31)),
        _fact(B, "cuc:quang-ninh", "trade_turnover", "actual", date(2023, 7, 1), date(2023, 9, 30)),
        _fact(
            B,
            "chi-cuc:cai-lan",
            "declarations",
            "actual",
            None,
            date(2021, 6, 30),
            extractor_version="0.3.0",
            extractor_version_key=[0, 3, 0],
        ),
    ]
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            for url in (A, B):
                conn.execute(
                    insert(articles).values(
                        url=url, title="t", extractor_version="0.4.0", extractor_version_key=[0, 4, 0]
                    )
                )
            conn.execute(insert(facts), rows)
    finally:
        engine.dispose()
    return database_url


def _facts(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["facts", "--format", "jsonl", *args], env={"HQ_DATABASE_URL": url})


def _pairs(result: Result) -> set[tuple[str, str]]:
    import json

    assert result.exit_code == 0, result.output
    return {(row["subject"], row["kind"]) for row in map(json.loads, result.stdout.splitlines())}


def test_facts_filters(facts_url: str) -> None:
    assert _pairs(_facts(facts_url, "--subject", "cuc:*")) == {
        ("cuc:ha-noi", "actual"),
        ("cuc:quang-ninh", "actual"),
    }
    assert _pairs(_facts(facts_url, "--subject", "tong-cuc", "--kind", "target")) == {("tong-cuc", "target")}
    assert _pairs(_facts(facts_url, "--metric", "trade_turnover")) == {("cuc:quang-ninh", "actual")}
    # Year: every period that touches 2021, including one that starts in 2020 and one with only an end.
    assert _pairs(_facts(facts_url, "--year", "2021")) == {
        ("tong-cuc", "actual"),
        ("cuc:ha-noi", "actual"),
        ("chi-cuc:cai-lan", "actual"),
    }
    by_slug = _pairs(_facts(facts_url, "--article", "chi-cuc-cai-lan-quy-3"))
    assert (
        by_slug
        == _pairs(_facts(facts_url, "--article", B.rstrip("/")))
        == {
            ("cuc:quang-ninh", "actual"),
            ("chi-cuc:cai-lan", "actual"),
        }
    )
    assert _pairs(_facts(facts_url, "--article", "cai-lan")) == set()  # a slug is the whole last segment
    assert _pairs(_facts(facts_url, "--extractor-version", "0.3.0")) == {("chi-cuc:cai-lan", "actual")}
    assert len(_pairs(_facts(facts_url, "--limit", "2"))) == 2


def test_facts_as_csv_and_table(facts_url: str) -> None:
    import csv
    import io

    result = CliRunner().invoke(
        cli, ["facts", "--format", "csv", "--subject", "tong-cuc"], env={"HQ_DATABASE_URL": facts_url}
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["subject"], r["kind"], r["value"]) for r in rows] == [
        ("tong-cuc", "actual", "100"),
        ("tong-cuc", "target", "100"),
    ]
    assert "extractor_version_key" not in rows[0]
    table = CliRunner().invoke(cli, ["facts", "--year", "2023"], env={"HQ_DATABASE_URL": facts_url})
    assert (
        table.exit_code == 0
        and "cuc:quang-ninh" in table.stdout
        and table.stdout.rstrip().endswith("1 fact(s)")
    )
    none = CliRunner().invoke(cli, ["facts", "--year", "1999"], env={"HQ_DATABASE_URL": facts_url})
    assert none.exit_code == 0 and none.stdout.strip() == "no facts stored for that filter"


def test_dlq_redrive_needs_yes(database_url: str) -> None:
    import asyncio

    from services.common.kafka import dlq_headers
    from services.store.dlq import read_dlq
    from services.store.testing import fact_event, producer_for, sample_fact

    run = uuid.uuid4().hex[:8]
    settings = Settings(database_url=database_url, facts_topic=f"test.{run}.facts")
    dlq = f"{settings.facts_topic}.dlq"
    event = fact_event(sample_fact(value="7"), article_url=f"https://hddtvn.test/{run}/")
    headers = dlq_headers(
        error="store was down", source_topic=settings.facts_topic, partition=0, offset=0, stage="store"
    )

    async def dead_letter() -> None:
        async with producer_for(settings) as producer:
            await producer.send_and_wait(dlq, key=event.key, value=event.encode(), headers=headers)

    asyncio.run(dead_letter())
    env = {"HQ_DATABASE_URL": database_url, "HQ_FACTS_TOPIC": settings.facts_topic}
    refused = _run("dlq", "redrive", "--topic", settings.facts_topic, "--all", **env)
    assert refused.returncode == 1, refused.stderr
    assert f"will produce 1 event(s) of {dlq} again to {settings.facts_topic}" in refused.stdout
    assert "store was down" in refused.stdout and "--yes" in refused.stderr
    assert "re-driven" not in refused.stdout
    done = _run("dlq", "redrive", "--topic", settings.facts_topic, "--all", "--yes", **env)
    assert done.returncode == 0 and f"1 event(s) re-driven from {dlq}" in done.stdout, done.stderr
    source = asyncio.run(read_dlq(settings.kafka_bootstrap, settings.facts_topic))  # any topic reads
    assert [e.value for e in source] == [event.encode()]
