"""Clean-up jobs must not lock token tables (a failure seen in real servers): purging a large
backlog of expired rows runs in short batches while grants keep succeeding, on SQLite and
PostgreSQL, and it removes only what is dead."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from sqlalchemy import insert

from hubauth.core.context import Context
from hubauth.store.schema import access_tokens
from hubauth.store.sql import SqlStore
from tests.security.helpers import access_alive, exchange
from tests.support import Seed, mint_code

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BACKLOG = 20_000


async def test_purge_of_a_large_backlog_runs_beside_grants(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    now = ctx.now_ms()
    rows = [
        {
            "token_hash": secrets.token_bytes(32),
            "app_id": seeded.app_id,
            "scopes": "oauth",
            "token_use": "access_token",
            "created_ms": now - 7_200_000,
            "expires_ms": now - 3_600_000,
        }
        for _ in range(BACKLOG)
    ]
    async with store.engine.begin() as conn:
        await conn.execute(insert(access_tokens), rows)
    codes = [await mint_code(ctx, seeded) for _ in range(40)]

    async def grants() -> list[dict[str, str]]:
        issued = []
        for code in codes:
            response = await exchange(client, seeded, code)
            assert response.status_code == 200, response.text
            issued.append(response.json())
            await asyncio.sleep(0)
        return issued

    removed, issued = await asyncio.gather(store.purge_expired(now, batch_size=500), grants())
    assert removed >= BACKLOG
    for tokens in issued:
        assert await access_alive(client, tokens["access_token"])
