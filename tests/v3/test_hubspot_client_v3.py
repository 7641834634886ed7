"""The official HubSpot Python client (hubspot-api-client 12.x) and the v3 API.

Its generated ``hubspot.oauth`` package has no v3 operation at all (it is generated from the v1
spec: token, access-token and refresh-token metadata, refresh-token delete). The first test
pins that finding, so a release that adds v3 operations fails it and prompts a typed test.
What the client does offer for endpoints it does not wrap is ``Client.api_request``; the second
test drives the whole v3 lifecycle through it against a real ``hubauth serve`` process.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from hubspot import Client

from tests.support import LiveServer, seed_and_code


def oauth_paths_in_official_client() -> set[str]:
    api = resources.files("hubspot.oauth.api")
    found: set[str] = set()
    for entry in api.iterdir():
        if entry.name.endswith(".py"):
            found.update(re.findall(r"[\"'](/oauth/[^\"']+)[\"']", entry.read_text()))
    return found


def test_official_python_client_has_no_oauth_v3_operations() -> None:
    assert oauth_paths_in_official_client() == {
        "/oauth/v1/token",
        "/oauth/v1/access-tokens/{token}",
        "/oauth/v1/refresh-tokens/{token}",
    }


@pytest.fixture(scope="module")
def live(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, server_env)
    yield server  # one server per backend for this module: start-up is the slow part
    server.stop()


def form_post(client: Client, path: str, form: dict[str, str]) -> Any:
    """``api_request`` with a form body: ``default_json=False`` makes the client hand the dict
    to ``requests`` as ``data``, which form-encodes it."""
    return client.api_request({"method": "POST", "path": path, "body": form, "default_json": False})


@pytest.mark.parametrize("version", ["v3", "2026-03"])
def test_official_client_generic_request_runs_the_v3_lifecycle(
    live: LiveServer, database_url: str, version: str
) -> None:
    s, code = asyncio.run(seed_and_code(database_url))
    client = Client.create(base_url=live.url)
    base = f"/oauth/{version}/token"

    issued = form_post(
        client,
        base,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": s.redirect_uri,
            **s.creds(),
        },
    )
    assert issued.status_code == 200, issued.text
    tokens = issued.json()

    described = form_post(
        client,
        f"{base}/introspect",
        {"token": tokens["access_token"], "token_type_hint": "access_token", **s.creds()},
    )
    assert described.status_code == 200
    assert described.json()["active"] is True
    assert described.json()["hub_id"] == s.hub_id

    revoked = form_post(client, f"{base}/revoke", {"token": tokens["refresh_token"], **s.creds()})
    assert revoked.status_code == 200
    assert revoked.content == b""

    gone = form_post(client, f"{base}/introspect", {"token": tokens["refresh_token"], **s.creds()})
    assert gone.json() == {"active": False}
    refused = form_post(
        client,
        base,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **s.creds()},
    )
    assert refused.status_code == 400
    assert refused.json()["status"] == "BAD_REFRESH_TOKEN"
