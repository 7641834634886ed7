"""Which ``hubauth serve`` processes run on a database, known through a lock they hold.

Every server holds a *shared* lock for its lifetime; ``serve --demo`` needs the *exclusive*
lock to re-seed the demo, so it cannot reset the secret and password of a demo another server
is showing in its terminal (issue 17: a second ``make serve`` used to do exactly that). Two
servers without ``--demo`` on one database are a normal deployment and both get a shared lock.

* SQLite: ``flock`` on the database file itself. SQLite locks with ``fcntl`` byte ranges, which
  are independent of ``flock`` on Linux, so this neither blocks SQLite nor leaves a file behind.
* PostgreSQL: a session-level advisory lock (per database), held by one connection on a small
  thread of its own for as long as the process lives; the kernel drops it with the connection
  if the process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
from collections.abc import Coroutine
from typing import Any, Protocol

from sqlalchemy.engine import URL

from hubauth.store.urls import to_async_url

#: ``pg_advisory_lock`` key: "hubserve" in ASCII, a value no other hubauth lock uses.
PG_LOCK_KEY = 0x6875627365727665


class Presence(Protocol):
    def try_exclusive(self) -> bool: ...
    def try_shared(self) -> bool: ...
    def release(self) -> None: ...


class FilePresence:
    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def _try(self, mode: int) -> bool:
        try:
            fcntl.flock(self._open(), mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def try_exclusive(self) -> bool:
        return self._try(fcntl.LOCK_EX)

    def try_shared(self) -> bool:
        return self._try(fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class PostgresPresence:
    def __init__(self, url: URL) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="hubauth-presence", daemon=True
        )
        self._thread.start()
        self._conn: Any = None
        self._exclusive = False

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=15)

    async def _connect(self) -> Any:
        import asyncpg

        if self._conn is None:
            self._conn = await asyncpg.connect(self._dsn, timeout=5)
        return self._conn

    async def _try(self, function: str) -> bool:
        conn = await self._connect()
        return bool(await conn.fetchval(f"SELECT {function}($1)", PG_LOCK_KEY))

    def try_exclusive(self) -> bool:
        self._exclusive = bool(self._call(self._try("pg_try_advisory_lock")))
        return self._exclusive

    def try_shared(self) -> bool:
        got = bool(self._call(self._try("pg_try_advisory_lock_shared")))
        if got and self._exclusive:  # downgrade: hold the shared one, then drop the other
            self._call(self._try("pg_advisory_unlock"))
            self._exclusive = False
        return got

    def release(self) -> None:
        async def close() -> None:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close(timeout=2)
                self._conn = None

        with contextlib.suppress(Exception):
            self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)


def presence_for(database_url: str) -> Presence:
    url = to_async_url(database_url)
    if url.get_backend_name() == "sqlite":
        return FilePresence(str(url.database))
    return PostgresPresence(url)
