"""SQLite group commit (``store/hot.py``): write transactions queued while the writer is busy
share one COMMIT, each in a savepoint of its own, and each caller learns its own outcome."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from hubauth.store.hot import SqliteHotPath, Statement


@pytest.fixture
async def hot(tmp_path: Path) -> AsyncIterator[SqliteHotPath]:
    database = tmp_path / "group.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE codes (id INTEGER PRIMARY KEY, used INTEGER NOT NULL)")
        conn.execute("CREATE TABLE issued (id INTEGER PRIMARY KEY, code INTEGER NOT NULL)")
        conn.executemany("INSERT INTO codes VALUES (?, 0)", [(i,) for i in range(10)])
    path = SqliteHotPath(str(database), timeout=5)
    yield path
    await path.close()


@contextmanager
def writer_busy(database: str) -> Iterator[None]:
    """Hold the writer lock as another server process would: transactions queue meanwhile."""
    fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def statements(hot: SqliteHotPath) -> tuple[Statement, Statement]:
    redeem = hot.compile(text("UPDATE codes SET used = 1 WHERE id = :code AND used = 0"))
    issue = hot.compile(text("INSERT INTO issued (id, code) VALUES (:issued, :code)"))
    return redeem, issue


def rows(hot: SqliteHotPath, sql: str) -> list[tuple[int, ...]]:
    with sqlite3.connect(hot._path) as conn:
        return list(conn.execute(sql))


async def test_a_group_keeps_every_transaction_whose_guard_matched_and_only_those(
    hot: SqliteHotPath,
) -> None:
    redeem, issue = statements(hot)
    await hot.transaction([(redeem, {"code": 9})], [(issue, {"issued": 900, "code": 9})])
    with writer_busy(hot._path):
        # Each of codes 0-4 redeemed twice, concurrently: one of each pair may win.
        calls = [
            hot.transaction(
                [(redeem, {"code": code})],
                [(issue, {"issued": 100 * attempt + code, "code": code})],
            )
            for attempt in (1, 2)
            for code in range(5)
        ]
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in tasks)  # nobody is told before the commit
    outcomes = await asyncio.gather(*tasks)
    assert outcomes == [True] * 5 + [False] * 5
    assert rows(hot, "SELECT id, code FROM issued ORDER BY id") == [
        *((100 + code, code) for code in range(5)),
        (900, 9),
    ]
    assert rows(hot, "SELECT id FROM codes WHERE used = 1 ORDER BY id") == [
        (0,),
        (1,),
        (2,),
        (3,),
        (4,),
        (9,),
    ]


async def test_a_failing_statement_rolls_back_its_own_transaction_not_the_group(
    hot: SqliteHotPath,
) -> None:
    redeem, issue = statements(hot)
    with writer_busy(hot._path):
        good = asyncio.ensure_future(
            hot.transaction([(redeem, {"code": 1})], [(issue, {"issued": 1, "code": 1})])
        )
        # Redeems code 2, then fails on a duplicate key: code 2 must stay unused.
        bad = asyncio.ensure_future(
            hot.transaction([(redeem, {"code": 2})], [(issue, {"issued": 1, "code": 2})])
        )
        other = asyncio.ensure_future(
            hot.transaction([(redeem, {"code": 3})], [(issue, {"issued": 3, "code": 3})])
        )
        await asyncio.sleep(0.1)
    assert await good is True
    with pytest.raises(sqlite3.IntegrityError):
        await bad
    assert await other is True
    assert rows(hot, "SELECT id FROM codes WHERE used = 1 ORDER BY id") == [(1,), (3,)]
    assert rows(hot, "SELECT id, code FROM issued ORDER BY id") == [(1, 1), (3, 3)]


async def test_a_transaction_whose_caller_gave_up_is_never_applied(tmp_path: Path) -> None:
    database = tmp_path / "gave-up.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE codes (id INTEGER PRIMARY KEY, used INTEGER NOT NULL)")
        conn.execute("CREATE TABLE issued (id INTEGER PRIMARY KEY, code INTEGER NOT NULL)")
        conn.execute("INSERT INTO codes VALUES (1, 0)")
    hot = SqliteHotPath(str(database), timeout=0.3)
    try:
        redeem, issue = statements(hot)
        with writer_busy(str(database)):
            with pytest.raises(TimeoutError):
                await hot.transaction([(redeem, {"code": 1})], [(issue, {"issued": 1, "code": 1})])
            await asyncio.sleep(0.1)
        # The writer runs once the lock is free, sees the caller gone and applies nothing.
        assert await hot.transaction([(redeem, {"code": 1})], []) is True
        assert rows(hot, "SELECT id FROM issued") == []
    finally:
        await hot.close()
