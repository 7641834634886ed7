"""The install-page rules (``HUBAUTH_INSTALL_PAGE_RULES``) in headless Chromium against a real
``hubauth serve`` on SQLite and PostgreSQL: HubSpot's by default (missing required scopes shown
on the page, nothing sent to the app), RFC 6749's redirects as the setting. The default's
denial is exercised at the end of test_install_in_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from hubauth.core.context import Context
from tests.browser.callback import CallbackServer
from tests.browser.test_install_in_browser import install_url, seed_for_browser
from tests.support import LiveServer, Seed

pytestmark = pytest.mark.slow


@pytest.fixture
def rfc_live_server(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, {**server_env, "HUBAUTH_INSTALL_PAGE_RULES": "rfc6749"})
    try:
        yield server
    finally:
        server.stop()


def lacking_required_scopes(server: LiveServer, s: Seed) -> str:
    return f"{server.url}/oauth/authorize?" + urlencode(
        {
            "client_id": s.client_id,
            "redirect_uri": s.redirect_uri,
            "scope": "oauth",  # the app also requires crm.objects.contacts.read
            "state": "short",
        }
    )


async def test_missing_required_scopes_show_an_error_page_under_hubspot_rules(
    browser: Any, live_server: LiveServer, callback: CallbackServer, ctx: Context
) -> None:
    s, _ = await seed_for_browser(ctx, callback)
    page = await browser.new_page()
    response = await page.goto(lacking_required_scopes(live_server, s))
    assert response is not None and response.status == 400
    await page.get_by_role("heading", name="This install link can't be used").wait_for()
    assert "requires" in await page.get_by_role("alert").inner_text()
    assert page.url.startswith(live_server.url)
    assert callback.requests.empty()
    await page.close()


async def test_rfc6749_rules_redirect_denial_and_missing_scopes_to_the_app(
    browser: Any, rfc_live_server: LiveServer, callback: CallbackServer, ctx: Context
) -> None:
    s, _ = await seed_for_browser(ctx, callback)
    context = await browser.new_context()
    page = await context.new_page()

    await page.goto(lacking_required_scopes(rfc_live_server, s))
    await page.wait_for_url(callback.redirect_uri + "?**")
    refused = callback.next_query()
    assert refused["error"] == "invalid_scope" and refused["state"] == "short"

    await page.goto(install_url(rfc_live_server, s, "deny & run"))
    await page.get_by_label("E-mail address").fill(s.email)
    await page.get_by_label("Password").fill(s.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Choose an account").wait_for()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Cancel", exact=True).click()
    await page.wait_for_url(callback.redirect_uri + "?**")
    denied = callback.next_query()
    assert denied["error"] == "access_denied"
    assert denied["state"] == "deny & run"
    assert "code" not in denied
    await context.close()
