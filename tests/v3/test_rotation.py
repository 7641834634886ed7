"""Refresh-token rotation per app (``refresh_policy: rotate``, RFC 9700 §4.14.2) through v3:
every refresh returns a new refresh token, and presenting a retired one after the rotation
grace revokes the whole family and emits ``refresh_reuse_detected``; within the grace, while
its successor is unused, it is a retry (tests/security/test_rotation_grace.py)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from tests.support import Seed, seed
from tests.v3.conftest import AuditLog
from tests.v3.flows import VERSIONS, introspection, is_active, issue, refresh


@pytest.fixture
async def rotating(ctx: Context) -> Seed:
    return await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)


@pytest.mark.parametrize("version", VERSIONS)
async def test_each_refresh_returns_a_new_refresh_token_and_retires_the_old(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, version: str
) -> None:
    first = await issue(client, ctx, rotating, version)
    second = (await refresh(client, rotating, first["refresh_token"], version)).json()
    third = (await refresh(client, rotating, second["refresh_token"], version)).json()
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert not await is_active(client, rotating, first["refresh_token"])
    assert not await is_active(client, rotating, second["refresh_token"])
    assert await is_active(client, rotating, third["refresh_token"])
    # rotation does not cut short the access tokens already handed out
    for tokens in (first, second, third):
        assert await is_active(client, rotating, tokens["access_token"])


async def test_replaying_a_rotated_refresh_token_revokes_the_family(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, audit_log: AuditLog
) -> None:
    first = await issue(client, ctx, rotating)
    second = (await refresh(client, rotating, first["refresh_token"])).json()
    unrelated = await issue(client, ctx, rotating)  # another grant of the same install
    ctx.clock.advance(ctx.policy.rotation_grace_s + 1)  # type: ignore[attr-defined]

    replay = await refresh(client, rotating, first["refresh_token"])

    assert replay.status_code == 400
    assert (replay.json()["error"], replay.json()["status"]) == (
        "invalid_grant",
        "BAD_REFRESH_TOKEN",
    )
    family = (
        first["access_token"],
        second["access_token"],
        second["refresh_token"],
    )
    for token in family:
        assert not await is_active(client, rotating, token)
    after = await refresh(client, rotating, second["refresh_token"])
    assert after.status_code == 400  # the legitimate holder must re-authorize too
    assert await is_active(client, rotating, unrelated["refresh_token"])
    reuse = [f for event, f in audit_log if event == "refresh_reuse_detected"]
    assert len(reuse) == 1
    assert reuse[0]["app_id"] == rotating.app_id
    # both refresh tokens of the family (the retired one is marked too) + two access tokens
    assert reuse[0]["tokens_revoked"] == 4
    secret_values = {first["refresh_token"], second["refresh_token"]}
    assert not [v for v in secret_values if v in repr(audit_log)]


@pytest.mark.parametrize("round_", range(3))
async def test_two_parallel_refreshes_in_rotate_mode_without_grace_one_wins_then_the_family_dies(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, audit_log: AuditLog, round_: int
) -> None:
    """With the grace off, exactly one request rotates the token; the other presents a token
    that is (or is about to be) retired, which is indistinguishable from theft, so the family
    is revoked — the winner's fresh tokens included. Under rotation a client must single-flight
    its refreshes (UNCONFIRMED at HubSpot); the default static policy has no such hazard
    (tests/test_concurrency.py).
    """
    assert await ctx.store.set_rotation_grace(rotating.app_id, 0)
    tokens = await issue(client, ctx, rotating)
    audit_log.clear()

    responses = await asyncio.gather(
        refresh(client, rotating, tokens["refresh_token"], "v3"),
        refresh(client, rotating, tokens["refresh_token"], "2026-03"),
    )

    assert sorted(r.status_code for r in responses) == [200, 400]
    winner = next(r.json() for r in responses if r.status_code == 200)
    loser = next(r.json() for r in responses if r.status_code == 400)
    assert loser["status"] == "BAD_REFRESH_TOKEN"
    assert winner["refresh_token"] != tokens["refresh_token"]
    for token in (winner["refresh_token"], winner["access_token"], tokens["access_token"]):
        assert not await is_active(client, rotating, token)
    events = [event for event, _ in audit_log]
    assert events.count("refresh_reuse_detected") == 1
    assert events.count("token_refreshed") == 1


@pytest.mark.parametrize("round_", range(3))
async def test_two_parallel_refreshes_in_rotate_mode_within_grace_leave_one_live_successor(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, audit_log: AuditLog, round_: int
) -> None:
    """With the grace on (the default), the later of two parallel refreshes is a retry of a
    token whose successor nobody used: both answer 200, and only the later successor lives."""
    tokens = await issue(client, ctx, rotating)
    audit_log.clear()

    responses = await asyncio.gather(
        refresh(client, rotating, tokens["refresh_token"], "v3"),
        refresh(client, rotating, tokens["refresh_token"], "2026-03"),
    )

    assert [r.status_code for r in responses] == [200, 200]
    successors = [r.json()["refresh_token"] for r in responses]
    alive = [await is_active(client, rotating, t) for t in successors]
    assert sorted(alive) == [False, True]
    events = [event for event, _ in audit_log]
    assert events.count("token_refreshed") == 1
    assert events.count("refresh_retried_within_grace") == 1
    assert "refresh_reuse_detected" not in events


async def test_v1_issued_refresh_token_rotates_through_v3(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    tokens = await issue(client, ctx, rotating, "v1")
    rotated = await refresh(client, rotating, tokens["refresh_token"], "2026-09")
    assert rotated.status_code == 200
    new_refresh = rotated.json()["refresh_token"]
    assert new_refresh != tokens["refresh_token"]
    v1 = await client.get(f"/oauth/v1/refresh-tokens/{new_refresh}")
    assert v1.status_code == 200 and v1.json()["client_id"] == rotating.client_id
    assert (
        await client.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}")
    ).status_code == 404


async def test_switching_an_app_to_rotate_takes_effect_on_the_next_refresh(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    echoed = (await refresh(client, seeded, tokens["refresh_token"])).json()["refresh_token"]
    assert echoed == tokens["refresh_token"]

    assert await ctx.store.set_refresh_policy(seeded.app_id, RefreshPolicy.ROTATE)
    rotated = (await refresh(client, seeded, tokens["refresh_token"])).json()["refresh_token"]
    assert rotated != tokens["refresh_token"]

    assert await ctx.store.set_refresh_policy(seeded.app_id, RefreshPolicy.STATIC)
    again = (await refresh(client, seeded, rotated)).json()["refresh_token"]
    assert again == rotated
    assert (await introspection(client, seeded.creds(), tokens["refresh_token"])) == {
        "active": False
    }
