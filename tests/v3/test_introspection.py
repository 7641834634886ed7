"""``POST /oauth/{v}/token/introspect`` (RFC 7662; docs/sources.md: G-V3): the client's own live
tokens are described; anything else is exactly ``{"active": false}``."""

from __future__ import annotations

import secrets

import httpx
import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.store.sql import SqlStore
from tests.support import Seed, db_snapshot, seed
from tests.v3.conftest import AuditLog
from tests.v3.flows import VERSIONS, introspect, introspection, issue, post_form

INACTIVE = {"active": False}


async def test_active_access_token_carries_hubspot_fields_and_rfc7662_claims(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock
) -> None:
    tokens = await issue(client, ctx, seeded)
    now_s = clock.now_ms() // 1000
    body = await introspection(client, seeded.creds(), tokens["access_token"])
    signed = body.pop("signed_access_token")
    assert body == {
        "active": True,
        "token": tokens["access_token"],
        "token_type": "Bearer",
        "token_use": "access_token",
        "client_id": seeded.client_id,
        "app_id": seeded.app_id,
        "hub_id": seeded.hub_id,
        "user_id": seeded.user_id,
        "user": seeded.email,
        "hub_domain": seeded.hub_domain,
        "scopes": list(seeded.scopes),
        "scope": " ".join(seeded.scopes),
        "expires_in": 1800,
        "exp": now_s + 1800,
        "iat": now_s,
        "is_private_distribution": False,
    }
    assert signed["hubId"] == seeded.hub_id
    assert signed["userId"] == seeded.user_id
    assert signed["expiresAt"] == clock.now_ms() + 1_800_000
    assert signed["isUserLevel"] is True and signed["isServiceAccount"] is False


async def test_expires_in_counts_down_and_an_expired_token_is_inactive(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock
) -> None:
    access = (await issue(client, ctx, seeded))["access_token"]
    clock.advance(11)
    assert (await introspection(client, seeded.creds(), access))["expires_in"] == 1789
    clock.advance(1789)
    assert await introspection(client, seeded.creds(), access) == INACTIVE


async def test_active_refresh_token_carries_hubspot_fields(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock
) -> None:
    tokens = await issue(client, ctx, seeded)
    body = await introspection(
        client, seeded.creds(), tokens["refresh_token"], hint="refresh_token"
    )
    assert body == {
        "active": True,
        "token": tokens["refresh_token"],
        "token_type": "Bearer",
        "token_use": "refresh_token",
        "client_id": seeded.client_id,
        "app_id": seeded.app_id,
        "hub_id": seeded.hub_id,
        "user_id": seeded.user_id,
        "user": seeded.email,
        "hub_domain": seeded.hub_domain,
        "scopes": list(seeded.scopes),
        "scope": " ".join(seeded.scopes),
        "iat": clock.now_ms() // 1000,
    }


async def test_client_credentials_token_is_an_access_token_marked_app_level(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    """HubSpot's introspection union knows access_token and refresh_token only: an app token
    is an access token whose signed_access_token says it is not user-level (decisions.md)."""
    issued = await post_form(
        client,
        "/oauth/v3/token",
        {"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()},
        "token-request",
    )
    body = await introspection(client, seeded.creds(), issued.json()["access_token"])
    assert body["active"] is True
    assert body["token_use"] == "access_token"
    assert (body["hub_id"], body["user_id"]) == (0, 0)
    assert "user" not in body and "hub_domain" not in body
    assert body["scopes"] == ["oauth"]
    assert body["signed_access_token"]["isServiceAccount"] is True
    assert body["signed_access_token"]["isUserLevel"] is False


@pytest.mark.parametrize(
    "token",
    [
        "na1-0000-0000-0000-0000-000000000000",
        "C" + secrets.token_urlsafe(110),
        "x" * 600,
        "na1-\u00e9t\u00e9",
        "access-token",
    ],
    ids=["refresh-shaped", "access-shaped", "too-long", "non-ascii", "sdk-placeholder"],
)
async def test_unknown_tokens_are_inactive_and_nothing_changes(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, token: str
) -> None:
    before = await db_snapshot(store)
    assert await introspection(client, seeded.creds(), token) == INACTIVE
    assert await db_snapshot(store) == before


async def test_revoked_and_uninstalled_tokens_are_inactive(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    deleted = await issue(client, ctx, seeded)
    assert (
        await client.delete(f"/oauth/v1/refresh-tokens/{deleted['refresh_token']}")
    ).status_code == 204
    assert await introspection(client, seeded.creds(), deleted["refresh_token"]) == INACTIVE

    uninstalled = await issue(client, ctx, seeded)
    await ctx.store.uninstall(seeded.app_id, seeded.hub_id, ctx.now_ms())
    for token in (uninstalled["access_token"], uninstalled["refresh_token"]):
        assert await introspection(client, seeded.creds(), token) == INACTIVE


async def test_another_clients_tokens_are_inactive_and_nothing_leaks(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, audit_log: AuditLog
) -> None:
    tokens = await issue(client, ctx, seeded)
    other = await seed(ctx)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = await introspect(client, other.creds(), token)
        assert response.status_code == 200
        assert response.content == b'{"active":false}'
    foreign = [fields for event, fields in audit_log if event == "foreign_token_presented"]
    assert [f["kind"] for f in foreign] == ["access_token", "refresh_token"]
    assert {f["app_id"] for f in foreign} == {other.app_id}
    # the owner still sees them
    assert (await introspection(client, seeded.creds(), tokens["access_token"]))["active"]


@pytest.mark.parametrize(
    ("field", "hint", "kind"),
    [
        ("access_token", "access_token", "access_token"),
        ("refresh_token", "refresh_token", "refresh_token"),
        ("access_token", None, "access_token"),
        ("refresh_token", None, "refresh_token"),
        ("token", "refresh_token", "access_token"),  # wrong hint: still found (RFC 7662 §2.1)
        ("token", "access_token", "refresh_token"),
        ("token", "client_credentials", "refresh_token"),  # unknown hint: ignored
    ],
)
async def test_token_is_found_under_any_field_name_and_hint(
    client: httpx.AsyncClient,
    ctx: Context,
    seeded: Seed,
    field: str,
    hint: str | None,
    kind: str,
) -> None:
    tokens = await issue(client, ctx, seeded)
    body = await introspection(client, seeded.creds(), tokens[kind], field=field, hint=hint)
    assert body["active"] is True
    assert body["token_use"] == kind


async def test_token_sent_under_two_names_is_refused(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    response = await post_form(
        client,
        "/oauth/v3/token/introspect",
        {
            "token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            **seeded.creds(),
        },
        "introspection-request",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_missing_token_is_invalid_request(client: httpx.AsyncClient, seeded: Seed) -> None:
    response = await post_form(
        client, "/oauth/v3/token/introspect", seeded.creds(), "introspection-request"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "missing required parameter: token"


@pytest.mark.parametrize(
    ("creds", "status"),
    [
        ({"client_secret": "00000000-0000-0000-0000-000000000000"}, "BAD_CLIENT_SECRET"),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, "BAD_CLIENT_ID"),
        ({"client_secret": ""}, "BAD_CLIENT_SECRET"),
        ({"client_id": ""}, "BAD_CLIENT_ID"),
    ],
)
async def test_bad_client_credentials_are_invalid_client_and_reveal_nothing(
    client: httpx.AsyncClient,
    ctx: Context,
    seeded: Seed,
    audit_log: AuditLog,
    creds: dict[str, str],
    status: str,
) -> None:
    """The token is not looked at before the client is authenticated: an unknown token and a
    live one get the same answer, an invalid_client error with no ``active`` member."""
    tokens = await issue(client, ctx, seeded)
    bodies = []
    for token in (tokens["access_token"], "na1-0000-0000-0000-0000-000000000000"):
        response = await introspect(client, {**seeded.creds(), **creds}, token)
        assert response.status_code == 400
        body = response.json()
        assert (body["error"], body["status"]) == ("invalid_client", status)
        assert "active" not in body
        bodies.append({k: v for k, v in body.items() if k != "correlationId"})
    assert bodies[0] == bodies[1]
    assert "foreign_token_presented" not in [event for event, _ in audit_log]


async def test_basic_authentication_alone_is_accepted(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    """RFC 7662 §2.1 / RFC 6749 §2.3.1: HTTP Basic authenticates the caller too."""
    tokens = await issue(client, ctx, seeded)
    response = await client.post(
        "/oauth/v3/token/introspect",
        data={"token": tokens["access_token"]},
        auth=(seeded.client_id, seeded.client_secret),
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


async def test_v1_issued_tokens_introspect_through_every_version(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded, "v1")
    bodies = [
        await introspection(client, seeded.creds(), tokens["access_token"], version=v)
        for v in VERSIONS
    ]
    assert all(b["active"] and b["hub_id"] == seeded.hub_id for b in bodies)
    assert bodies[1:] == bodies[:1] * 2  # the clock is frozen: identical answers


async def test_v3_issued_tokens_read_the_same_through_v1_metadata(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded, "2026-09")
    v1_access = (await client.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")).json()
    v3_access = await introspection(client, seeded.creds(), tokens["access_token"])
    shared = ("token", "hub_id", "user_id", "app_id", "user", "hub_domain", "scopes")
    assert {k: v1_access[k] for k in shared} == {k: v3_access[k] for k in shared}
    assert v1_access["expires_in"] == v3_access["expires_in"]
    assert v1_access["signed_access_token"] == v3_access["signed_access_token"]

    v1_refresh = (await client.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}")).json()
    v3_refresh = await introspection(client, seeded.creds(), tokens["refresh_token"])
    shared = ("token", "hub_id", "user_id", "client_id", "user", "hub_domain", "scopes")
    assert {k: v1_refresh[k] for k in shared} == {k: v3_refresh[k] for k in shared}
