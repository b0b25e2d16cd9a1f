"""Hostile pages against the extractor (issue 9): each is that page's failure or is cut to its budget, and
the next page is extracted as usual."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from services.common import limits
from services.common.events import EventError, ExtractionEvent, FactEvent, RawPage
from services.common.facts import Fact
from services.common.kafka import header_map
from services.common.settings import Settings
from services.extractor import app as extractor_app
from services.extractor import pool as pool_module
from services.extractor.domain import facts as facts_module
from services.extractor.domain.facts import EXTRACTOR_VERSION
from services.extractor.domain.html_article import parse_article
from services.extractor.pool import BUDGET_REASON, ExtractionPool
from services.extractor.service import (
    EncodedOutcome,
    PageOutcome,
    encode_outcome,
    extract_record,
    process_page,
)
from services.store.domain import SourceRecord, StorePolicy, decode_extraction, decode_fact

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
URL = "https://hddtvn.com/bai-doc/"


def raw_page(body: str, url: str = URL) -> RawPage:
    return RawPage(
        url=url,
        final_url=url,
        status=200,
        role="article",
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        content_sha256="b" * 64,
        body_bytes=len(body.encode()),
        body=body,
    )


def article_html(paragraph: str, title: str = "Thu ngân sách năm 2020") -> str:
    return (
        '<html><head><meta property="og:type" content="article"><title>'
        + title
        + "</title></head><body><article><h1>"
        + title
        + "</h1><p>"
        + paragraph
        + "</p></article></body></html>"
    )


def number_paragraph(size_bytes: int) -> str:
    """ "1 tỷ đồng, 2 tỷ đồng, ..." with no full stop: the extractor's quadratic worst case (finding 3)."""
    parts: list[str] = ["Cục Hải quan Hà Nội thu "]
    size, i = 0, 1
    while size < size_bytes:
        part = f"{i} tỷ đồng, "
        parts.append(part)
        size += len(part.encode())
        i += 1
    return "".join(parts)


def dense_revenue_paragraph(size_bytes: int) -> str:
    """A unit, a revenue cue and an amount, again and again: every clause is a fact to read. Extraction is
    linear in the page's size (the number paragraph above is no longer slow), ~10 s per MB here: a page over
    any budget of a few seconds."""
    parts: list[str] = []
    size, i = 0, 1
    while size < size_bytes:
        part = f"Cục Hải quan Hà Nội thu ngân sách năm 2020 đạt {i} tỷ đồng, "
        parts.append(part)
        size += len(part.encode())
        i += 1
    return "".join(parts)


def good_page() -> RawPage:
    return raw_page((FIXTURES / "flatsome_post.html").read_text("utf-8"), "https://hddtvn.com/bai-tot/")


# --- A: the wall-clock budget, through the Faust agent ------------------------------------------


async def test_a_page_over_its_budget_is_dead_lettered_and_the_next_page_is_extracted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(extract_budget_seconds=1.0, extract_workers=1)
    pool = ExtractionPool.from_settings(settings)
    app, topics = extractor_app.create_app(settings, web_port=None, group_id="unit-hostile", pool=pool)
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    sent: dict[str, list[dict[str, Any]]] = {"facts": [], "extractions": [], "dlq": []}

    def capture(name: str) -> Any:
        async def send(**kwargs: Any) -> asyncio.Future[None]:
            sent[name].append(kwargs)
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done

        return send

    for name in sent:
        monkeypatch.setattr(getattr(topics, name), "send", capture(name))
    hostile = raw_page(article_html(dense_revenue_paragraph(1_000_000))).encode()
    good = good_page()
    over_budget = REGISTRY.get_sample_value("hqfacts_extractor_pages_over_budget_total") or 0.0
    try:
        await pool.start()  # worker start-up is not part of any page's budget
        started = time.monotonic()
        async with app.agents["extract-pages"].test_context() as agent:
            await agent.put(hostile, key=URL.encode())
            await agent.put(good.encode(), key=good.url.encode())
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    (dead,) = sent["dlq"]
    assert dead["value"] == hostile
    assert BUDGET_REASON in header_map(dead["headers"])["hq.error"]
    assert pool.replaced == 0  # the worker's own timer stopped the page: the worker goes on
    assert REGISTRY.get_sample_value("hqfacts_extractor_pages_over_budget_total") == over_budget + 1
    # The next page went through the same worker, with all its events.
    expected = process_page(good)
    assert len(sent["facts"]) == len(expected.facts) > 0
    assert [ExtractionEvent.decode(e["value"]).article_url for e in sent["extractions"]] == [good.url]
    assert elapsed < 30  # the hostile page alone runs for ~10 s without the budget


def ignores_its_budget(value: bytes | None, version: str, max_facts: int, budget_seconds: float) -> None:
    """A worker's unit of work stuck where no timer reaches it (a C call that never returns, say)."""
    time.sleep(60)


async def test_a_page_the_budget_timer_cannot_stop_is_stopped_by_the_backstop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool_module, "extract_within_budget", ignores_its_budget)
    monkeypatch.setattr(pool_module, "BACKSTOP_GRACE_SECONDS", 0.5)
    pool = ExtractionPool(1, 0.5)
    try:
        await pool.start()
        started = time.monotonic()
        with pytest.raises(EventError, match=BUDGET_REASON):
            await pool.extract(good_page().encode())
        assert time.monotonic() - started < 10  # backstop: 2 budgets + grace = 1.5 s
        assert pool.replaced == 1  # the stuck worker is killed, a fresh pool takes the next page
    finally:
        pool.close()


def takes_most_of_its_budget(
    value: bytes | None, version: str, max_facts: int, budget_seconds: float
) -> EncodedOutcome:
    """The worker's real budget timer around a page that takes 60 % of the budget (runs in the worker)."""

    def slow_page(*args: object) -> EncodedOutcome:
        time.sleep(0.6 * budget_seconds)
        return EncodedOutcome()

    with mock.patch.object(pool_module, "extract_record", slow_page):
        return pool_module.extract_within_budget(value, version, max_facts, budget_seconds)


async def test_the_next_page_waits_in_the_workers_queue_without_spending_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two pages in one worker, each taking 60 % of the budget: the second waits for the first, and its
    budget starts only when the worker starts it (timed from the submission, it would expire)."""
    monkeypatch.setattr(pool_module, "extract_within_budget", takes_most_of_its_budget)
    pool = ExtractionPool(1, 2.0)  # each page 1.2 s: 0.8 s to spare on a loaded machine
    try:
        await pool.start()
        outcomes = await asyncio.gather(pool.extract(b"first"), pool.extract(b"second"))
        assert outcomes == [EncodedOutcome(), EncodedOutcome()]
        assert pool.replaced == 0
    finally:
        pool.close()


async def test_a_worker_that_dies_is_that_pages_failure() -> None:
    pool = ExtractionPool(1, 30.0)
    try:
        await pool.start()
        executor = pool._executor
        assert executor is not None
        for process in list(executor._processes.values()):  # a segfault or the OOM killer, say
            process.kill()
        with pytest.raises(EventError, match="worker died"):
            await pool.extract(raw_page(article_html("Thu 5 tỷ đồng.")).encode())
        outcome = await pool.extract(good_page().encode())
        assert outcome.is_article and outcome.facts
    finally:
        pool.close()


async def test_a_cancelled_extraction_does_not_leave_its_page_running() -> None:
    pool = ExtractionPool(1, 60.0)
    try:
        await pool.start()
        executor = pool._executor
        assert executor is not None
        page = raw_page(article_html(dense_revenue_paragraph(1_000_000))).encode()
        task = asyncio.create_task(pool.extract(page))
        deadline = time.monotonic() + 10
        while not executor._pending_work_items and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.replaced == 1  # else the next page would queue behind it and spend its budget waiting
        started = time.monotonic()
        assert (await pool.extract(good_page().encode())).facts
        assert time.monotonic() - started < 10
    finally:
        pool.close()


async def test_a_page_killed_with_the_pool_because_of_another_page_runs_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = ExtractionPool(2, 1.0)
    calls: list[bytes | None] = []

    async def first_killed(value: bytes | None, version: str) -> EncodedOutcome:
        calls.append(value)
        if len(calls) == 1:
            pool._kill()  # what another page's overrun does while this one runs
            raise BrokenProcessPool("killed with its pool")
        return EncodedOutcome()

    monkeypatch.setattr(pool, "_extract", first_killed)
    assert await pool.extract(b"page") == EncodedOutcome()
    assert calls == [b"page", b"page"] and pool.replaced == 0


async def test_a_page_whose_worker_dies_alone_is_that_pages_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = ExtractionPool(2, 1.0)

    async def dies(value: bytes | None, version: str) -> EncodedOutcome:
        raise BrokenProcessPool("segfault")

    monkeypatch.setattr(pool, "_extract", dies)
    with pytest.raises(EventError, match="worker died on this page"):
        await pool.extract(b"page")
    assert pool.replaced == 1


# --- C: deep nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["b", "span", "font"])
def test_deeply_nested_inline_elements_do_not_overflow_the_stack(tag: str) -> None:
    depth = 100_000
    html = article_html(f"<{tag}>" * depth + "Hải quan thu 5 tỷ đồng." + f"</{tag}>" * depth)
    article = parse_article(html, URL)
    assert article is not None
    assert "Hải quan thu 5 tỷ đồng." in article.blocks


def test_a_failing_page_becomes_an_event_error_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def overflow(*args: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("services.extractor.service.parse_article", overflow)
    with pytest.raises(EventError, match="RecursionError: maximum recursion depth"):
        extract_record(raw_page(article_html("x")).encode())


# --- E: budgets on what the extractor produces ----------------------------------------------------


def test_the_100_kb_number_paragraph_is_read_in_bounded_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    # Finding 3: reading a sentence costs its length squared, so no sentence the rules read may be long.
    read_lengths: list[int] = []
    read_sentence = facts_module._read_sentence

    def counting(sentence: str, *args: Any) -> Any:
        read_lengths.append(len(sentence))
        return read_sentence(sentence, *args)

    monkeypatch.setattr(facts_module, "_read_sentence", counting)
    paragraph = number_paragraph(100_000)
    outcome = process_page(raw_page(article_html(paragraph)))
    assert outcome.facts  # still read, not refused
    assert sum(read_lengths) >= 0.95 * len(paragraph)  # the whole paragraph was read...
    assert max(read_lengths) <= facts_module.MAX_SENTENCE_CHARS  # ...in pieces of bounded length


def test_a_page_with_too_many_facts_is_refused_whole() -> None:
    page = raw_page(article_html(number_paragraph(2_000)))
    assert len(process_page(page).facts) > 5
    with pytest.raises(EventError, match=r"page yields \d+ facts \(limit 5 per page\)"):
        extract_record(page.encode(), max_facts=5)


def test_evidence_is_stripped_of_controls_and_cut_to_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the rules may hand over from a hostile page: ESC sequences and a 900k-character "sentence".
    evidence = "Cục Hải quan thu \x1b[31m5 tỷ đồng\x1b[0m " + "và nhiều nữa " * 70_000
    fact = Fact("tong-cuc", "budget_revenue", "actual", Decimal("5000000000"), "VND", evidence=evidence)
    monkeypatch.setattr("services.extractor.service.extract_facts", lambda article: [fact])
    outcome = process_page(raw_page(article_html("Hải quan thu 5 tỷ đồng.")))
    (event,) = outcome.facts
    assert "\x1b" not in event.fact.evidence
    assert event.fact.evidence.startswith("Cục Hải quan thu  [31m5 tỷ đồng")
    assert limits.MAX_EVIDENCE_CHARS - 2 <= len(event.fact.evidence) <= limits.MAX_EVIDENCE_CHARS
    assert event.fact.evidence.endswith(limits.ELLIPSIS)
    assert FactEvent.decode(event.encode()) == event  # within the contract
    assert (
        event.fact_id
        == FactEvent.of(
            fact, article_url=URL, article_title="T", article_published=None, extractor_version="0"
        ).fact_id
    )  # evidence is not part of the identity


def test_titles_lose_control_characters() -> None:
    outcome = process_page(raw_page(article_html("Hải quan thu 5 tỷ đồng.", title="Thu\x07 ngân\x1b sách")))
    assert outcome.extraction is not None
    assert outcome.extraction.article_title == "Thu  ngân  sách"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1" * 410, "410 integer digits"),
        ("1" * 35, "35 integer digits"),
        ("12345678901234567890.1234567", "7 decimals"),
    ],
)
def test_values_over_the_digit_budget_are_refused_never_rounded(value: str, reason: str) -> None:
    fact = Fact("tong-cuc", "budget_revenue", "actual", Decimal(value), "VND", evidence="Câu.")
    event = FactEvent.of(
        fact, article_url=URL, article_title="T", article_published=None, extractor_version="0"
    )
    with pytest.raises(EventError, match=reason):
        event.encode()
    with pytest.raises(EventError, match=reason):
        limits.check_value(Decimal(value))
    outcome = PageOutcome(facts=[event])
    with pytest.raises(EventError, match=reason):
        encode_outcome(outcome)


def test_values_within_budget_pass() -> None:
    limits.check_value(Decimal("99999999999999999999.999999"))
    limits.check_value(Decimal("-0.5"))
    limits.check_value(Decimal("4.2903E+12"))


def test_a_page_url_over_the_byte_budget_is_refused() -> None:
    url = "https://hddtvn.com/" + "ệ" * 2048
    with pytest.raises(EventError, match="bytes long"):
        process_page(raw_page(article_html("Hải quan thu 5 tỷ đồng."), url))


def test_clip_evidence() -> None:
    assert limits.clip_evidence("a\x00b\tc") == "a b c"
    clipped = limits.clip_evidence("x" * 900_000)
    assert len(clipped) == limits.MAX_EVIDENCE_CHARS and clipped.endswith(limits.ELLIPSIS)


# --- F: Faust's debug endpoints -------------------------------------------------------------------


def test_faust_debug_endpoints_are_off_and_web_binds_loopback() -> None:
    settings = Settings()
    assert settings.health_host == "127.0.0.1"
    app, _ = extractor_app.create_app(
        settings, web_port=None, group_id="unit-hostile-web", pool=ExtractionPool()
    )
    conf = app.conf
    assert conf.web_bind == "127.0.0.1"
    assert not (conf.web_router_enabled or conf.web_tables_enabled)
    assert not (conf.web_stats_enabled or conf.web_graph_enabled or conf.web_metrics_enabled)


_OWNER = """
import asyncio, sys
from services.extractor.pool import ExtractionPool

async def main():
    pool = ExtractionPool(2, 10.0)
    await pool.start()
    print(" ".join(str(pid) for pid in pool._executor._processes), flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def test_workers_do_not_outlive_an_extractor_killed_with_sigkill() -> None:
    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers
    finally:
        owner.kill()
        owner.wait(timeout=30)
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.05)
    assert not alive, f"orphaned extraction workers {alive}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead; it only waits for its (forkserver) parent to reap it.
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
    return True


# --- fuzz: whatever the page, its events pass the store's checks, or the page is refused with a reason ----

_NOISE = st.sampled_from(
    ["", " ", ",", ";", "<b>", "</b>", "<br>", "</p><p>", "<div>", "</div>", "\x1b", "\x00", "&#0;", "&amp;",
     "<script>x</script>", "\u200b", "\ud7ff", "\n"]
)  # fmt: skip
_SUBJECTS = st.sampled_from(
    ["Cục Hải quan Hà Nội", "Tổng cục Hải quan", "Chi cục Hải quan Cái Lân", "Ngành Hải quan"]
)
_PHRASES = st.sampled_from(
    [
        "thu ngân sách",
        "kim ngạch xuất nhập khẩu",
        "thu nộp ngân sách nhà nước",
        "phát hiện",
        "xử lý",
        "tờ khai",
    ]
)
_UNITS = st.sampled_from(
    ["tỷ đồng", "triệu USD", "tỷ USD", "%", "vụ", "tờ khai", "doanh nghiệp", "nghìn tỷ đồng"]
)
_PERIODS = st.sampled_from(["năm 2020", "9 tháng đầu năm 2021", "quý 3/2022", "tháng 6", ""])


@st.composite
def _numbers(draw: st.DrawFn) -> str:
    integer = draw(st.integers(min_value=0, max_value=10**6) | st.integers(min_value=0, max_value=10**40))
    text = f"{integer:,}".replace(",", ".")  # Vietnamese thousands separators
    if draw(st.booleans()):
        text += "," + draw(st.text(alphabet="0123456789", min_size=1, max_size=30))
    return text


@st.composite
def _sentences(draw: st.DrawFn) -> str:
    parts = [draw(_SUBJECTS), draw(_PHRASES), draw(_PERIODS), "đạt", draw(_numbers()), draw(_UNITS)]
    noisy = [part + draw(_NOISE) for part in parts]
    return " ".join(noisy) + draw(st.sampled_from([".", ",", ";", ""]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=st.lists(_sentences(), min_size=1, max_size=12), title=st.text(max_size=50))
def test_fuzzed_pages_yield_storable_events_or_a_reason(sentences: list[str], title: str) -> None:
    page = raw_page(article_html(" ".join(sentences), title=title.replace("<", " ") or "T"))
    try:
        outcome = extract_record(page.encode(), EXTRACTOR_VERSION)
    except EventError as exc:
        assert str(exc)
        return
    policy = StorePolicy()
    for offset, (key, value) in enumerate(outcome.facts):
        decode_fact(SourceRecord("f", 0, offset, key, value), policy)
    if outcome.extraction is not None:
        key, value = outcome.extraction
        decode_extraction(SourceRecord("e", 0, 0, key, value), policy)


def test_a_branch_named_without_latin_letters_is_no_subject_rather_than_an_empty_slug() -> None:
    # "chi-cuc:" would fail the facts schema and dead-letter the whole page.
    from services.extractor.domain.subjects import find_subjects

    mentions = find_subjects("Chi cục Hải quan Жук thu 5 tỷ đồng, Cục Hải quan Hà Nội thu 10 tỷ đồng.")
    assert [m.subject for m in mentions] == ["cuc:ha-noi"]
