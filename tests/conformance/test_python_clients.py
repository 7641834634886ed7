"""Authlib's ``OAuth2Client`` and requests-oauthlib against a real ``hubauth serve``, on SQLite
and PostgreSQL, each configured from the discovery document and its own defaults (#22).

Versions are pinned in pyproject.toml's ``test`` extra and named in the README."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from tests.conformance.conftest import approve_in_browser
from tests.support import Seed

pytestmark = pytest.mark.slow  # a real server per module and database


@pytest.mark.parametrize("auth_method", ["client_secret_post", "client_secret_basic"])
def test_authlib_oauth2client_runs_the_whole_flow(
    discovery: dict[str, Any], seeded: Seed, auth_method: str
) -> None:
    """Authorization code with PKCE S256, refresh, introspection and revocation. Authlib
    revokes with its default method (``client_secret_basic``) whichever is set for the token
    endpoint."""
    assert auth_method in discovery["token_endpoint_auth_methods_supported"]
    assert "S256" in discovery["code_challenge_methods_supported"]
    client = OAuth2Client(
        client_id=seeded.client_id,
        client_secret=seeded.client_secret,
        scope=" ".join(seeded.scopes),
        redirect_uri=seeded.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )
    with client:
        verifier = "authlib-" + "v" * 60
        url, state = client.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=verifier
        )
        callback = approve_in_browser(url, seeded)
        token = client.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback,
            code_verifier=verifier,
            state=state,
        )
        assert token["token_type"].lower() == "bearer" and token["refresh_token"]
        first_refresh = token["refresh_token"]

        refreshed = client.refresh_token(discovery["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]

        described = client.introspect_token(
            discovery["introspection_endpoint"], token=refreshed["access_token"]
        )
        assert described.status_code == 200, described.text
        assert described.json()["active"] is True
        assert described.json()["client_id"] == seeded.client_id

        revoked = client.revoke_token(discovery["revocation_endpoint"], token=first_refresh)
        assert revoked.status_code == 200, revoked.text
        after = client.introspect_token(discovery["introspection_endpoint"], token=first_refresh)
        assert after.json() == {"active": False}


def test_requests_oauthlib_client_credentials(
    discovery: dict[str, Any], seeded: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BackendApplicationClient`` sends its credentials with HTTP Basic by default."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test server is plain http
    session = OAuth2Session(client=BackendApplicationClient(client_id=seeded.client_id))
    token = session.fetch_token(
        discovery["token_endpoint"],
        client_id=seeded.client_id,
        client_secret=seeded.client_secret,
        scope=["oauth"],
    )
    assert token["access_token"] and "refresh_token" not in token
    described = httpx.post(
        discovery["introspection_endpoint"],
        data={"token": token["access_token"]},
        auth=(seeded.client_id, seeded.client_secret),
        timeout=10,
    )
    assert described.json()["active"] is True


def test_requests_oauthlib_authorization_code(
    discovery: dict[str, Any], seeded: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    session = OAuth2Session(
        seeded.client_id,
        redirect_uri=seeded.redirect_uri,
        scope=list(seeded.scopes),
        pkce="S256",
    )
    url, _state = session.authorization_url(discovery["authorization_endpoint"])
    callback = approve_in_browser(url, seeded)
    token = session.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback,
        client_secret=seeded.client_secret,
    )
    assert token["access_token"] and token["refresh_token"]
    refreshed = session.refresh_token(
        discovery["token_endpoint"],
        auth=(seeded.client_id, seeded.client_secret),
    )
    assert refreshed["access_token"] != token["access_token"]
