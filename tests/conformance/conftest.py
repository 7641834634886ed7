"""A real ``hubauth serve`` (granian, one worker) per database for the generic-client
conformance suite, and a user agent that approves an install the way a browser would.

Each library is configured only from the RFC 8414 discovery document and its own documented
defaults (issue #22): hubauth carries no per-library workaround."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.authorize.flow import hidden_fields
from tests.support import LiveServer, Seed

WELL_KNOWN = "/.well-known/oauth-authorization-server"


@pytest.fixture(scope="module")
def live(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, server_env)
    yield server
    server.stop()


@pytest.fixture
def discovery(live: LiveServer) -> dict[str, Any]:
    response = httpx.get(live.url + WELL_KNOWN, timeout=10)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    assert document["issuer"] == live.url
    return document


def approve_in_browser(authorization_url: str, s: Seed) -> str:
    """Open the library's authorization URL, sign in as ``s``'s user and approve the install;
    returns the callback URL (``redirect_uri?code=…&state=…``) the browser would be sent to."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        fields = hidden_fields(page.text)
        signed_in = browser.post(
            urljoin(authorization_url, "/oauth/authorize/sign-in"),
            data={
                "csrf_token": fields["csrf_token"],
                "flow": fields["flow"],
                "email": s.email,
                "password": s.password,
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        consent = browser.get(urljoin(authorization_url, signed_in.headers["location"]))
        assert "Connect app" in consent.text, consent.text
        fields = hidden_fields(consent.text)
        decided = browser.post(
            urljoin(authorization_url, "/oauth/authorize/decision"),
            data={
                "csrf_token": fields["csrf_token"],
                "flow": fields["flow"],
                "decision": "approve",
                "hub_id": fields.get("hub_id", ""),
            },
        )
        assert decided.status_code in (302, 303), decided.text
        location: str = decided.headers["location"]
        assert location.startswith(s.redirect_uri + "?"), location
        return location
