"""``POST /oauth/{v3|2026-03|2026-09}/token``: v1's grants and body format, form body only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hubauth.core.context import Context
from hubauth.core.versions import API_VERSIONS
from hubauth.store.sql import SqlStore
from hubauth.web.app import route_table
from tests.support import Seed, db_snapshot, mint_code, seed
from tests.v3.conftest import AuditLog
from tests.v3.flows import VERSIONS, exchange_code, introspection, issue, post_form, refresh

TOKEN_FIELDS = {"access_token", "refresh_token"}


def without_tokens(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in TOKEN_FIELDS | {"correlationId"}}


def test_every_version_serves_all_three_operations_with_post() -> None:
    served = {
        (path, method)
        for route in route_table()
        for method in getattr(route, "methods", set())
        for path in [getattr(route, "path", "")]
    }
    for version in VERSIONS:
        for suffix in ("/token", "/token/introspect", "/token/revoke"):
            assert (f"/oauth/{version}{suffix}", "POST") in served


@pytest.mark.parametrize("version", VERSIONS)
async def test_code_exchange_and_refresh_work_on_every_version(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, version: str
) -> None:
    tokens = await issue(client, ctx, seeded, version)
    assert tokens["token_type"] == "bearer"
    assert tokens["token_use"] == "access_token"
    assert tokens["expires_in"] == 1800
    assert (tokens["hub_id"], tokens["user_id"]) == (seeded.hub_id, seeded.user_id)
    assert tokens["scopes"] == list(seeded.scopes)

    refreshed = await refresh(client, seeded, tokens["refresh_token"], version)
    assert refreshed.status_code == 200
    assert refreshed.headers["cache-control"] == "no-store"
    assert refreshed.json()["refresh_token"] == tokens["refresh_token"]  # static: echoed
    assert refreshed.json()["access_token"] != tokens["access_token"]


async def test_dated_twins_answer_exactly_like_v3(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    """Same inputs, same bodies (token values and correlation ids aside) on every version."""
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for version in VERSIONS:
        tokens = await issue(client, ctx, seeded, version)
        replies = [
            await refresh(client, seeded, tokens["refresh_token"], version),
            await refresh(client, seeded, "na1-0000-0000-0000-0000-000000000000", version),
            await exchange_code(client, seeded, "na1-dead-beef-dead-beef-deadbeefdead", version),
            await post_form(
                client,
                f"/oauth/{version}/token",
                {"grant_type": "password", **seeded.creds()},
                "token-request",
            ),
        ]
        answers[version] = [(r.status_code, without_tokens(r.json())) for r in replies]
        answers[version].append((200, without_tokens(tokens)))
    assert answers["2026-03"] == answers["v3"]
    assert answers["2026-09"] == answers["v3"]
    assert [status for status, _ in answers["v3"]] == [200, 400, 400, 400, 200]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("operation", ["/token", "/token/introspect", "/token/revoke"])
@pytest.mark.parametrize("query", ["client_secret={secret}", "refresh_token={rt}", "debug=1"])
async def test_any_query_parameter_is_refused_and_nothing_is_processed(
    client: httpx.AsyncClient,
    ctx: Context,
    store: SqlStore,
    seeded: Seed,
    audit_log: AuditLog,
    version: str,
    operation: str,
    query: str,
) -> None:
    """Even a well-formed body is not looked at when the URL carries parameters: a refused
    refresh/revoke changes nothing, and the code in the body can still be redeemed later."""
    tokens = await issue(client, ctx, seeded, "v1")
    code = await mint_code(ctx, seeded)
    body = {
        "/token": {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seeded.redirect_uri,
            **seeded.creds(),
        },
        "/token/introspect": {"token": tokens["access_token"], **seeded.creds()},
        "/token/revoke": {"token": tokens["refresh_token"], **seeded.creds()},
    }[operation]
    url = f"/oauth/{version}{operation}?" + query.format(
        secret=seeded.client_secret, rt=tokens["refresh_token"]
    )
    before = await db_snapshot(store)
    audit_log.clear()

    response = await client.post(url, data=body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "form body" in response.json()["message"]
    assert await db_snapshot(store) == before
    assert [event for event, _ in audit_log] == ["query_parameters_refused"]
    exposed = audit_log[0][1]["exposed"]
    assert exposed == ([] if query == "debug=1" else [query.split("=")[0]])
    assert (await exchange_code(client, seeded, code, version)).status_code == 200


#: The versions whose spec lists the client_credentials grant (2026-09's does not).
CLIENT_CREDENTIALS_VERSIONS = ("v3", "2026-03")


@pytest.mark.parametrize("version", CLIENT_CREDENTIALS_VERSIONS)
async def test_client_credentials_with_a_scope_the_app_lacks_is_bad_scopes(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, version: str
) -> None:
    before = await db_snapshot(store)
    response = await post_form(
        client,
        f"/oauth/{version}/token",
        {"grant_type": "client_credentials", "scope": "oauth tickets", **seeded.creds()},
        "token-request",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["status"]) == ("invalid_scope", "BAD_SCOPES")
    assert "tickets" in body["message"]
    assert await db_snapshot(store) == before


@pytest.mark.parametrize("version", CLIENT_CREDENTIALS_VERSIONS)
async def test_client_credentials_without_scope_is_bad_scopes(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, version: str
) -> None:
    before = await db_snapshot(store)
    response = await post_form(
        client,
        f"/oauth/{version}/token",
        {"grant_type": "client_credentials", **seeded.creds()},
        "token-request",
    )
    assert response.status_code == 400
    assert (response.json()["error"], response.json()["status"]) == ("invalid_scope", "BAD_SCOPES")
    assert await db_snapshot(store) == before


async def test_client_credentials_with_app_scopes_issues_an_app_token(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await post_form(
        client,
        "/oauth/2026-03/token",
        {"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()},
        "token-request",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_use"] == "client_credentials"
    assert body["scopes"] == ["oauth"]
    assert "refresh_token" not in body and "hub_id" not in body


async def test_refresh_token_of_another_app_is_refused(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = await issue(client, ctx, seeded)
    other = await seed(ctx)
    response = await refresh(client, other, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["status"] == "BAD_REFRESH_TOKEN"
    assert response.json()["message"] == "refresh token was not issued to this client"


@pytest.mark.parametrize("version", VERSIONS)
async def test_v1_issued_refresh_token_refreshes_through_v3(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, version: str
) -> None:
    tokens = await issue(client, ctx, seeded, "v1")
    response = await refresh(client, seeded, tokens["refresh_token"], version)
    assert response.status_code == 200
    new_access = response.json()["access_token"]
    assert (await introspection(client, seeded.creds(), new_access))["active"] is True
    v1 = await client.get(f"/oauth/v1/access-tokens/{new_access}")
    assert v1.status_code == 200 and v1.json()["hub_id"] == seeded.hub_id


async def test_wrong_content_type_is_refused_like_v1(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    """Neither a form nor JSON (which v3 takes, tests/v3/test_token_request_parse.py)."""
    response = await client.post(
        "/oauth/v3/token",
        content="grant_type=client_credentials",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json()["error"] == "invalid_request"


def test_version_table_pins_the_published_differences() -> None:
    """HubSpot's specs (compared with the files in tests/test_hubspot_spec.py), pinned here
    too so the table cannot drift where the specs are absent."""
    table = {
        v: (a.grant_types, a.lists_client_assertion, a.documents_token_response)
        for v, a in API_VERSIONS.items()
    }
    all_grants = ("authorization_code", "refresh_token", "client_credentials")
    assert table == {
        "v1": (all_grants, False, True),
        "v3": (all_grants, True, True),
        "2026-03": (all_grants, True, True),
        "2026-09": (("authorization_code", "refresh_token"), False, False),
    }


@pytest.mark.parametrize("version", VERSIONS)
async def test_client_credentials_is_served_where_the_version_lists_it(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, version: str
) -> None:
    form = {"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()}
    before = await db_snapshot(store)
    response = await post_form(client, f"/oauth/{version}/token", form, "token-request")
    if "client_credentials" in API_VERSIONS[version].grant_types:
        assert response.status_code == 200, response.text
        assert response.json()["token_use"] == "client_credentials"
    else:
        # 2026-09 lists authorization_code and refresh_token only: nothing is issued.
        assert response.status_code == 400
        assert (response.json()["error"], response.json()["status"]) == (
            "unsupported_grant_type",
            "BAD_GRANT_TYPE",
        )
        assert await db_snapshot(store) == before
