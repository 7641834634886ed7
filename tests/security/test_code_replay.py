"""Authorization-code replay (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.5; OpenID conformance
"code reuse"): a code works once; any later use is refused and revokes what the first
redemption issued. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from tests.security.helpers import LogCapture, access_alive, exchange, refresh_alive
from tests.support import Seed, mint_code

PARALLEL = 10


async def assert_replay_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["status"]) == ("invalid_grant", "BAD_AUTH_CODE")


async def test_immediate_code_replay_is_refused_and_revokes_issued_tokens(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, logs: LogCapture
) -> None:
    code = await mint_code(ctx, seeded)
    first = (await exchange(client, seeded, code)).json()
    await assert_replay_refused(await exchange(client, seeded, code))
    assert not await access_alive(client, first["access_token"])
    assert not await refresh_alive(client, first["refresh_token"])
    [event] = logs.events("code_replay_detected")
    assert event["app_id"] == seeded.app_id and event["tokens_revoked"] == 2


@pytest.mark.parametrize("delay_s", [1, 299, 301, 3600])
async def test_delayed_code_replay_is_refused_and_revokes_issued_tokens(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock, delay_s: int
) -> None:
    """Within the code's lifetime and long after it: still a replay, still revoked."""
    code = await mint_code(ctx, seeded)
    first = (await exchange(client, seeded, code)).json()
    clock.advance(delay_s)
    await assert_replay_refused(await exchange(client, seeded, code))
    assert not await refresh_alive(client, first["refresh_token"])


async def test_parallel_code_redemptions_give_exactly_one_success(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, logs: LogCapture
) -> None:
    code = await mint_code(ctx, seeded)
    responses = await asyncio.gather(*(exchange(client, seeded, code) for _ in range(PARALLEL)))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.text for r in responses]
    for loser in responses:
        if loser.status_code != 200:
            await assert_replay_refused(loser)
    # the losers are replays: the winner's tokens were revoked too (RFC 6749 §4.1.2)
    won = winners[0].json()
    assert not await access_alive(client, won["access_token"])
    assert not await refresh_alive(client, won["refresh_token"])
    assert len(logs.events("code_replay_detected")) == PARALLEL - 1
    rows = await ctx.store.count_rows()
    assert rows["refresh_tokens"] >= 1


async def test_replay_does_not_touch_other_installs_tokens(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    other = (await exchange(client, seeded, await mint_code(ctx, seeded))).json()
    code = await mint_code(ctx, seeded)
    await exchange(client, seeded, code)
    await assert_replay_refused(await exchange(client, seeded, code))
    assert await access_alive(client, other["access_token"])
    assert await refresh_alive(client, other["refresh_token"])


@pytest.mark.parametrize("policy", [Policy(revoke_on_code_replay=False)], ids=["no-revoke"])
async def test_replay_with_revocation_switched_off_is_still_refused(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, logs: LogCapture
) -> None:
    code = await mint_code(ctx, seeded)
    first = (await exchange(client, seeded, code)).json()
    await assert_replay_refused(await exchange(client, seeded, code))
    assert await refresh_alive(client, first["refresh_token"])
    [event] = logs.events("code_replay_detected")
    assert event["tokens_revoked"] == 0
