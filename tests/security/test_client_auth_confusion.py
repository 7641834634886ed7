"""Client-authentication confusion (RFC 6749 §2.3 "MUST NOT use more than one
authentication method", §2.3.1; RFC 9700 §2.5): credentials sent two ways, mismatched ids,
empty secrets, secrets in URLs.
Every refusal leaves stored state untouched."""

from __future__ import annotations

import base64

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.context import Context
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.security.helpers import TOKEN, code_form, has_route
from tests.support import Seed, db_snapshot, mint_code, official_check, seed

V3_TOKEN = "/oauth/v3/token"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def assert_refused_unchanged(
    client: httpx.AsyncClient, store: SqlStore, status: int = 400, **request: object
) -> dict[str, object]:
    before = await db_snapshot(store)
    response = await client.post(TOKEN, **request)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert await db_snapshot(store) == before
    return response.json()


async def test_basic_header_and_body_with_different_secrets_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, client_secret="00000000-0000-4000-8000-000000000000")
    body = await assert_refused_unchanged(
        client, store, data=form, headers=basic(seeded.client_id, seeded.client_secret)
    )
    assert body["error"] == "invalid_request"


async def test_basic_header_and_body_with_the_same_secret_is_still_two_methods(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    body = await assert_refused_unchanged(
        client,
        store,
        data=code_form(seeded, code),
        headers=basic(seeded.client_id, seeded.client_secret),
    )
    assert body["error"] == "invalid_request"


async def test_basic_header_for_one_client_and_body_id_of_another_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    other = await seed(ctx)
    code = await mint_code(ctx, seeded)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": seeded.redirect_uri}
    body = await assert_refused_unchanged(
        client,
        store,
        data={**form, "client_id": seeded.client_id},
        headers=basic(other.client_id, other.client_secret),
    )
    assert body["error"] == "invalid_request"


@pytest.mark.parametrize(
    "header",
    ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic "],
    ids=["not-base64", "no-colon", "empty"],
)
async def test_malformed_basic_header_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, header: str
) -> None:
    code = await mint_code(ctx, seeded)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": seeded.redirect_uri}
    await assert_refused_unchanged(client, store, data=form, headers={"Authorization": header})


async def test_basic_header_alone_authenticates(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    """RFC 6749 §2.3.1: servers MUST support HTTP Basic; with one method it just works."""
    code = await mint_code(ctx, seeded)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": seeded.redirect_uri}
    response = await client.post(
        TOKEN, data=form, headers=basic(seeded.client_id, seeded.client_secret)
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("where", ["body", "basic"])
async def test_empty_client_secret_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, where: str
) -> None:
    code = await mint_code(ctx, seeded)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": seeded.redirect_uri}
    if where == "body":
        request: dict[str, object] = {
            "data": {**form, "client_id": seeded.client_id, "client_secret": ""}
        }
    else:
        request = {"data": form, "headers": basic(seeded.client_id, "")}
    # RFC 6749 §5.2: 401 when the client tried the Authorization header, HubSpot's 400 otherwise
    status = 401 if where == "basic" else 400
    body = await assert_refused_unchanged(client, store, status, **request)
    assert (body["error"], body["status"]) == ("invalid_client", "BAD_CLIENT_SECRET")


async def test_mismatched_client_id_and_secret_pair_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    """Another client's secret with this client's id: the secret belongs to someone else."""
    other = await seed(ctx)
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, client_secret=other.client_secret)
    body = await assert_refused_unchanged(client, store, data=form)
    assert body["status"] == "BAD_CLIENT_SECRET"


async def test_query_secret_differing_from_body_secret_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    await assert_refused_unchanged(
        client,
        store,
        data=code_form(seeded, code),
        params={"client_secret": "00000000-0000-4000-8000-000000000000"},
    )


async def test_query_secret_is_refused_when_v1_query_credentials_are_off(
    settings: Settings, store: SqlStore, ctx: Context, seeded: Seed
) -> None:
    strict = settings.model_copy(update={"allow_query_credentials_v1": False})
    app = create_app(strict, store=store, contract_check=official_check)
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code)
    secret = form.pop("client_secret")
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.post(TOKEN, data=form, params={"client_secret": secret})
    assert response.status_code == 400
    assert "URL" in response.json()["message"]


@pytest.mark.skipif(
    not has_route(V3_TOKEN),
    reason="POST /oauth/v3/token is not on this branch yet (branch v3)",
)
async def test_v3_token_refuses_client_secret_in_query_string(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    """HubSpot's v3 takes credentials in the body only (docs/sources.md: G-V3; RFC 9700 §4.3.2)."""
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code)
    secret = form.pop("client_secret")
    before = await db_snapshot(store)
    response = await client.post(V3_TOKEN, data=form, params={"client_secret": secret})
    assert 400 <= response.status_code < 500, response.text
    assert await db_snapshot(store) == before
