"""The pytest plugin's server: a real hubauth over HTTP whose clock and faults a test controls.

Every body the server renders is checked against its contract (see conftest.py).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from hubauth.core import errors
from hubauth.core.clock import FrozenClock
from hubauth.testing import REFRESH_ERRORS, HubAuthServer
from tests.authorize.flow import approve_flow, exchange, location_params
from tests.support import Seed


def refresh(server: HubAuthServer, refresh_token: str, **extra: str) -> httpx.Response:
    return httpx.post(
        server.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            **extra,
        },
    )


def without_correlation_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "correlationId"}


# --- the seeded install -----------------------------------------------------------------------


def test_server_exposes_seeded_install_that_mints_hubspot_tokens(
    hubauth_server: HubAuthServer,
) -> None:
    body = hubauth_server.mint_tokens()
    assert body["hub_id"] == hubauth_server.hub_id
    assert body["user_id"] == hubauth_server.user_id
    assert body["scopes"] == list(hubauth_server.scopes)
    assert body["expires_in"] == 1800
    assert hubauth_server.base_url.startswith("http://127.0.0.1:")
    meta = httpx.get(f"{hubauth_server.base_url}/oauth/v1/refresh-tokens/{body['refresh_token']}")
    assert meta.status_code == 200
    assert meta.json()["client_id"] == hubauth_server.client_id
    assert meta.json()["user"] == hubauth_server.user_email


def test_mint_code_is_exchangeable_once_at_the_redirect_uri(hubauth_server: HubAuthServer) -> None:
    code = hubauth_server.mint_code(optional=hubauth_server.optional_scopes)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": hubauth_server.redirect_uri,
        "client_id": hubauth_server.client_id,
        "client_secret": hubauth_server.client_secret,
    }
    first = httpx.post(hubauth_server.token_url, data=form)
    assert first.status_code == 200
    assert first.json()["scopes"] == [*hubauth_server.scopes, *hubauth_server.optional_scopes]
    assert httpx.post(hubauth_server.token_url, data=form).status_code == 400


def test_function_scoped_servers_are_independent(hubauth_server_factory: Any) -> None:
    one, two = hubauth_server_factory(), hubauth_server_factory()
    assert one.base_url != two.base_url
    tokens = one.mint_tokens()
    assert refresh(two, tokens["refresh_token"]).status_code == 400


def test_session_server_serves_every_test(hubauth_server_session: HubAuthServer) -> None:
    assert hubauth_server_session.mint_tokens()["hub_id"] == hubauth_server_session.hub_id


@pytest.mark.hubauth_server(access_token_ttl=600, refresh_policy="rotate")
def test_marker_configures_the_server(hubauth_server: HubAuthServer) -> None:
    tokens = hubauth_server.mint_tokens()
    assert tokens["expires_in"] == 600
    rotated = refresh(hubauth_server, tokens["refresh_token"]).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]


# --- the clock --------------------------------------------------------------------------------


def test_advancing_the_clock_expires_the_access_token(hubauth_server: HubAuthServer) -> None:
    tokens = hubauth_server.mint_tokens()
    url = f"{hubauth_server.base_url}/oauth/v1/access-tokens/{tokens['access_token']}"
    assert httpx.get(url).status_code == 200
    hubauth_server.clock.advance(1799)
    assert httpx.get(url).status_code == 200
    hubauth_server.clock.advance(2)
    assert httpx.get(url).status_code == 401


def test_expires_in_counts_down_as_the_clock_advances(hubauth_server_factory: Any) -> None:
    server = hubauth_server_factory(clock=FrozenClock())
    tokens = server.mint_tokens()
    url = f"{server.base_url}/oauth/v1/access-tokens/{tokens['access_token']}"
    assert httpx.get(url).json()["expires_in"] == 1800
    server.clock.advance(600)
    assert httpx.get(url).json()["expires_in"] == 1200
    server.clock.advance(1199.5)
    assert httpx.get(url).json()["expires_in"] == 0


def test_offset_clock_keeps_real_time_flowing(hubauth_server: HubAuthServer) -> None:
    tokens = hubauth_server.mint_tokens()
    hubauth_server.clock.advance(600)
    url = f"{hubauth_server.base_url}/oauth/v1/access-tokens/{tokens['access_token']}"
    assert 1195 <= httpx.get(url).json()["expires_in"] <= 1200


def test_authorization_code_lapses_when_the_clock_passes_its_ttl(
    hubauth_server: HubAuthServer,
) -> None:
    code = hubauth_server.mint_code()
    hubauth_server.clock.advance(301)
    response = httpx.post(
        hubauth_server.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": hubauth_server.redirect_uri,
            "client_id": hubauth_server.client_id,
            "client_secret": hubauth_server.client_secret,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["status"] == "EXPIRED_AUTH_CODE"


# --- real revocation --------------------------------------------------------------------------


def test_uninstall_revokes_the_install_so_refresh_is_bad_refresh_token(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    assert hubauth_server.uninstall() == 1
    response = refresh(hubauth_server, tokens["refresh_token"])
    assert response.status_code == 400
    assert without_correlation_id(response.json()) == {
        "error": "invalid_grant",
        "error_description": errors.REFRESH_TOKEN_MESSAGE,
        "status": "BAD_REFRESH_TOKEN",
        "message": errors.REFRESH_TOKEN_MESSAGE,
    }
    meta = f"{hubauth_server.base_url}/oauth/v1/access-tokens/{tokens['access_token']}"
    assert httpx.get(meta).status_code == 401


def test_deleted_hub_answers_bad_hub(hubauth_server: HubAuthServer) -> None:
    tokens = hubauth_server.mint_tokens()
    assert hubauth_server.delete_hub()
    response = refresh(hubauth_server, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["status"] == "BAD_HUB"
    assert response.json()["error"] == "access_denied"


# --- fault switches ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFRESH_ERRORS))
def test_injected_refresh_error_is_the_real_error_body(
    hubauth_server: HubAuthServer, name: str
) -> None:
    tokens = hubauth_server.mint_tokens()
    hubauth_server.faults.fail_next_refreshes(1, error=name)
    response = refresh(hubauth_server, tokens["refresh_token"])
    real = REFRESH_ERRORS[name]()
    assert response.status_code == real.http_status == 400
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["correlationId"] == response.headers["x-request-id"]
    assert without_correlation_id(response.json()) == {
        "error": real.error,
        "error_description": real.message,
        "status": real.status,
        "message": real.message,
    }


def test_injected_bad_hub_matches_a_really_deleted_hub(hubauth_server_factory: Any) -> None:
    injected_server, real_server = hubauth_server_factory(), hubauth_server_factory()
    injected_server.faults.fail_next_refreshes(1, error="BAD_HUB")
    injected = refresh(injected_server, injected_server.mint_tokens()["refresh_token"])
    tokens = real_server.mint_tokens()
    real_server.delete_hub()
    real = refresh(real_server, tokens["refresh_token"])
    assert injected.status_code == real.status_code
    assert without_correlation_id(injected.json()) == without_correlation_id(real.json())


def test_refresh_faults_are_consumed_and_change_nothing_stored(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    hubauth_server.faults.fail_next_refreshes(2, error="BAD_REFRESH_TOKEN")
    code_exchange_unaffected = hubauth_server.mint_tokens()
    assert code_exchange_unaffected["hub_id"] == hubauth_server.hub_id
    assert refresh(hubauth_server, tokens["refresh_token"]).status_code == 400
    assert refresh(hubauth_server, tokens["refresh_token"]).status_code == 400
    assert refresh(hubauth_server, tokens["refresh_token"]).status_code == 200
    assert hubauth_server.faults.pending == 0


@pytest.mark.parametrize(
    ("status", "category"), [(503, "SERVICE_UNAVAILABLE"), (429, "RATE_LIMITS")]
)
def test_fail_next_requests_answers_status_with_retry_after(
    hubauth_server: HubAuthServer, status: int, category: str
) -> None:
    tokens = hubauth_server.mint_tokens()
    hubauth_server.faults.fail_next_requests(2, status=status, retry_after=17)
    meta = f"{hubauth_server.base_url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}"
    for response in (httpx.get(meta), refresh(hubauth_server, tokens["refresh_token"])):
        assert response.status_code == status
        assert response.headers["retry-after"] == "17"
        body = response.json()
        assert body["status"] == "error"
        assert body["category"] == category
    assert refresh(hubauth_server, tokens["refresh_token"]).status_code == 200


def test_fault_switches_reject_unknown_values(hubauth_server: HubAuthServer) -> None:
    with pytest.raises(ValueError, match="unknown refresh error"):
        hubauth_server.faults.fail_next_refreshes(1, error="TEAPOT")
    with pytest.raises(ValueError, match="status"):
        hubauth_server.faults.fail_next_requests(1, status=418)
    with pytest.raises(ValueError):
        hubauth_server.faults.add_latency(-1)


def test_added_latency_delays_every_request_until_cleared(hubauth_server: HubAuthServer) -> None:
    meta = f"{hubauth_server.base_url}/oauth/v1/refresh-tokens/na1-0000-0000-0000-0000-000000000000"
    hubauth_server.faults.add_latency(0.3)
    started = time.monotonic()
    assert httpx.get(meta).status_code == 404
    assert time.monotonic() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(meta, timeout=0.05)
    hubauth_server.faults.clear()
    assert httpx.get(meta, timeout=5).status_code == 404


def test_refresh_count_counts_refresh_grants_including_failed_ones(
    hubauth_server: HubAuthServer,
) -> None:
    tokens = hubauth_server.mint_tokens()
    assert hubauth_server.refresh_count == 0
    refresh(hubauth_server, tokens["refresh_token"])
    hubauth_server.faults.fail_next_refreshes(1)
    refresh(hubauth_server, tokens["refresh_token"])
    hubauth_server.faults.fail_next_requests(1, status=503)
    refresh(hubauth_server, tokens["refresh_token"])
    assert hubauth_server.refresh_count == 3
    assert hubauth_server.traffic.grants("authorization_code") == 1


async def test_seeded_user_installs_through_the_real_authorize_pages(
    hubauth_server: HubAuthServer,
) -> None:
    seed = Seed(
        app_id=hubauth_server.app_id,
        client_id=hubauth_server.client_id,
        client_secret=hubauth_server.client_secret,
        hub_id=hubauth_server.hub_id,
        hub_domain=hubauth_server.hub_domain,
        user_id=hubauth_server.user_id,
        email=hubauth_server.user_email,
        password=hubauth_server.user_password,
        redirect_uri=hubauth_server.redirect_uri,
        scopes=hubauth_server.scopes,
        optional_scopes=hubauth_server.optional_scopes,
    )
    async with httpx.AsyncClient(base_url=hubauth_server.base_url) as browser:
        redirect = await approve_flow(browser, seed)
        assert redirect.headers["location"].startswith(hubauth_server.redirect_uri)
        code = location_params(redirect)["code"]
        tokens = await exchange(browser, seed, code)
    assert tokens.status_code == 200
    assert tokens.json()["hub_id"] == hubauth_server.hub_id
