"""RFC 6749 §4.1.2.1: while the client or redirect URI cannot be trusted, errors are shown on
a page and the browser is never redirected anywhere."""

from __future__ import annotations

import httpx
import pytest

from hubauth.core.context import Context
from tests.authorize.flow import assert_page_headers, authorize_url
from tests.support import Seed, db_snapshot


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",  # never registered
        "https://app.example.test/callback/",  # registered one plus a slash
        "https://app.example.test/callback?next=x",  # registered one plus a query
        "HTTPS://app.example.test/callback",  # case differs: exact match only
        "http://localhost:8765/cb/../cb",
    ],
)
async def test_unregistered_or_mismatched_redirect_uri_shows_error_page_without_redirect(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, redirect_uri: str
) -> None:
    before = await db_snapshot(ctx.store)
    response = await client.get(authorize_url(seeded, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect_uri is not registered" in response.text
    assert "evil.example" not in response.text
    assert_page_headers(response)
    assert "set-cookie" not in response.headers
    assert await db_snapshot(ctx.store) == before


async def test_missing_redirect_uri_shows_error_page(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, redirect_uri=None))
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize("client_id", ["00000000-0000-0000-0000-000000000000", "", None])
async def test_unknown_client_shows_error_page_even_with_a_registered_redirect_uri(
    client: httpx.AsyncClient, seeded: Seed, client_id: str | None
) -> None:
    response = await client.get(authorize_url(seeded, client_id=client_id))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Unknown client_id" in response.text
    assert "invalid_client" in response.text
    assert_page_headers(response)


async def test_repeated_parameter_is_refused_on_a_page(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    url = authorize_url(seeded) + "&redirect_uri=https%3A%2F%2Fevil.example%2F"
    response = await client.get(url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "repeated" in response.text


async def test_error_page_escapes_what_the_request_said(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, redirect_uri="<script>alert(1)</script>"))
    assert response.status_code == 400
    assert "<script>" not in response.text
