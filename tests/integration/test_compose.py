"""deploy/docker-compose.yml and deploy/Dockerfile, checked offline (no Docker engine needed).

`docker-compose config` (Debian's docker-compose 1.29, installed by `make test` via deploy/local/tools.sh)
validates the file against the Compose schema; PyYAML checks what the operators rely on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
INITDB = ROOT / "deploy" / "postgres" / "initdb"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

APP_SERVICES = {"crawler": 9101, "extractor": 9102, "store": 9103}
ONE_SHOTS = {"migrate", "kafka-topics", "kafka-acls"}
SERVICES = {"kafka", "postgres", *ONE_SHOTS, *APP_SERVICES}
START_SASL = ROOT / "deploy" / "kafka" / "start-sasl.sh"
ENV_VARS = {"HQ_KAFKA_BOOTSTRAP", "HQ_DATABASE_URL"}


def _compose_cli() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _conditions(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    assert isinstance(deps, dict), "depends_on must use the long form with conditions"
    return {name: spec["condition"] for name, spec in deps.items()}


def _example_keys() -> list[str]:
    keys = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            assert value == "", f"deploy/.env.example must not ship a value for {key}"
            keys.append(key)
    return keys


def _compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    cli = _compose_cli()
    if cli is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose missing in CI: `make test` installs it (deploy/local/tools.sh)")
        pytest.skip("docker-compose not installed (run deploy/local/tools.sh)")
    # Neither the caller's DOCKER_* nor a secret of the same name in the environment may leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "HQ_PG_", "HQ_KAFKA_"))}
    return subprocess.run(
        [*cli, "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_compose_config_validates_offline(tmp_path: Path) -> None:
    secrets = {key: f"{key.lower()}-{os.urandom(12).hex()}" for key in _example_keys()}
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()), encoding="utf-8")
    result = _compose_config(env_file)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == SERVICES
    for name in APP_SERVICES:
        assert _conditions(resolved["services"][name])["migrate"] == "service_completed_successfully"
    owner, app = secrets["HQ_PG_OWNER_PASSWORD"], secrets["HQ_PG_APP_PASSWORD"]
    for name in APP_SERVICES:
        env = _env(resolved["services"][name])
        assert env["HQ_DATABASE_URL"] == f"postgresql+psycopg://hqfacts_app:{app}@postgres:5432/hqfacts", name
        assert owner not in str(resolved["services"][name]), f"{name} must not see the owner's password"
    migrate = _env(resolved["services"]["migrate"])
    assert (
        migrate["HQ_MIGRATION_DATABASE_URL"] == f"postgresql+psycopg://hqfacts:{owner}@postgres:5432/hqfacts"
    )
    postgres = _env(resolved["services"]["postgres"])
    assert postgres["POSTGRES_PASSWORD"] == secrets["HQ_PG_SUPERUSER_PASSWORD"]
    assert (postgres["HQ_PG_OWNER_PASSWORD"], postgres["HQ_PG_APP_PASSWORD"]) == (owner, app)
    # Kafka: each service authenticates as itself; only the broker and the one-shots get the admin password.
    admin = secrets["HQ_KAFKA_ADMIN_PASSWORD"]
    for name in APP_SERVICES:
        env = _env(resolved["services"][name])
        assert env["HQ_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        assert env["HQ_KAFKA_SASL_USERNAME"] == name
        assert env["HQ_KAFKA_SASL_PASSWORD"] == secrets[f"HQ_KAFKA_{name.upper()}_PASSWORD"]
        assert admin not in str(resolved["services"][name]), name
    kafka = _env(resolved["services"]["kafka"])
    for user in ("admin", "crawler", "extractor", "store"):
        assert kafka[f"KAFKA_{user.upper()}_PASSWORD"] == secrets[f"HQ_KAFKA_{user.upper()}_PASSWORD"]
    topics = _env(resolved["services"]["kafka-topics"])
    assert (topics["HQ_KAFKA_SASL_USERNAME"], topics["HQ_KAFKA_SASL_PASSWORD"]) == ("admin", admin)
    assert _env(resolved["services"]["kafka-acls"])["KAFKA_ADMIN_PASSWORD"] == admin


def test_compose_refuses_to_start_without_secrets() -> None:
    result = _compose_config(ENV_EXAMPLE)  # every value empty
    assert result.returncode != 0
    assert "PASSWORD in deploy/.env" in result.stderr, result.stderr


def test_no_secret_in_the_compose_file(services: dict[str, dict[str, Any]]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert not re.search(r"://[^:@/\s]+:[^$@\s]+@", text), "a password written into a URL"
    assert set(_example_keys()) == set(re.findall(r"\$\{(HQ_[A-Z_]+):\?", text))
    postgres = _env(services["postgres"])
    assert postgres["POSTGRES_USER"] == "postgres"  # the app role is never the superuser
    assert postgres["POSTGRES_PASSWORD"].startswith("${HQ_PG_SUPERUSER_PASSWORD:?")
    assert "./postgres/initdb:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    script = (INITDB / "10-hqfacts-roles.sh").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    assert (
        "\\getenv owner_pw HQ_PG_OWNER_PASSWORD" in script and "\\getenv app_pw HQ_PG_APP_PASSWORD" in script
    )
    assert "ALTER DATABASE" in script and "OWNER TO hqfacts" in script
    ignored = (ROOT / "deploy" / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored


def test_all_services_present(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES


def test_images(services: dict[str, dict[str, Any]]) -> None:
    assert services["kafka"]["image"] == "apache/kafka:3.9.1"
    assert services["postgres"]["image"] == "postgres:16"
    assert services["kafka-acls"]["image"] == "apache/kafka:3.9.1"
    for name in ("migrate", "kafka-topics", *APP_SERVICES):
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_kafka_sasl_kraft(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert kafka["entrypoint"] == ["/bin/bash", "/hqfacts/kafka/start-sasl.sh"]
    assert "./kafka:/hqfacts/kafka:ro" in kafka["volumes"]
    env = _env(kafka)
    # Every client listener is SASL; the controller stays on the container's loopback.
    assert env["KAFKA_LISTENERS"] == "SASL://:9092,HOST://:29092,CONTROLLER://127.0.0.1:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "SASL://kafka:9092,HOST://localhost:29092"
    script = START_SASL.read_text(encoding="utf-8")
    for line in (
        "process.roles=broker,controller",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT",
        "inter.broker.listener.name=SASL",
        "sasl.enabled.mechanisms=$MECHANISM",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "message.max.bytes=10485760",
    ):
        assert f"\n{line}\n" in script, line
    assert "set -euo pipefail" in script
    acls = services["kafka-acls"]
    assert acls["entrypoint"] == ["/bin/bash", "/hqfacts/kafka/init-acls.sh"]
    assert _env(acls)["KAFKA_BOOTSTRAP"] == "kafka:9092"


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    kafka_test = " ".join(services["kafka"]["healthcheck"]["test"])
    assert "kafka-broker-api-versions.sh" in kafka_test or "kafka-topics.sh" in kafka_test
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for name, port in APP_SERVICES.items():
        test = " ".join(services[name]["healthcheck"]["test"])
        assert "urllib" in test
        assert f"127.0.0.1:{port}/healthz" in test, name
        assert _env(services[name])["HQ_HEALTH_PORT"] == str(port)


def test_depends_on_conditions(services: dict[str, dict[str, Any]]) -> None:
    assert _conditions(services["migrate"]) == {"kafka": "service_healthy", "postgres": "service_healthy"}
    assert _conditions(services["kafka-topics"]) == {"kafka": "service_healthy"}
    assert _conditions(services["kafka-acls"]) == {"kafka": "service_healthy"}
    for name in APP_SERVICES:
        assert _conditions(services[name]) == {
            "kafka": "service_healthy",
            "postgres": "service_healthy",
            "migrate": "service_completed_successfully",
            "kafka-topics": "service_completed_successfully",
            "kafka-acls": "service_completed_successfully",
        }, name


def test_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    for name in ("kafka", "postgres", *APP_SERVICES):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no", name


def test_app_environment(services: dict[str, dict[str, Any]]) -> None:
    for name in ("migrate", *APP_SERVICES):
        env = _env(services[name])
        assert set(env) >= ENV_VARS, name
        assert env["HQ_KAFKA_BOOTSTRAP"] == "kafka:9092"
        # The runtime role, its password from deploy/.env.
        assert env["HQ_DATABASE_URL"].startswith("postgresql+psycopg://hqfacts_app:${HQ_PG_APP_PASSWORD:?"), (
            name
        )
        assert env["HQ_DATABASE_URL"].endswith("@postgres:5432/hqfacts"), name
        # Only the one-shot migration gets the owner's URL.
        assert ("HQ_MIGRATION_DATABASE_URL" in env) == (name == "migrate"), name


def test_commands_are_real_cli_subcommands(services: dict[str, dict[str, Any]]) -> None:
    from services.cli import cli

    expected = {"migrate": "migrate", "crawler": "crawl", "extractor": "extractor", "store": "store"}
    for name, subcommand in expected.items():
        command = services[name]["command"]
        words = command.split() if isinstance(command, str) else list(command)
        if words and words[0] == "hqfacts":
            words = words[1:]
        assert words[0] == subcommand, name
        assert words[0] in cli.commands, f"{name}: `hqfacts {words[0]}` is not a CLI subcommand"
    assert services["crawler"]["command"][1:] == ["--seed", "https://hddtvn.com/"]


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\s*$", text, re.M)
    assert re.search(r"pip install .*\.\s*\\?$", text, re.M)
    assert re.search(r'^ENTRYPOINT \["hqfacts"\]\s*$', text, re.M)
