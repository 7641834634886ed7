"""Client-side helpers for the v3 tests: each request body is first checked against its own
request contract (official json-structure package) so the tests only send what the contracts
promise to accept, and each introspection body is also checked by hubauth's own validator,
which, unlike json-structure 0.8.0, enforces ``additionalProperties: false`` inside unions."""

from __future__ import annotations

from typing import Any

import httpx

from hubauth.contracts.checker import check_response
from hubauth.core.context import Context
from tests.support import Seed, mint_code, official_check

#: The versions under test, spelled out here rather than imported: the list is behaviour.
VERSIONS = ("v3", "2026-03", "2026-09")


def token_path(version: str) -> str:
    return f"/oauth/{version}/token"


async def post_form(
    client: httpx.AsyncClient, path: str, form: dict[str, str], contract: str
) -> httpx.Response:
    official_check(contract, form)
    return await client.post(path, data=form)


async def exchange_code(
    client: httpx.AsyncClient, s: Seed, code: str, version: str = "v3"
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": s.redirect_uri,
        **s.creds(),
    }
    return await post_form(client, token_path(version), form, "token-request")


async def issue(
    client: httpx.AsyncClient, ctx: Context, s: Seed, version: str = "v3"
) -> dict[str, Any]:
    """A fresh install's tokens, obtained through ``version``'s token endpoint."""
    response = await exchange_code(client, s, await mint_code(ctx, s), version)
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(
    client: httpx.AsyncClient, s: Seed, refresh_token: str, version: str = "v3"
) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **s.creds()}
    return await post_form(client, token_path(version), form, "token-request")


async def introspect(
    client: httpx.AsyncClient,
    creds: dict[str, str],
    token: str,
    *,
    version: str = "v3",
    hint: str | None = None,
    field: str = "token",
) -> httpx.Response:
    form = {**creds, field: token}
    if hint is not None:
        form["token_type_hint"] = hint
    response = await post_form(
        client, f"/oauth/{version}/token/introspect", form, "introspection-request"
    )
    if response.status_code == 200:
        check_response("introspection-response", response.json())
    return response


async def introspection(
    client: httpx.AsyncClient, creds: dict[str, str], token: str, **kwargs: Any
) -> dict[str, Any]:
    response = await introspect(client, creds, token, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


async def revoke(
    client: httpx.AsyncClient,
    creds: dict[str, str],
    token: str,
    *,
    version: str = "v3",
    hint: str | None = None,
    field: str = "token",
) -> httpx.Response:
    form = {**creds, field: token}
    if hint is not None:
        form["token_type_hint"] = hint
    return await post_form(client, f"/oauth/{version}/token/revoke", form, "revocation-request")


async def is_active(client: httpx.AsyncClient, s: Seed, token: str) -> bool:
    return bool((await introspection(client, s.creds(), token))["active"])
