"""The PostgreSQL hot path's connection pool (``store/pgpool.py``), against the real server:
bounded, first come first served, never leaking a connection on timeout or cancellation, and
never reusing one that may be unfit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from hubauth.store.pgpool import LeanPool, PoolClosed
from tests.support import PG_ADMIN_URL


@pytest.fixture
async def pool() -> AsyncIterator[LeanPool]:
    p = LeanPool(PG_ADMIN_URL, 2, acquire_timeout=0.5)
    yield p
    await p.close()


async def _backend_pid(conn: asyncpg.Connection) -> int:
    pid: int = await conn.fetchval("SELECT pg_backend_pid()")
    return pid


async def test_callers_beyond_the_size_wait_and_are_served_in_arrival_order(
    pool: LeanPool,
) -> None:
    order: list[int] = []
    holders = [await pool.acquire(), await pool.acquire()]

    async def caller(n: int) -> None:
        async with pool.connection() as conn:
            order.append(n)
            await conn.fetchval("SELECT 1")

    waiting = [asyncio.ensure_future(caller(n)) for n in range(4)]
    await asyncio.sleep(0.05)
    assert order == []  # both connections are taken: everyone queues
    for conn in holders:
        pool.release(conn)
    await asyncio.gather(*waiting)
    assert order == [0, 1, 2, 3]
    assert pool._opened == 2


async def test_a_caller_that_times_out_in_the_queue_leaks_nothing(pool: LeanPool) -> None:
    first, second = await pool.acquire(), await pool.acquire()
    with pytest.raises(TimeoutError):
        await pool.acquire()
    pool.release(first)
    pool.release(second)
    async with pool.connection() as conn:
        assert await conn.fetchval("SELECT 1") == 1
    assert pool._opened == 2 and len(pool._idle) == 2


async def test_a_connection_handed_to_a_cancelled_caller_goes_back_to_the_pool(
    pool: LeanPool,
) -> None:
    first, second = await pool.acquire(), await pool.acquire()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    pool.release(first)  # handed to the waiter's turn ...
    waiter.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert pool._idle == [first]
    pool.release(second)
    assert pool._opened == 2


async def test_a_connection_that_saw_an_error_is_replaced_not_reused(pool: LeanPool) -> None:
    with pytest.raises(asyncpg.PostgresError):
        async with pool.connection() as conn:
            broken_pid = await _backend_pid(conn)
            await conn.execute("SELECT * FROM no_such_table_for_the_pool_test")
    assert pool._opened == 0
    async with pool.connection() as conn:
        assert await _backend_pid(conn) != broken_pid


async def test_a_connection_left_inside_a_transaction_is_not_reused(pool: LeanPool) -> None:
    conn = await pool.acquire()
    pid = await _backend_pid(conn)
    await conn.execute("BEGIN")
    pool.release(conn)
    assert conn.is_closed() and pool._opened == 0
    async with pool.connection() as fresh:
        assert await _backend_pid(fresh) != pid
        assert not fresh.is_in_transaction()


async def test_a_released_healthy_connection_is_reused(pool: LeanPool) -> None:
    async with pool.connection() as conn:
        pid = await _backend_pid(conn)
    async with pool.connection() as conn:
        assert await _backend_pid(conn) == pid


async def test_closing_fails_queued_callers_and_closes_every_connection(pool: LeanPool) -> None:
    async with pool.connection():
        pass  # one idle connection
    first, second = await pool.acquire(), await pool.acquire()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    await pool.close()
    with pytest.raises(PoolClosed):
        await waiter
    with pytest.raises(PoolClosed):
        await pool.acquire()
    pool.release(first)
    pool.release(second)
    assert first.is_closed() and second.is_closed() and pool._opened == 0


async def test_an_unreachable_server_fails_fast_and_frees_the_slot() -> None:
    pool = LeanPool("postgresql://postgres@127.0.0.1:9/none", 1, connect_timeout=2)
    for _ in range(3):
        with pytest.raises(OSError):
            await pool.acquire()
    assert pool._opened == 0
    await pool.close()
