"""SQLite with several server processes: grant writes queue on a lock file beside the
database (in the kernel) before taking SQLite's write lock, so they never meet SQLite's
sleep-and-retry wait (whose sleeps grow to 100 ms; docs/performance.md)."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.token_endpoint import token_request
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.conftest import _migrate
from tests.support import TEST_KEY, mint_code, seed


async def test_a_grant_write_waits_for_its_turn_on_the_writer_lock_then_succeeds(
    tmp_path: Path,
) -> None:
    database = tmp_path / "hubauth.db"
    url = f"sqlite:///{database}"
    await _migrate(url)
    store = SqlStore.from_url(url)
    ctx = Context(store=store, clock=SystemClock(), hasher=TokenHasher(TEST_KEY.encode()))
    try:
        seeded = await seed(ctx)
        first = await mint_code(ctx, seeded)
        params = {"grant_type": "authorization_code", "redirect_uri": seeded.redirect_uri}
        params |= seeded.creds()
        await token_request(ctx, {**params, "code": first})  # opens the writer and its lock
        lock = Path(f"{database}-writer.lock")
        assert lock.exists()

        code = await mint_code(ctx, seeded)
        fd = os.open(lock, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)  # another server process is writing
        try:
            exchange = asyncio.ensure_future(token_request(ctx, {**params, "code": code}))
            await asyncio.sleep(0.3)
            assert not exchange.done()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        issued = await asyncio.wait_for(exchange, 5)
        assert issued.refresh_token
    finally:
        await store.close()
