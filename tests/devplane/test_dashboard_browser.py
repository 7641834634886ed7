"""The developer dashboard (``/_hubauth/``) in Debian's Chromium against ``hubauth serve --dev``,
on SQLite and PostgreSQL: it shows apps, installs, live tokens as fingerprints with their time
left, the server's clock and offset, queued faults and the last audit events, and its buttons
(form posts with a CSRF token) advance the clock, queue a failed refresh, revoke a token and
uninstall."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, in_ci, missing_reason
from tests.support import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
async def page(dev_server: LiveServer) -> AsyncIterator[Any]:
    reason = missing_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1366, "height": 900})
            yield await context.new_page()
        finally:
            await browser.close()


@pytest.fixture
def dev_server(dev_database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(dev_database_url, server_env, extra_args=["--dev"])
    yield server
    server.stop()


def _seed(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url + "/_hubauth", timeout=10) as c:
        app = c.post(
            "/apps",
            json={
                "name": "Acme Contact Sync",
                "redirect_uris": ["https://sync.acme.example/oauth/callback"],
                "scopes": "oauth crm.objects.contacts.read",
            },
        ).json()
        hub = c.post("/hubs", json={"domain": "acme.example"}).json()
        user = c.post("/users", json={"email": "alex@acme.example", "hubs": [hub["hub_id"]]}).json()
        body = {"client_id": app["client_id"], "hub_id": hub["hub_id"], "user_id": user["user_id"]}
        tokens = c.post("/installs/tokens", json=body).json()
    return {"app": app, "hub": hub, "tokens": tokens}


def _fingerprints(state: dict[str, Any]) -> dict[str, str]:
    return {t["kind"]: t["fingerprint"] for t in state["tokens"]}


async def test_the_dashboard_shows_the_state_and_its_buttons_drive_it(
    dev_server: LiveServer, page: Any
) -> None:
    world = _seed(dev_server.url)
    state = httpx.get(dev_server.url + "/_hubauth/state").json()
    fingerprints = _fingerprints(state)

    response = await page.goto(dev_server.url + "/_hubauth/")
    assert response.status == 200
    assert response.headers["x-frame-options"] == "DENY"
    html = await page.content()
    for value in (world["tokens"]["access_token"], world["tokens"]["refresh_token"]):
        assert value not in html  # fingerprints only, never values
    assert world["app"]["client_secret"] not in html
    tokens = page.locator("#tokens")
    assert await tokens.locator(f"tr[data-fingerprint='{fingerprints['access_token']}']").count()
    assert "29 min" in await tokens.inner_text()  # time left on the server's clock
    assert await page.locator("#clock-offset").inner_text() == "0.0 s"
    assert "Acme Contact Sync" in await page.inner_text("body")

    # Advance the clock by the default 1800 s: the access token is no longer live.
    await page.get_by_role("button", name="Advance clock").click()
    await page.wait_for_url("**/_hubauth/?done=*")
    assert await page.locator("#clock-offset").inner_text() == "1800.0 s"
    assert not await tokens.locator(
        f"tr[data-fingerprint='{fingerprints['access_token']}']"
    ).count()

    # Queue a failed refresh; the next refresh over OAuth gets BAD_REFRESH_TOKEN.
    await page.get_by_role("button", name="Queue failed refresh").click()
    await page.wait_for_url("**/_hubauth/?done=*")
    assert "BAD_REFRESH_TOKEN" in await page.locator("#faults").inner_text()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": world["tokens"]["refresh_token"],
        "client_id": world["app"]["client_id"],
        "client_secret": world["app"]["client_secret"],
    }
    failed = httpx.post(dev_server.url + "/oauth/v1/token", data=form)
    assert failed.json()["status"] == "BAD_REFRESH_TOKEN"
    refreshed = httpx.post(dev_server.url + "/oauth/v1/token", data=form)
    assert refreshed.status_code == 200

    # The refresh count shows next to the refresh token; then revoke it with its button.
    await page.goto(dev_server.url + "/_hubauth/")
    row = tokens.locator(f"tr[data-fingerprint='{fingerprints['refresh_token']}']")
    assert "2" in await row.inner_text()
    await row.get_by_role("button", name="Revoke").click()
    await page.wait_for_url("**/_hubauth/?done=*")
    assert "revoked" in await page.locator("#done").inner_text()
    assert httpx.post(dev_server.url + "/oauth/v1/token", data=form).status_code == 400

    # Uninstall with its button: no active install is left.
    await page.get_by_role("button", name="Uninstall").click()
    await page.wait_for_url("**/_hubauth/?done=*")
    assert "No active installs." in await page.inner_text("body")

    events = await page.locator("#events").inner_text()
    for action in ("clock_advanced", "fault_queued", "token_revoked", "uninstalled"):
        assert action in events
