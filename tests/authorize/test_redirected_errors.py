"""Once the redirect URI is trusted, errors go back to it (RFC 6749 §4.1.2.1) with ``state``."""

from __future__ import annotations

import httpx
import pytest

from hubauth.core import pkce
from hubauth.core.context import Context
from tests.authorize.flow import assert_page_headers, authorize_url, location_params
from tests.support import Seed, db_snapshot

VERIFIER = "v" * 43 + "-verifier"


def assert_error_redirect(response: httpx.Response, s: Seed, error: str, state: str) -> None:
    assert response.status_code == 302
    assert response.headers["location"].startswith(s.redirect_uri + "?")
    params = location_params(response)
    assert params["error"] == error
    assert params["state"] == state
    assert params["error_description"]
    assert "code" not in params
    assert_page_headers(response)


async def test_unknown_scope_redirects_with_invalid_scope(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    before = await db_snapshot(ctx.store)
    response = await client.get(
        authorize_url(seeded, scope="oauth crm.objects.contacts.read no.such.scope")
    )
    assert_error_redirect(response, seeded, "invalid_scope", "st-123")
    assert "no.such.scope" in location_params(response)["error_description"]
    assert await db_snapshot(ctx.store) == before


@pytest.mark.install_page_rules("rfc6749")
async def test_missing_required_scope_redirects_with_invalid_scope(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, scope="oauth"))
    assert_error_redirect(response, seeded, "invalid_scope", "st-123")


async def test_unknown_optional_scope_redirects_with_invalid_scope(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, optional_scope="tickets"))
    assert_error_redirect(response, seeded, "invalid_scope", "st-123")


@pytest.mark.parametrize("method", ["plain", None])
async def test_plain_pkce_is_refused(
    client: httpx.AsyncClient, seeded: Seed, method: str | None
) -> None:
    """``plain`` (or a challenge without a method, which RFC 7636 §4.3 defaults to plain)."""
    response = await client.get(
        authorize_url(seeded, code_challenge=VERIFIER, code_challenge_method=method)
    )
    assert_error_redirect(response, seeded, "invalid_request", "st-123")
    assert "S256" in location_params(response)["error_description"]


async def test_malformed_s256_challenge_is_refused(client: httpx.AsyncClient, seeded: Seed) -> None:
    response = await client.get(
        authorize_url(seeded, code_challenge="short", code_challenge_method="S256")
    )
    assert_error_redirect(response, seeded, "invalid_request", "st-123")


async def test_s256_challenge_is_accepted(client: httpx.AsyncClient, seeded: Seed) -> None:
    response = await client.get(
        authorize_url(seeded, code_challenge=pkce.s256(VERIFIER), code_challenge_method="S256")
    )
    assert response.status_code == 200
    assert "Sign in" in response.text


async def test_response_type_other_than_code_is_refused(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, response_type="token"))
    assert_error_redirect(response, seeded, "unsupported_response_type", "st-123")


@pytest.mark.install_page_rules("rfc6749")
async def test_error_redirect_without_state_carries_no_state(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, scope="oauth", state=None))
    assert response.status_code == 302
    assert "state" not in location_params(response)


@pytest.mark.install_page_rules("rfc6749")
async def test_error_redirect_keeps_the_registered_query(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    from tests.support import seed

    s = await seed(ctx, redirect_uri="https://app.example.test/cb?tenant=a%20b")
    response = await client.get(authorize_url(s, scope="oauth"))
    params = location_params(response)
    assert params["tenant"] == "a b"
    assert params["error"] == "invalid_scope"
