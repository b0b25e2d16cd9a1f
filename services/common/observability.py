"""Structured logging and the health/metrics endpoint every long-running service exposes."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line; ``extra={...}`` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
NOISY_LOGGERS = ("aiokafka", "kafka", "httpx", "httpcore", "faust", "mode")


def logging_dict_config(level: str = "INFO", fmt: str = "auto") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping: JSON lines when stdout is not a terminal (or fmt=json)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stdout.isatty())
    formatter: dict[str, Any] = (
        {"()": "services.common.observability.JsonFormatter"} if use_json else {"format": TEXT_FORMAT}
    )
    quiet_level = max(logging.WARNING, logging.getLevelName(level.upper()))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "main"}
        },
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {name: {"level": quiet_level} for name in NOISY_LOGGERS},
    }


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    logging.config.dictConfig(logging_dict_config(level, fmt))


# A health check answers whether the service does its work, and if not what it waits for (the body of a 503
# tells the operator; a bare False says only "unhealthy").
HealthCheck = Callable[[], bool | tuple[bool, str]]


class HealthServer:
    """``/healthz`` (200 when the check passes, else 503) and ``/metrics`` (Prometheus) on its own port."""

    def __init__(self, host: str, port: int, check: HealthCheck = lambda: True) -> None:
        self._check = check
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    body, status, ctype = generate_latest(), 200, CONTENT_TYPE_LATEST
                elif self.path.startswith("/healthz"):
                    ok, detail = server._safe_check()
                    answer = (
                        {"status": "ok", "detail": detail}
                        if ok
                        else {"status": "unhealthy", "waiting_for": detail}
                    )
                    body = json.dumps({k: v for k, v in answer.items() if v}).encode()
                    status, ctype = (200 if ok else 503), "application/json"
                else:
                    body, status, ctype = b"not found\n", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: probes hit it often
                return

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="health", daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def _safe_check(self) -> tuple[bool, str]:
        try:
            result = self._check()
        except Exception as exc:  # a failing check is an answer too: unhealthy, with why
            return False, f"a health check that works ({type(exc).__name__}: {exc})"
        return result if isinstance(result, tuple) else (result, "")

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def start_health_server(
    host: str, port: int | None, check: HealthCheck = lambda: True
) -> HealthServer | None:
    """Start the endpoint unless ``port`` is None (tests and one-shot commands run without one)."""
    if port is None:
        return None
    return HealthServer(host, port, check).start()
