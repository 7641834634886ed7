"""Sessions, CSRF, security headers and the sign-in attempt limit of the install pages."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.web.session import COOKIE_NAME
from tests.authorize.flow import (
    approve_flow,
    assert_page_headers,
    authorize_url,
    hidden_fields,
    location_params,
    start,
)
from tests.support import Seed, db_snapshot


async def test_every_page_and_redirect_refuses_framing(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    seen = []
    flow = await start(client, authorize_url(seeded))
    seen.append(flow.page)  # sign-in
    seen.append(await flow.post("/oauth/authorize/sign-in", {"email": "x@y.z", "password": "no"}))
    signed = await flow.post(
        "/oauth/authorize/sign-in", {"email": seeded.email, "password": seeded.password}
    )
    seen.append(signed)  # 303
    seen.append(await flow.follow(signed))  # consent
    seen.append(await flow.decide("approve"))  # 303 to the app
    seen.append(await client.get(authorize_url(seeded, client_id="nope")))  # error page
    seen.append(await client.get(authorize_url(seeded, scope="oauth")))  # 302 to the app
    seen.append(await client.get("/oauth/authorize/continue?flow=gone"))  # expired page
    seen.append(await client.post("/oauth/authorize/decision", data={"decision": "approve"}))
    for response in seen:
        assert_page_headers(response)


async def test_pages_load_only_the_self_hosted_stylesheet_and_icon(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    page = (await start(client, authorize_url(seeded))).page
    assert "<script" not in page.text
    assert re.findall(r'(?:href|src)="([^"]+)"', page.text) == [
        "/oauth/authorize/assets/authorize.css",
        "/oauth/authorize/assets/favicon.svg",
        "#content",
    ]
    for icon in ("/oauth/authorize/assets/favicon.svg", "/favicon.ico"):
        served = await client.get(icon)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/svg+xml"
        assert served.content.startswith(b"<svg") and b"<script" not in served.content
    css = await client.get("/oauth/authorize/assets/authorize.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "@import" not in css.text and "url(" not in css.text


async def test_form_action_allows_only_this_site_and_the_apps_redirect_origin(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    page = (await start(client, authorize_url(seeded))).page
    assert page.headers["content-security-policy"].endswith(
        "form-action 'self' https://app.example.test"
    )
    error_page = await client.get(authorize_url(seeded, client_id="nope"))
    assert error_page.headers["content-security-policy"].endswith("form-action 'self'")


async def test_session_cookie_is_httponly_lax_and_not_secure_over_http(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    page = (await start(client, authorize_url(seeded))).page
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(COOKIE_NAME + "=")
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes
    assert not any(a.startswith(("max-age", "expires")) for a in attributes)


async def test_session_cookie_is_secure_over_https(client: httpx.AsyncClient, seeded: Seed) -> None:
    page = await client.get("https://hubauth.test" + authorize_url(seeded))
    assert "secure" in {a.strip().lower() for a in page.headers["set-cookie"].split(";")}


async def test_session_cookie_reveals_no_password_and_urls_no_secrets(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    signed = await flow.post(
        "/oauth/authorize/sign-in", {"email": seeded.email, "password": seeded.password}
    )
    assert seeded.password not in signed.headers["set-cookie"]
    assert re.fullmatch(
        r"/oauth/authorize/continue\?flow=[A-Za-z0-9_-]{16}", signed.headers["location"]
    )


async def test_missing_csrf_token_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    before = await db_snapshot(ctx.store)
    response = await client.post(
        "/oauth/authorize/decision",
        data={"flow": flow.fields["flow"], "decision": "approve", "hub_id": str(seeded.hub_id)},
    )
    assert response.status_code == 403
    assert "location" not in response.headers
    assert_page_headers(response)
    assert await db_snapshot(ctx.store) == before


@pytest.mark.parametrize(
    "token", ["", "x", "A" * 43, "tampered"], ids=["empty", "short", "guess", "edited"]
)
async def test_tampered_csrf_token_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, token: str
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    real = flow.fields["csrf_token"]
    forged = real[:-1] + ("A" if real[-1] != "A" else "B") if token == "tampered" else token
    before = await db_snapshot(ctx.store)
    response = await client.post(
        "/oauth/authorize/decision",
        data={
            "csrf_token": forged,
            "flow": flow.fields["flow"],
            "decision": "approve",
            "hub_id": str(seeded.hub_id),
        },
    )
    assert response.status_code == 403
    assert await db_snapshot(ctx.store) == before


async def test_csrf_token_from_another_session_is_refused(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    """An attacker's own valid token does not work with the victim's session."""
    attacker = await start(client, authorize_url(seeded))
    attacker_token = attacker.fields["csrf_token"]
    client.cookies.clear()
    victim = await start(client, authorize_url(seeded))
    await victim.sign_in(seeded.email, seeded.password)
    before = await db_snapshot(ctx.store)
    response = await client.post(
        "/oauth/authorize/decision",
        data={
            "csrf_token": attacker_token,
            "flow": victim.fields["flow"],
            "decision": "approve",
            "hub_id": str(seeded.hub_id),
        },
    )
    assert response.status_code == 403
    assert await db_snapshot(ctx.store) == before


async def test_csrf_is_checked_on_sign_in_too(client: httpx.AsyncClient, seeded: Seed) -> None:
    flow = await start(client, authorize_url(seeded))
    response = await client.post(
        "/oauth/authorize/sign-in",
        data={"flow": flow.fields["flow"], "email": seeded.email, "password": seeded.password},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


async def test_forged_session_cookie_is_a_fresh_session(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    fields = flow.fields
    value = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    before = await db_snapshot(ctx.store)
    response = await client.post(
        "/oauth/authorize/decision",
        data={**{k: fields[k] for k in ("csrf_token", "flow", "hub_id")}, "decision": "approve"},
    )
    assert response.status_code == 403
    assert await db_snapshot(ctx.store) == before


async def test_form_post_of_the_wrong_type_is_refused(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    response = await client.post(
        "/oauth/authorize/decision",
        json={"csrf_token": flow.fields["csrf_token"], "flow": flow.fields["flow"]},
    )
    assert response.status_code == 415
    assert_page_headers(response)


async def test_oversized_form_is_refused(client: httpx.AsyncClient, seeded: Seed) -> None:
    flow = await start(client, authorize_url(seeded))
    response = await flow.post("/oauth/authorize/sign-in", {"email": "a" * 10_000, "password": "x"})
    assert response.status_code == 413


async def test_wrong_password_shows_the_form_again(client: httpx.AsyncClient, seeded: Seed) -> None:
    flow = await start(client, authorize_url(seeded))
    page = await flow.sign_in(seeded.email, "wrong-password")
    assert page.status_code == 422
    assert "do not match" in page.text
    assert 'role="alert"' in page.text
    assert f'value="{seeded.email}"' in page.text
    assert "wrong-password" not in page.text


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    unknown = await flow.sign_in("nobody@example.test", "whatever")
    wrong = await flow.sign_in(seeded.email, "whatever")
    assert unknown.status_code == wrong.status_code == 422
    assert (
        re.search(r'role="alert"[^>]*>([^<]*)<', unknown.text)[1]
        == re.search(  # type: ignore[index]
            r'role="alert"[^>]*>([^<]*)<', wrong.text
        )[1]
    )  # type: ignore[index]


async def test_email_case_is_forgiven(client: httpx.AsyncClient, seeded: Seed) -> None:
    flow = await start(client, authorize_url(seeded))
    page = await flow.sign_in("  " + seeded.email.upper() + " ", seeded.password)
    assert "Connect app" in page.text


async def test_sign_in_attempts_are_limited_per_account(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    for _ in range(10):
        assert (await flow.sign_in(seeded.email, "guess")).status_code == 422
    limited = await flow.sign_in(seeded.email, seeded.password)  # even the right one
    assert limited.status_code == 429
    # a sliding-window estimate (hubauth.ratelimit.window): lifts within two windows
    assert 0 < int(limited.headers["retry-after"]) <= 2 * 15 * 60 + 1
    assert "Too many failed sign-in attempts" in limited.text


async def test_sign_in_limit_lifts_after_the_window(
    client: httpx.AsyncClient, seeded: Seed, clock: FrozenClock
) -> None:
    flow = await start(client, authorize_url(seeded))
    for _ in range(10):
        await flow.sign_in(seeded.email, "guess")
    limited = await flow.sign_in(seeded.email, seeded.password)
    assert limited.status_code == 429
    clock.advance(int(limited.headers["retry-after"]))
    client.cookies.clear()
    flow = await start(client, authorize_url(seeded))
    assert "Connect app" in (await flow.sign_in(seeded.email, seeded.password)).text


async def test_started_install_expires(
    client: httpx.AsyncClient, seeded: Seed, clock: FrozenClock
) -> None:
    flow = await start(client, authorize_url(seeded))
    clock.advance(31 * 60)
    page = await flow.sign_in(seeded.email, seeded.password)
    assert page.status_code == 400
    assert "expired" in page.text


async def test_sign_in_expires_after_eight_hours(
    client: httpx.AsyncClient, seeded: Seed, clock: FrozenClock
) -> None:
    await approve_flow(client, seeded)
    clock.advance(8 * 3600)
    page = (await start(client, authorize_url(seeded))).page
    assert 'name="password"' in page.text


async def test_two_installs_in_two_tabs_both_finish(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    first = await start(client, authorize_url(seeded, state="tab-1"))
    second = await start(client, authorize_url(seeded, state="tab-2"))
    await second.sign_in(seeded.email, seeded.password)
    first.page = await client.get(f"/oauth/authorize/continue?flow={first.fields['flow']}")
    assert location_params(await first.decide("approve"))["state"] == "tab-1"
    second.page = await client.get(f"/oauth/authorize/continue?flow={second.fields['flow']}")
    assert location_params(await second.decide("approve"))["state"] == "tab-2"


async def test_huge_state_is_refused_with_a_redirect(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    state = secrets.token_urlsafe(3000)  # random: the cookie payload is compressed
    response = await client.get(authorize_url(seeded, state=state))
    assert response.status_code == 302
    params = location_params(response)
    assert params["error"] == "invalid_request"
    assert params["state"] == state


async def test_long_state_within_the_cookie_budget_works(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    state = secrets.token_urlsafe(1500)
    assert location_params(await approve_flow(client, seeded, state=state))["state"] == state


async def test_hidden_fields_are_escaped(client: httpx.AsyncClient, seeded: Seed) -> None:
    page = (await start(client, authorize_url(seeded, state='"><script>'))).page
    assert "<script>" not in page.text
    assert set(hidden_fields(page.text)) == {"csrf_token", "flow"}
