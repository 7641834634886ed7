"""HubSpot's newest official Python SDK, ``hubspot-sdk`` (generated from HubSpot's OpenAPI
specs), run unmodified against a real ``hubauth serve`` by ``base_url`` (issue #13 item 5).

It posts ``application/json`` to ``/oauth/2026-03/token…`` and sends ``Authorization: Bearer``
with its configured access token on every call; hubauth accepts the JSON and ignores the Bearer
header there (docs/decisions.md, both UNCONFIRMED at HubSpot)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hubspot_sdk import BadRequestError, HubSpot

from hubauth.core.context import Context
from tests.conformance.conftest import approve_in_browser
from tests.support import LiveServer, Seed, official_check, seed

pytestmark = pytest.mark.slow  # a real server per module and database


@pytest.fixture
def sdk(live: LiveServer) -> Iterator[HubSpot]:
    with HubSpot(base_url=live.url, access_token="not-a-client-credential") as client:
        yield client


def _install(discovery: dict[str, Any], s: Seed) -> str:
    """An authorization code, through the real consent pages."""
    url = httpx.URL(
        discovery["authorization_endpoint"],
        params={
            "client_id": s.client_id,
            "redirect_uri": s.redirect_uri,
            "scope": " ".join(s.scopes),
            "state": "sdk",
        },
    )
    callback = httpx.URL(approve_in_browser(str(url), s))
    return callback.params["code"]


def _dump(model: Any) -> dict[str, Any]:
    body: dict[str, Any] = model.model_dump(exclude_unset=True)
    return body


def test_create_token_runs_all_three_grants(
    sdk: HubSpot, discovery: dict[str, Any], seeded: Seed
) -> None:
    oauth = sdk.auth.oauth
    issued = oauth.create_token(
        grant_type="authorization_code",
        code=_install(discovery, seeded),
        redirect_uri=seeded.redirect_uri,
        client_id=seeded.client_id,
        client_secret=seeded.client_secret,
    )
    body = _dump(issued)
    official_check("token-response", body)
    assert body["refresh_token"] and body["access_token"]

    refreshed = _dump(
        oauth.create_token(
            grant_type="refresh_token",
            refresh_token=body["refresh_token"],
            client_id=seeded.client_id,
            client_secret=seeded.client_secret,
        )
    )
    official_check("token-response", refreshed)
    assert refreshed["access_token"] != body["access_token"]

    app_token = _dump(
        oauth.create_token(
            grant_type="client_credentials",
            scope="oauth",
            client_id=seeded.client_id,
            client_secret=seeded.client_secret,
        )
    )
    assert app_token["access_token"] and "refresh_token" not in app_token


@pytest.fixture
async def stranger(ctx: Context) -> Seed:
    """Another app, on another hub."""
    return await seed(ctx)


def test_introspect_token_access_refresh_foreign_and_unknown(
    sdk: HubSpot, discovery: dict[str, Any], seeded: Seed, stranger: Seed
) -> None:
    oauth = sdk.auth.oauth
    creds = {"client_id": seeded.client_id, "client_secret": seeded.client_secret}
    tokens = _dump(
        oauth.create_token(
            grant_type="authorization_code",
            code=_install(discovery, seeded),
            redirect_uri=seeded.redirect_uri,
            **creds,
        )
    )
    access = _dump(oauth.introspect_token(token=tokens["access_token"], **creds))
    assert access["active"] is True and access["token_use"] == "access_token"
    assert access["hub_id"] == seeded.hub_id
    refresh = _dump(oauth.introspect_token(token=tokens["refresh_token"], **creds))
    assert refresh["active"] is True and refresh["token_use"] == "refresh_token"

    # another app asks about our token: not its own, so answered as an unknown one
    foreign = _dump(
        oauth.introspect_token(
            token=tokens["access_token"],
            client_id=stranger.client_id,
            client_secret=stranger.client_secret,
        )
    )
    unknown = _dump(oauth.introspect_token(token="na1-0000-0000-0000-0000-000000000000", **creds))
    assert foreign == unknown == {"active": False}


def test_revoke_token(sdk: HubSpot, discovery: dict[str, Any], seeded: Seed) -> None:
    oauth = sdk.auth.oauth
    creds = {"client_id": seeded.client_id, "client_secret": seeded.client_secret}
    tokens = _dump(
        oauth.create_token(
            grant_type="authorization_code",
            code=_install(discovery, seeded),
            redirect_uri=seeded.redirect_uri,
            **creds,
        )
    )
    revoked = oauth.revoke_token(token=tokens["refresh_token"], **creds)
    assert revoked.http_response.status_code == 200
    assert revoked.read() == b""
    after = _dump(oauth.introspect_token(token=tokens["refresh_token"], **creds))
    assert after == {"active": False}


def test_errors_carry_the_status_and_hubspots_body(sdk: HubSpot, seeded: Seed) -> None:
    with pytest.raises(BadRequestError) as refused:
        sdk.auth.oauth.create_token(
            grant_type="refresh_token",
            refresh_token="na1-0000-0000-0000-0000-000000000000",
            client_id=seeded.client_id,
            client_secret=seeded.client_secret,
        )
    error = refused.value
    assert error.status_code == 400
    assert isinstance(error.body, dict)
    official_check("token-error", error.body)
    assert (error.body["error"], error.body["status"]) == ("invalid_grant", "BAD_REFRESH_TOKEN")
    assert error.body["correlationId"] == error.response.headers["x-request-id"]

    with pytest.raises(BadRequestError) as wrong_secret:
        sdk.auth.oauth.introspect_token(
            token="x", client_id=seeded.client_id, client_secret="wrong"
        )
    body = wrong_secret.value.body
    assert isinstance(body, dict)
    assert (body["error"], body["status"]) == ("invalid_client", "BAD_CLIENT_SECRET")
