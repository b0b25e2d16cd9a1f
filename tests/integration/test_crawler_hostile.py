"""Hostile pages, links and servers against the real crawler process, Kafka and PostgreSQL (issue 9).

One local HTTP server serves every probe next to ordinary pages. Each test asserts that the crawl finishes
(bounded), exits 0, parks the bad URL with its reason, and loses nothing else.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.settings import Settings
from services.crawler.adapters.state_tables import crawl_urls
from services.crawler.testing import read_topic, run_crawl

pytestmark = pytest.mark.integration

SETTINGS = Settings()
OK_PAGES = ("/ok-1/", "/ok-2/", "/ok-3/")
LONG_PATH = "/" + "a" * 70_000  # over httpx's 65,536-character URL limit
TRICKLE_FOR = 20.0  # seconds a slow handler keeps trickling at most (the crawler must give up long before)


def _random_path(n: int, seed: int = 9) -> str:
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_~ăâđêôơưáàảãạ"
    return "/" + "".join(rng.choice(alphabet) for _ in range(n))


RANDOM_PATH = _random_path(3_000)


def _article(title: str, links: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="og:type" content="article"></head>'
        f'<body class="single single-post"><h1>{title}</h1><p>Hải quan {title}.</p>{links}</body></html>'
    ).encode()


def _bomb(layers: int) -> bytes:
    data = b"\0" * (64 * 1024 * 1024)
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=9)
    return data


@dataclass
class Hostile:
    """A ThreadingHTTPServer serving the probes; counts requests per path."""

    canary_port: int = 0
    robots_status: int | None = None  # /robots.txt answers this status (default: 404)
    hits: Counter[str] = field(default_factory=Counter)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Hostile:
        owner = self
        routes = self._routes()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                owner.hits[path] += 1
                handler = routes.get(path)
                if handler is None:
                    self.send_error(404)
                    return
                # The crawler hanging up is what it should do with slow servers.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handler(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _routes(self) -> dict[str, Callable[[BaseHTTPRequestHandler], None]]:
        def page(
            body: bytes, ctype: str = "text/html; charset=utf-8", encoding: str | None = None
        ) -> Callable[[BaseHTTPRequestHandler], None]:
            def handle(h: BaseHTTPRequestHandler) -> None:
                h.send_response(200)
                h.send_header("Content-Type", ctype)
                if encoding:
                    h.send_header("Content-Encoding", encoding)
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)

            return handle

        def slow_headers(h: BaseHTTPRequestHandler) -> None:
            deadline = time.monotonic() + TRICKLE_FOR
            for byte in b"HTTP/1.0 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if time.monotonic() > deadline:
                    return
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(0.1)

        def slow_body(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            h.wfile.flush()
            deadline = time.monotonic() + TRICKLE_FOR
            while time.monotonic() < deadline:
                h.wfile.write(b"<")
                h.wfile.flush()
                time.sleep(0.05)

        links = [
            *OK_PAGES,
            "/charset-idna/",
            "/charset-punycode/",
            "/charset-undefined/",
            "/control-bytes/",
            "/deep/",
            "/bomb-stacked/",
            "/bomb/",
            "/slow-headers/",
            "/slow-body/",
            "/trap/x/",
            "/session/;jsessionid=A1",
            "/session/;jsessionid=B2",
            "/session/?PHPSESSID=c3",
            LONG_PATH,
            RANDOM_PATH,
            f"http://127.0.0.1:{self.canary_port}/",  # another local port: never in scope
            "http://127.0.0.1:29092/",  # Kafka's
        ]
        index = "".join(f'<a href="{link}">x</a>' for link in links)

        def charset_page(codec: str) -> bytes:
            # A meta charset naming a codec that is no document charset; the page links on to an OK page.
            return (
                f'<html><head><meta charset="{codec}"></head><body class="single">'
                f'<a href="/after-{codec}/">next</a> Hải quan xuất nhập khẩu.example.com</body></html>'
            ).encode()

        routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
            "/": page(f"<html><body>{index}</body></html>".encode()),
            **{p: page(_article(p)) for p in OK_PAGES},
            **{
                f"/charset-{c}/": page(charset_page(c), "text/html")
                for c in ("idna", "punycode", "undefined")
            },
            **{f"/after-{c}/": page(_article(c)) for c in ("idna", "punycode", "undefined")},
            # 3 MiB of control bytes: ~19 MB once JSON-escaped, over Kafka's 10 MiB.
            "/control-bytes/": page(bytes(range(1, 32)) * (3 * 1024 * 1024 // 31)),
            "/deep/": page(b"<html><body>" + b"<div>" * 100_000 + b'<a href="/ok-1/">x</a>'),
            "/bomb-stacked/": page(_bomb(2), encoding="gzip, gzip"),
            "/bomb/": page(_bomb(1), encoding="gzip"),
            "/slow-headers/": slow_headers,
            "/slow-body/": slow_body,
            "/session/": page(_article("session")),
        }
        if self.robots_status is not None:
            status = self.robots_status
            routes["/robots.txt"] = lambda h: h.send_error(status)
        # /trap/x/ links to x/ relative to itself: /trap/x/x/, /trap/x/x/x/... without end.
        routes.update(
            {
                "/trap/" + "x/" * n: page(b'<html><body><a href="x/">deeper</a></body></html>')
                for n in range(1, 6)
            }
        )
        return routes


@pytest.fixture
def names() -> tuple[str, str]:
    uid = uuid.uuid4().hex[:12]
    return f"test.crawler.hostile.{uid}", f"hostile-{uid}"


@pytest.fixture
def canary() -> Iterator[Hostile]:
    """A second local server: the crawler must never reach it through a link to its port."""
    srv = Hostile().start()
    yield srv
    srv.stop()


@pytest.fixture
def hostile(canary: Hostile) -> Iterator[Hostile]:
    srv = Hostile(canary_port=int(canary.base.rsplit(":", 1)[1])).start()
    yield srv
    srv.stop()


def crawl(srv: Hostile, topic: str, state: str, database_url: str, env: dict[str, str]) -> dict[str, object]:
    args = ["--seed", srv.base + "/", "--allow-private", "--allow-host", "127.0.0.1", "--delay", "0"]
    args += ["--until-idle", "--state-name", state, "--progress", "none"]
    full_env = {
        "HQ_RAW_TOPIC": topic,
        "HQ_DATABASE_URL": database_url,
        "HQ_LOG_FORMAT": "json",
        "HQ_MAX_ATTEMPTS": "1",
        "HQ_REQUEST_DEADLINE_SECONDS": "3",
        "HQ_MIN_RATE_GRACE_SECONDS": "0.5",
        "HQ_MIN_TRANSFER_RATE": "1000",
        **env,
    }
    started = time.monotonic()
    proc = run_crawl(args, full_env, timeout=180)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert "host worker crashed" not in out, out[-5000:]
    assert time.monotonic() - started < 120
    finished = [json.loads(line) for line in proc.stdout.splitlines() if '"crawl finished"' in line]
    assert finished and finished[-1]["reason"] == "idle", out[-3000:]
    result: dict[str, object] = finished[-1]
    return result


def url_rows(engine: Engine, state: str) -> dict[str, sa.Row[tuple[str, str, int | None, str | None]]]:
    c = crawl_urls.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.url, c.state, c.last_status, c.last_error).where(c.crawl == state)
        ).all()
    return {r.url: r for r in rows}


def test_hostile_pages_are_parked_with_their_reason_and_nothing_else_is_lost(
    hostile: Hostile, canary: Hostile, names: tuple[str, str], database_url: str, engine: Engine
) -> None:
    topic, state = names
    # URL budget raised so that the two long links reach the state store and the fetcher.
    finished = crawl(hostile, topic, state, database_url, {"HQ_MAX_URL_BYTES": "200000"})
    base = hostile.base
    rows = url_rows(engine, state)

    def row(path: str) -> sa.Row[tuple[str, str, int | None, str | None]]:
        return rows[base + path]

    # Ordinary pages, and those linked from behind the hostile ones, are published whole.
    events = read_topic(SETTINGS.kafka_bootstrap, topic)
    by_key = {e.key: e.value for e in events}
    assert len(events) == len(by_key), "a page was published twice"
    for path in (*OK_PAGES, "/after-idna/", "/after-punycode/", "/after-undefined/", "/session/"):
        assert by_key[base + path]["body"], path
        assert row(path).state == "done"
    # A charset that cannot decode the page: decoded as UTF-8, published, its links followed.
    for codec in ("idna", "punycode", "undefined"):
        event = by_key[base + f"/charset-{codec}/"]
        assert event["charset"] == "utf-8" and "Hải quan" in event["body"]
    # Control bytes: the event would be ~19 MB; published like a body over the cap.
    control = by_key[base + "/control-bytes/"]
    assert control["truncated"] and control["body"] is None and control["body_bytes"] > 3_000_000
    assert max(len(json.dumps(e.value)) for e in events) < 10 * 1024 * 1024
    # Parked, each with its reason.
    parked = {url: r.last_error or "" for url, r in rows.items() if r.state == "parked"}
    assert "nested deeper" in parked[base + "/deep/"]
    assert "stacked content-encoding" in parked[base + "/bomb-stacked/"]
    assert "deadline" in parked[base + "/slow-headers/"]
    assert "too slow" in parked[base + "/slow-body/"]
    assert "InvalidURL" in parked[base + LONG_PATH]
    # A single gzip layer expanding past the cap: truncated, not held in memory whole.
    bomb = by_key[base + "/bomb/"]
    assert bomb["truncated"] and bomb["body"] is None
    # The 3,000-character random link fits the hashed index: fetched (404) and recorded.
    random_rows = [r for url, r in rows.items() if len(url) > 3_000 and r.url != base + LONG_PATH]
    assert len(random_rows) == 1 and random_rows[0].state == "done" and random_rows[0].last_status == 404
    # Traps: one spelling of the session page; the /x/x/x/ loop stopped at its second repetition.
    assert hostile.hits["/session/"] == 1
    assert hostile.hits["/trap/x/x/"] == 1 and hostile.hits["/trap/x/x/x/"] == 0
    refused = finished["refused"]
    assert isinstance(refused, dict) and refused.get("repeated_path", 0) >= 1
    # Ports are scope: neither the other local server nor Kafka's port was requested.
    assert sum(canary.hits.values()) == 0
    assert not [u for u in rows if ":29092" in u]
    # Nothing was left queued.
    assert not [u for u, r in rows.items() if r.state == "queued"]


def test_url_and_per_host_budgets_are_counted(
    hostile: Hostile, names: tuple[str, str], database_url: str, engine: Engine
) -> None:
    topic, state = names
    finished = crawl(hostile, topic, state, database_url, {"HQ_MAX_URLS_PER_HOST": "8"})
    refused = finished["refused"]
    assert isinstance(refused, dict)
    assert refused.get("url_too_long", 0) >= 2  # the 70,000 and the 3,000 character links
    assert refused.get("host_budget", 0) >= 1
    rows = url_rows(engine, state)
    assert not [u for u in rows if len(u) > 2_048]
    assert len([u for u in rows if u.startswith(hostile.base)]) <= 8
    assert LONG_PATH not in hostile.hits


def test_a_host_whose_robots_txt_keeps_failing_does_not_hang_the_crawl(
    names: tuple[str, str], database_url: str, engine: Engine
) -> None:
    topic, state = names
    srv = Hostile(robots_status=500).start()
    try:
        crawl(srv, topic, state, database_url, {"HQ_RETRY_BASE_SECONDS": "0.01"})
        assert srv.hits["/robots.txt"] >= 1 and srv.hits["/"] == 0  # nothing fetched without robots.txt
    finally:
        srv.stop()
    assert url_rows(engine, state)[srv.base + "/"].state == "queued"  # kept for the next run
