"""How the ``hqfacts`` command reports what goes wrong: one line on stderr and a non-zero exit.

Expected failures (a service unreachable, a bad URL or setting, a schema behind the code, a file that cannot
be read) are recognised by type and turned into a ``click.ClickException`` with a message that says what to
do; ``hqfacts --debug`` re-raises them with their traceback. Anything not recognised is a bug and keeps its
traceback. Also here: the guard of destructive commands (``--yes``) and the option types several commands
share. Nothing heavy is imported at module level: ``hqfacts --help`` must stay fast.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:29092"
_PSYCOPG_SCHEMES = ("postgres://", "postgresql://")
_OUR_SCHEME = "postgresql+psycopg://"
_DATABASE_URL_VARIABLES = ("HQ_DATABASE_URL", "HQ_MIGRATION_DATABASE_URL")
_SCHEMA_BEHIND = "the database schema is behind this version of hqfacts: run `hqfacts migrate`"
# SQLSTATEs of a table or column the code expects and the database lacks: a migration has not run.
_UNDEFINED_TABLE_OR_COLUMN = frozenset({"42P01", "42703"})


class CliError(click.ClickException):
    """An expected failure, already worded for the user."""


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (what most tools print) mean our driver, psycopg 3."""
    for scheme in _PSYCOPG_SCHEMES:
        if url.startswith(scheme):
            return _OUR_SCHEME + url[len(scheme) :]
    return url


def normalise_environment(environ: MutableMapping[str, str] | None = None) -> None:
    """Rewrite the database URLs in place (default: ``os.environ``), so the settings of this process and of
    the services it starts agree."""
    environ = os.environ if environ is None else environ
    for name in _DATABASE_URL_VARIABLES:
        url = environ.get(name)
        if url:
            environ[name] = normalise_database_url(url)


def _redacted(url: str) -> str:
    """The URL without its password, to name it in a message."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, location = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{location}" if user else f"{scheme}://{location}"


def _database_url() -> str:
    return _redacted(os.environ.get("HQ_DATABASE_URL", "")) or "(unset)"


def _bad_url_message(reason: str) -> str:
    return (
        f"HQ_DATABASE_URL {_database_url()!r} is not a usable database URL ({reason}); "
        f"expected {_OUR_SCHEME}USER:PASSWORD@HOST:PORT/DATABASE"
    )


def _kafka_bootstrap() -> str:
    return os.environ.get("HQ_KAFKA_BOOTSTRAP", DEFAULT_KAFKA_BOOTSTRAP)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _loaded(module: str) -> Any:
    """A module only if something already imported it: an exception of its types cannot exist otherwise."""
    return sys.modules.get(module)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None)


def _describe_database(exc: BaseException) -> str | None:
    sa_exc = _loaded("sqlalchemy.exc")
    psycopg = _loaded("psycopg")
    if sa_exc is not None and isinstance(exc, sa_exc.NoSuchModuleError | sa_exc.ArgumentError):
        return _bad_url_message(_first_line(exc))
    if isinstance(exc, ModuleNotFoundError) and not os.environ.get("HQ_DATABASE_URL", _OUR_SCHEME).startswith(
        _OUR_SCHEME
    ):  # another database's driver, e.g. mysql://: we only speak PostgreSQL through psycopg
        return _bad_url_message(_first_line(exc))
    if _sqlstate(exc) in _UNDEFINED_TABLE_OR_COLUMN:
        return _SCHEMA_BEHIND
    operational: tuple[type[BaseException], ...] = ()
    if sa_exc is not None:
        operational += (sa_exc.OperationalError, sa_exc.InterfaceError)
    if psycopg is not None:
        operational += (psycopg.OperationalError, psycopg.InterfaceError)
    if operational and isinstance(exc, operational):
        reason = _first_line(getattr(exc, "orig", None) or exc)
        if reason.startswith("(") and ") " in reason:  # sqlalchemy's "(psycopg.OperationalError) ..."
            reason = reason.split(") ", 1)[1]
        return f"cannot use the database {_database_url()} (HQ_DATABASE_URL): {reason}"
    alembic_util = _loaded("alembic.util.exc")
    if alembic_util is not None and isinstance(exc, alembic_util.CommandError):
        return f"migration: {_first_line(exc)}"
    return None


def _describe_kafka(exc: BaseException) -> str | None:
    errors = _loaded("aiokafka.errors")
    if errors is None:
        return None
    if isinstance(exc, errors.KafkaConnectionError):
        return (
            f"cannot reach Kafka at {_kafka_bootstrap()} (HQ_KAFKA_BOOTSTRAP): is the broker running? "
            "(`make up` starts the local one)"
        )
    if isinstance(exc, errors.KafkaError):
        return f"Kafka at {_kafka_bootstrap()}: {_first_line(exc)}"
    return None


def _describe_other(exc: BaseException) -> str | None:
    settings = _loaded("services.common.settings")
    missing = getattr(settings, "MissingSettingError", None)
    if missing is not None and isinstance(exc, missing):  # already worded for the operator
        return _first_line(exc)
    pydantic = _loaded("pydantic")
    if pydantic is not None and isinstance(exc, pydantic.ValidationError):
        problems = [f"HQ_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()[:3]]
        return "invalid setting: " + "; ".join(problems)
    if isinstance(exc, RuntimeError) and "hqfacts migrate" in str(exc):
        return _first_line(exc)
    if isinstance(exc, UnicodeError):
        return f"cannot decode the input: {_first_line(exc)}"
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or _first_line(exc)}{where}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused: {_first_line(exc)}"
    return None


def describe(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, or None for anything else (a bug)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    # The cause chain too: adapters wrap driver errors (e.g. in a TransientStoreError).
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        for describer in (_describe_database, _describe_kafka, _describe_other):
            message = describer(current)
            if message is not None:
                return message
        current = current.__cause__ or current.__context__
    return None


class _DropUnclosedClientNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unclosed AIOKafka")


@contextmanager
def quiet_unclosed_clients() -> Iterator[None]:
    """After a reported failure, collect the Kafka clients it left behind without their "Unclosed
    AIOKafkaConsumer" log lines: the failure was the news, not the client that could not start."""
    noise = _DropUnclosedClientNoise()
    logger = logging.getLogger("asyncio")
    logger.addFilter(noise)
    try:
        yield
        gc.collect()
    finally:
        logger.removeFilter(noise)


def run_reporting_errors(call: Any, *, debug: bool) -> Any:
    """``call()`` with expected failures turned into a :class:`CliError` (unless ``debug``)."""
    try:
        return call()
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as exc:
        message = describe(exc)
        if message is None or debug:
            raise
        failure = exc
    # Outside the except block, so the failure's frames (and the clients they hold) can be freed.
    with quiet_unclosed_clients():
        del failure
    raise CliError(message)


def debugging() -> bool:
    """Whether ``hqfacts --debug`` (or HQ_DEBUG) is on for the command being run."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def quiet_client_logs() -> None:
    """For a short command that does not configure logging: the Kafka client's connection warnings would
    print before our one-line report of the same failure (``--debug`` keeps them)."""
    if not debugging():
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def require_broker(bootstrap: str) -> None:
    """Fail in one line, before anything starts, when the broker does not answer; a long command then keeps
    the client's own warnings for later trouble (quiet_client_logs would hide them for the whole run)."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    from services.common.settings import kafka_client_options

    async def probe() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
        try:
            await admin.start()
        finally:
            await admin.close()

    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    if not debugging():
        client_log.setLevel(logging.CRITICAL)
    try:
        asyncio.run(probe())
    finally:
        client_log.setLevel(level)


# --- destructive commands -------------------------------------------------------------------------------

YES_OPTION_HELP = "Do it without asking (needed when stdin is not a terminal, e.g. in scripts and CI)."


def yes_option(function: Any) -> Any:
    """``--yes`` for a command that deletes or rewrites something."""
    return click.option("--yes", "-y", "yes", is_flag=True, help=YES_OPTION_HELP)(function)


def confirm_plan(plan: str, *, yes: bool) -> None:
    """Print what a destructive command will do; go on only with ``--yes`` or a "y" typed at a terminal."""
    click.echo(plan)
    if yes:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        click.confirm("Go ahead?", abort=True)
        return
    raise CliError("nothing done: pass --yes to confirm (stdin is not a terminal, so nobody can be asked)")


# --- option types -----------------------------------------------------------------------------------------


class IsoDateTime(click.ParamType):
    """An ISO 8601 date or time, with or without a UTC offset (``2026-11-01``, ``...T00:00:00+07:00``,
    ``...Z``); without an offset it is UTC."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        else:
            text = str(value).strip()
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                self.fail(
                    f"{text!r} is not an ISO 8601 date or time "
                    "(e.g. 2026-11-01, 2026-11-01T08:00:00, 2026-11-01T08:00:00+07:00)",
                    param,
                    ctx,
                )
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
