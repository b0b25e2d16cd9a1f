"""deploy/kafka/start-sasl.sh (compose's broker) and deploy/kafka/acls.sh on a real SASL/SCRAM broker with
the standard authorizer (issue 9, "Trust boundaries"): only the crawler writes raw pages, only the extractor
writes facts and extractions, only the store writes its DLQs (and tombstones on the facts topic).

A scratch single-node Kafka from the local stack's jars (.local/kafka/lib), on its own ports and data
directory: the running stack is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LIB = Path(os.environ.get("HQ_LOCAL") or ROOT / ".local") / "kafka" / "lib"
ACLS = ROOT / "deploy" / "kafka" / "acls.sh"
START = ROOT / "deploy" / "kafka" / "start-sasl.sh"
MECHANISM = "SCRAM-SHA-512"
USERS = ("admin", "crawler", "extractor", "store")
RAW, FACTS, EXTRACTIONS = "hddtvn.pages.raw", "hddtvn.facts.v1", "hddtvn.extractions.v1"
TOPICS = (RAW, FACTS, EXTRACTIONS, f"{RAW}.dlq", f"{FACTS}.dlq", f"{EXTRACTIONS}.dlq")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    bootstrap: str
    passwords: dict[str, str]
    admin_config: Path

    def client(self, user: str) -> dict[str, str]:
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": user,
            "sasl_plain_password": self.passwords[user],
        }


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    """deploy/kafka/start-sasl.sh (compose's kafka entrypoint) run from the local jars on free ports."""
    if shutil.which("java") is None or not any(LIB.glob("kafka_2.13-*.jar")):
        pytest.skip("Kafka jars or java missing (make up fetches them)")
    home = Path(tempfile.mkdtemp(prefix="hqkafka-"))
    port, host_port, controller = _free_port(), _free_port(), _free_port()
    passwords = {user: uuid.uuid4().hex for user in USERS}
    env = {
        **os.environ,
        **{f"KAFKA_{user.upper()}_PASSWORD": password for user, password in passwords.items()},
        "KAFKA_CONFIG_DIR": str(home / "config"),
        "KAFKA_LOG_DIRS": str(home / "data"),
        "KAFKA_LISTENERS": (
            f"SASL://127.0.0.1:{port},HOST://127.0.0.1:{host_port},CONTROLLER://127.0.0.1:{controller}"
        ),
        "KAFKA_ADVERTISED_LISTENERS": f"SASL://127.0.0.1:{port},HOST://127.0.0.1:{host_port}",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@127.0.0.1:{controller}",
        "KAFKA_STORAGE_CMD": f"java -Xmx128m -cp {LIB}/* kafka.tools.StorageTool",
        "KAFKA_START_CMD": f"java -Xmx256m -Xms256m -Dkafka.logs.dir={home} -cp {LIB}/* kafka.Kafka",
    }
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(START)], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    result = Broker(f"127.0.0.1:{port}", passwords, home / "config" / "admin.properties")
    try:
        asyncio.run(_create_topics(result))
        yield result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


async def _create_topics(broker: Broker, deadline_s: float = 90.0) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        admin = AIOKafkaAdminClient(**broker.client("admin"), request_timeout_ms=5000)  # type: ignore[arg-type]
        try:
            await admin.start()
            await admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in TOPICS])
            return
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)
        finally:
            await admin.close()


async def _write(broker: Broker, user: str, topic: str) -> bool:
    producer = AIOKafkaProducer(**broker.client(user), request_timeout_ms=10_000)  # type: ignore[arg-type]
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=b"k", value=b"v")
        return True
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()


def test_acls_script_dry_run_names_every_principal() -> None:
    out = subprocess.run([str(ACLS), "--dry-run"], capture_output=True, text=True, check=True).stdout
    for principal in ("User:crawler", "User:extractor", "User:store"):
        assert f"--allow-principal {principal}" in out
    # Create only on the extractor's own (Faust internal) prefix; the operator creates the pipeline's topics.
    assert all(
        "Create" not in line for line in out.splitlines() if "prefixed --topic hqfacts-extractor-" not in line
    )


@pytest.fixture(scope="module")
def acls(broker: Broker) -> Broker:
    """deploy/kafka/init-acls.sh (compose's one-shot `kafka-acls`), which runs acls.sh as the admin."""
    applied = subprocess.run(
        [str(ROOT / "deploy" / "kafka" / "init-acls.sh")],
        env={
            **os.environ,
            "KAFKA_ACLS": f"java -Xmx128m -cp {LIB}/* kafka.admin.AclCommand",
            "KAFKA_BOOTSTRAP": broker.bootstrap,
            "KAFKA_ADMIN_PASSWORD": broker.passwords["admin"],
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr
    assert "kafka ACLs applied" in applied.stdout
    return broker


async def test_only_the_right_service_writes_each_topic(acls: Broker) -> None:
    broker = acls
    writers = {
        RAW: {"crawler"},
        FACTS: {"extractor", "store"},  # the store: tombstones of retired facts (its outbox)
        EXTRACTIONS: {"extractor"},
        f"{RAW}.dlq": {"extractor"},
        f"{FACTS}.dlq": {"store"},
        f"{EXTRACTIONS}.dlq": {"store"},
    }
    for topic, allowed in writers.items():
        for user in ("crawler", "extractor", "store"):
            assert await _write(broker, user, topic) == (user in allowed), (user, topic)


async def test_the_services_clients_authenticate_with_their_settings(
    acls: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.common.kafka import make_producer
    from services.common.lag import end_offsets
    from services.extractor.app import broker_credentials

    monkeypatch.setenv("HQ_KAFKA_BOOTSTRAP", acls.bootstrap)
    monkeypatch.setenv("HQ_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("HQ_KAFKA_SASL_MECHANISM", MECHANISM)
    monkeypatch.setenv("HQ_KAFKA_SASL_USERNAME", "crawler")
    monkeypatch.setenv("HQ_KAFKA_SASL_PASSWORD", acls.passwords["crawler"])
    producer = make_producer(acls.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(RAW, key=b"k", value=b"page")
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(FACTS, key=b"k", value=b"forged fact")
    finally:
        await producer.stop()
    ends = await end_offsets(acls.bootstrap, [RAW])
    assert sum(ends.values()) >= 1

    from services.common.settings import Settings

    credentials = broker_credentials(Settings())
    assert credentials is not None and credentials.username == "crawler"

    monkeypatch.setenv("HQ_KAFKA_SASL_PASSWORD", "wrong")
    intruder = make_producer(acls.bootstrap)
    with pytest.raises(KafkaError):
        await intruder.start()
    await intruder.stop()
