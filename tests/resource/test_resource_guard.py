"""``hubauth.resource``: a small FastAPI API protected by the guard, against a real hubauth.

Introspection mode talks HTTP to a live server (the pytest plugin's, whose clock the test
moves); co-located mode reads the database directly, on SQLite and PostgreSQL. The guard's
cache runs on a clock the test holds, so "within the revocation latency" needs no sleeping.
"""

# No `from __future__ import annotations`: FastAPI must evaluate the dependencies declared in
# platform_api(), which close over its local guard.
import dataclasses
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.requests import Request

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.resource import (
    IntrospectionVerifier,
    ResourceGuard,
    ResourceGuardMiddleware,
    ScopeRule,
    TokenInfo,
)
from hubauth.resource.colocated import DatabaseVerifier
from hubauth.resource.dependency import install, requires
from hubauth.store.sql import SqlStore
from hubauth.testing.server import HubAuthServer
from hubauth.web.app import create_app
from tests.support import Seed, official_check, seed
from tests.v3.flows import issue, revoke

CONTACTS = "crm.objects.contacts.read"
DEALS = "crm.objects.deals.read"
TTL = 30.0


class GuardClock:
    """The guard cache's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def platform_api(guard: ResourceGuard) -> FastAPI:
    """The platform's own API: contacts need the contacts scope, deals the deals scope."""
    api = FastAPI()
    install(api)

    @api.get("/contacts")
    async def contacts(
        token: Annotated[TokenInfo, Depends(requires(guard, CONTACTS))],
    ) -> dict[str, Any]:
        return {"hub_id": token.hub_id, "scopes": sorted(token.scopes)}

    @api.get("/deals")
    async def deals(token: Annotated[TokenInfo, Depends(requires(guard, DEALS))]) -> dict[str, Any]:
        return {"hub_id": token.hub_id}

    return api


def api_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_hubspot_error(response: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    assert len(body["correlationId"]) == 36
    return body


# --- introspection mode, against a live server -------------------------------------------------


async def test_live_server_token_allowed_then_refused_for_missing_scope(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    guard = ResourceGuard(
        IntrospectionVerifier(
            hubauth_server.base_url, hubauth_server.client_id, hubauth_server.client_secret
        )
    )
    async with api_client(platform_api(guard)) as api:
        allowed = await api.get("/contacts", headers=bearer(tokens["access_token"]))
        assert allowed.status_code == 200, allowed.text
        assert allowed.json() == {
            "hub_id": hubauth_server.hub_id,
            "scopes": sorted(hubauth_server.scopes),
        }
        refused = await api.get("/deals", headers=bearer(tokens["access_token"]))
    body = assert_hubspot_error(refused, 403, "MISSING_SCOPES")
    assert body["context"] == {"missingScopes": [DEALS]}
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


async def test_live_server_token_with_optional_scope_reaches_the_deals_route(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens(optional=(DEALS,))
    guard = ResourceGuard(
        IntrospectionVerifier(
            hubauth_server.base_url, hubauth_server.client_id, hubauth_server.client_secret
        )
    )
    async with api_client(platform_api(guard)) as api:
        response = await api.get("/deals", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text


async def test_live_server_token_expired_by_the_server_clock_is_refused_once_cache_lapses(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    clock = GuardClock()
    guard = ResourceGuard(
        IntrospectionVerifier(
            hubauth_server.base_url, hubauth_server.client_id, hubauth_server.client_secret
        ),
        cache_ttl=TTL,
        clock=clock,
    )
    async with api_client(platform_api(guard)) as api:
        assert (await api.get("/contacts", headers=bearer(tokens["access_token"]))).is_success
        hubauth_server.clock.advance(1800)
        clock.advance(1800)  # the cached answer never outlives the token's expires_in
        response = await api.get("/contacts", headers=bearer(tokens["access_token"]))
    assert_hubspot_error(response, 401, "INVALID_AUTHENTICATION")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_live_server_revoked_token_is_refused_within_the_cache_ttl(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    clock = GuardClock()
    guard = ResourceGuard(
        IntrospectionVerifier(
            hubauth_server.base_url, hubauth_server.client_id, hubauth_server.client_secret
        ),
        cache_ttl=TTL,
        clock=clock,
    )
    async with api_client(platform_api(guard)) as api:
        assert (await api.get("/contacts", headers=bearer(tokens["access_token"]))).is_success
        revoked = httpx.post(
            f"{hubauth_server.base_url}/oauth/v3/token/revoke",
            data={
                "token": tokens["access_token"],
                "client_id": hubauth_server.client_id,
                "client_secret": hubauth_server.client_secret,
            },
        )
        assert revoked.status_code == 200
        # the documented latency: the cached answer may still be used until cache_ttl passes
        clock.advance(TTL - 1)
        assert (await api.get("/contacts", headers=bearer(tokens["access_token"]))).is_success
        clock.advance(1)
        response = await api.get("/contacts", headers=bearer(tokens["access_token"]))
    assert_hubspot_error(response, 401, "INVALID_AUTHENTICATION")


async def test_live_server_uninstall_kills_the_token_at_once_without_cache(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    guard = ResourceGuard(
        IntrospectionVerifier(
            hubauth_server.base_url, hubauth_server.client_id, hubauth_server.client_secret
        ),
        cache_ttl=0,
    )
    async with api_client(platform_api(guard)) as api:
        assert (await api.get("/contacts", headers=bearer(tokens["access_token"]))).is_success
        hubauth_server.uninstall()
        response = await api.get("/contacts", headers=bearer(tokens["access_token"]))
    assert_hubspot_error(response, 401, "INVALID_AUTHENTICATION")
    assert guard.cached == 0


async def test_missing_or_malformed_authorization_is_401_without_asking_the_server() -> None:
    class Unreachable:
        async def verify(self, token: str) -> TokenInfo | None:
            raise AssertionError("no token: the verifier must not be asked")

    async with api_client(platform_api(ResourceGuard(Unreachable()))) as api:
        missing = await api.get("/contacts")
        basic = await api.get("/contacts", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_hubspot_error(missing, 401, "INVALID_AUTHENTICATION")
    assert missing.headers["www-authenticate"] == 'Bearer realm="hubauth"'
    assert_hubspot_error(basic, 401, "INVALID_AUTHENTICATION")


async def test_unreachable_authorization_server_is_503_never_a_pass() -> None:
    verifier = IntrospectionVerifier("http://127.0.0.1:9", "id", "secret", timeout=2)
    async with api_client(platform_api(ResourceGuard(verifier))) as api:
        response = await api.get("/contacts", headers=bearer("some-token"))
    assert_hubspot_error(response, 503, "SERVICE_UNAVAILABLE")


async def test_wrong_guard_credentials_are_503_not_the_callers_401(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    verifier = IntrospectionVerifier(hubauth_server.base_url, hubauth_server.client_id, "wrong")
    async with api_client(platform_api(ResourceGuard(verifier))) as api:
        response = await api.get("/contacts", headers=bearer(tokens["access_token"]))
    assert_hubspot_error(response, 503, "SERVICE_UNAVAILABLE")


async def test_cache_holds_at_most_max_entries() -> None:
    class Counting:
        calls = 0

        async def verify(self, token: str) -> TokenInfo | None:
            Counting.calls += 1
            return TokenInfo(token, 1, 1, 1, frozenset({CONTACTS}), 1800)

    guard = ResourceGuard(Counting(), max_entries=2)
    for token in ("a", "b", "c", "c"):
        await guard.check(f"Bearer {token}", [CONTACTS])
    assert guard.cached == 2
    assert Counting.calls == 3  # the second "c" came from the cache
    await guard.check("Bearer a", [CONTACTS])  # "a" was evicted first
    assert Counting.calls == 4


# --- the ASGI middleware -----------------------------------------------------------------------


async def test_middleware_enforces_scope_rules_and_leaves_public_paths_open() -> None:
    class Static:
        async def verify(self, token: str) -> TokenInfo | None:
            return TokenInfo("c", 1, 7, 8, frozenset({CONTACTS}), 1800) if token == "ok" else None

    api = FastAPI()

    @api.get("/health")
    async def health() -> dict[str, str]:
        return {"ok": "yes"}

    @api.get("/crm/deals/{deal}")
    async def deal(deal: str, request: Request) -> dict[str, Any]:
        return {"hub_id": request.state.hubauth_token.hub_id}

    @api.get("/crm/contacts")
    async def contacts(request: Request) -> dict[str, Any]:
        return {"hub_id": request.state.hubauth_token.hub_id}

    guarded = ResourceGuardMiddleware(
        api,
        ResourceGuard(Static()),
        [
            ScopeRule("/health", None),
            ScopeRule("/crm", (CONTACTS,)),
            ScopeRule("/crm/deals", (CONTACTS, DEALS)),
        ],
    )
    async with api_client(guarded) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/crm/contacts", headers=bearer("ok"))).json() == {"hub_id": 7}
        missing = await client.get("/crm/deals/1", headers=bearer("ok"))
        dead = await client.get("/crm/contacts", headers=bearer("dead"))
        unlisted = await client.get("/other")
    assert assert_hubspot_error(missing, 403, "MISSING_SCOPES")["context"] == {
        "missingScopes": [DEALS]
    }
    assert_hubspot_error(dead, 401, "INVALID_AUTHENTICATION")
    assert_hubspot_error(unlisted, 401, "INVALID_AUTHENTICATION")  # closed by default


# --- on both databases: co-located mode and introspection by a resource-server client -----------


async def test_colocated_guard_reads_the_database(
    database_url: str, ctx: Context, seeded: Seed, clock: FrozenClock, settings: Settings
) -> None:
    """Allowed, missing scope, revoked (within the cache TTL) and expired, on both backends."""
    app = create_app(settings, store=ctx.store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as hub:
            first = await issue(hub, ctx, seeded)
            second = await issue(hub, ctx, seeded)
            gclock = GuardClock()
            guard = ResourceGuard(DatabaseVerifier(ctx), cache_ttl=TTL, clock=gclock)
            async with api_client(platform_api(guard)) as api:
                ok = await api.get("/contacts", headers=bearer(first["access_token"]))
                assert ok.status_code == 200, ok.text
                assert ok.json()["hub_id"] == seeded.hub_id
                deals = await api.get("/deals", headers=bearer(first["access_token"]))
                assert_hubspot_error(deals, 403, "MISSING_SCOPES")

                assert (await revoke(hub, seeded.creds(), first["access_token"])).is_success
                gclock.advance(TTL)
                gone = await api.get("/contacts", headers=bearer(first["access_token"]))
                assert_hubspot_error(gone, 401, "INVALID_AUTHENTICATION")

                assert (
                    await api.get("/contacts", headers=bearer(second["access_token"]))
                ).is_success
                clock.advance(1800)
                gclock.advance(1800)
                expired = await api.get("/contacts", headers=bearer(second["access_token"]))
                assert_hubspot_error(expired, 401, "INVALID_AUTHENTICATION")


async def test_colocated_verifier_from_settings_opens_the_database(
    database_url: str, ctx: Context, seeded: Seed, settings: Settings
) -> None:
    app = create_app(settings, store=ctx.store, clock=ctx.clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as hub:
            tokens = await issue(hub, ctx, seeded)
    verifier = DatabaseVerifier.from_settings(settings, clock=ctx.clock)
    try:
        info = await verifier.verify(tokens["access_token"])
        assert info is not None and info.hub_id == seeded.hub_id
        assert await verifier.verify("na1-not-a-token") is None
    finally:
        await verifier.close()


@pytest.fixture
async def resource_hub(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> AsyncIterator[tuple[httpx.AsyncClient, Seed, Context]]:
    """hubauth in-process with a resource-server client listed in its policy."""
    resource_server = await seed(ctx, scopes=("oauth",), optional_scopes=())
    policy = dataclasses.replace(
        ctx.policy, resource_server_clients=frozenset({resource_server.client_id})
    )
    app = create_app(settings, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        app.state.ctx = dataclasses.replace(ctx, policy=policy)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as hub:
            yield hub, resource_server, app.state.ctx


async def test_resource_server_client_introspects_other_clients_tokens(
    resource_hub: tuple[httpx.AsyncClient, Seed, Context], seeded: Seed
) -> None:
    hub, resource_server, ctx = resource_hub
    stranger = await seed(ctx)
    tokens = await issue(hub, ctx, seeded)
    verifier = IntrospectionVerifier(
        "http://hubauth.test", resource_server.client_id, resource_server.client_secret, http=hub
    )
    info = await verifier.verify(tokens["access_token"])
    assert info is not None
    assert (info.client_id, info.hub_id) == (seeded.client_id, seeded.hub_id)
    assert info.scopes == frozenset(seeded.scopes)
    # an ordinary client still learns nothing about a token that is not its own
    other = IntrospectionVerifier(
        "http://hubauth.test", stranger.client_id, stranger.client_secret, http=hub
    )
    assert await other.verify(tokens["access_token"]) is None
    # a refresh token is not an API credential
    assert await verifier.verify(tokens["refresh_token"]) is None
