"""Creating the SQLAlchemy engine for SQLite (WAL, busy timeout, files created 0600) or
PostgreSQL."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Any

from sqlalchemy import (
    event,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hubauth.store.urls import to_async_url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int = 10_000) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes writers queue instead
    # of failing when several worker processes share the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: The default of the ``db_timeout`` setting (seconds).
DB_TIMEOUT_S = 10.0


def _create_private(path: str | None) -> None:
    """Create a new SQLite database file readable by its owner only (0600): it holds argon2
    hashes and e-mail addresses. SQLite gives the -wal and -shm files the database file's
    permissions, so they follow. An existing file keeps the permissions it has."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # Exists already, or cannot be created: SQLite opens it (or reports why not) as before.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def create_engine(
    database_url: str, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_S
) -> AsyncEngine:
    url = to_async_url(database_url)
    if url.get_backend_name() == "sqlite":
        _create_private(url.database)
        engine = create_async_engine(url)
        pragmas = functools.partial(_sqlite_pragmas, busy_ms=int(timeout * 1000))
        event.listen(engine.sync_engine, "connect", pragmas)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=5,
        pool_recycle=1800,
        connect_args={"timeout": min(5, timeout), "command_timeout": timeout},
    )
