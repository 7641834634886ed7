"""What the v3 and dated token, introspection and revocation endpoints accept
(``hubauth.web.token_request``): JSON bodies as HubSpot's ``hubspot-sdk`` sends them, HTTP Basic
client authentication (RFC 6749 §2.3.1, RFC 7662 §2.1, RFC 7009 §2.1), a ``Bearer`` header
ignored, and every refusal in HubSpot's token-error body with nothing changed."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.core.versions import API_VERSIONS
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app, route_table
from hubauth.web.openapi import build_document
from tests.support import Seed, db_snapshot, mint_code, official_check
from tests.v3.conftest import AuditLog
from tests.v3.flows import VERSIONS, is_active, issue

WRONG_SECRET = "00000000-0000-4000-8000-000000000000"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def post_json(
    client: httpx.AsyncClient, path: str, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        path,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


async def refused_unchanged(
    client: httpx.AsyncClient, store: SqlStore, path: str, status: int = 400, **request: Any
) -> dict[str, Any]:
    before = await db_snapshot(store)
    response = await client.post(path, **request)
    assert response.status_code == status, response.text
    assert await db_snapshot(store) == before
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "error_description", "status", "message", "correlationId"}
    return body


# --- JSON bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_json_body_runs_every_grant_and_lookup(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, version: str
) -> None:
    base = f"/oauth/{version}/token"
    code = await mint_code(ctx, seeded)
    exchanged = await post_json(
        client,
        base,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seeded.redirect_uri,
            **seeded.creds(),
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    refreshed = await post_json(
        client,
        base,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **seeded.creds()},
    )
    assert refreshed.status_code == 200, refreshed.text
    app_token = await post_json(
        client, base, {"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()}
    )
    if "client_credentials" in API_VERSIONS[version].grant_types:
        assert app_token.status_code == 200, app_token.text
    else:  # 2026-09 lists authorization_code and refresh_token only
        assert app_token.json()["error"] == "unsupported_grant_type", app_token.text

    access = refreshed.json()["access_token"]
    described = await post_json(client, f"{base}/introspect", {"token": access, **seeded.creds()})
    assert described.status_code == 200 and described.json()["active"] is True
    revoked = await post_json(
        client, f"{base}/revoke", {"token": tokens["refresh_token"], **seeded.creds()}
    )
    assert revoked.status_code == 200 and revoked.content == b""
    assert not await is_active(client, seeded, tokens["refresh_token"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"grant_type": "client_credentials", "grant_type": "x"}', "repeated"),
        (b'{"grant_type": "client_credentials", "scope": 1}', "must be a string"),
        (b'{"grant_type": "client_credentials", "scope": null}', "must be a string"),
        (b'{"grant_type": "client_credentials", "scope": true}', "must be a string"),
        (b'{"grant_type": "client_credentials", "scope": ["oauth"]}', "must be a string"),
        (b'{"grant_type": {"nested": "client_credentials"}}', "must be a string"),
        (b'["grant_type", "client_credentials"]', "must be an object"),
        (b'"client_credentials"', "must be an object"),
        (b'{"grant_type": "client_credentials"', "malformed"),
        (b"", "malformed"),
        (b"[" * 5000 + b"]" * 5000, "malformed"),
        (b'{"grant_type": "client_\xff"}', "UTF-8"),
        (b'{"grant_type": "client_credentials\\u0000"}', "NUL"),
        (json.dumps({f"p{i}": "v" for i in range(65)}).encode(), "too many"),
    ],
    ids=[
        "repeated-key",
        "number",
        "null",
        "boolean",
        "array-value",
        "nested-object",
        "top-level-array",
        "top-level-string",
        "truncated",
        "empty",
        "deeply-nested",
        "not-utf8",
        "nul",
        "too-many",
    ],
)
async def test_json_body_that_is_not_a_flat_object_of_strings_is_refused(
    client: httpx.AsyncClient,
    store: SqlStore,
    seeded: Seed,
    audit_log: AuditLog,
    raw: bytes,
    message: str,
) -> None:
    """The same 400 as a malformed form; the credentials beside it are never evaluated."""
    creds = json.dumps(seeded.creds())[1:-1].encode()
    body = raw.replace(b'{"grant_type"', b"{" + creds + b', "grant_type"', 1)
    result = await refused_unchanged(
        client,
        store,
        "/oauth/v3/token",
        content=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert (result["error"], result["status"]) == ("invalid_request", "BAD_REQUEST")
    assert message in result["message"]
    assert not [event for event, _ in audit_log if event.startswith("client_auth")]


async def test_json_body_is_checked_against_the_request_contract(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    body = {"grant_type": "refresh_token", "refresh_token": "x" * 5000, **seeded.creds()}
    result = await refused_unchanged(
        client,
        store,
        "/oauth/v3/token",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert "refresh_token" in result["message"]


async def test_json_body_over_the_size_limit_is_413(
    client: httpx.AsyncClient, store: SqlStore, settings: Settings
) -> None:
    body = json.dumps({"code": "x" * settings.max_body_bytes})
    result = await refused_unchanged(
        client,
        store,
        "/oauth/v3/token/introspect",
        413,
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert result["error"] == "invalid_request"


async def test_v1_keeps_hubspots_415_for_json(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    body = {"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()}
    await refused_unchanged(client, store, "/oauth/v1/token", 415, json=body)


@pytest.fixture
async def json_off_client(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> AsyncIterator[httpx.AsyncClient]:
    strict = settings.model_copy(update={"accept_json_bodies": False})
    app = create_app(strict, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


@pytest.mark.parametrize("suffix", ["", "/introspect", "/revoke"])
async def test_json_is_415_everywhere_when_switched_off(
    json_off_client: httpx.AsyncClient, store: SqlStore, seeded: Seed, suffix: str
) -> None:
    body = {"grant_type": "client_credentials", "scope": "oauth", "token": "x", **seeded.creds()}
    result = await refused_unchanged(
        json_off_client, store, f"/oauth/2026-03/token{suffix}", 415, json=body
    )
    assert result["message"] == "Content-Type must be application/x-www-form-urlencoded"
    form = await json_off_client.post(f"/oauth/2026-03/token{suffix}", data=body)
    assert form.status_code == 200, form.text


def test_openapi_lists_json_for_v3_and_form_only_for_v1() -> None:
    paths = build_document(route_table())["paths"]
    v1 = paths["/oauth/v1/token"]["post"]["requestBody"]["content"]
    assert list(v1) == ["application/x-www-form-urlencoded"]
    for version in VERSIONS:
        for suffix in ("", "/introspect", "/revoke"):
            content = paths[f"/oauth/{version}/token{suffix}"]["post"]["requestBody"]["content"]
            assert list(content) == ["application/x-www-form-urlencoded", "application/json"]
            assert content["application/json"] == content["application/x-www-form-urlencoded"]


# --- Bearer is not client authentication ------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/introspect", "/revoke"])
async def test_bearer_header_is_ignored_next_to_body_credentials(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, suffix: str
) -> None:
    """hubspot-sdk sends ``Authorization: Bearer <its access token>`` on every call; it is
    not a second client authentication method (RFC 6749 §2.3 is about client credentials)."""
    tokens = await issue(client, ctx, seeded)
    form = (
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        if suffix == ""
        else {"token": tokens["refresh_token"]}
    )
    response = await post_json(
        client,
        f"/oauth/2026-03/token{suffix}",
        {**form, **seeded.creds()},
        {"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 200, response.text


async def test_bearer_header_alone_does_not_authenticate(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    result = await refused_unchanged(
        client,
        store,
        "/oauth/v3/token/introspect",
        data={"token": tokens["access_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert (result["error"], result["status"]) == ("invalid_client", "BAD_CLIENT_ID")


# --- HTTP Basic -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("body", ["form", "json"])
async def test_basic_authenticates_every_operation(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, version: str, body: str
) -> None:
    auth = basic(seeded.client_id, seeded.client_secret)
    base = f"/oauth/{version}/token"

    async def send(path: str, params: dict[str, str]) -> httpx.Response:
        if body == "json":
            return await post_json(client, path, params, auth)
        return await client.post(path, data=params, headers=auth)

    code = await mint_code(ctx, seeded)
    exchange = {"grant_type": "authorization_code", "code": code}
    exchange["redirect_uri"] = seeded.redirect_uri
    tokens = (await send(base, exchange)).json()
    refreshed = await send(
        base, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    app_token = await send(base, {"grant_type": "client_credentials", "scope": "oauth"})
    # 2026-09 lists authorization_code and refresh_token only (hubauth.core.versions)
    assert app_token.is_success is ("client_credentials" in API_VERSIONS[version].grant_types)
    described = await send(f"{base}/introspect", {"token": refreshed.json()["access_token"]})
    assert described.json()["active"] is True
    assert (await send(f"{base}/revoke", {"token": tokens["refresh_token"]})).status_code == 200
    assert not await is_active(client, seeded, tokens["refresh_token"])


async def test_basic_credentials_are_form_urlencoded_before_base64(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    """RFC 6749 §2.3.1: each part is application/x-www-form-urlencoded first, so ``%2D`` is
    ``-`` (client ids and secrets are UUIDs; every hyphen is encoded here)."""
    tokens = await issue(client, ctx, seeded)
    encoded_id = seeded.client_id.replace("-", "%2D")
    encoded_secret = seeded.client_secret.replace("-", "%2d")
    response = await client.post(
        "/oauth/v3/token/introspect",
        data={"token": tokens["access_token"]},
        headers=basic(encoded_id, encoded_secret),
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


@pytest.mark.parametrize("suffix", ["", "/introspect", "/revoke"])
@pytest.mark.parametrize("which", ["secret", "client_id"])
async def test_failed_basic_authentication_is_401_with_a_challenge(
    client: httpx.AsyncClient,
    ctx: Context,
    store: SqlStore,
    seeded: Seed,
    suffix: str,
    which: str,
) -> None:
    """RFC 6749 §5.2: 401 and ``WWW-Authenticate`` when the client used the Authorization
    header; the body is the one the same wrong credentials get in a form (enumeration-safe:
    the same ``BAD_CLIENT_ID``/``BAD_CLIENT_SECRET`` split as body credentials)."""
    tokens = await issue(client, ctx, seeded)
    path = f"/oauth/v3/token{suffix}"
    form = (
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        if suffix == ""
        else {"token": tokens["refresh_token"]}
    )
    client_id = seeded.client_id if which == "secret" else "c0ffee00-0000-4000-8000-000000000000"
    before = await db_snapshot(store)
    response = await client.post(path, data=form, headers=basic(client_id, WRONG_SECRET))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert await db_snapshot(store) == before
    in_body = await client.post(
        path, data={**form, "client_id": client_id, "client_secret": WRONG_SECRET}
    )
    assert in_body.status_code == 400 and "www-authenticate" not in in_body.headers
    strip = ("correlationId",)
    assert {k: v for k, v in response.json().items() if k not in strip} == {
        k: v for k, v in in_body.json().items() if k not in strip
    }
    expected = "BAD_CLIENT_SECRET" if which == "secret" else "BAD_CLIENT_ID"
    assert (response.json()["error"], response.json()["status"]) == ("invalid_client", expected)
    assert await is_active(client, seeded, tokens["refresh_token"])


@pytest.mark.parametrize("where", ["form", "json"])
async def test_basic_and_body_secret_together_are_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, where: str
) -> None:
    """RFC 6749 §2.3: one method per request, even with equal values."""
    tokens = await issue(client, ctx, seeded)
    params = {"token": tokens["refresh_token"], **seeded.creds()}
    request: dict[str, Any] = {"headers": basic(seeded.client_id, seeded.client_secret)}
    if where == "json":
        request["json"] = params
    else:
        request["data"] = params
    result = await refused_unchanged(client, store, "/oauth/v3/token/revoke", **request)
    assert result["error"] == "invalid_request"
    assert await is_active(client, seeded, tokens["refresh_token"])


async def test_body_client_id_differing_from_basic_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    result = await refused_unchanged(
        client,
        store,
        "/oauth/2026-09/token/revoke",
        data={"token": tokens["refresh_token"], "client_id": "someone-else"},
        headers=basic(seeded.client_id, seeded.client_secret),
    )
    assert "differs" in result["message"]
    assert await is_active(client, seeded, tokens["refresh_token"])


@pytest.mark.parametrize(
    "header",
    ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic "],
    ids=["not-base64", "no-colon", "empty"],
)
async def test_malformed_basic_header_is_refused_on_v3(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, header: str
) -> None:
    result = await refused_unchanged(
        client,
        store,
        "/oauth/v3/token",
        data={"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()},
        headers={"Authorization": header},
    )
    assert result["message"] == "the Authorization header is malformed"
