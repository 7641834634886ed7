"""A token store in PostgreSQL (psycopg 3), shared by processes on any number of machines.

One autocommit connection per store object: each statement is its own transaction, and the
lease statements are single conditional UPDATEs, so no explicit locking is needed. Lease times
come from the server's ``clock_timestamp()``, so machines' clocks need not agree.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from hubauth.client.errors import StoreUnavailable
from hubauth.client.stores.sql import DEFAULT_TABLE, SqlTokenStore

try:
    import psycopg
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "PostgresTokenStore needs psycopg: pip install 'hubauth[client-postgres]'"
    ) from exc


class PostgresTokenStore(SqlTokenStore):
    placeholder = "%s"
    now_ms_sql = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    greatest = "GREATEST"

    def __init__(self, url: str, *, table: str = DEFAULT_TABLE, connect_timeout_s: int = 5) -> None:
        super().__init__(table)
        self._url = url
        self._connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        try:
            self._execute(self._create)
        except StoreUnavailable as exc:
            # Two processes creating the table at once: the loser's error is harmless.
            if not isinstance(
                exc.__cause__, psycopg.errors.UniqueViolation | psycopg.errors.DuplicateTable
            ):
                raise

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self._url, autocommit=True, connect_timeout=self._connect_timeout_s
            )
        return self._conn

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        with self._lock:
            try:
                with self._connection().cursor() as cursor:
                    cursor.execute(sql, tuple(params))
                    rows = cursor.fetchall() if cursor.description is not None else []
                    return cursor.rowcount, rows
            except psycopg.Error as exc:
                if self._conn is not None and self._conn.broken:
                    self._conn.close()
                    self._conn = None
                raise StoreUnavailable(f"PostgreSQL token store: {type(exc).__name__}") from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
