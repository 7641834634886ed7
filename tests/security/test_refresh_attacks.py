"""Refresh-token attacks (RFC 6749 §6, §10.4; RFC 9700 §4.14): replay after rotation revokes
the family (sequentially, within the same clock millisecond and in parallel), a refresh can
only narrow scopes, and static-policy tokens stay bound to their client.

The rotating app here has the rotation grace switched off (strict RFC 9700 §4.14.2 reuse
detection); tests/security/test_rotation_grace.py covers the same attacks with the grace on."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from tests.security.helpers import LogCapture, access_alive, issue, refresh, refresh_alive
from tests.support import Seed

PARALLEL = 10


@pytest.fixture
async def rotating(ctx: Context, seeded: Seed) -> Seed:
    assert await ctx.store.set_refresh_policy(seeded.app_id, RefreshPolicy.ROTATE)
    assert await ctx.store.set_rotation_grace(seeded.app_id, 0)
    return seeded


def assert_bad_refresh(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["status"]) == ("invalid_grant", "BAD_REFRESH_TOKEN")


async def test_refresh_replay_after_rotation_revokes_the_family(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture
) -> None:
    first = await issue(client, ctx, rotating)
    second = (await refresh(client, rotating, first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert_bad_refresh(await refresh(client, rotating, first["refresh_token"]))
    # the legitimate holder's successor dies too: nobody can tell thief from owner
    assert not await refresh_alive(client, second["refresh_token"])
    assert_bad_refresh(await refresh(client, rotating, second["refresh_token"]))
    for at in (first["access_token"], second["access_token"]):
        assert not await access_alive(client, at)
    [event] = logs.events("refresh_reuse_detected")
    assert event["tokens_revoked"] >= 3


async def test_same_millisecond_double_refresh_is_a_replay(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    """The frozen clock does not move between the two calls: no "same second" grace."""
    first = await issue(client, ctx, rotating)
    ok = await refresh(client, rotating, first["refresh_token"])
    assert ok.status_code == 200
    assert_bad_refresh(await refresh(client, rotating, first["refresh_token"]))
    assert not await refresh_alive(client, ok.json()["refresh_token"])


async def test_parallel_refreshes_with_rotation_give_exactly_one_success(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture
) -> None:
    first = await issue(client, ctx, rotating)
    responses = await asyncio.gather(
        *(refresh(client, rotating, first["refresh_token"]) for _ in range(PARALLEL))
    )
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.text for r in responses]
    for loser in responses:
        if loser.status_code != 200:
            assert_bad_refresh(loser)
    assert not await refresh_alive(client, winners[0].json()["refresh_token"])
    # a loser that reads the token after another loser revoked the family just sees a dead
    # token (no second detection), so at least one and at most all losers report reuse
    assert 1 <= len(logs.events("refresh_reuse_detected")) <= PARALLEL - 1


@pytest.mark.parametrize("policy_name", ["static", "rotate"])
@pytest.mark.parametrize(
    "scope",
    [
        "oauth crm.objects.contacts.read crm.objects.contacts.write",
        "crm.objects.deals.read",
        "oauth crm.objects.deals.read",
        "tickets",
        "OAUTH",
    ],
    ids=["extra-scope", "ungranted-optional", "add-ungranted-optional", "foreign", "case"],
)
async def test_scope_escalation_on_refresh_is_refused(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, policy_name: str, scope: str
) -> None:
    await ctx.store.set_refresh_policy(seeded.app_id, RefreshPolicy(policy_name))
    first = await issue(client, ctx, seeded)
    response = await refresh(client, seeded, first["refresh_token"], scope=scope)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_scope"
    # the failed attempt did not burn or rotate the token
    assert await refresh_alive(client, first["refresh_token"])


async def test_narrowed_refresh_does_not_shrink_the_refresh_token(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    first = await issue(client, ctx, seeded)
    narrow = await refresh(client, seeded, first["refresh_token"], scope="oauth")
    assert narrow.status_code == 200 and narrow.json()["scopes"] == ["oauth"]
    again = await refresh(client, seeded, first["refresh_token"])
    assert again.json()["scopes"] == list(seeded.scopes)
