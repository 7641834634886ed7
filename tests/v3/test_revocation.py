"""``POST /oauth/{v}/token/revoke`` (RFC 7009; docs/sources.md: USERTOUR): 200 with an empty body
whatever the token was; only the caller's own live tokens are touched."""

from __future__ import annotations

import httpx
import pytest

from hubauth.core.context import Context, Policy
from hubauth.store.sql import SqlStore
from tests.support import Seed, db_snapshot, seed
from tests.v3.conftest import AuditLog
from tests.v3.flows import VERSIONS, introspection, is_active, issue, refresh, revoke


def assert_revoke_ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("version", VERSIONS)
async def test_revoking_a_refresh_token_kills_it_and_its_access_tokens(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, audit_log: AuditLog, version: str
) -> None:
    tokens = await issue(client, ctx, seeded)
    second_access = (await refresh(client, seeded, tokens["refresh_token"])).json()["access_token"]

    assert_revoke_ok(await revoke(client, seeded.creds(), tokens["refresh_token"], version=version))

    for token in (tokens["refresh_token"], tokens["access_token"], second_access):
        assert not await is_active(client, seeded, token)
    again = await refresh(client, seeded, tokens["refresh_token"])
    assert again.status_code == 400 and again.json()["status"] == "BAD_REFRESH_TOKEN"
    revoked = [f for event, f in audit_log if event == "refresh_token_revoked"]
    assert len(revoked) == 1 and revoked[0]["via"] == "v3_revoke"


@pytest.mark.parametrize(
    "policy",
    [
        Policy(v3_revoke_access_tokens=False),
        # v1's switch does not leak into v3: the two endpoints have separate settings
        Policy(v3_revoke_access_tokens=False, revoke_access_tokens_with_refresh=True),
    ],
)
async def test_access_tokens_survive_when_v3_revoke_access_tokens_is_off(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, policy: Policy
) -> None:
    tokens = await issue(client, ctx, seeded)
    assert_revoke_ok(await revoke(client, seeded.creds(), tokens["refresh_token"]))
    assert not await is_active(client, seeded, tokens["refresh_token"])
    assert await is_active(client, seeded, tokens["access_token"])


@pytest.mark.parametrize("policy", [Policy(revoke_access_tokens_with_refresh=False)])
async def test_v1_delete_keeps_its_own_default_next_to_v3(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, policy: Policy
) -> None:
    """Same install, same default settings: v1 DELETE leaves access tokens alive (HubSpot's
    documented v1 behaviour), v3 revoke kills them (RFC 7009 §2.1)."""
    via_v1 = await issue(client, ctx, seeded)
    via_v3 = await issue(client, ctx, seeded)
    assert (
        await client.delete(f"/oauth/v1/refresh-tokens/{via_v1['refresh_token']}")
    ).status_code == 204
    assert_revoke_ok(await revoke(client, seeded.creds(), via_v3["refresh_token"]))
    assert await is_active(client, seeded, via_v1["access_token"])
    assert not await is_active(client, seeded, via_v3["access_token"])


async def test_revoking_an_access_token_leaves_the_refresh_token(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    assert_revoke_ok(
        await revoke(client, seeded.creds(), tokens["access_token"], hint="access_token")
    )
    assert not await is_active(client, seeded, tokens["access_token"])
    assert await is_active(client, seeded, tokens["refresh_token"])
    assert (await refresh(client, seeded, tokens["refresh_token"])).status_code == 200


async def test_guide_field_names_work_for_revoke(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    assert_revoke_ok(
        await revoke(
            client,
            seeded.creds(),
            tokens["refresh_token"],
            field="refresh_token",
            hint="refresh_token",
        )
    )
    assert not await is_active(client, seeded, tokens["refresh_token"])


@pytest.mark.parametrize(
    "token",
    ["na1-0000-0000-0000-0000-000000000000", "C" + "A" * 150, "y" * 700, "\u2603"],
    ids=["refresh-shaped", "access-shaped", "too-long", "non-ascii"],
)
async def test_revoking_an_unknown_token_succeeds_and_changes_nothing(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, token: str
) -> None:
    before = await db_snapshot(store)
    assert_revoke_ok(await revoke(client, seeded.creds(), token))
    assert await db_snapshot(store) == before


async def test_revoking_twice_succeeds_and_the_second_time_changes_nothing(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, audit_log: AuditLog
) -> None:
    tokens = await issue(client, ctx, seeded)
    assert_revoke_ok(await revoke(client, seeded.creds(), tokens["refresh_token"]))
    before = await db_snapshot(store)
    assert_revoke_ok(await revoke(client, seeded.creds(), tokens["refresh_token"]))
    assert await db_snapshot(store) == before
    assert [e for e, _ in audit_log].count("refresh_token_revoked") == 1


async def test_another_clients_token_is_answered_200_and_left_alive(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, audit_log: AuditLog
) -> None:
    tokens = await issue(client, ctx, seeded)
    other = await seed(ctx)
    before = await db_snapshot(store)
    for token in (tokens["refresh_token"], tokens["access_token"]):
        assert_revoke_ok(await revoke(client, other.creds(), token))
    assert await db_snapshot(store) == before
    assert await is_active(client, seeded, tokens["refresh_token"])
    assert await is_active(client, seeded, tokens["access_token"])
    assert [e for e, _ in audit_log].count("foreign_token_presented") == 2


@pytest.mark.parametrize(
    "creds",
    [
        {"client_secret": "00000000-0000-0000-0000-000000000000"},
        {"client_id": "00000000-0000-0000-0000-000000000000"},
        {"client_id": "", "client_secret": ""},
    ],
)
async def test_bad_client_credentials_are_refused_and_the_token_lives(
    client: httpx.AsyncClient,
    ctx: Context,
    store: SqlStore,
    seeded: Seed,
    creds: dict[str, str],
) -> None:
    tokens = await issue(client, ctx, seeded)
    before = await db_snapshot(store)
    response = await revoke(client, {**seeded.creds(), **creds}, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert await db_snapshot(store) == before


async def test_missing_token_is_invalid_request(client: httpx.AsyncClient, seeded: Seed) -> None:
    response = await client.post("/oauth/v3/token/revoke", data=seeded.creds())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_no_token_or_secret_reaches_the_audit_log(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, audit_log: AuditLog
) -> None:
    tokens = await issue(client, ctx, seeded)
    other = await seed(ctx)
    await introspection(client, other.creds(), tokens["access_token"])
    await revoke(client, other.creds(), tokens["refresh_token"])
    await revoke(client, seeded.creds(), tokens["access_token"])
    await revoke(client, seeded.creds(), tokens["refresh_token"])
    await client.post(f"/oauth/v3/token/revoke?client_secret={seeded.client_secret}")
    secrets = {tokens["access_token"], tokens["refresh_token"], seeded.client_secret}
    logged = repr(audit_log)
    assert len(audit_log) >= 4
    assert not [s for s in secrets if s in logged]
