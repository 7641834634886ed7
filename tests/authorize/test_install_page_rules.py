"""``HUBAUTH_INSTALL_PAGE_RULES``: HubSpot's install-page rules by default (a denial sends
nothing to the app; an install URL lacking the app's required scopes gets an error on the
page), RFC 6749 §4.1.2.1's redirects as the setting (the redirect tests of this directory
are marked ``install_page_rules("rfc6749")``)."""

from __future__ import annotations

import httpx
import pytest

from hubauth.core.context import Context
from tests.authorize.flow import assert_page_headers, authorize_url, start
from tests.support import Seed, db_snapshot


async def test_denial_under_hubspot_rules_ends_on_a_page_and_sends_nothing(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded, state="deny-me"))
    await flow.sign_in(seeded.email, seeded.password)
    before = await db_snapshot(ctx.store)

    final = await flow.decide("deny")

    assert final.status_code == 200
    assert "location" not in final.headers
    assert_page_headers(final)
    assert "The app was not connected" in final.text
    assert "Nothing was sent to the app" in final.text
    assert await db_snapshot(ctx.store) == before
    # The flow is over: deciding again finds no pending install.
    again = await flow.decide("approve")
    assert again.status_code != 303 or "code=" not in again.headers.get("location", "")


async def test_cancel_before_signing_in_under_hubspot_rules_sends_nothing(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded, state="early"))
    final = await flow.decide("deny")
    assert final.status_code == 200
    assert "location" not in final.headers


async def test_missing_required_scopes_under_hubspot_rules_are_shown_on_the_page(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, scope="oauth"))

    assert response.status_code == 400
    assert "location" not in response.headers
    assert_page_headers(response)
    assert "does not ask for all the permissions the app requires" in response.text
    assert "crm.objects.contacts.read" in response.text  # the developer's detail names it


@pytest.mark.parametrize(
    "overrides",
    [{"optional_scope": "tickets"}, {"scope": "oauth crm.objects.contacts.read tickets"}],
    ids=["unknown_optional", "unconfigured_scope"],
)
async def test_other_scope_errors_still_redirect_under_hubspot_rules(
    client: httpx.AsyncClient, seeded: Seed, overrides: dict[str, str]
) -> None:
    response = await client.get(authorize_url(seeded, **overrides))
    assert response.status_code == 302
    assert "error=invalid_scope" in response.headers["location"]


@pytest.mark.install_page_rules("rfc6749")
async def test_missing_required_scopes_under_rfc6749_rules_redirect_invalid_scope(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await client.get(authorize_url(seeded, scope="oauth"))
    assert response.status_code == 302
    assert response.headers["location"].startswith(seeded.redirect_uri + "?error=invalid_scope")
