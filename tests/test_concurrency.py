"""Atomicity: racing requests for the same single-use thing produce exactly one winner."""

from __future__ import annotations

import asyncio

import httpx

from hubauth.core.context import Context
from tests.support import Seed, mint_code

PARALLEL = 8


async def test_parallel_code_exchanges_give_exactly_one_success(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": seeded.redirect_uri,
        **seeded.creds(),
    }
    responses = await asyncio.gather(
        *(client.post("/oauth/v1/token", data=form) for _ in range(PARALLEL))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (PARALLEL - 1)
    assert {r.json()["status"] for r in responses if r.status_code == 400} == {"BAD_AUTH_CODE"}
    # Counted for this test's own app, so rows written by other tests cannot make it pass.
    tokens = await ctx.store.list_tokens(app_id=seeded.app_id)
    assert sorted(t.kind for t in tokens) == ["access_token", "refresh_token"]


async def test_parallel_refreshes_on_static_policy_all_succeed(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    first = await client.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seeded.redirect_uri,
            **seeded.creds(),
        },
    )
    rt = first.json()["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": rt, **seeded.creds()}
    responses = await asyncio.gather(
        *(client.post("/oauth/v1/token", data=form) for _ in range(PARALLEL))
    )
    assert [r.status_code for r in responses] == [200] * PARALLEL
    assert len({r.json()["access_token"] for r in responses}) == PARALLEL
    assert {r.json()["refresh_token"] for r in responses} == {rt}
