"""Cross-client use (RFC 6749 §4.1.3, §6, §10.2; RFC 9700 §4.10): a code or refresh token
issued to one client is useless to another, and the failed attempt neither consumes nor
revokes anything of the rightful client."""

from __future__ import annotations

import httpx
import pytest

from hubauth.core.context import Context, Policy
from hubauth.store.sql import SqlStore
from tests.security.helpers import TOKEN, code_form, issue, refresh, refresh_alive
from tests.support import Seed, db_snapshot, mint_code, seed


@pytest.fixture
async def other(ctx: Context) -> Seed:
    return await seed(ctx)


async def test_cross_client_code_redemption_is_refused_and_harmless(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, other: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    stolen = code_form(seeded, code, **other.creds())
    before = await db_snapshot(store)
    response = await client.post(TOKEN, data=stolen)
    assert response.status_code == 400
    assert response.json()["status"] == "BAD_AUTH_CODE"
    assert await db_snapshot(store) == before
    assert (await client.post(TOKEN, data=code_form(seeded, code))).status_code == 200


async def test_cross_client_replay_of_a_used_code_does_not_revoke_the_owner(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, other: Seed
) -> None:
    """Otherwise any client could kill another's install by replaying a leaked code."""
    code = await mint_code(ctx, seeded)
    owner = (await client.post(TOKEN, data=code_form(seeded, code))).json()
    response = await client.post(TOKEN, data=code_form(seeded, code, **other.creds()))
    assert response.json()["status"] == "BAD_AUTH_CODE"
    assert await refresh_alive(client, owner["refresh_token"])


async def test_cross_client_refresh_is_refused_and_harmless(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, other: Seed
) -> None:
    owned = await issue(client, ctx, seeded)
    before = await db_snapshot(store)
    response = await refresh(client, other, owned["refresh_token"])
    assert response.status_code == 400
    assert response.json()["status"] == "BAD_REFRESH_TOKEN"
    assert await db_snapshot(store) == before
    assert (await refresh(client, seeded, owned["refresh_token"])).status_code == 200


@pytest.mark.parametrize("policy", [Policy(uniform_token_errors=True)], ids=["uniform"])
async def test_cross_client_refresh_with_uniform_errors_looks_unknown(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, other: Seed
) -> None:
    owned = await issue(client, ctx, seeded)
    foreign = (await refresh(client, other, owned["refresh_token"])).json()
    unknown = (await refresh(client, other, "na1-0000-0000-0000-0000-000000000000")).json()
    foreign.pop("correlationId")
    unknown.pop("correlationId")
    assert foreign == unknown
