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
import threading
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
    #: Whether a guarded grant is best sent as one statement (a round trip costs more than a
    #: statement: PostgreSQL) or as several inside a transaction (SQLite).
    one_round_trip: bool

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
    one_round_trip = True

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
    one_round_trip = False
    #: A reader waits this long for a lock before handing the read to the writer thread
    #: (only WAL recovery or a truncating checkpoint make a WAL reader wait at all).
    READ_BUSY_MS = 50
    #: At most this many write transactions share one COMMIT.
    MAX_GROUP = 64

    def __init__(self, path: str, timeout: float = 10) -> None:
        self._path = path
        self._timeout = timeout
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._turn_fd: int | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._dialect = pysqlite_dialect()
        # Write transactions waiting for the writer thread, and whether it is draining them.
        self._queue: list[_Queued] = []
        self._queue_lock = threading.Lock()
        self._draining = False

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
        loop = asyncio.get_running_loop()
        turn = _Turn()
        try:
            async with asyncio.timeout(self._timeout):
                return await loop.run_in_executor(
                    self._writer_executor(), lambda: fn(self._write_connection(), turn)
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
        """Queue the transaction for the writer thread and wait for its commit (group commit).

        The writer takes every transaction queued by the time it is free and runs them in one
        SQLite transaction, each inside a savepoint of its own: a guard that matches nothing
        rolls back that transaction's savepoint only, exactly as it would roll back a
        transaction of its own. Each caller learns its outcome only after the COMMIT that
        holds its work (or the failure of that COMMIT, which then fails every caller in the
        group). What this saves is the hand-off: one wake of the writer thread, one turn of the
        writer lock and one COMMIT per group instead of per grant, which is where a grant's
        time went under load (docs/performance.md).
        """
        loop = asyncio.get_running_loop()
        queued = _Queued(guards, steps, loop)
        with self._queue_lock:
            self._queue.append(queued)
            start = not self._draining
            self._draining = True
        if start:
            self._writer_executor().submit(self._drain)
        try:
            async with asyncio.timeout(self._timeout):
                return await queued.future
        except BaseException:
            queued.turn.abandoned = True
            raise

    def _drain(self) -> None:
        """On the writer thread: run queued groups until the queue is empty."""
        try:
            while True:
                with self._queue_lock:
                    group = self._queue[: self.MAX_GROUP]
                    del self._queue[: self.MAX_GROUP]
                    if not group:
                        self._draining = False
                        return
                try:
                    outcomes = self._run_group(group)
                except BaseException as exc:  # the group could not even start: all fail alike
                    outcomes = [(queued, exc) for queued in group]
                _deliver(outcomes)
        except BaseException:
            with self._queue_lock:  # the next transaction() starts a new drain
                self._draining = False
            raise

    def _run_group(self, group: list[_Queued]) -> list[tuple[_Queued, bool | BaseException]]:
        outcomes: list[tuple[_Queued, bool | BaseException]] = []
        live = []
        for queued in group:
            if queued.turn.abandoned:  # its request already answered 503: never start it
                outcomes.append((queued, _Abandoned("the request gave up waiting")))
            else:
                live.append(queued)
        if not live:
            return outcomes
        conn = self._write_connection()
        committed: list[_Queued] = []
        with self._writer_turn():
            # IMMEDIATE takes the write lock up front, so the guards' row counts are final.
            conn.execute("BEGIN IMMEDIATE")
            try:
                for queued in live:
                    outcome = _in_savepoint(conn, queued)
                    if outcome is True:
                        committed.append(queued)
                    else:
                        outcomes.append((queued, outcome))
                conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                # Nothing of the group was kept: every caller not yet refused fails with it.
                decided = {id(queued) for queued, _ in outcomes}
                outcomes.extend((q, exc) for q in live if id(q) not in decided)
                return outcomes
        outcomes.extend((queued, True) for queued in committed)
        return outcomes

    def _writer_executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="hubauth-sqlite-writer")
        return self._executor

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


class _Queued:
    """One write transaction waiting for the writer thread, and its caller's future."""

    __slots__ = ("future", "guards", "loop", "steps", "turn")

    def __init__(
        self, guards: Sequence[Step], steps: Sequence[Step], loop: asyncio.AbstractEventLoop
    ) -> None:
        self.guards = guards
        self.steps = steps
        self.loop = loop
        self.future: asyncio.Future[bool] = loop.create_future()
        self.turn = _Turn()


def _in_savepoint(conn: sqlite3.Connection, queued: _Queued) -> bool | BaseException:
    """Run one queued transaction inside a savepoint: True if kept (until the group's COMMIT),
    False if a guard matched nothing, or the error that rolled it back. A database-wide
    failure (the savepoint itself cannot be rolled back) propagates and fails the group."""
    conn.execute("SAVEPOINT grant_step")
    try:
        for stmt, params in queued.guards:
            # total_changes, not rowcount: Python 3.11's sqlite3 reports -1 for a
            # statement that starts with WITH (the guarded insert).
            before = conn.total_changes
            conn.execute(stmt.sql, stmt.args(params))
            if conn.total_changes - before != 1:
                _undo(conn)
                return False
        for stmt, params in queued.steps:
            conn.execute(stmt.sql, stmt.args(params))
        queued.turn.check()  # the request gave up meanwhile: do not commit behind its 503
    except Exception as exc:
        _undo(conn)
        return exc
    conn.execute("RELEASE grant_step")
    return True


def _undo(conn: sqlite3.Connection) -> None:
    conn.execute("ROLLBACK TO grant_step")
    conn.execute("RELEASE grant_step")


def _deliver(outcomes: list[tuple[_Queued, bool | BaseException]]) -> None:
    """Hand each outcome to its caller's event loop (from the writer thread)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Queued, bool | BaseException]]] = {}
    for queued, outcome in outcomes:
        by_loop.setdefault(queued.loop, []).append((queued, outcome))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(_settle, items)


def _settle(items: list[tuple[_Queued, bool | BaseException]]) -> None:
    for queued, outcome in items:
        if queued.future.done():  # timed out or cancelled: the caller has gone
            continue
        if isinstance(outcome, BaseException):
            queued.future.set_exception(outcome)
        else:
            queued.future.set_result(outcome)


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
