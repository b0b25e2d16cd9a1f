"""deploy/docker-compose.yml and deploy/Dockerfile, checked offline (no Docker engine needed).

`docker-compose config` (Debian's docker-compose 1.29, installed by `make test` via deploy/local/tools.sh)
validates the file against the Compose schema; PyYAML checks what the operators rely on. The monitoring
profile's Prometheus configuration and alert rules go through `promtool` (same installer).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
INITDB = ROOT / "deploy" / "postgres" / "initdb"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

MONITORING = ROOT / "deploy" / "monitoring"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "prometheus.yml"

APP_SERVICES = {"crawler": 9101, "extractor": 9102, "store": 9103}
SCALED = {"extractor", "store"}  # consumer groups: `up --scale extractor=3 --scale store=2`
ONE_SHOTS = {"migrate", "kafka-topics", "kafka-acls"}
MONITORING_SERVICES = {"prometheus", "grafana"}
SERVICES = {"kafka", "postgres", *ONE_SHOTS, *APP_SERVICES, *MONITORING_SERVICES}
# The services that create topics (kafka-topics first, then the store and the extractor if one is missing).
TOPIC_CREATORS = {"kafka-topics", *APP_SERVICES}
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


def _compose_config(env_file: Path, *options: str) -> subprocess.CompletedProcess[str]:
    cli = _compose_cli()
    if cli is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose missing in CI: `make test` installs it (deploy/local/tools.sh)")
        pytest.skip("docker-compose not installed (run deploy/local/tools.sh)")
    # Neither the caller's DOCKER_* nor a secret of the same name in the environment may leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "HQ_PG_", "HQ_KAFKA_"))}
    return subprocess.run(
        [*cli, "--env-file", str(env_file), "-f", str(COMPOSE), *options, "config"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _secrets_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path]:
    secrets = {key: f"{key.lower()}-{os.urandom(12).hex()}" for key in _example_keys()}
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**secrets, **extra}.items()), encoding="utf-8")
    return secrets, env_file


@pytest.mark.parametrize("options", [(), ("--profile", "monitoring")], ids=["default", "monitoring"])
def test_compose_config_validates_offline(tmp_path: Path, options: tuple[str, ...]) -> None:
    secrets, env_file = _secrets_env(tmp_path)
    result = _compose_config(env_file, *options)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == SERVICES
    assert (
        _env(resolved["services"]["grafana"])["GF_SECURITY_ADMIN_PASSWORD"]
        == (secrets["HQ_GRAFANA_ADMIN_PASSWORD"])
    )
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


# --- scaling --------------------------------------------------------------------------------------------


def test_scaled_services_have_no_host_port_nor_name(services: dict[str, dict[str, Any]]) -> None:
    # A fixed host port or container_name makes the second replica of `--scale` fail to start.
    for name in SCALED:
        assert "ports" not in services[name], name
        assert services[name]["expose"] == [str(APP_SERVICES[name])], name
    for name, service in services.items():
        assert "container_name" not in service, name
    # The crawler stays one instance; it keeps its port, on loopback.
    assert services["crawler"]["ports"] == ["127.0.0.1:9101:9101"]


def test_published_ports_are_loopback_only(tmp_path: Path) -> None:
    _, env_file = _secrets_env(tmp_path)
    result = _compose_config(env_file, "--profile", "monitoring")
    assert result.returncode == 0, result.stderr
    published = {
        name: [str(port) for port in service.get("ports", [])]
        for name, service in yaml.safe_load(result.stdout)["services"].items()
    }
    assert {name for name, ports in published.items() if ports} == {"kafka", "postgres", "crawler", "grafana"}
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_topic_layout_passed_through(tmp_path: Path, services: dict[str, dict[str, Any]]) -> None:
    # The names must be real settings, or the services would silently use the defaults.
    assert {"topic_partitions", "topic_replication_factor"} <= set(Settings.model_fields)
    for name in TOPIC_CREATORS:
        env = _env(services[name])
        assert env["HQ_TOPIC_PARTITIONS"] == "${HQ_TOPIC_PARTITIONS:-6}", name
        assert env["HQ_TOPIC_REPLICATION_FACTOR"] == "${HQ_TOPIC_REPLICATION_FACTOR:-1}", name
    # A 3-broker cluster's values in deploy/.env reach every service that may create a topic.
    _, env_file = _secrets_env(tmp_path, HQ_TOPIC_PARTITIONS="12", HQ_TOPIC_REPLICATION_FACTOR="3")
    result = _compose_config(env_file)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    for name in TOPIC_CREATORS:
        env = _env(resolved[name])
        assert (env["HQ_TOPIC_PARTITIONS"], env["HQ_TOPIC_REPLICATION_FACTOR"]) == ("12", "3"), name


# --- monitoring -----------------------------------------------------------------------------------------


def test_monitoring_services(services: dict[str, dict[str, Any]]) -> None:
    for name in MONITORING_SERVICES:
        service = services[name]
        # Off the default `up`: only with --profile monitoring.
        assert service["profiles"] == ["monitoring"], name
        assert re.fullmatch(r"[a-z/]+:v?\d+\.\d+\.\d+", service["image"]), f"{name}: pin the image version"
        for volume in service["volumes"]:
            source, _, *mode = volume.split(":")
            if source.startswith("./"):  # configuration from the checkout: read-only, and it must exist
                assert mode == ["ro"], volume
                assert (COMPOSE.parent / source).is_dir(), volume
    assert "ports" not in services["prometheus"]
    assert services["grafana"]["ports"] == ["127.0.0.1:3000:3000"]
    grafana = _env(services["grafana"])
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${HQ_GRAFANA_ADMIN_PASSWORD:?")
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    for name in (*APP_SERVICES, "kafka", "postgres", *ONE_SHOTS):
        assert "profiles" not in services[name], f"{name} must start with a plain `up`"


def _mount_target(service: dict[str, Any], source: str) -> str:
    for volume in service["volumes"]:
        host, target, *_ = volume.split(":")
        if host == source:
            return str(target)
    raise AssertionError(f"{source} is not mounted")


def test_prometheus_scrapes_every_replica(services: dict[str, dict[str, Any]]) -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in APP_SERVICES:
        # DNS A records of the compose service name: one target per replica, on its health/metrics port.
        (sd,) = jobs[name]["dns_sd_configs"]
        assert (sd["names"], sd["type"]) == ([name], "A"), name
        assert sd["port"] == int(_env(services[name])["HQ_HEALTH_PORT"]), name
        assert "static_configs" not in jobs[name], name
    assert _mount_target(services["prometheus"], "./monitoring/prometheus") == "/etc/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert config["rule_files"] == ["alerts.yml"]  # relative to the config file: same in git and container


def test_grafana_provisioning(services: dict[str, dict[str, Any]]) -> None:
    grafana = MONITORING / "grafana"
    (datasource,) = yaml.safe_load((grafana / "provisioning/datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert datasource["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load((grafana / "provisioning/dashboards/hqfacts.yml").read_text())["providers"]
    mounts = services["grafana"]
    assert provider["options"]["path"] == _mount_target(mounts, "./monitoring/grafana/dashboards")
    assert _mount_target(mounts, "./monitoring/grafana/provisioning") == "/etc/grafana/provisioning"
    dashboards = sorted((grafana / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        uids = {
            target["datasource"]["uid"]
            for panel in dashboard["panels"]
            for target in panel.get("targets", [])
        }
        assert uids == {datasource["uid"]}, path.name


def _promtool() -> str:
    local = Path(os.environ.get("HQ_LOCAL", ROOT / ".local")) / "tools" / "bin" / "promtool"
    found = shutil.which("promtool") or (str(local) if local.is_file() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool missing in CI: `make test` installs it (deploy/local/tools.sh)")
        pytest.skip("promtool not installed (run deploy/local/tools.sh)")
    return found


@pytest.mark.parametrize(
    "args",
    [
        ("check", "config", "prometheus/prometheus.yml"),  # also checks the rule files it names
        ("check", "rules", "prometheus/alerts.yml"),
        ("test", "rules", "alerts_test.yml"),  # the alerts fire (and stay quiet) when they should
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_promtool(args: tuple[str, ...]) -> None:
    result = subprocess.run(
        [_promtool(), *args],
        cwd=MONITORING,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
