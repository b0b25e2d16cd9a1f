"""The parallel replay's plumbing without a broker: how partitions are shared out, what the summary says,
and that a worker's failure fails the replay with one line."""

from __future__ import annotations

from collections import Counter

import pytest
from click.testing import CliRunner

from services.cli import cli
from services.common.settings import Settings
from services.pipeline import cli as pipeline_cli
from services.pipeline import replay as replay_module
from services.pipeline.replay import ReplayFailed, ReplaySummary, run_workers, share_out
from services.pipeline.replay_worker import PartitionRange, ReplayCounts, WorkerPlan


def test_every_partition_goes_to_exactly_one_worker_and_the_loads_are_even() -> None:
    events = [10, 0, 5, 5, 3, 7]
    ranges = [PartitionRange(p, 100, 100 + n) for p, n in enumerate(events)]
    shares = share_out(ranges, 2)
    assert Counter(r.partition for share in shares for r in share) == Counter(range(6))
    assert [sum(r.events for r in share) for share in shares] == [15, 15]
    assert all(list(share) == sorted(share, key=lambda r: r.partition) for share in shares)


def test_one_worker_gets_everything_and_extra_workers_get_nothing() -> None:
    ranges = [PartitionRange(p, 0, 4) for p in range(3)]
    assert share_out(ranges, 1) == [tuple(ranges)]
    assert [len(share) for share in share_out(ranges[:1], 3)] == [1, 0, 0]


def test_the_summary_says_how_many_workers_and_partitions_and_the_notes() -> None:
    summary = ReplaySummary(
        counts=ReplayCounts(events=7, articles=5, facts=20, dead_letters=1),
        added=20,
        changed=0,
        retired=0,
        store_started_by_replay=True,
        seconds=1.25,
        workers=1,
        partitions=1,
        notes=["note: 2 workers asked for, but the raw topic has 1 partition(s)"],
    )
    lines = summary.render().splitlines()
    assert lines[0] == (
        "replayed 7 raw events in 1.2 s (1 worker over 1 partition): 5 articles, 20 facts produced, "
        "1 dead-lettered"
    )
    assert lines[-1].startswith("note: 2 workers asked for")


def test_counts_add_up_over_workers() -> None:
    total = ReplayCounts(3, 2, 10, 1) + ReplayCounts(4, 1, 5, 0)
    assert total == ReplayCounts(7, 3, 15, 1)


def test_a_failing_worker_fails_the_replay_with_one_line() -> None:
    # Nothing listens on port 9 of loopback: the worker cannot reach its broker.
    settings = Settings(kafka_bootstrap="127.0.0.1:9", raw_topic="nowhere.pages.raw")
    plans = [WorkerPlan(0, settings, "nobody", (PartitionRange(0, 0, 5),))]
    seen: list[int] = []
    with pytest.raises(ReplayFailed) as failed:
        run_workers(plans, lambda counts, remaining: seen.append(remaining), total=5)
    message = str(failed.value)
    assert message.startswith("replay worker 0 (partitions 0) failed: ") and "Kafka" in message, message
    assert "\n" not in message and "Traceback" not in message
    assert seen[0] == 5


def test_the_cli_refuses_zero_workers() -> None:
    result = CliRunner().invoke(cli, ["replay", "--from-beginning", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


def test_the_cli_reports_a_failed_worker_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_replay(*args: object, **kwargs: object) -> ReplaySummary:
        assert kwargs["workers"] == 3
        raise ReplayFailed("replay worker 1 (partitions 1,4) failed: EventError: boom")

    monkeypatch.setattr(replay_module, "run_replay", failing_replay)
    monkeypatch.setattr(pipeline_cli, "require_broker", lambda bootstrap: None)  # no broker in a unit test
    result = CliRunner().invoke(cli, ["replay", "--from-beginning", "--workers", "3"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        "Error: replay worker 1 (partitions 1,4) failed: EventError: boom"
    ]
