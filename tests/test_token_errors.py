"""Bad input at the v1 API: each case asserts the HTTP status, the HubSpot error body and that
stored state did not change (every table compared row by row, before and after)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from hubauth.store.sql import SqlStore
from tests.support import Seed, db_snapshot, mint_code, seed

Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def assert_rejected_without_change(
    client: httpx.AsyncClient,
    store: SqlStore,
    send: Request,
    status: int,
    expect: dict[str, Any],
) -> dict[str, Any]:
    before = await db_snapshot(store)
    response = await send(client)
    assert response.status_code == status, response.text
    body = response.json()
    for key, value in expect.items():
        assert body[key] == value, body
    assert body.get("correlationId") == response.headers["x-request-id"]
    assert await db_snapshot(store) == before
    return body


def token_post(data: dict[str, str], **kwargs: Any) -> Request:
    async def send(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/oauth/v1/token", data=data, **kwargs)

    return send


def code_form(s: Seed, code: str, **overrides: str) -> dict[str, str]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": s.redirect_uri}
    form.update(s.creds())
    form.update(overrides)
    return {k: v for k, v in form.items() if v != "<omit>"}


async def test_missing_grant_type_is_invalid_request(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    await assert_rejected_without_change(
        client,
        store,
        token_post(seeded.creds()),
        400,
        {"error": "invalid_request", "status": "BAD_GRANT_TYPE"},
    )


async def test_unknown_grant_type_is_unsupported(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    await assert_rejected_without_change(
        client,
        store,
        token_post({"grant_type": "password", **seeded.creds()}),
        400,
        {"error": "unsupported_grant_type", "status": "BAD_GRANT_TYPE"},
    )


async def test_wrong_client_secret_is_invalid_client(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, client_secret="00000000-0000-0000-0000-000000000000")
    await assert_rejected_without_change(
        client,
        store,
        token_post(form),
        400,
        {"error": "invalid_client", "status": "BAD_CLIENT_SECRET"},
    )
    # the code survived the failed attempt and still works once
    assert (await client.post("/oauth/v1/token", data=code_form(seeded, code))).status_code == 200


async def test_empty_client_secret_is_invalid_client(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "na1-x",
        "client_id": seeded.client_id,
        "client_secret": "",
    }
    await assert_rejected_without_change(
        client,
        store,
        token_post(form),
        400,
        {"error": "invalid_client", "status": "BAD_CLIENT_SECRET"},
    )


async def test_unknown_client_id_is_bad_client_id(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, client_id="6f0c5f1e-0000-4000-8000-000000000000")
    await assert_rejected_without_change(
        client,
        store,
        token_post(form),
        400,
        {"error": "invalid_client", "status": "BAD_CLIENT_ID"},
    )


async def test_missing_code_is_invalid_request(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    await assert_rejected_without_change(
        client, store, token_post(code_form(seeded, "<omit>")), 400, {"error": "invalid_request"}
    )


async def test_unknown_code_is_bad_auth_code(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    form = code_form(seeded, "na1-0000-0000-0000-0000-000000000000")
    await assert_rejected_without_change(
        client, store, token_post(form), 400, {"error": "invalid_grant", "status": "BAD_AUTH_CODE"}
    )


async def test_code_with_other_redirect_uri_is_mismatch(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, redirect_uri="http://localhost:8765/cb")
    await assert_rejected_without_change(
        client,
        store,
        token_post(form),
        400,
        {"error": "invalid_grant", "status": "MISMATCH_REDIRECT_URI_AUTH_CODE"},
    )


async def test_code_presented_by_another_client_is_bad_auth_code(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    other = await seed(ctx)
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, **other.creds())
    await assert_rejected_without_change(
        client, store, token_post(form), 400, {"error": "invalid_grant", "status": "BAD_AUTH_CODE"}
    )
    assert (await client.post("/oauth/v1/token", data=code_form(seeded, code))).status_code == 200


async def test_expired_code_is_expired_auth_code(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, clock: FrozenClock
) -> None:
    code = await mint_code(ctx, seeded)
    clock.advance(301)
    await assert_rejected_without_change(
        client,
        store,
        token_post(code_form(seeded, code)),
        400,
        {"error": "invalid_grant", "status": "EXPIRED_AUTH_CODE"},
    )


async def test_reused_code_is_refused_and_revokes_first_redemption(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    first = (await client.post("/oauth/v1/token", data=code_form(seeded, code))).json()
    again = await client.post("/oauth/v1/token", data=code_form(seeded, code))
    assert again.status_code == 400
    assert again.json()["status"] == "BAD_AUTH_CODE"
    # RFC 6749 §4.1.2: the tokens issued from the replayed code are revoked
    assert (
        await client.get(f"/oauth/v1/refresh-tokens/{first['refresh_token']}")
    ).status_code == 404
    assert (await client.get(f"/oauth/v1/access-tokens/{first['access_token']}")).status_code == 401


@pytest.mark.parametrize("policy", [Policy(revoke_on_code_replay=False)])
async def test_reused_code_leaves_tokens_alone_when_replay_revocation_is_off(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    first = (await client.post("/oauth/v1/token", data=code_form(seeded, code))).json()
    assert (await client.post("/oauth/v1/token", data=code_form(seeded, code))).status_code == 400
    assert (
        await client.get(f"/oauth/v1/refresh-tokens/{first['refresh_token']}")
    ).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["na1-0000-0000-0000-0000-000000000000", "x" * 513, "%00", "a b", "..%2F..%2Fetc", "é" * 10],
    ids=["unknown", "too-long", "nul", "space", "traversal", "non-ascii"],
)
async def test_unusable_refresh_token_is_bad_refresh_token(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, token: str
) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": token, **seeded.creds()}
    body = await assert_rejected_without_change(
        client,
        store,
        token_post(form),
        400,
        {"error": "invalid_grant", "status": "BAD_REFRESH_TOKEN"},
    )
    assert body["message"] == "refresh token is invalid, expired or revoked"


async def test_refresh_token_of_another_app_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    other = await seed(ctx)
    code = await mint_code(ctx, seeded)
    rt = (await client.post("/oauth/v1/token", data=code_form(seeded, code))).json()[
        "refresh_token"
    ]
    form = {"grant_type": "refresh_token", "refresh_token": rt, **other.creds()}
    body = await assert_rejected_without_change(
        client,
        store,
        token_post(form),
        400,
        {"error": "invalid_grant", "status": "BAD_REFRESH_TOKEN"},
    )
    assert body["message"] == "refresh token was not issued to this client"


async def test_uninstalled_app_refresh_is_bad_refresh_token(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    rt = (await client.post("/oauth/v1/token", data=code_form(seeded, code))).json()[
        "refresh_token"
    ]
    await store.uninstall(seeded.app_id, seeded.hub_id, ctx.now_ms())
    form = {"grant_type": "refresh_token", "refresh_token": rt, **seeded.creds()}
    await assert_rejected_without_change(
        client, store, token_post(form), 400, {"status": "BAD_REFRESH_TOKEN"}
    )


async def test_deleted_hub_refresh_is_bad_hub(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    rt = (await client.post("/oauth/v1/token", data=code_form(seeded, code))).json()[
        "refresh_token"
    ]
    await store.delete_hub(seeded.hub_id, ctx.now_ms())
    form = {"grant_type": "refresh_token", "refresh_token": rt, **seeded.creds()}
    await assert_rejected_without_change(
        client, store, token_post(form), 400, {"error": "access_denied", "status": "BAD_HUB"}
    )


async def test_refresh_asking_for_more_scopes_is_invalid_scope(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    rt = (await client.post("/oauth/v1/token", data=code_form(seeded, code))).json()[
        "refresh_token"
    ]
    form = {
        "grant_type": "refresh_token",
        "refresh_token": rt,
        "scope": "oauth tickets",
        **seeded.creds(),
    }
    await assert_rejected_without_change(
        client, store, token_post(form), 400, {"error": "invalid_scope"}
    )


async def test_repeated_parameter_is_invalid_request(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    body = f"grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id={seeded.client_id}"

    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.post(
            "/oauth/v1/token",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    await assert_rejected_without_change(client, store, send, 400, {"error": "invalid_request"})


async def test_json_body_is_unsupported_media_type(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.post("/oauth/v1/token", json={"grant_type": "refresh_token"})

    await assert_rejected_without_change(client, store, send, 415, {"error": "invalid_request"})


async def test_oversized_body_is_413(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    send = token_post({"grant_type": "refresh_token", "refresh_token": "x" * 70_000})
    await assert_rejected_without_change(client, store, send, 413, {"error": "invalid_request"})


async def test_invalid_utf8_is_invalid_request(client: httpx.AsyncClient, store: SqlStore) -> None:
    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.post(
            "/oauth/v1/token",
            content=b"grant_type=%ff%fe",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    await assert_rejected_without_change(client, store, send, 400, {"error": "invalid_request"})


async def test_nul_byte_is_invalid_request(client: httpx.AsyncClient, store: SqlStore) -> None:
    await assert_rejected_without_change(
        client,
        store,
        token_post({"grant_type": "refresh_token\x00"}),
        400,
        {"error": "invalid_request"},
    )


async def test_sql_metacharacters_are_just_unknown_tokens(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed
) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "' OR 1=1; DROP TABLE apps; --",
        **seeded.creds(),
    }
    await assert_rejected_without_change(
        client, store, token_post(form), 400, {"status": "BAD_REFRESH_TOKEN"}
    )


async def test_secret_in_query_string_is_accepted_on_v1_like_hubspot(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    form = code_form(seeded, code, client_secret="<omit>")
    response = await client.post(
        "/oauth/v1/token", data=form, params={"client_secret": seeded.client_secret}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_wrong_method_on_token_endpoint_is_405(
    client: httpx.AsyncClient, store: SqlStore, method: str
) -> None:
    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.request(method, "/oauth/v1/token")

    body = await assert_rejected_without_change(client, store, send, 405, {"status": "error"})
    assert body["category"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "path",
    [
        "/oauth/v1/access-tokens/na1-unknown",
        "/oauth/v1/access-tokens/" + "A" * 5000,
        "/oauth/v1/access-tokens/%00%01",
        "/oauth/v1/access-tokens/a/b/../c",
        "/oauth/v1/access-tokens/",
    ],
    ids=["unknown", "absurd-length", "control-chars", "slashes", "empty"],
)
async def test_unusable_access_token_metadata_is_401(
    client: httpx.AsyncClient, store: SqlStore, path: str
) -> None:
    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.get(path)

    await assert_rejected_without_change(
        client, store, send, 401, {"category": "INVALID_AUTHENTICATION"}
    )


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_unknown_refresh_token_metadata_and_delete_are_404(
    client: httpx.AsyncClient, store: SqlStore, method: str
) -> None:
    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.request(
            method, "/oauth/v1/refresh-tokens/na1-0000-0000-0000-0000-000000000000"
        )

    await assert_rejected_without_change(client, store, send, 404, {"category": "OBJECT_NOT_FOUND"})


async def test_unknown_path_is_hubspot_404(client: httpx.AsyncClient, store: SqlStore) -> None:
    async def send(c: httpx.AsyncClient) -> httpx.Response:
        return await c.get("/oauth/v9/nothing")

    await assert_rejected_without_change(client, store, send, 404, {"category": "OBJECT_NOT_FOUND"})


async def test_parameter_breaking_the_request_contract_is_invalid_request(
    client: httpx.AsyncClient, store: SqlStore
) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "c" * 300}
    body = await assert_rejected_without_change(
        client, store, token_post(form), 400, {"error": "invalid_request"}
    )
    assert "client_id" in body["message"]
