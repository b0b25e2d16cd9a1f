"""The `hqfacts` command itself: lazy commands, --version, one-line errors, --yes, option parsing (no I/O
except the subprocesses that check what `import services.cli` loads)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from services.cli import COMMANDS, HqfactsGroup, cli
from services.common.cli_errors import IsoDateTime, confirm_plan, describe, normalise_database_url, yes_option

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("faust", "aiokafka", "sqlalchemy", "selectolax", "pydantic_settings", "psycopg", "alembic")


def _modules_loaded_by(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    return set(out.stdout.split())


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _modules_loaded_by("import services.cli").isdisjoint(HEAVY)


def test_help_loads_no_heavy_module() -> None:
    code = "from services.cli import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass"
    assert _modules_loaded_by(code).isdisjoint(HEAVY)


def test_the_registry_lists_every_command_of_every_module() -> None:
    modules = {target.partition(":")[0] for target, _ in COMMANDS.values()}
    for module_name in modules:
        for command in importlib.import_module(module_name).COMMANDS:
            assert command.name in COMMANDS, (
                f"{module_name}: `{command.name}` is not in services.cli.COMMANDS"
            )
            assert COMMANDS[command.name].target.startswith(module_name + ":")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_registry_resolves_each_command_with_its_own_help(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command) and command.name == name
    assert COMMANDS[name].short_help == command.get_short_help_str(limit=1000)


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output


def test_version() -> None:
    from importlib.metadata import version

    from services.extractor.domain.facts import EXTRACTOR_VERSION

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"hqfacts {version('hqfacts')} (extractor {EXTRACTOR_VERSION})"


# --- errors -------------------------------------------------------------------------------------------------


def _group_with(command: click.Command) -> HqfactsGroup:
    """A root group like `hqfacts` (same options, same error handling) plus one test command."""
    group = HqfactsGroup(name="hqfacts", params=list(cli.params), callback=cli.callback)
    group.add_command(command)
    return group


def _failing(exc: BaseException) -> click.Command:
    def fail() -> None:
        raise exc

    return click.Command("boom", callback=fail)


def _kafka_down() -> BaseException:
    from aiokafka.errors import KafkaConnectionError

    error: BaseException = KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 1)]")
    return error


def _database_down() -> BaseException:
    import psycopg
    from sqlalchemy.exc import OperationalError

    reason = (
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused\nIs...'
    )
    return OperationalError("SELECT 1", {}, psycopg.OperationalError(reason))


def _schema_behind() -> BaseException:
    from psycopg.errors import UndefinedColumn
    from sqlalchemy.exc import ProgrammingError

    return ProgrammingError("SELECT facts.rule", {}, UndefinedColumn("column facts.rule does not exist"))


def _bad_scheme() -> BaseException:
    from sqlalchemy.exc import NoSuchModuleError

    return NoSuchModuleError("Can't load plugin: sqlalchemy.dialects:postgres")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_kafka_down, "cannot reach Kafka at 127.0.0.1:1 (HQ_KAFKA_BOOTSTRAP)"),
        (_database_down, "cannot use the database postgresql+psycopg://u@127.0.0.1:1/db (HQ_DATABASE_URL): "),
        (_schema_behind, "run `hqfacts migrate`"),
        (_bad_scheme, "is not a usable database URL"),
        (
            lambda: FileNotFoundError(2, "No such file or directory", "x.html"),
            "No such file or directory: x.html",
        ),
    ],
)
def test_an_expected_failure_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, make: object, expected: str
) -> None:
    monkeypatch.setenv("HQ_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("HQ_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/db")
    assert callable(make)
    result = CliRunner().invoke(_group_with(_failing(make())), ["boom"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.output


def test_debug_shows_the_original_exception() -> None:
    result = CliRunner().invoke(_group_with(_failing(_kafka_down())), ["--debug", "boom"])
    assert type(result.exception).__name__ == "KafkaConnectionError"


def test_a_bug_keeps_its_exception() -> None:
    result = CliRunner().invoke(_group_with(_failing(ZeroDivisionError("oops"))), ["boom"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_a_wrapped_driver_error_is_recognised_through_its_cause() -> None:
    try:
        try:
            raise _database_down()
        except Exception as inner:
            raise RuntimeError("store gave up") from inner
    except RuntimeError as outer:
        message = describe(outer)
    assert message is not None and message.startswith("cannot use the database")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("mysql://u@h/d", "mysql://u@h/d"),
    ],
)
def test_postgres_urls_mean_psycopg(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


def test_the_root_group_normalises_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    seen: list[str] = []
    monkeypatch.setenv("HQ_DATABASE_URL", "postgres://u:p@h/d")
    command = click.Command("show", callback=lambda: seen.append(os.environ["HQ_DATABASE_URL"]))
    assert CliRunner().invoke(_group_with(command), ["show"]).exit_code == 0
    assert seen == ["postgresql+psycopg://u:p@h/d"]


# --- destructive commands -----------------------------------------------------------------------------------


def _destructive(done: list[bool]) -> click.Command:
    @click.command("wipe")
    @yes_option
    def wipe(yes: bool) -> None:
        confirm_plan("will wipe everything", yes=yes)
        done.append(True)

    return wipe


def test_a_destructive_command_without_yes_shows_its_plan_and_does_nothing() -> None:
    done: list[bool] = []
    result = CliRunner().invoke(_destructive(done), [])
    assert result.exit_code == 1 and not done
    assert "will wipe everything" in result.stdout and "--yes" in result.stderr


def test_a_destructive_command_with_yes_does_it() -> None:
    done: list[bool] = []
    result = CliRunner().invoke(_destructive(done), ["--yes"])
    assert result.exit_code == 0 and done == [True]


@pytest.mark.parametrize(
    "args", [["migrate", "--help"], ["crawl-reset", "--help"], ["dlq", "redrive", "--help"]]
)
def test_destructive_commands_have_yes(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and "--yes" in result.output


# --- options ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T08:30:00", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
        ("2026-11-01 08:30:00", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
        ("2026-11-01T00:00:00+07:00", datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=7)))),
        ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_iso_times(text: str, expected: datetime) -> None:
    parsed = IsoDateTime().convert(text, None, None)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


def test_replay_accepts_a_time_with_an_offset() -> None:
    # Both flags: the usage error comes after --since was parsed, so nothing runs.
    args = ["replay", "--from-beginning", "--since", "2026-11-01T00:00:00+07:00"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_replay_refuses_a_non_time_in_one_line() -> None:
    result = CliRunner().invoke(cli, ["replay", "--since", "last tuesday"])
    assert result.exit_code == 2 and "is not an ISO 8601 date or time" in result.output


def test_facts_refuses_a_negative_limit() -> None:
    result = CliRunner().invoke(cli, ["facts", "--limit", "-1"])
    assert result.exit_code == 2 and "--limit" in result.output


def test_facts_refuses_an_unknown_metric_and_lists_the_known_ones() -> None:
    result = CliRunner().invoke(cli, ["facts", "--metric", "vehicles"])
    assert result.exit_code == 2
    assert "unknown metric id 'vehicles'" in result.output and "budget_revenue," in result.output
