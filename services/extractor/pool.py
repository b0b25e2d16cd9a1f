"""Parsing and extraction off the event loop: a small process pool with a wall-clock budget per page.

Each worker holds a page in hand and the next one queued, so it never idles while the event loop answers
(the round trip is a good part of a page's time). A page's budget therefore runs inside the worker, from
the moment the worker starts the page: an interval timer interrupts a page over its budget (a hostile or
pathological page), which becomes an EventError ("extraction budget exceeded") that the caller
dead-letters; the worker goes on with the next page.

Code that the timer cannot interrupt (a C call that never returns to Python) is caught by a backstop in
the parent: a page still unanswered after its own and a predecessor's budget kills the pool, which is
recreated (the other pages killed with it run again). A worker that dies (segfault, out of memory) is the
same: that page's failure, and a fresh pool for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection

from prometheus_client import Counter

from services.common import limits
from services.common.events import EventError
from services.common.settings import Settings
from services.extractor.domain.facts import EXTRACTOR_VERSION
from services.extractor.service import EncodedOutcome, extract_record

log = logging.getLogger(__name__)

BUDGET_REASON = "extraction budget exceeded"

# Pages in a worker's hands at once: the one it runs and the next one, waiting in its queue.
PAGES_PER_WORKER = 2
# How late the backstop may be on top of the budgets (a worker's signal handling, the reply's way back).
BACKSTOP_GRACE_SECONDS = 2.0

WORKERS_REPLACED = Counter(
    "hqfacts_extractor_workers_replaced_total", "Extraction worker pools killed and recreated", ["why"]
)
PAGES_OVER_BUDGET = Counter(
    "hqfacts_extractor_pages_over_budget_total", "Pages stopped at the extraction time budget (dead-lettered)"
)

# forkserver: workers are forked from a small clean process that has the extractor imported, not from the
# multi-threaded Faust worker (fork there is unsafe), and replacing a killed worker costs milliseconds.
_PRELOAD = ["services.extractor.service"]


def _ready() -> bool:
    return True


class PageOverBudget(EventError):
    """A page stopped at its time budget (by the worker's timer or the parent's backstop)."""

    @classmethod
    def after(cls, elapsed: float, budget_seconds: float) -> PageOverBudget:
        budget = f"budget {budget_seconds:g} s, HQ_EXTRACT_BUDGET_SECONDS"
        return cls(f"{BUDGET_REASON} ({elapsed:.1f} s; {budget})")


class _OverBudget(BaseException):
    """Raised in a worker by the budget timer. Not an Exception, so no rule's ``except Exception`` eats it."""


def _over_budget(signum: int, frame: object) -> None:
    raise _OverBudget


def extract_within_budget(
    value: bytes | None, extractor_version: str, max_facts: int, budget_seconds: float
) -> EncodedOutcome:
    """A worker's unit of work: ``extract_record`` interrupted by SIGALRM after ``budget_seconds``.

    The worker's state stays sound: the timer fires between bytecodes, and what the extraction caches
    (functools.cache) is stored only when a call returns."""
    signal.signal(signal.SIGALRM, _over_budget)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, budget_seconds)
        try:
            return extract_record(value, extractor_version, max_facts)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OverBudget:
        raise PageOverBudget.after(time.monotonic() - started, budget_seconds) from None


def _exit_with_parent(parent_alive: Connection) -> None:
    """Worker initializer: exit when the process that owns the pool dies (even by kill -9).

    Forkserver workers are not children of that process and hold their queues' pipes open themselves, so
    nothing else would end them: they would outlive every killed extractor.
    """

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            parent_alive.recv()  # nothing is ever sent: returns (EOFError) when the parent's end closes
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class ExtractionPool:
    """``await pool.extract(value)``: the raw page record's encoded events, within the budget."""

    def __init__(
        self,
        workers: int = 1,
        budget_seconds: float = 10.0,
        *,
        max_facts: int = limits.MAX_FACTS_PER_PAGE,
        extractor_version: str = EXTRACTOR_VERSION,
        start_timeout_seconds: float = 120.0,
    ) -> None:
        self.workers = workers
        self.budget_seconds = budget_seconds
        self.max_facts = max_facts
        self.extractor_version = extractor_version
        self.start_timeout_seconds = start_timeout_seconds
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0  # bumped whenever the pool is killed
        self._in_flight = 0
        self._slots = asyncio.Semaphore(workers * PAGES_PER_WORKER)
        # The parent-watch pipe: workers get the read end (also kept here for workers started later).
        self._alive: tuple[Connection, Connection] | None = None
        self.replaced = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, extractor_version: str = EXTRACTOR_VERSION, *, workers: int | None = None
    ) -> ExtractionPool:
        return cls(
            workers or settings.extract_workers,
            settings.extract_budget_seconds,
            max_facts=settings.max_facts_per_page,
            extractor_version=extractor_version,
        )

    async def start(self) -> None:
        """Start the workers and wait until they answer, so the first page's budget is not spent on that."""
        await self._started()

    async def extract(self, value: bytes | None, extractor_version: str | None = None) -> EncodedOutcome:
        """Extract one raw page record in a worker. Raises EventError with the reason on any failure.

        Concurrent calls are admitted ``PAGES_PER_WORKER`` per worker: a page waits behind one page at most.
        """
        async with self._slots:
            for attempt in (1, 2):
                generation = self._generation
                self._in_flight += 1
                try:
                    return await self._extract(value, extractor_version or self.extractor_version)
                except BrokenProcessPool as exc:
                    if self._generation == generation:  # first to see it: replace the pool
                        alone = self._in_flight == 1  # the others (if any) have not seen it yet
                        self._replace("died")
                        if alone:  # nothing else was running: it died on this page
                            raise EventError(f"extraction worker died on this page: {exc}") from None
                    if attempt == 2:
                        raise EventError(f"extraction workers died twice during this page: {exc}") from None
                    # Killed with its pool, maybe because of another page (its budget, its crash): once more.
                finally:
                    self._in_flight -= 1
        raise AssertionError("unreachable")

    @property
    def backstop_seconds(self) -> float:
        """How long the parent waits for a page: its budget, a predecessor's budget, and some grace."""
        return PAGES_PER_WORKER * self.budget_seconds + BACKSTOP_GRACE_SECONDS

    async def _extract(self, value: bytes | None, version: str) -> EncodedOutcome:
        executor = await self._started()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            executor, extract_within_budget, value, version, self.max_facts, self.budget_seconds
        )
        started = time.monotonic()
        try:
            return await asyncio.wait_for(future, timeout=self.backstop_seconds)
        except PageOverBudget:
            PAGES_OVER_BUDGET.inc()
            raise
        except TimeoutError:
            # The budget timer did not get through (a C call that never returns to Python).
            PAGES_OVER_BUDGET.inc()
            self._replace("budget")
            raise PageOverBudget.after(time.monotonic() - started, self.budget_seconds) from None
        except asyncio.CancelledError:
            # The worker would go on with the page and eat into the next page's budget.
            self._replace("cancelled")
            raise

    def close(self) -> None:
        """Stop the workers now (a page in flight is abandoned: its event was not acked)."""
        self._kill()

    async def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            watched, alive = context.Pipe(duplex=False)
            self._alive = (watched, alive)
            executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_exit_with_parent,
                initargs=(watched,),
            )
            self._executor = executor
            loop = asyncio.get_running_loop()
            probes = [loop.run_in_executor(executor, _ready) for _ in range(self.workers)]
            try:
                await asyncio.wait_for(asyncio.gather(*probes), timeout=self.start_timeout_seconds)
            except BaseException:
                self._kill()
                raise
        return self._executor

    def _replace(self, why: str) -> None:
        # A worker stuck in C or pure-Python code cannot be interrupted: kill the pool, start afresh lazily.
        self._kill()
        self.replaced += 1
        WORKERS_REPLACED.labels(why).inc()
        log.warning("extraction workers replaced", extra={"why": why, "replaced": self.replaced})

    def _kill(self) -> None:
        self._generation += 1
        executor, self._executor = self._executor, None
        pipe, self._alive = self._alive, None
        for end in pipe or ():
            end.close()  # idle workers of this pool exit on their own too
        if executor is None:
            return
        # The executor has no public way to kill a busy worker; its processes are in _processes.
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)
