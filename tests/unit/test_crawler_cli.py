"""`hqfacts crawl`: its exit status and how its flags reach the crawl configuration (no I/O)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from services.crawler import cli
from services.crawler.config import CrawlConfig, CrawlerSettings
from services.crawler.engine import Stats


def _run(monkeypatch: pytest.MonkeyPatch, reason: str, *args: str) -> tuple[int, list[CrawlConfig]]:
    seen: list[CrawlConfig] = []

    async def fake_run(settings: CrawlerSettings, config: CrawlConfig) -> Stats:
        seen.append(config)
        return Stats(stop_reason=reason)

    monkeypatch.setattr(cli, "run_crawl", fake_run)
    result = CliRunner().invoke(
        cli.crawl_command, ["--seed", "http://127.0.0.1:8000/", "--until-idle", *args]
    )
    return result.exit_code, seen


def test_a_crawl_that_stopped_on_an_error_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = _run(monkeypatch, "error")
    assert code != 0


@pytest.mark.parametrize("reason", ["idle", "max-pages", "signal SIGTERM"])
def test_a_finished_crawl_exits_zero(monkeypatch: pytest.MonkeyPatch, reason: str) -> None:
    code, _ = _run(monkeypatch, reason)
    assert code == 0


def test_private_addresses_are_their_own_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    _, (plain,) = _run(monkeypatch, "idle", "--allow-host", "127.0.0.1")
    assert plain.allow_hosts == ["127.0.0.1"] and not plain.allow_private
    _, (private,) = _run(monkeypatch, "idle", "--allow-private")
    assert private.allow_private and private.allow_hosts == []


def test_budgets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HQ_REQUEST_DEADLINE_SECONDS": "7",
        "HQ_MIN_TRANSFER_RATE": "100",
        "HQ_MAX_URL_BYTES": "512",
        "HQ_MAX_URLS_PER_HOST": "9",
        "HQ_MAX_HTML_DEPTH": "50",
    }.items():
        monkeypatch.setenv(name, value)
    cfg = CrawlConfig.from_settings(CrawlerSettings(), ["http://a.example/"])
    assert (cfg.request_deadline, cfg.min_transfer_rate, cfg.max_url_bytes) == (7.0, 100.0, 512)
    assert (cfg.max_urls_per_host, cfg.max_html_depth) == (9, 50)
