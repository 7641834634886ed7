"""The official HubSpot Python client (hubspot-api-client), pointed at a running hubauth,
performs all four v1 OAuth operations without errors, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hubspot import HubSpot
from hubspot.oauth import ApiException

from tests.support import LiveServer, seed_and_code


@pytest.fixture
def live(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, server_env)
    yield server
    server.stop()


def test_official_client_runs_the_v1_lifecycle(live: LiveServer, database_url: str) -> None:
    s, code = asyncio.run(seed_and_code(database_url))
    oauth = HubSpot(host=live.url).oauth

    tokens = oauth.tokens_api.create(
        grant_type="authorization_code",
        code=code,
        redirect_uri=s.redirect_uri,
        client_id=s.client_id,
        client_secret=s.client_secret,
    )
    assert tokens.expires_in == 1800
    assert tokens.token_type == "bearer"

    refreshed = oauth.tokens_api.create(
        grant_type="refresh_token",
        refresh_token=tokens.refresh_token,
        client_id=s.client_id,
        client_secret=s.client_secret,
    )
    assert refreshed.refresh_token == tokens.refresh_token

    info = oauth.access_tokens_api.get(refreshed.access_token)
    assert info.hub_id == s.hub_id
    assert info.user == s.email
    assert 0 < info.expires_in <= 1800

    rt_info = oauth.refresh_tokens_api.get(tokens.refresh_token)
    assert rt_info.client_id == s.client_id
    assert rt_info.scopes == list(s.scopes)

    oauth.refresh_tokens_api.archive(tokens.refresh_token)
    with pytest.raises(ApiException) as raised:
        oauth.refresh_tokens_api.get(tokens.refresh_token)
    assert raised.value.status == 404


def test_official_client_surfaces_hubspot_error_body(live: LiveServer, database_url: str) -> None:
    s, _ = asyncio.run(seed_and_code(database_url))
    oauth = HubSpot(host=live.url).oauth
    with pytest.raises(ApiException) as raised:
        oauth.tokens_api.create(
            grant_type="refresh_token",
            refresh_token="na1-0000-0000-0000-0000-000000000000",
            client_id=s.client_id,
            client_secret=s.client_secret,
        )
    assert raised.value.status == 400
    assert '"status":"BAD_REFRESH_TOKEN"' in raised.value.body
