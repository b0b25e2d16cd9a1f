"""`hqfacts report` in a real browser: headless Chromium opens the page from disk; the DOM after load holds
the series and the SVG points, no hostile text became markup, and the browser's own net log shows not a
single network request.

Needs a Chromium on PATH, else skipped. On Debian 12 the smallest is
`apt-get install -y --no-install-recommends chromium-headless-shell` (about 100 MB to download, 306 MB
installed); `chromium` (124 MB / 414 MB) works as well.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.store.report_cli import write_report
from tests.unit.test_report import by_class, hostile, ids, observation, parse, points, render, sample

# The smallest first; any of them understands the flags used here.
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
INSTALL = "apt-get install -y --no-install-recommends chromium-headless-shell"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_NETWORK_URL = re.compile(r"\b(?:https?|wss?|ftp)://[^\"\\\s]+")


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"no Chromium on PATH (looked for {', '.join(BROWSERS)}); to run this test: {INSTALL}")


def _open(browser: str, page: Path, work: Path, *args: str) -> tuple[str, set[str]]:
    """Load ``page`` in a fresh profile; its DOM (with --dump-dom) and the URLs in the browser's net log."""
    work.mkdir(parents=True, exist_ok=True)
    net_log = work / "net-log.json"
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # tests may run as root, in a container
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",  # the browser's own calls home would blur the net log
        f"--user-data-dir={work / 'profile'}",
        f"--log-net-log={net_log}",
        *args,
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, set(_NETWORK_URL.findall(net_log.read_text("utf-8", "replace")))


def _hostile_scripts() -> list[dict[str, Any]]:
    tricky = observation(
        "cuc:quang-ninh", "violations", "actual", "2024-01-01", "2024-03-31", "310", "count", slug="vi-pham"
    )
    tricky["evidence"] = (
        "Bắt giữ 310 vụ <script>document.title='pwned'</script>"
        '<img src="http://127.0.0.1:9/leak.png" onerror="document.title=\'pwned\'">'
    )
    tricky["first_article"]["title"] = "<style>@import url(http://127.0.0.1:9/leak.css);</style>"
    return [tricky]


def test_the_net_log_sees_a_page_that_fetches(browser: str, tmp_path: Path) -> None:
    """The control: without it, an empty net log below could mean the log records nothing."""
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><p>x</p><img src="http://127.0.0.1:9/pixel.png">', "utf-8")
    _, urls = _open(browser, page, tmp_path / "run", "--dump-dom")
    assert "http://127.0.0.1:9/pixel.png" in urls


def test_the_report_in_a_browser(browser: str, tmp_path: Path) -> None:
    data = sample() + hostile() + _hostile_scripts()
    html = render(data)
    page = write_report(html, tmp_path / "report")
    dom, urls = _open(browser, page, tmp_path / "run", "--dump-dom")
    assert urls == set(), f"the page made network requests: {sorted(urls)}"

    loaded, static = parse(dom), parse(html)
    assert next(loaded.iter("title")).text() == next(static.iter("title")).text()  # no script ran
    assert not list(loaded.iter("script")) and not list(loaded.iter("img"))
    sections = by_class(loaded, "section", "series")
    assert [s.attrs["id"] for s in sections] == [s.attrs["id"] for s in by_class(static, "section", "series")]
    assert len(sections) == len({(o["subject"], o["metric"]) for o in data})
    found = points(loaded)
    assert [p.attrs["href"] for p in found] == [p.attrs["href"] for p in points(static)]
    assert len(found) == sum(1 for o in data if o["period_end"] or o["period_start"])
    every_id = ids(loaded)
    for point in found:
        assert [a.tag for a in point.ancestors()][:2] == ["g", "svg"]  # still inside the chart
        assert every_id[point.attrs["href"][1:]].tag == "tr"
    assert "Bắt giữ 310 vụ <script>" in loaded.text()  # the hostile sentence is shown as text


def test_the_report_renders_to_pixels(browser: str, tmp_path: Path) -> None:
    page = write_report(render(sample()), tmp_path / "report")
    shot = tmp_path / "report.png"
    _, urls = _open(browser, page, tmp_path / "run", f"--screenshot={shot}", "--window-size=1200,2400")
    assert urls == set()
    png = shot.read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 20_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 2400)
