"""Issue 15 item 9 (RFC 7009 §2.2): a non-rotating refresh writes its access token only if the
refresh token is still live (not revoked, not rotated, install active) in the same statement.
Revocations and uninstalls are raced against bursts of refreshes many times; once the
revocation is acknowledged, no access token any refresh handed out may be alive."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.context import Context
from tests.security.helpers import access_alive, issue, refresh
from tests.support import Seed
from tests.v3.flows import revoke

ROUNDS = 25
REFRESHES = 4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The losers' 400s would soon trip the per-address failure limit (the clock is frozen)."""
    return settings.model_copy(update={"rate_limit_enabled": False})


Revoker = Callable[[httpx.AsyncClient, Context, Seed, str], Awaitable[None]]


async def revoke_v3(client: httpx.AsyncClient, ctx: Context, s: Seed, token: str) -> None:
    response = await revoke(client, s.creds(), token, hint="refresh_token")
    assert response.status_code == 200, response.text


async def uninstall(client: httpx.AsyncClient, ctx: Context, s: Seed, token: str) -> None:
    assert await ctx.store.uninstall(s.app_id, s.hub_id, ctx.now_ms()) >= 0


@pytest.mark.parametrize("revoker", [revoke_v3, uninstall], ids=["v3-revoke", "uninstall"])
async def test_no_access_token_from_a_racing_refresh_outlives_an_acknowledged_revocation(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, revoker: Revoker
) -> None:
    minted = 0
    for _ in range(ROUNDS):
        tokens = await issue(client, ctx, seeded)
        refreshes = [
            asyncio.ensure_future(refresh(client, seeded, tokens["refresh_token"]))
            for _ in range(REFRESHES)
        ]
        await asyncio.sleep(0)  # let the refreshes read the token before the revocation runs
        await revoker(client, ctx, seeded, tokens["refresh_token"])
        # The revocation is acknowledged: whatever the racing refreshes got must be dead.
        for response in await asyncio.gather(*refreshes):
            if response.status_code == 200:
                minted += 1
                assert not await access_alive(client, response.json()["access_token"])
            else:
                assert response.status_code == 400, response.text
        assert not await access_alive(client, tokens["access_token"])
        if revoker is uninstall:  # the next round installs again
            await ctx.store.upsert_install(
                seeded.app_id, seeded.hub_id, seeded.user_id, seeded.scopes, ctx.now_ms()
            )
    assert minted > 0  # the races did happen: some refreshes got in before the revocation
