"""The install flow over HTTP: sign-in, account choice, consent, the code and its exchange."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from hubauth.core import pkce
from hubauth.core.context import Context
from tests.authorize.conftest import MultiHubUser
from tests.authorize.flow import (
    account_ids,
    approve_flow,
    assert_page_headers,
    authorize_url,
    exchange,
    location_params,
    offered_optional,
    start,
)
from tests.support import Seed, db_snapshot, seed

VERIFIER = "correct-horse-battery-staple-" + "x" * 20


async def test_approve_redirects_with_code_and_state_and_code_exchanges(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    final = await approve_flow(client, seeded)
    assert final.status_code == 303
    assert final.headers["location"].startswith(seeded.redirect_uri + "?")
    params = location_params(final)
    assert set(params) == {"code", "state"}
    assert params["state"] == "st-123"
    assert_page_headers(final)
    tokens = await exchange(client, seeded, params["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["hub_id"] == seeded.hub_id
    assert body["user_id"] == seeded.user_id
    assert body["scopes"] == list(seeded.scopes)


async def test_optional_scope_not_ticked_is_not_granted(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    code = location_params(await approve_flow(client, seeded))["code"]
    body = (await exchange(client, seeded, code)).json()
    assert "crm.objects.deals.read" not in body["scopes"]
    meta = (await client.get(f"/oauth/v1/access-tokens/{body['access_token']}")).json()
    assert "crm.objects.deals.read" not in meta["scopes"]


async def test_ticked_optional_scope_is_granted(client: httpx.AsyncClient, seeded: Seed) -> None:
    final = await approve_flow(client, seeded, optional=("crm.objects.deals.read",))
    body = (await exchange(client, seeded, location_params(final)["code"])).json()
    assert body["scopes"] == [*seeded.scopes, "crm.objects.deals.read"]


async def test_ticking_a_scope_that_was_not_offered_grants_nothing_more(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    """A hand-edited form cannot add scopes: only the request's optional scopes count."""
    final = await approve_flow(
        client, seeded, optional=("crm.objects.deals.read", "crm.objects.contacts.write")
    )
    body = (await exchange(client, seeded, location_params(final)["code"])).json()
    assert body["scopes"] == [*seeded.scopes, "crm.objects.deals.read"]


async def test_optional_scope_left_out_of_the_request_is_not_offered(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded, optional_scope=None))
    consent = await flow.sign_in(seeded.email, seeded.password)
    assert offered_optional(consent.text) == []
    final = await flow.decide("approve", ("crm.objects.deals.read",))
    body = (await exchange(client, seeded, location_params(final)["code"])).json()
    assert body["scopes"] == list(seeded.scopes)


async def test_consent_lists_app_name_and_every_scope_in_plain_words(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    consent = await flow.sign_in(seeded.email, seeded.password)
    app = await ctx.store.find_app_by_client_id(seeded.client_id)
    assert app is not None
    assert app.name in consent.text
    assert "View contacts in the CRM" in consent.text
    assert "Know who installed the app" in consent.text
    assert "View deals in the CRM" in consent.text
    assert offered_optional(consent.text) == ["crm.objects.deals.read"]
    assert seeded.hub_domain in consent.text
    assert 'type="checkbox" id="opt-1" name="optional_scope" value="crm.objects.deals.read">' in (
        consent.text
    )  # not ticked in advance


@pytest.mark.install_page_rules("rfc6749")
async def test_deny_redirects_access_denied_with_state_and_issues_nothing(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded, state="deny-me"))
    await flow.sign_in(seeded.email, seeded.password)
    before = await db_snapshot(ctx.store)
    final = await flow.decide("deny")
    assert final.status_code == 303
    params = location_params(final)
    assert params["error"] == "access_denied"
    assert params["state"] == "deny-me"
    assert "code" not in params
    assert await db_snapshot(ctx.store) == before


@pytest.mark.install_page_rules("rfc6749")
async def test_cancel_on_the_sign_in_page_redirects_access_denied(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded, state="early"))
    final = await flow.decide("deny")
    assert final.status_code == 303
    assert location_params(final) == {
        "error": "access_denied",
        "error_description": "The user declined to install the app",
        "state": "early",
    }


async def test_finished_flow_cannot_be_used_again(client: httpx.AsyncClient, seeded: Seed) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    assert (await flow.decide("approve")).status_code == 303
    again = await flow.decide("approve")
    assert again.status_code == 400
    assert "expired" in again.text


async def test_reused_code_fails_with_bad_auth_code(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    code = location_params(await approve_flow(client, seeded))["code"]
    assert (await exchange(client, seeded, code)).status_code == 200
    second = await exchange(client, seeded, code)
    assert second.status_code == 400
    assert second.json()["status"] == "BAD_AUTH_CODE"


async def test_pkce_code_needs_the_right_verifier(client: httpx.AsyncClient, seeded: Seed) -> None:
    final = await approve_flow(
        client, seeded, code_challenge=pkce.s256(VERIFIER), code_challenge_method="S256"
    )
    code = location_params(final)["code"]
    wrong = await exchange(client, seeded, code, code_verifier="w" * 43)
    assert wrong.status_code == 400
    assert wrong.json()["status"] == "BAD_CODE_VERIFIER"


async def test_pkce_code_exchanges_with_its_verifier(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    final = await approve_flow(
        client, seeded, code_challenge=pkce.s256(VERIFIER), code_challenge_method="S256"
    )
    ok = await exchange(client, seeded, location_params(final)["code"], code_verifier=VERIFIER)
    assert ok.status_code == 200, ok.text


async def test_pkce_code_without_verifier_fails(client: httpx.AsyncClient, seeded: Seed) -> None:
    final = await approve_flow(
        client, seeded, code_challenge=pkce.s256(VERIFIER), code_challenge_method="S256"
    )
    missing = await exchange(client, seeded, location_params(final)["code"])
    assert missing.json()["status"] == "BAD_CODE_VERIFIER"


STATES = [
    "a b",
    "a&b=c",
    "100%",
    "%20 not decoded twice %2B",
    "plus+sign",
    "ünïcødé ✓ 🙂",
    "x?y#z/\\'\"<>",
    "",
]


@pytest.mark.parametrize("state", STATES)
async def test_state_round_trips_exactly_on_approve(
    client: httpx.AsyncClient, seeded: Seed, state: str
) -> None:
    final = await approve_flow(client, seeded, state=state)
    assert location_params(final)["state"] == state
    assert "+" not in urlsplit(final.headers["location"]).query  # spaces are %20


@pytest.mark.install_page_rules("rfc6749")
@pytest.mark.parametrize("state", STATES)
async def test_state_round_trips_exactly_on_deny(
    client: httpx.AsyncClient, seeded: Seed, state: str
) -> None:
    flow = await start(client, authorize_url(seeded, state=state))
    final = await flow.decide("deny")
    assert location_params(final)["state"] == state


@pytest.mark.install_page_rules("rfc6749")
@pytest.mark.parametrize("state", STATES)
async def test_state_round_trips_exactly_on_error_redirect(
    client: httpx.AsyncClient, seeded: Seed, state: str
) -> None:
    final = await client.get(authorize_url(seeded, scope="oauth", state=state))
    assert location_params(final)["state"] == state


async def test_single_account_user_skips_the_chooser(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    flow = await start(client, authorize_url(seeded))
    consent = await flow.sign_in(seeded.email, seeded.password)
    assert account_ids(consent.text) == []
    assert "Choose a different account" not in consent.text
    assert flow.fields["hub_id"] == str(seeded.hub_id)


async def test_multi_account_user_chooses_and_code_is_for_that_account(
    client: httpx.AsyncClient, seeded: Seed, multi_hub_user: MultiHubUser
) -> None:
    flow = await start(client, authorize_url(seeded))
    chooser = await flow.sign_in(multi_hub_user.email, multi_hub_user.password)
    assert chooser.status_code == 200
    assert "Choose an account" in chooser.text
    assert account_ids(chooser.text) == multi_hub_user.hub_ids
    assert_page_headers(chooser)
    second = multi_hub_user.hub_ids[1]
    consent = await flow.choose(second)
    assert "Choose a different account" in consent.text
    final = await flow.decide("approve")
    body = (await exchange(client, seeded, location_params(final)["code"])).json()
    assert body["hub_id"] == second
    assert body["user_id"] == multi_hub_user.user_id


async def test_choosing_an_account_the_user_is_not_in_is_refused(
    client: httpx.AsyncClient, seeded: Seed, multi_hub_user: MultiHubUser
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(multi_hub_user.email, multi_hub_user.password)
    refused = await flow.choose(seeded.hub_id)
    assert refused.status_code == 403
    assert_page_headers(refused)


async def test_approving_for_an_account_not_shown_goes_back_to_the_page(
    client: httpx.AsyncClient, seeded: Seed, multi_hub_user: MultiHubUser
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(multi_hub_user.email, multi_hub_user.password)
    await flow.choose(multi_hub_user.hub_ids[0])
    response = await flow.post(
        "/oauth/authorize/decision",
        {"decision": "approve", "hub_id": str(multi_hub_user.hub_ids[1])},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/oauth/authorize/continue?flow=")


async def test_change_account_returns_to_the_chooser(
    client: httpx.AsyncClient, seeded: Seed, multi_hub_user: MultiHubUser
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(multi_hub_user.email, multi_hub_user.password)
    await flow.choose(multi_hub_user.hub_ids[0])
    chooser = await flow.choose("")
    assert "Choose an account" in chooser.text


async def test_account_pinned_url_skips_the_chooser(
    client: httpx.AsyncClient, seeded: Seed, multi_hub_user: MultiHubUser
) -> None:
    pinned = multi_hub_user.hub_ids[1]
    flow = await start(client, authorize_url(seeded, path=f"/oauth/{pinned}/authorize"))
    consent = await flow.sign_in(multi_hub_user.email, multi_hub_user.password)
    assert "Connect app" in consent.text
    assert "Choose a different account" not in consent.text
    final = await flow.decide("approve")
    body = (await exchange(client, seeded, location_params(final)["code"])).json()
    assert body["hub_id"] == pinned


async def test_account_pinned_url_for_a_foreign_account_cannot_be_approved(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, multi_hub_user: MultiHubUser
) -> None:
    flow = await start(client, authorize_url(seeded, path=f"/oauth/{seeded.hub_id}/authorize"))
    page = await flow.sign_in(multi_hub_user.email, multi_hub_user.password)
    assert page.status_code == 403
    assert f"no access to account {seeded.hub_id}" in page.text
    before = await db_snapshot(ctx.store)
    attempt = await flow.post(
        "/oauth/authorize/decision", {"decision": "approve", "hub_id": str(seeded.hub_id)}
    )
    assert attempt.status_code == 303
    assert attempt.headers["location"].startswith("/oauth/authorize/continue")
    assert await db_snapshot(ctx.store) == before


@pytest.mark.install_page_rules("rfc6749")
async def test_user_without_accounts_sees_a_page_and_can_cancel(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    from hubauth.core.passwords import hash_password

    user = await ctx.store.create_user(
        f"lonely-{seeded.app_id}@example.test", hash_password("pw-lonely-1"), now_ms=ctx.now_ms()
    )
    flow = await start(client, authorize_url(seeded))
    page = await flow.sign_in(user.email, "pw-lonely-1")
    assert page.status_code == 403
    assert "not a member of any account" in page.text
    assert_page_headers(page)
    final = await flow.decide("deny")
    assert location_params(final)["error"] == "access_denied"


async def test_sign_out_returns_to_sign_in(client: httpx.AsyncClient, seeded: Seed) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    page = await flow.follow(await flow.post("/oauth/authorize/sign-out", {}))
    assert 'name="password"' in page.text


async def test_signed_in_user_goes_straight_to_consent_on_the_next_install(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    await approve_flow(client, seeded)
    page = await client.get(authorize_url(seeded))
    assert "Connect app" in page.text


async def test_install_records_granted_scopes(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    final = await approve_flow(client, seeded, optional=("crm.objects.deals.read",))
    refresh = (await exchange(client, seeded, location_params(final)["code"])).json()
    meta = (await client.get(f"/oauth/v1/refresh-tokens/{refresh['refresh_token']}")).json()
    assert meta["scopes"] == [*seeded.scopes, "crm.objects.deals.read"]
    assert meta["user"] == seeded.email


async def test_app_changed_during_the_flow_is_noticed(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    """The remembered request is re-validated at every step: once the app no longer lists
    the flow's redirect URI, the flow cannot finish and nothing is redirected."""
    s = await seed(ctx)
    flow = await start(client, authorize_url(s, redirect_uri="http://localhost:8765/cb"))
    await flow.sign_in(s.email, s.password)
    from sqlalchemy import update

    from hubauth.store.schema import apps

    async with ctx.store.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            update(apps)
            .where(apps.c.app_id == s.app_id)
            .values(redirect_uris='["https://x.test/"]')
        )
    response = await flow.decide("approve")
    assert response.status_code == 400
    assert "location" not in response.headers
