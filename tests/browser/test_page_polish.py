"""Issue 17's page nits, in Chromium against a real server: on a 390x844 phone the consent
decision is on screen without scrolling, even with many scopes; the pages have an icon and
``/favicon.ico`` answers; the sign-in footer promises no account choice it cannot keep."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from hubauth.core.context import Context
from tests.browser.callback import CallbackServer
from tests.support import LiveServer, seed

pytestmark = pytest.mark.slow

MANY_OPTIONAL = (
    "crm.objects.deals.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "tickets",
    "timeline",
    "forms",
    "files",
)


async def test_consent_action_is_visible_on_a_phone(
    browser: Any, live_server: LiveServer, callback: CallbackServer, ctx: Context
) -> None:
    s = await seed(ctx, redirect_uri=callback.redirect_uri, optional_scopes=MANY_OPTIONAL)
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    url = f"{live_server.url}/oauth/authorize?" + urlencode(
        {
            "client_id": s.client_id,
            "redirect_uri": s.redirect_uri,
            "scope": " ".join(s.scopes),
            "optional_scope": " ".join(s.optional_scopes),
        }
    )
    await page.goto(url)
    footer = await page.locator("footer").inner_text()
    assert "if you belong to several" in footer
    icon = await page.evaluate("document.querySelector('link[rel=icon]').href")
    assert (await page.request.get(icon)).status == 200
    assert (await page.request.get(f"{live_server.url}/favicon.ico")).status == 200
    await page.get_by_label("E-mail address").fill(s.email)
    await page.get_by_label("Password").fill(s.password)
    await page.get_by_role("button", name="Sign in").click()
    connect = page.get_by_role("button", name="Connect app")
    await connect.wait_for()
    assert await page.evaluate("window.scrollY") == 0
    box = await connect.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    # It is the real button: clicking it where it stands completes the install.
    await connect.click()
    await page.wait_for_url(f"{s.redirect_uri}*")
    await context.close()
