"""/healthz tells the truth: 200 only while the worker does its work, else 503 saying what it waits for."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.common.observability import HealthCheck, HealthServer
from services.extractor.app import consumer_health


def answer(check: HealthCheck) -> tuple[int, dict[str, Any]]:
    server = HealthServer("127.0.0.1", 0, check).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    finally:
        server.stop()


def test_health_server_answers_with_what_the_service_waits_for() -> None:
    assert answer(lambda: True) == (200, {"status": "ok"})
    assert answer(lambda: (True, "3 partition(s) assigned")) == (
        200,
        {"status": "ok", "detail": "3 partition(s) assigned"},
    )
    assert answer(lambda: (False, "the database")) == (
        503,
        {"status": "unhealthy", "waiting_for": "the database"},
    )

    def broken() -> bool:
        raise RuntimeError("boom")

    status, body = answer(broken)
    assert status == 503 and "RuntimeError: boom" in body["waiting_for"]


@dataclass
class FakeConsumer:
    partitions: set[int] = field(default_factory=set)

    def assignment(self) -> set[int]:
        return self.partitions


@dataclass
class FakeFlow:
    active: bool = True

    def is_active(self) -> bool:
        return self.active


@dataclass
class FakeApp:
    started: bool = True
    rebalancing: bool = False
    consumer: FakeConsumer = field(default_factory=FakeConsumer)
    flow_control: FakeFlow = field(default_factory=FakeFlow)


@pytest.mark.parametrize(
    ("app", "ready", "status"),
    [
        (FakeApp(started=False), False, "starting"),
        (FakeApp(rebalancing=True, consumer=FakeConsumer({1})), False, "rebalancing"),
        (FakeApp(), False, "idle"),  # more workers than partitions: a standby
        (FakeApp(consumer=FakeConsumer({1}), flow_control=FakeFlow(False)), False, "paused"),
        (FakeApp(consumer=FakeConsumer({1, 2})), True, "ok"),
    ],
)
def test_the_extractor_is_healthy_only_while_it_consumes_partitions(
    app: FakeApp, ready: bool, status: str
) -> None:
    ok, body = consumer_health(app)  # type: ignore[arg-type]
    assert (ok, body["status"]) == (ready, status)
    assert ok or body["waiting_for"]
