"""Shared CLI plumbing: settings from flags, an open core context, output in text or JSON."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import wraps
from typing import Any, TypeVar

import click
import orjson

from hubauth.cli.errors import RuntimeFailure, UsageFailure, explain_database_error
from hubauth.config import ConfigError, Settings, load_settings
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.ports import StoreUnavailable
from hubauth.core.tokens import TokenHasher
from hubauth.store.errors import Conflict
from hubauth.store.sql import SqlStore

F = TypeVar("F", bound=Callable[..., Any])

#: The database the command's settings named, for explaining a failure to reach it.
_database_url: list[str] = []

database_option = click.option(
    "--database",
    "database_url",
    envvar="HUBAUTH_DATABASE_URL",
    default=None,
    help="Database URL (default: sqlite:///hubauth.db, or HUBAUTH_DATABASE_URL).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML configuration file (or HUBAUTH_CONFIG).",
)


def settings_from(
    database_url: str | None, config_file: str | None = None, **extra: Any
) -> Settings:
    try:
        settings = load_settings(config_file, database_url=database_url, **extra)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    _database_url[:] = [settings.database_url]
    return settings


@contextlib.asynccontextmanager
async def open_context(settings: Settings) -> AsyncIterator[Context]:
    store = SqlStore.from_url(settings.database_url, pool_size=2)
    try:
        yield Context(
            store=store,
            clock=SystemClock(),
            hasher=TokenHasher(settings.keyring()),
            policy=settings.policy(),
        )
    finally:
        await store.close()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        return asyncio.run(coro)
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    except click.ClickException:
        raise
    except Exception as exc:
        if debugging():
            raise
        explained = explain_database_error(_database_url[0], exc) if _database_url else None
        if explained is not None:
            raise RuntimeFailure(explained) from None
        if isinstance(exc, StoreUnavailable):
            raise RuntimeFailure(f"database unavailable ({exc})") from None
        raise


def debugging() -> bool:
    """``hubauth --debug``: tracebacks instead of one-line explanations."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def emit(data: dict[str, Any], as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(orjson.dumps(data).decode())
    elif text is not None:
        click.echo(text)
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


def async_command(fn: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(fn(*args, **kwargs))

    return wrapper
