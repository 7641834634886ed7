"""The raw-driver path for the handful of statements every token request runs.

:class:`~hubauth.store.sql.SqlStore` keeps SQLAlchemy Core for everything; for the hottest
statements (token and code lookups by hash, the client lookup, and the grant write
transactions) the same Core statements are compiled once per dialect to SQL text and run on
the driver directly. Profiling under load (docs/performance.md) showed SQLAlchemy's async
layer costing more than the query itself:

* PostgreSQL: every read was ``BEGIN``/``SELECT``/``ROLLBACK`` (three round trips, the pool's
  reset on return) plus greenlet and cache-key work. Here a small pool of the store's own
  (``store/pgpool.py``) runs reads in autocommit (one round trip, a statement prepared once
  per connection) with no session reset on release: these connections never change session
  state.
* SQLite (aiosqlite): every statement, cursor and commit was a hop to a thread per connection.
  Here reads run synchronously in the event loop on a per-process read connection: in WAL
  mode a reader never waits for the writer, and a unique-index lookup costs tens of
  microseconds, less than one thread hop. Write transactions run whole on one writer thread:
  one hop per transaction instead of one per statement.

Atomicity is unchanged: a write transaction starts with its conditional ``UPDATE`` and is
rolled back unless that matched exactly one row (``core/ports.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.pysqlite import dialect as pysqlite_dialect
from sqlalchemy.engine import URL
from sqlalchemy.sql import ClauseElement

from hubauth.store.pgpool import LeanPool

Row = Mapping[str, Any]
T = TypeVar("T")
_log = logging.getLogger("hubauth.store")


class Statement:
    """A Core statement compiled once for one dialect; ``args`` orders its named parameters
    into the driver's positional ones."""

    __slots__ = ("columns", "names", "sql")

    def __init__(self, stmt: ClauseElement, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        # positiontup exists on positional-paramstyle compilations only (asyncpg, sqlite3).
        self.names: tuple[str, ...] = tuple(getattr(compiled, "positiontup", None) or ())
        #: The result's column names, learnt from the first execution (SQLite rows).
        self.columns: tuple[str, ...] | None = None

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(params[name] for name in self.names)


#: (statement, parameters) of one step of a write transaction
Step = tuple[Statement, Mapping[str, Any]]


class HotPath(Protocol):
    def compile(self, stmt: ClauseElement) -> Statement: ...

    async def fetch_one(self, stmt: Statement, params: Mapping[str, Any]) -> Row | None: ...

    async def transaction(self, guards: Sequence[Step], steps: Sequence[Step]) -> bool:
        """Run ``guards`` (conditional UPDATEs or INSERT … SELECTs) then ``steps`` in one
        transaction; if a guard did not affect exactly one row, roll back and return False."""
        ...

    async def close(self) -> None: ...


# --- PostgreSQL ---------------------------------------------------------------------------------


#: As the SQLAlchemy pool's ``pool_timeout``: past it the request gets a 503, not a hang.
ACQUIRE_TIMEOUT_S = 5


def _status_count(status: str) -> int:
    """The row count of an asyncpg command status ("UPDATE 1", "INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresHotPath:
    """Every call is bounded as a whole (acquire, statements, and no rollback round trip):
    on any failure, the timeout included, the connection is terminated rather than rolled
    back, and the server rolls back the transaction when it sees the connection close. A
    rollback sent to a frozen server would wait as long again (issue 21: 15-20 s answers)."""

    def __init__(self, url: URL, pool_size: int, timeout: float = 10) -> None:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._timeout = timeout
        self._pool = LeanPool(
            dsn,
            pool_size,
            acquire_timeout=min(ACQUIRE_TIMEOUT_S, timeout),
            command_timeout=timeout,
        )
        self._dialect = asyncpg_dialect()

    def compile(self, stmt: ClauseElement) -> Statement:
        return Statement(stmt, self._dialect)

    async def fetch_one(self, stmt: Statement, params: Mapping[str, Any]) -> Row | None:
        async with asyncio.timeout(self._timeout), self._pool.connection() as conn:
            row: Row | None = await conn.fetchrow(stmt.sql, *stmt.args(params))
            return row

    async def transaction(self, guards: Sequence[Step], steps: Sequence[Step]) -> bool:
        async with asyncio.timeout(self._timeout), self._pool.connection() as conn:
            if len(guards) + len(steps) == 1:
                # One statement is atomic on its own: autocommit saves BEGIN and COMMIT.
                stmt, params = guards[0] if guards else steps[0]
                status = await conn.execute(stmt.sql, *stmt.args(params))
                return not guards or _status_count(status) == 1
            # No rollback on failure: pool.connection() terminates the connection (above).
            tx = conn.transaction()
            await tx.start()
            for stmt, params in guards:
                status = await conn.execute(stmt.sql, *stmt.args(params))
                if _status_count(status) != 1:
                    await tx.rollback()
                    return False
            for stmt, params in steps:
                await conn.execute(stmt.sql, *stmt.args(params))
            await tx.commit()
            return True

    async def close(self) -> None:
        await self._pool.close()


# --- SQLite ---------------------------------------------------------------------------------


def _first_row(stmt: Statement, cursor: sqlite3.Cursor) -> Row | None:
    """The first row as a dict. Plain tuples zipped with names learnt once per statement:
    ``sqlite3.Row`` finds a column by comparing names case-insensitively one by one, and a
    token record reads twenty of them (measured: about a fifth of a lookup's own time)."""
    values = cursor.fetchone()
    if values is None:
        return None
    columns = stmt.columns
    if columns is None:
        columns = stmt.columns = tuple(d[0] for d in cursor.description)
    return dict(zip(columns, values, strict=True))


class SqliteHotPath:
    #: A reader waits this long for a lock before handing the read to the writer thread
    #: (only WAL recovery or a truncating checkpoint make a WAL reader wait at all).
    READ_BUSY_MS = 50

    def __init__(self, path: str, timeout: float = 10) -> None:
        self._path = path
        self._timeout = timeout
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._turn_fd: int | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._dialect = pysqlite_dialect()

    def compile(self, stmt: ClauseElement) -> Statement:
        return Statement(stmt, self._dialect)

    def _read_connection(self) -> sqlite3.Connection:
        if self._reader is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={self.READ_BUSY_MS}")
            conn.execute("PRAGMA query_only=ON")
            self._reader = conn
        return self._reader

    def _write_connection(self) -> sqlite3.Connection:
        # Only ever called on the writer thread.
        if self._writer is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            busy_ms = int(self._timeout * 1000)
            for pragma in (f"busy_timeout={busy_ms}", "synchronous=NORMAL", "foreign_keys=ON"):
                conn.execute(f"PRAGMA {pragma}")
            self._writer = conn
        return self._writer

    async def _on_writer(self, fn: Callable[[sqlite3.Connection, _Turn], T]) -> T:
        """Run ``fn`` on the writer thread, waiting at most the store's timeout.

        The thread itself cannot be interrupted: behind a frozen writer of another process
        (the flock or SQLite's lock held by a stopped process) it waits until that process
        runs again. The request does not: it gets a 503 at the timeout, and its work, if it
        has not started yet, never starts (``_Turn``); if it has, it rolls back instead of
        committing, unless the COMMIT had already begun.
        """
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="hubauth-sqlite-writer")
        loop = asyncio.get_running_loop()
        turn = _Turn()
        try:
            async with asyncio.timeout(self._timeout):
                return await loop.run_in_executor(
                    self._executor, lambda: fn(self._write_connection(), turn)
                )
        except BaseException:
            turn.abandoned = True
            raise

    async def fetch_one(self, stmt: Statement, params: Mapping[str, Any]) -> Row | None:
        args = stmt.args(params)
        try:
            return _first_row(stmt, self._read_connection().execute(stmt.sql, args))
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        # Rare: wait on the writer thread rather than in the event loop.

        def read(conn: sqlite3.Connection, turn: _Turn) -> Row | None:
            turn.check()
            return _first_row(stmt, conn.execute(stmt.sql, args))

        return await self._on_writer(read)

    @contextlib.contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """Queue for the write lock in the kernel (``flock`` on a file beside the database).

        With several server processes, SQLite's own wait for its write lock is a sleep-and-
        retry loop whose sleeps grow to 100 ms; that loop set the 2-worker grants' p99
        (docs/performance.md). Writer threads that take this lock first wait in the kernel and
        wake as soon as the holder is done, so SQLite's loop is only ever met by writers
        outside hubauth's servers (the CLI). On any trouble with the lock file, SQLite's own
        locking still guarantees correctness: this only orders the queue.
        """
        if self._turn_fd is None and self._path not in ("", ":memory:"):
            try:
                self._turn_fd = os.open(f"{self._path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                _log.warning("no writer lock file beside the database (%s)", exc.strerror)
                self._path = ""  # don't retry on every transaction
        if self._turn_fd is None:
            yield
            return
        fcntl.flock(self._turn_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turn_fd, fcntl.LOCK_UN)

    async def transaction(self, guards: Sequence[Step], steps: Sequence[Step]) -> bool:
        def work(conn: sqlite3.Connection, turn: _Turn) -> bool:
            turn.check()
            with self._writer_turn():
                return in_turn(conn, turn)

        def in_turn(conn: sqlite3.Connection, turn: _Turn) -> bool:
            turn.check()
            # IMMEDIATE takes the write lock up front, so the guard's row count is final.
            conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt, params in guards:
                    # total_changes, not rowcount: Python 3.11's sqlite3 reports -1 for a
                    # statement that starts with WITH (the guarded insert).
                    before = conn.total_changes
                    conn.execute(stmt.sql, stmt.args(params))
                    if conn.total_changes - before != 1:
                        conn.execute("ROLLBACK")
                        return False
                for stmt, params in steps:
                    conn.execute(stmt.sql, stmt.args(params))
                turn.check()  # the request gave up meanwhile: do not commit behind its 503
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return True

        return bool(await self._on_writer(work))

    async def close(self) -> None:
        if self._executor is not None:

            def close_writer(conn: sqlite3.Connection, _turn: _Turn) -> None:
                conn.close()
                self._writer = None
                if self._turn_fd is not None:
                    os.close(self._turn_fd)
                    self._turn_fd = None

            if self._writer is not None:
                await self._on_writer(close_writer)
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class _Abandoned(TimeoutError):
    """The request waiting for this write gave up (a 503 was answered)."""


class _Turn:
    """Shared between a request and its work on the writer thread."""

    __slots__ = ("abandoned",)

    def __init__(self) -> None:
        self.abandoned = False

    def check(self) -> None:
        if self.abandoned:
            raise _Abandoned("the request gave up waiting for the database")


def hot_path_for(url: URL, pool_size: int, timeout: float = 10) -> HotPath:
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        return SqliteHotPath(url.database, timeout)
    return PostgresHotPath(url, pool_size, timeout)
