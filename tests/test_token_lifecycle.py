"""The v1 token lifecycle in-process, on SQLite and PostgreSQL, every body contract-checked."""

from __future__ import annotations

import httpx

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from tests.support import Seed, mint_code


async def exchange(client: httpx.AsyncClient, s: Seed, code: str) -> httpx.Response:
    return await client.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": s.redirect_uri,
            **s.creds(),
        },
    )


async def test_code_exchange_returns_hubspot_token_response(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    response = await exchange(client, seeded, code)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["token_use"] == "access_token"
    assert body["expires_in"] == 1800
    assert body["hub_id"] == seeded.hub_id
    assert body["user_id"] == seeded.user_id
    assert body["scopes"] == list(seeded.scopes)
    assert body["refresh_token"].startswith("na1-") and len(body["refresh_token"]) == 36
    assert body["access_token"].startswith("C") and 148 <= len(body["access_token"]) <= 512
    assert response.headers["cache-control"] == "no-store"


async def test_granted_optional_scope_is_in_token_scopes(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded, optional=seeded.optional_scopes)
    body = (await exchange(client, seeded, code)).json()
    assert body["scopes"] == [*seeded.scopes, *seeded.optional_scopes]


async def test_refresh_returns_new_access_token_and_same_refresh_token(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    first = (await exchange(client, seeded, await mint_code(ctx, seeded))).json()
    response = await client.post(
        "/oauth/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            **seeded.creds(),
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] == first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert body["hub_id"] == seeded.hub_id


async def test_refresh_token_metadata_matches_founding_contract(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = (await exchange(client, seeded, await mint_code(ctx, seeded))).json()
    response = await client.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}")
    assert response.status_code == 200
    assert response.json() == {
        "token": tokens["refresh_token"],
        "user": seeded.email,
        "hub_domain": seeded.hub_domain,
        "scopes": list(seeded.scopes),
        "hub_id": seeded.hub_id,
        "client_id": seeded.client_id,
        "user_id": seeded.user_id,
        "token_type": "refresh",
    }


async def test_access_token_metadata_counts_down_with_the_clock(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock
) -> None:
    tokens = (await exchange(client, seeded, await mint_code(ctx, seeded))).json()
    url = f"/oauth/v1/access-tokens/{tokens['access_token']}"
    body = (await client.get(url)).json()
    assert body["expires_in"] == 1800
    assert body["token_type"] == "access"
    assert body["app_id"] == seeded.app_id
    assert body["user"] == seeded.email
    assert body["signed_access_token"]["hubId"] == seeded.hub_id
    clock.advance(46)
    assert (await client.get(url)).json()["expires_in"] == 1754
    clock.advance(1754)
    expired = await client.get(url)
    assert expired.status_code == 401
    assert expired.json()["category"] == "INVALID_AUTHENTICATION"


async def test_delete_refresh_token_kills_it_but_leaves_access_tokens_alive(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = (await exchange(client, seeded, await mint_code(ctx, seeded))).json()
    rt, at = tokens["refresh_token"], tokens["access_token"]
    deleted = await client.delete(f"/oauth/v1/refresh-tokens/{rt}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"/oauth/v1/refresh-tokens/{rt}")).status_code == 404
    refresh = await client.post(
        "/oauth/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": rt, **seeded.creds()},
    )
    assert refresh.status_code == 400
    assert refresh.json()["status"] == "BAD_REFRESH_TOKEN"
    assert (await client.get(f"/oauth/v1/access-tokens/{at}")).status_code == 200


async def test_access_token_of_a_deleted_hub_is_dead_at_once(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = (await exchange(client, seeded, await mint_code(ctx, seeded))).json()
    await ctx.store.delete_hub(seeded.hub_id, ctx.now_ms())
    response = await client.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")
    assert response.status_code == 401
