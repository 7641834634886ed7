"""A small connection pool for the PostgreSQL hot path (``store/hot.py``).

asyncpg's own pool does more than the hot path needs (a reset query, connection proxies,
inactivity timers, a timeout context and a shielded task on every acquire and release) and
profiling showed it costing as much client CPU as the query it wrapped (docs/performance.md).
This one keeps only what the hot path relies on:

* at most ``size`` connections, opened lazily with a connect timeout, each with asyncpg's
  per-statement ``command_timeout``;
* a free connection is taken without any await; when none is free and none may be opened,
  the caller queues and the next released connection is handed straight to the first caller
  in the queue (FIFO, so a burst cannot starve anyone), with ``acquire_timeout`` as the limit;
* a connection that saw any exception, is closed, or is still inside a transaction is
  terminated instead of reused: the hot path sets no session state, so nothing else can
  make a connection unfit.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
from collections.abc import AsyncIterator

import asyncpg


class PoolClosed(asyncpg.InterfaceError):  # type: ignore[misc]  # asyncpg ships no type hints
    """The store is shutting down."""


class LeanPool:
    def __init__(
        self,
        dsn: str,
        size: int,
        *,
        connect_timeout: float = 5,
        command_timeout: float = 10,
        acquire_timeout: float = 5,
    ) -> None:
        self._dsn = dsn
        self._size = size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._acquire_timeout = acquire_timeout
        self._idle: list[asyncpg.Connection] = []
        self._opened = 0  # idle + in use + being opened
        self._queue: collections.deque[asyncio.Future[asyncpg.Connection]] = collections.deque()
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await self.acquire()
        try:
            yield conn
        except BaseException:
            self.release(conn, discard=True)
            raise
        self.release(conn)

    async def acquire(self) -> asyncpg.Connection:
        if self._closed:
            raise PoolClosed("the pool is closed")
        while self._idle and not self._queue:
            conn = self._idle.pop()
            if not conn.is_closed():
                return conn
            self._opened -= 1
        if self._opened < self._size:
            return await self._open()
        return await self._wait()

    async def _open(self) -> asyncpg.Connection:
        self._opened += 1
        try:
            conn: asyncpg.Connection = await asyncpg.connect(
                self._dsn, timeout=self._connect_timeout, command_timeout=self._command_timeout
            )
        except BaseException:
            self._opened -= 1
            self._make_room()
            raise
        return conn

    async def _wait(self) -> asyncpg.Connection:
        turn: asyncio.Future[asyncpg.Connection] = asyncio.get_running_loop().create_future()
        self._queue.append(turn)
        try:
            async with asyncio.timeout(self._acquire_timeout):
                return await turn
        except BaseException:
            # Cancelled or timed out after a connection was already handed over: give it back.
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.release(turn.result())
            else:
                turn.cancel()
            raise

    def release(self, conn: asyncpg.Connection, *, discard: bool = False) -> None:
        if discard or self._closed or conn.is_closed() or conn.is_in_transaction():
            self._opened -= 1
            if not conn.is_closed():
                conn.terminate()
            self._make_room()
            return
        while self._queue:
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_result(conn)
                return
        self._idle.append(conn)

    def _make_room(self) -> None:
        """A connection slot was freed: the first caller in the queue opens a new one."""
        while self._queue and self._opened < self._size:
            turn = self._queue.popleft()
            if turn.done():
                continue
            task = asyncio.ensure_future(self._open())
            task.add_done_callback(functools.partial(_deliver, turn=turn, pool=self))
            return

    async def close(self) -> None:
        self._closed = True
        while self._queue:
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_exception(PoolClosed("the pool is closed"))
        idle, self._idle = self._idle, []
        for conn in idle:
            self._opened -= 1
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
            if not conn.is_closed():
                conn.terminate()


def _deliver(
    opening: asyncio.Future[asyncpg.Connection],
    turn: asyncio.Future[asyncpg.Connection],
    pool: LeanPool,
) -> None:
    if opening.cancelled():
        if not turn.done():
            turn.cancel()
        return
    exc = opening.exception()
    if exc is not None:
        if not turn.done():
            turn.set_exception(exc)
        return
    conn = opening.result()
    if turn.done():  # the caller gave up meanwhile: the connection serves the next one
        pool.release(conn)
    else:
        turn.set_result(conn)
