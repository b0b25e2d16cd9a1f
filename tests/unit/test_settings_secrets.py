"""No credentials in code (issue 9, finding 8): the database URLs come from the environment only."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from services.common.db import make_engine
from services.common.settings import MissingSettingError, Settings, migration_url_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HQ_DATABASE_URL", "HQ_MIGRATION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_database_urls_have_no_default(no_env: None) -> None:
    settings = Settings()
    assert settings.database_url == ""
    assert settings.migration_database_url == ""


def test_a_missing_url_is_a_one_line_error(no_env: None) -> None:
    with pytest.raises(MissingSettingError) as caught:
        make_engine(Settings().database_url)
    message = str(caught.value)
    assert "HQ_DATABASE_URL is not set" in message
    assert "\n" not in message


def test_migrations_take_the_owner_credentials_on_the_same_server() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://app:apppw@db.example:5432/hqfacts",
        migration_database_url="postgresql+psycopg://owner:ownerpw@db.example:5432/hqfacts",
    )
    throwaway = "postgresql+psycopg://app:apppw@db.example:5432/hqfacts_test_1"
    assert (
        migration_url_for(throwaway, settings)
        == "postgresql+psycopg://owner:ownerpw@db.example:5432/hqfacts_test_1"
    )
    other_server = "postgresql+psycopg://app:apppw@elsewhere:5432/hqfacts"
    assert migration_url_for(other_server, settings) == other_server
    single = Settings(database_url=throwaway, migration_database_url="")
    assert migration_url_for(throwaway, single) == throwaway
    owner_only = Settings(database_url="", migration_database_url=settings.migration_database_url)
    assert migration_url_for("", owner_only) == settings.migration_database_url
    with pytest.raises(MissingSettingError):
        migration_url_for("", Settings(database_url="", migration_database_url=""))


def test_no_password_literal_in_the_tree() -> None:
    literal = "hqfacts" + ":" + "hqfacts@"
    tracked = subprocess.run(
        ["git", "grep", "-n", "-I", "-F", literal, "--", ".", ":(exclude).local"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tracked.returncode in (0, 1), tracked.stderr
    assert tracked.stdout == "", f"a default password in the tree:\n{tracked.stdout}"


def test_services_started_by_the_pipeline_never_get_the_owner_url() -> None:
    from services.pipeline.runner import settings_env

    settings = Settings(
        database_url="postgresql+psycopg://app:apppw@db.example:5432/hqfacts",
        migration_database_url="postgresql+psycopg://owner:ownerpw@db.example:5432/hqfacts",
    )
    env = settings_env(settings)
    assert env["HQ_DATABASE_URL"] == settings.database_url
    assert env["HQ_MIGRATION_DATABASE_URL"] == ""
    assert "ownerpw" not in "".join(env.values())


def test_kafka_client_options() -> None:
    from services.common.settings import kafka_client_options

    assert kafka_client_options(Settings(kafka_security_protocol="PLAINTEXT")) == {}
    sasl = Settings(
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="store", kafka_sasl_password="pw"
    )
    assert kafka_client_options(sasl) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "store",
        "sasl_plain_password": "pw",
    }
    with pytest.raises(MissingSettingError) as caught:
        kafka_client_options(Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="store"))
    assert "HQ_KAFKA_SASL_PASSWORD" in str(caught.value)
    tls = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="s", kafka_sasl_password="p")
    assert kafka_client_options(tls)["ssl_context"] is not None
