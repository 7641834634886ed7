"""A token store in a SQLite file, shared by the processes of one machine.

WAL lets readers run beside the writer and the busy timeout makes writers queue; each
statement is atomic on its own, which is all the lease protocol needs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hubauth.client.errors import StoreUnavailable
from hubauth.client.stores.sql import DEFAULT_TABLE, SqlTokenStore


class SqliteTokenStore(SqlTokenStore):
    placeholder = "?"
    # julianday has sub-millisecond resolution; unixepoch('subsec') needs SQLite >= 3.42.
    now_ms_sql = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    greatest = "MAX"

    def __init__(
        self, path: str | Path, *, table: str = DEFAULT_TABLE, busy_timeout_s: float = 10.0
    ) -> None:
        super().__init__(table)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(self._create)
        except sqlite3.Error:
            self._conn.close()
            raise

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        with self._lock:
            try:
                cursor = self._conn.execute(sql, tuple(params))
                rows = cursor.fetchall()
                return cursor.rowcount, rows
            except sqlite3.OperationalError as exc:  # locked past the timeout, disk I/O
                raise StoreUnavailable(f"SQLite token store: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()
