"""Rotation grace (issue 21, docs/decisions.md "Rotation grace"): under ``rotate``, a retired
refresh token presented again by its own client within the grace, while its successor was
never used, is a retry of a lost response, not reuse. Everything else is still reuse and
revokes the family (RFC 9700 §4.14.2): the successor was used, the grace passed, or the
presented token is itself a successor that a retry replaced."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.store.schema import refresh_tokens
from hubauth.store.sql import SqlStore
from tests.security.helpers import LogCapture, access_alive, issue, refresh, refresh_alive
from tests.support import Seed, seed

RETRIES = 8


@pytest.fixture
async def rotating(ctx: Context) -> Seed:
    return await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)


def ok(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return response.json()


def assert_bad_refresh(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert (response.json()["error"], response.json()["status"]) == (
        "invalid_grant",
        "BAD_REFRESH_TOKEN",
    )


async def live_refresh_rows(store: SqlStore, app_id: int) -> list[bytes]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(refresh_tokens.c.token_hash).where(
                refresh_tokens.c.app_id == app_id,
                refresh_tokens.c.revoked_ms.is_(None),
                refresh_tokens.c.rotated_ms.is_(None),
            )
        )
        return [bytes(r.token_hash) for r in rows]


async def test_retry_of_a_rotated_token_whose_response_was_lost_gets_a_new_successor(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture
) -> None:
    first = await issue(client, ctx, rotating)
    ctx.clock.advance(1)  # type: ignore[attr-defined]
    lost = ok(await refresh(client, rotating, first["refresh_token"]))  # never reaches the client
    ctx.clock.advance(5)  # type: ignore[attr-defined]

    retried = ok(await refresh(client, rotating, first["refresh_token"]))

    assert retried["refresh_token"] not in (lost["refresh_token"], first["refresh_token"])
    assert await refresh_alive(client, retried["refresh_token"])
    assert await access_alive(client, retried["access_token"])
    # what the lost response carried is retired: nobody legitimate holds it
    assert not await refresh_alive(client, lost["refresh_token"])
    assert not await access_alive(client, lost["access_token"])
    assert await access_alive(client, first["access_token"])  # handed out before: untouched
    assert not logs.events("refresh_reuse_detected")
    [event] = logs.events("refresh_retried_within_grace")
    assert event["since_rotation_ms"] == 5000 and event["app_id"] == rotating.app_id
    # the install goes on: the new successor rotates normally
    last = ok(await refresh(client, rotating, retried["refresh_token"]))
    live = await live_refresh_rows(ctx.store, rotating.app_id)  # type: ignore[arg-type]
    assert live == [ctx.hasher.hash(last["refresh_token"])]


async def test_a_token_can_be_retried_repeatedly_within_one_grace_from_its_rotation(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    first = await issue(client, ctx, rotating)
    ok(await refresh(client, rotating, first["refresh_token"]))
    for _ in range(3):
        ctx.clock.advance(9)  # type: ignore[attr-defined]
        ok(await refresh(client, rotating, first["refresh_token"]))
    # the grace counts from the rotation, not from the last retry: 36 s > 30 s
    ctx.clock.advance(9)  # type: ignore[attr-defined]
    assert_bad_refresh(await refresh(client, rotating, first["refresh_token"]))


async def test_retry_after_the_successor_was_used_is_reuse_and_revokes_the_family(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture
) -> None:
    first = await issue(client, ctx, rotating)
    second = ok(await refresh(client, rotating, first["refresh_token"]))
    third = ok(await refresh(client, rotating, second["refresh_token"]))  # the successor is used

    assert_bad_refresh(await refresh(client, rotating, first["refresh_token"]))

    assert not await refresh_alive(client, third["refresh_token"])
    for tokens in (first, second, third):
        assert not await access_alive(client, tokens["access_token"])
    assert len(logs.events("refresh_reuse_detected")) == 1
    assert not logs.events("refresh_retried_within_grace")


async def test_retry_after_the_grace_is_reuse_and_revokes_the_family(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture
) -> None:
    first = await issue(client, ctx, rotating)
    second = ok(await refresh(client, rotating, first["refresh_token"]))
    ctx.clock.advance(ctx.policy.rotation_grace_s + 0.001)  # type: ignore[attr-defined]

    assert_bad_refresh(await refresh(client, rotating, first["refresh_token"]))

    assert not await refresh_alive(client, second["refresh_token"])
    assert len(logs.events("refresh_reuse_detected")) == 1


async def test_a_successor_replaced_by_a_retry_is_reuse_when_presented(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture
) -> None:
    """The attack the grace still stops: a thief retries the stolen retired token within the
    grace and gets a successor, but the owner did receive the first successor and uses it —
    two holders, so the family dies (and so it does the other way round)."""
    first = await issue(client, ctx, rotating)
    owners = ok(await refresh(client, rotating, first["refresh_token"]))
    thiefs = ok(await refresh(client, rotating, first["refresh_token"]))

    assert_bad_refresh(await refresh(client, rotating, owners["refresh_token"]))

    assert not await refresh_alive(client, thiefs["refresh_token"])
    assert not await access_alive(client, thiefs["access_token"])
    assert_bad_refresh(await refresh(client, rotating, thiefs["refresh_token"]))
    assert len(logs.events("refresh_reuse_detected")) == 1


async def test_the_app_grace_overrides_the_server_wide_one(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    first = await issue(client, ctx, rotating)
    ok(await refresh(client, rotating, first["refresh_token"]))
    assert await ctx.store.set_rotation_grace(rotating.app_id, 60)
    ctx.clock.advance(45)  # type: ignore[attr-defined]
    retried = ok(await refresh(client, rotating, first["refresh_token"]))

    assert await ctx.store.set_rotation_grace(rotating.app_id, 0)
    ok(await refresh(client, rotating, retried["refresh_token"]))
    assert_bad_refresh(await refresh(client, rotating, retried["refresh_token"]))

    assert await ctx.store.set_rotation_grace(rotating.app_id, None)  # back to the setting
    fresh = await issue(client, ctx, rotating)
    ok(await refresh(client, rotating, fresh["refresh_token"]))
    ok(await refresh(client, rotating, fresh["refresh_token"]))


async def test_static_apps_have_no_grace_for_a_token_rotated_before_a_policy_switch(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    first = await issue(client, ctx, rotating)
    ok(await refresh(client, rotating, first["refresh_token"]))
    assert await ctx.store.set_refresh_policy(rotating.app_id, RefreshPolicy.STATIC)
    assert_bad_refresh(await refresh(client, rotating, first["refresh_token"]))


async def test_another_client_cannot_retry_a_retired_token(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    other = await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)
    first = await issue(client, ctx, rotating)
    second = ok(await refresh(client, rotating, first["refresh_token"]))
    response = await refresh(client, other, first["refresh_token"])
    assert response.status_code == 400
    assert await refresh_alive(client, second["refresh_token"])


async def test_a_retry_cannot_widen_scopes(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    first = await issue(client, ctx, rotating)
    second = ok(await refresh(client, rotating, first["refresh_token"]))
    response = await refresh(
        client, rotating, first["refresh_token"], scope="oauth crm.objects.deals.read"
    )
    assert response.status_code == 400 and response.json()["status"] == "BAD_SCOPES"
    assert await refresh_alive(client, second["refresh_token"])


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_retries_leave_exactly_one_live_successor(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed, logs: LogCapture, round_: int
) -> None:
    first = await issue(client, ctx, rotating)
    ok(await refresh(client, rotating, first["refresh_token"]))

    responses = await asyncio.gather(
        *(refresh(client, rotating, first["refresh_token"]) for _ in range(RETRIES))
    )

    assert [r.status_code for r in responses] == [200] * RETRIES, [r.text for r in responses]
    handed_out = {ctx.hasher.hash(r.json()["refresh_token"]) for r in responses}
    live = await live_refresh_rows(ctx.store, rotating.app_id)  # type: ignore[arg-type]
    assert len(live) == 1 and live[0] in handed_out
    assert not logs.events("refresh_reuse_detected")


async def test_stored_rows_hold_only_hashes_of_retried_tokens(
    client: httpx.AsyncClient, ctx: Context, rotating: Seed
) -> None:
    first = await issue(client, ctx, rotating)
    lost = ok(await refresh(client, rotating, first["refresh_token"]))
    retried = ok(await refresh(client, rotating, first["refresh_token"]))
    plaintexts = [t[k] for t in (first, lost, retried) for k in ("refresh_token", "access_token")]
    async with ctx.store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = (
            await conn.execute(
                select(refresh_tokens).where(refresh_tokens.c.app_id == rotating.app_id)
            )
        ).all()
    dumped = repr(rows).encode()
    for value in plaintexts:
        assert value.encode() not in dumped
    assert {bytes(r.token_hash) for r in rows} == {
        ctx.hasher.hash(t["refresh_token"]) for t in (first, lost, retried)
    }
