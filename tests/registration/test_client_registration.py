"""RFC 7591 registration and RFC 7592 management at /oauth/register, on SQLite and PostgreSQL:
the admin token or open registration, the CLI's validation, registration access tokens stored
as HMAC digests, and a registered client that really works at the token endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.support import db_snapshot, official_check

ADMIN_TOKEN = "a" * 40
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
METADATA: dict[str, Any] = {
    "client_name": "Portal app",
    "redirect_uris": ["https://portal.example.test/callback"],
    "scope": "oauth crm.objects.contacts.read",
    "hubauth_optional_scope": "crm.objects.deals.read",
}


async def _client(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context, **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update=changes), store=store, clock=clock, contract_check=official_check
    )
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as c:
            yield c


@pytest.fixture
async def api(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> AsyncIterator[httpx.AsyncClient]:
    from pydantic import SecretStr

    async for c in _client(settings, store, clock, ctx, admin_token=SecretStr(ADMIN_TOKEN)):
        yield c


@pytest.fixture
async def open_api(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings, store, clock, ctx, open_registration=True):
        yield c


async def register(api: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api.post("/oauth/register", json={**METADATA, **changes}, headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def client_authenticates(api: httpx.AsyncClient, client_id: str, secret: str) -> bool:
    """Introspection authenticates the caller before anything else (RFC 7662 §2.1)."""
    response = await api.post(
        "/oauth/v3/token/introspect",
        data={"client_id": client_id, "client_secret": secret, "token": "na1-unknown"},
    )
    return response.status_code == 200


async def test_admin_registers_a_client_that_authenticates_at_the_token_endpoints(
    api: httpx.AsyncClient,
) -> None:
    body = await register(api, hubauth_refresh_policy="rotate")
    assert body["client_name"] == "Portal app"
    assert body["redirect_uris"] == METADATA["redirect_uris"]
    assert body["scope"] == "oauth crm.objects.contacts.read"
    assert body["hubauth_optional_scope"] == "crm.objects.deals.read"
    assert body["hubauth_refresh_policy"] == "rotate"
    assert body["token_endpoint_auth_method"] == "client_secret_post"
    assert body["client_secret_expires_at"] == 0
    assert body["registration_client_uri"].endswith(f"/oauth/register/{body['client_id']}")
    assert len(body["registration_access_token"]) >= 43
    assert await client_authenticates(api, body["client_id"], body["client_secret"])


@pytest.mark.parametrize("headers", [{}, bearer("b" * 40), {"Authorization": "Basic eDp5"}])
async def test_registration_without_the_admin_token_is_401(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await api.post("/oauth/register", json=METADATA, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_open_registration_needs_no_token_and_is_advertised(
    open_api: httpx.AsyncClient,
) -> None:
    response = await open_api.post("/oauth/register", json=METADATA)
    assert response.status_code == 201, response.text
    discovery = (await open_api.get("/.well-known/oauth-authorization-server")).json()
    assert discovery["registration_endpoint"] == "http://hubauth.test/oauth/register".replace(
        "http://hubauth.test", discovery["issuer"]
    )


async def test_registration_is_not_advertised_when_off(client: httpx.AsyncClient) -> None:
    discovery = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert "registration_endpoint" not in discovery
    response = await client.post("/oauth/register", json=METADATA)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("changes", "error", "says"),
    [
        ({"redirect_uris": ["http://portal.example.test/cb"]}, "invalid_redirect_uri", "https"),
        ({"redirect_uris": []}, "invalid_redirect_uri", "non-empty"),
        ({"scope": "crm.contacts.reed"}, "invalid_client_metadata", "did you mean"),
        ({"scope": ""}, "invalid_client_metadata", "scope"),
        (
            {"hubauth_optional_scope": "crm.objects.contacts.read"},
            "invalid_client_metadata",
            "both required and optional",
        ),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata", "not supported"),
        ({"jwks_uri": "https://x.test/jwks"}, "invalid_client_metadata", "jwks_uri"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata", "jwks"),
        ({"client_name": " "}, "invalid_client_metadata", "client_name"),
        ({"client_name": "n" * 201}, "invalid_client_metadata", "client_name"),
        ({"client_name": "a\x00b"}, "invalid_client_metadata", "client_name"),
        ({"redirect_uris": ["https://x.test/cb", 7]}, "invalid_redirect_uri", "non-empty"),
        ({"scope": ["oauth"]}, "invalid_client_metadata", "scope must be a string"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "AA"}]}}, "invalid_client_metadata", "jwks"),
        ({"jwks": "not an object"}, "invalid_client_metadata", "jwks"),
        ({"grant_types": ["password"]}, "invalid_client_metadata", "grant_types"),
        ({"hubauth_refresh_policy": "sometimes"}, "invalid_client_metadata", "static or rotate"),
    ],
)
async def test_metadata_the_cli_would_refuse_is_400_per_rfc7591(
    api: httpx.AsyncClient, changes: dict[str, Any], error: str, says: str
) -> None:
    response = await api.post("/oauth/register", json={**METADATA, **changes}, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert says in response.json()["error_description"]


async def test_non_json_body_is_invalid_client_metadata(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/oauth/register", content=b"{", headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


@pytest.mark.parametrize("client_id", ["%00", "x" * 101, "%0a", "%C3%A9"])
async def test_odd_client_ids_are_401_not_5xx(api: httpx.AsyncClient, client_id: str) -> None:
    for method in ("GET", "DELETE"):
        response = await api.request(method, f"/oauth/register/{client_id}", headers=ADMIN)
        assert response.status_code == 401, response.text


async def test_registration_token_reads_its_own_client_only(api: httpx.AsyncClient) -> None:
    mine = await register(api)
    other = await register(api)
    read = await api.get(
        f"/oauth/register/{mine['client_id']}", headers=bearer(mine["registration_access_token"])
    )
    assert read.status_code == 200, read.text
    body = read.json()
    assert "client_secret" not in body and "registration_access_token" not in body
    assert body["client_id"] == mine["client_id"]
    foreign = await api.get(
        f"/oauth/register/{mine['client_id']}", headers=bearer(other["registration_access_token"])
    )
    assert foreign.status_code == 401
    unknown = await api.get(
        "/oauth/register/nope", headers=bearer(mine["registration_access_token"])
    )
    assert unknown.status_code == 401
    assert (await api.get(f"/oauth/register/{mine['client_id']}")).status_code == 401
    assert (await api.get(f"/oauth/register/{mine['client_id']}", headers=ADMIN)).status_code == 200


async def test_update_replaces_metadata_with_the_same_validation(api: httpx.AsyncClient) -> None:
    mine = await register(api)
    uri = f"/oauth/register/{mine['client_id']}"
    token = bearer(mine["registration_access_token"])
    changed = {
        **METADATA,
        "client_name": "Renamed",
        "redirect_uris": ["https://new.example.test/cb"],
        "hubauth_optional_scope": "",
    }
    response = await api.put(uri, json=changed, headers=token)
    assert response.status_code == 200, response.text
    assert response.json()["client_name"] == "Renamed"
    assert response.json()["redirect_uris"] == ["https://new.example.test/cb"]
    assert response.json()["hubauth_optional_scope"] == ""
    assert (await api.get(uri, headers=token)).json()["client_name"] == "Renamed"
    refused = await api.put(uri, json={**changed, "redirect_uris": ["ftp://x"]}, headers=token)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_redirect_uri"


async def test_rotated_secret_replaces_the_old_one(api: httpx.AsyncClient) -> None:
    mine = await register(api)
    response = await api.post(
        f"/oauth/register/{mine['client_id']}/secret",
        headers=bearer(mine["registration_access_token"]),
    )
    assert response.status_code == 200, response.text
    secret = response.json()["client_secret"]
    assert secret != mine["client_secret"]
    assert await client_authenticates(api, mine["client_id"], secret)
    assert not await client_authenticates(api, mine["client_id"], mine["client_secret"])


async def test_delete_removes_the_client_and_its_registration(api: httpx.AsyncClient) -> None:
    mine = await register(api)
    uri = f"/oauth/register/{mine['client_id']}"
    token = bearer(mine["registration_access_token"])
    response = await api.delete(uri, headers=token)
    assert response.status_code == 204
    assert response.content == b""
    assert (await api.get(uri, headers=token)).status_code == 401
    assert (await api.get(uri, headers=ADMIN)).status_code == 401
    assert not await client_authenticates(api, mine["client_id"], mine["client_secret"])


async def test_registration_token_is_stored_only_as_its_hmac(
    api: httpx.AsyncClient, ctx: Context
) -> None:
    mine = await register(api)
    app = await ctx.store.find_app_by_client_id(mine["client_id"])
    assert app is not None
    stored = await ctx.store.find_registration(app.app_id)
    assert stored == (
        ctx.hasher.hash_secret(mine["registration_access_token"]),
        ctx.hasher.key_id,
        "client_secret_post",
    )
    snapshot = repr(await db_snapshot(ctx.store))
    assert mine["registration_access_token"] not in snapshot
    assert mine["client_secret"] not in snapshot


async def test_private_key_jwt_client_registers_its_keys_and_gets_no_secret(
    api: httpx.AsyncClient, ctx: Context
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    import base64

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    jwk = {"kty": "EC", "crv": "P-256", "x": b64(key.x), "y": b64(key.y), "kid": "k1"}
    body = await register(api, token_endpoint_auth_method="private_key_jwt", jwks={"keys": [jwk]})
    assert "client_secret" not in body
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["jwks"]["keys"][0]["kid"] == "k1"
    app = await ctx.store.find_app_by_client_id(body["client_id"])
    assert app is not None and await ctx.store.find_app_jwks(app.app_id) is not None


async def test_cli_created_app_is_managed_with_the_admin_token(
    api: httpx.AsyncClient, ctx: Context
) -> None:
    """An app from `hubauth apps create` (no registration token) is still an RFC 7592 client
    for the operator."""
    from hubauth.core import provisioning
    from hubauth.core.models import RefreshPolicy

    created = await provisioning.create_app(
        ctx,
        name="cli app",
        redirect_uris=["https://cli.example.test/cb"],
        required_scopes="oauth",
        refresh_policy=RefreshPolicy.STATIC,
    )
    uri = f"/oauth/register/{created.app.client_id}"
    assert (await api.get(uri, headers=ADMIN)).json()["client_name"] == "cli app"
    assert (await api.get(uri, headers=bearer("x" * 43))).status_code == 401
