"""Token enumeration (RFC 6749 §10.10; RFC 7662 §4; RFC 7009 §2.2):
a token that is unknown, expired, revoked, rotated away, uninstalled or issued to another client
gets a byte-identical answer (apart from the correlation id) at every metadata endpoint, so
probing tells an attacker nothing about which tokens once existed."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import httpx
import orjson
import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from hubauth.core.models import RefreshPolicy
from tests.security.helpers import TOKEN, code_form, exchange, has_route, issue, refresh
from tests.support import Seed, mint_code, seed

Probe = Callable[[str], Awaitable[httpx.Response]]
VOLATILE_HEADERS = {"x-request-id", "date", "content-length"}


def fingerprint(response: httpx.Response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
    """Status, body without ``correlationId`` (canonical JSON), and the stable headers."""
    body = b""
    if response.content:
        data = response.json()
        data.pop("correlationId", None)
        body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    headers = tuple(
        sorted((k, v) for k, v in response.headers.items() if k not in VOLATILE_HEADERS)
    )
    return response.status_code, body, headers


async def assert_indistinguishable(probe: Probe, tokens: dict[str, str]) -> None:
    prints = {name: fingerprint(await probe(token)) for name, token in tokens.items()}
    first = next(iter(prints.values()))
    assert first[0] >= 400 or b'"active":false' in first[1], prints
    for name, value in prints.items():
        assert value == first, f"{name} answers differently: {value} vs {first}"


def unknown_tokens() -> dict[str, str]:
    return {
        "unknown_access_shape": "C" + secrets.token_urlsafe(110),
        "unknown_refresh_shape": "na1-" + "-".join(secrets.token_hex(n) for n in (2, 2, 2, 2, 6)),
        "garbage": "x",
        "too_long": "C" * 600,
        "non_ascii": "na1-\u00e9",
    }


@pytest.fixture
async def dead_access_tokens(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock
) -> dict[str, str]:
    # expire one first, then make the others (so they are dead for their own reason only)
    expired = await issue(client, ctx, seeded)
    clock.advance(1801)
    revoked = await issue(client, ctx, seeded)
    await ctx.store.revoke_access_token(ctx.hasher.hash(revoked["access_token"]), ctx.now_ms())
    replayed_code = await mint_code(ctx, seeded)
    replayed = (await exchange(client, seeded, replayed_code)).json()
    await exchange(client, seeded, replayed_code)  # replay: revokes the family
    other = await seed(ctx)
    uninstalled = await issue(client, ctx, other)
    await ctx.store.uninstall(other.app_id, other.hub_id, ctx.now_ms())
    gone = await seed(ctx)
    hub_deleted = await issue(client, ctx, gone)
    await ctx.store.delete_hub(gone.hub_id, ctx.now_ms())
    return {
        **unknown_tokens(),
        "expired": expired["access_token"],
        "revoked": revoked["access_token"],
        "revoked_by_code_replay": replayed["access_token"],
        "uninstalled": uninstalled["access_token"],
        "hub_deleted": hub_deleted["access_token"],
    }


@pytest.fixture
async def dead_refresh_tokens(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> dict[str, str]:
    deleted = await issue(client, ctx, seeded)
    assert (await client.delete(f"/oauth/v1/refresh-tokens/{deleted['refresh_token']}")).is_success
    rotating = await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)
    rotated = await issue(client, ctx, rotating)
    assert (await refresh(client, rotating, rotated["refresh_token"])).status_code == 200
    other = await seed(ctx)
    uninstalled = await issue(client, ctx, other)
    await ctx.store.uninstall(other.app_id, other.hub_id, ctx.now_ms())
    gone = await seed(ctx)
    hub_deleted = await issue(client, ctx, gone)
    await ctx.store.delete_hub(gone.hub_id, ctx.now_ms())
    return {
        **unknown_tokens(),
        "deleted": deleted["refresh_token"],
        "rotated_away": rotated["refresh_token"],
        "uninstalled": uninstalled["refresh_token"],
        "hub_deleted": hub_deleted["refresh_token"],
    }


async def test_access_token_metadata_enumeration_gets_identical_answers(
    client: httpx.AsyncClient, dead_access_tokens: dict[str, str]
) -> None:
    async def probe(token: str) -> httpx.Response:
        return await client.get(f"/oauth/v1/access-tokens/{token}")

    await assert_indistinguishable(probe, dead_access_tokens)


async def test_refresh_token_metadata_enumeration_gets_identical_answers(
    client: httpx.AsyncClient, dead_refresh_tokens: dict[str, str]
) -> None:
    async def probe(token: str) -> httpx.Response:
        return await client.get(f"/oauth/v1/refresh-tokens/{token}")

    await assert_indistinguishable(probe, dead_refresh_tokens)


async def test_refresh_token_delete_enumeration_gets_identical_answers(
    client: httpx.AsyncClient, dead_refresh_tokens: dict[str, str]
) -> None:
    async def probe(token: str) -> httpx.Response:
        return await client.delete(f"/oauth/v1/refresh-tokens/{token}")

    await assert_indistinguishable(probe, dead_refresh_tokens)


async def test_code_enumeration_at_token_endpoint_gets_identical_answers(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock
) -> None:
    """Unknown, used and another client's (even expired) codes all say BAD_AUTH_CODE."""
    used = await mint_code(ctx, seeded)
    await exchange(client, seeded, used)
    other = await seed(ctx)
    foreign = await mint_code(ctx, other)
    foreign_expired = await mint_code(ctx, other)
    clock.advance(301)
    codes = {
        "unknown": "na1-0000-0000-0000-0000-000000000000",
        "used": used,
        "foreign": foreign,
        "foreign_expired": foreign_expired,
    }

    async def probe(code: str) -> httpx.Response:
        return await client.post(TOKEN, data=code_form(seeded, code))

    await assert_indistinguishable(probe, codes)


@pytest.mark.parametrize("policy", [Policy(uniform_token_errors=True)], ids=["uniform"])
async def test_refresh_grant_enumeration_with_uniform_errors_gets_identical_answers(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, dead_refresh_tokens: dict[str, str]
) -> None:
    other = await seed(ctx)
    foreign = await issue(client, ctx, other)
    tokens = {k: v for k, v in dead_refresh_tokens.items() if k != "hub_deleted"}
    tokens["foreign"] = foreign["refresh_token"]

    async def probe(token: str) -> httpx.Response:
        return await refresh(client, seeded, token)

    await assert_indistinguishable(probe, tokens)


async def test_default_policy_tells_a_foreign_refresh_token_apart_as_hubspot_does(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    """HubSpot's documented answer (docs/sources.md: AIRBYTE); docs/security.md lists the safer
    setting."""
    other = await seed(ctx)
    foreign = await issue(client, ctx, other)
    body = (await refresh(client, seeded, foreign["refresh_token"])).json()
    assert body["message"] == "refresh token was not issued to this client"


@pytest.mark.skipif(
    not has_route("/oauth/v3/token/introspect"),
    reason="POST /oauth/v3/token/introspect is not on this branch yet (branch v3)",
)
async def test_introspection_enumeration_gets_identical_answers(
    client: httpx.AsyncClient,
    ctx: Context,
    seeded: Seed,
    dead_access_tokens: dict[str, str],
) -> None:
    other = await seed(ctx)
    foreign = await issue(client, ctx, other)
    tokens = {**dead_access_tokens, "foreign": foreign["access_token"]}

    async def probe(token: str) -> httpx.Response:
        return await client.post(
            "/oauth/v3/token/introspect", data={"token": token, **seeded.creds()}
        )

    await assert_indistinguishable(probe, tokens)
