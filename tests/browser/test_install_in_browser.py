"""The install flow in a real headless Chromium against a real ``hubauth serve`` (SQLite and
PostgreSQL): sign in, choose an account, consent with one optional scope ticked, land on the
app's callback, exchange the code over HTTP; then a second install that the user denies."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from hubauth.core import pkce
from hubauth.core.context import Context
from tests.browser.callback import CallbackServer
from tests.support import LiveServer, Seed, seed

pytestmark = pytest.mark.slow

VERIFIER = "browser-test-verifier-" + "0123456789" * 3
STATE = "odd state & = % ü/?#+"


async def seed_for_browser(ctx: Context, callback: CallbackServer) -> tuple[Seed, Any]:
    """An app redirecting to the callback server; its user belongs to two accounts."""
    s = await seed(
        ctx,
        redirect_uri=callback.redirect_uri,
        optional_scopes=("crm.objects.deals.read", "crm.objects.contacts.write"),
    )
    second = await ctx.store.create_hub(f"second-{s.hub_domain}", now_ms=ctx.now_ms())
    await ctx.store.add_hub_member(second.hub_id, s.user_id)
    return s, second


def install_url(server: LiveServer, s: Seed, state: str) -> str:
    return f"{server.url}/oauth/authorize?" + urlencode(
        {
            "client_id": s.client_id,
            "redirect_uri": s.redirect_uri,
            "scope": " ".join(s.scopes),
            "optional_scope": " ".join(s.optional_scopes),
            "state": state,
            "code_challenge": pkce.s256(VERIFIER),
            "code_challenge_method": "S256",
        }
    )


async def test_install_approve_then_deny_in_chromium(
    browser: Any, live_server: LiveServer, callback: CallbackServer, ctx: Context
) -> None:
    s, second_hub = await seed_for_browser(ctx, callback)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()

    # Sign-in page: the e-mail field has focus, Tab moves to the password, then the button.
    response = await page.goto(install_url(live_server, s, STATE))
    assert response is not None and response.status == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert await page.evaluate("document.activeElement.id") == "email"
    await page.keyboard.type(s.email)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "password"
    await page.keyboard.type("not-the-password")
    await page.keyboard.press("Enter")
    await page.get_by_role("alert").wait_for()
    assert "do not match" in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Password").fill(s.password)
    await page.get_by_role("button", name="Sign in").click()

    # Account chooser: both accounts listed; pick the second.
    await page.get_by_role("heading", name="Choose an account").wait_for()
    assert await page.get_by_role("radio").count() == 2
    await page.get_by_label(re.compile(re.escape(second_hub.hub_domain))).check()
    await page.get_by_role("button", name="Continue").click()

    # Consent: the app's name, every scope in words; tick one of the two optional scopes.
    await page.get_by_role("heading", name=re.compile("^Connect ")).wait_for()
    text = await page.inner_text("main")
    assert "View contacts in the CRM" in text and "View deals in the CRM" in text
    assert second_hub.hub_domain in text
    assert not await page.get_by_label(re.compile("View deals")).is_checked()
    await page.get_by_label(re.compile("View deals")).check()
    await page.get_by_role("button", name="Connect app").click()

    await page.wait_for_url(callback.redirect_uri + "?**")
    params = callback.next_query()
    assert set(params) == {"code", "state"}
    assert params["state"] == STATE

    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = await http.post(
            "/oauth/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": s.redirect_uri,
                "code_verifier": VERIFIER,
                **s.creds(),
            },
        )
        assert token.status_code == 200, token.text
        body = token.json()
        assert body["hub_id"] == second_hub.hub_id
        meta = (await http.get(f"/oauth/v1/access-tokens/{body['access_token']}")).json()
        assert meta["scopes"] == [*s.scopes, "crm.objects.deals.read"]
        assert meta["hub_id"] == second_hub.hub_id
        assert meta["user"] == s.email

    # Second install in the same browser: still signed in, so the chooser comes first; deny.
    # HubSpot's rule (the default): "no request will be sent" to the app; a page says so.
    await page.goto(install_url(live_server, s, "second & run"))
    await page.get_by_role("heading", name="Choose an account").wait_for()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Cancel", exact=True).click()
    await page.get_by_role("heading", name="The app was not connected").wait_for()
    assert page.url.startswith(live_server.url)
    assert callback.requests.empty()
    await context.close()


async def test_consent_pages_cannot_be_framed_in_chromium(
    browser: Any, live_server: LiveServer, callback: CallbackServer, ctx: Context
) -> None:
    s, _ = await seed_for_browser(ctx, callback)
    callback.frame_target = install_url(live_server, s, "framed")
    page = await browser.new_page()
    await page.goto(callback.base + "/frame")
    frame = page.frames[-1]
    await page.wait_for_timeout(500)  # let Chromium settle the blocked navigation
    assert page.frames != [page.main_frame]
    content = await frame.content()
    assert "Sign in" not in content
    assert 'name="password"' not in content
