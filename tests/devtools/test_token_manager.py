"""TokenManager and AsyncTokenManager against the real testing server: refresh ahead of expiry,
rotation safety, single-flight under 50 concurrent callers, and backing off."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from hubauth.client import (
    HUBSPOT_API,
    TOKEN_PATH_V3,
    AsyncTokenManager,
    OAuthApp,
    ReconnectRequired,
    RetryLater,
    TokenManager,
)
from hubauth.testing import HubAuthServer
from tests.devtools.conftest import token_set


def manager_for(server: HubAuthServer, **options: Any) -> TokenManager:
    return TokenManager(
        server.client_id,
        server.client_secret,
        base_url=server.base_url,
        clock=server.clock,
        tokens=token_set(server),
        **options,
    )


def async_manager_for(server: HubAuthServer, **options: Any) -> AsyncTokenManager:
    return AsyncTokenManager(
        server.client_id,
        server.client_secret,
        base_url=server.base_url,
        clock=server.clock,
        tokens=token_set(server),
        **options,
    )


def server_accepts(server: HubAuthServer, access_token: str) -> bool:
    url = f"{server.base_url}/oauth/v1/access-tokens/{access_token}"
    return httpx.get(url).status_code == 200


def test_defaults_talk_to_hubspot_v1_and_v3_is_configurable() -> None:
    assert OAuthApp("id", "secret").token_url == f"{HUBSPOT_API}/oauth/v1/token"
    assert HUBSPOT_API == "https://api.hubapi.com"
    v3 = OAuthApp("id", "secret", token_path=TOKEN_PATH_V3)
    assert v3.token_url == "https://api.hubapi.com/oauth/v3/token"
    assert "secret" not in repr(v3)


def test_fresh_token_is_used_without_refreshing(hubauth_server: HubAuthServer) -> None:
    with manager_for(hubauth_server) as manager:
        first = manager.get_access_token()
        hubauth_server.clock.advance(1800 - 301)
        assert manager.get_access_token() == first
    assert hubauth_server.refresh_count == 0


def test_refreshes_once_inside_the_default_five_minute_margin(
    hubauth_server: HubAuthServer,
) -> None:
    with manager_for(hubauth_server) as manager:
        first = manager.get_access_token()
        hubauth_server.clock.advance(1800 - 299)
        second = manager.get_access_token()
        assert second != first
        assert manager.get_access_token() == second
        assert server_accepts(hubauth_server, second)
    assert hubauth_server.refresh_count == 1


def test_refresh_margin_is_configurable(hubauth_server: HubAuthServer) -> None:
    with manager_for(hubauth_server, refresh_margin=60) as manager:
        first = manager.get_access_token()
        hubauth_server.clock.advance(1800 - 120)
        assert manager.get_access_token() == first
        hubauth_server.clock.advance(61)
        assert manager.get_access_token() != first
    assert hubauth_server.refresh_count == 1


@pytest.mark.hubauth_server(access_token_ttl=300)
def test_margin_is_capped_at_half_the_token_lifetime(hubauth_server: HubAuthServer) -> None:
    # docs/sources.md CL-30MIN: a margin longer than the lifetime must not mean "refresh on
    # every call".
    with manager_for(hubauth_server, refresh_margin=600) as manager:
        first = manager.get_access_token()
        assert manager.get_access_token() == first
        hubauth_server.clock.advance(151)
        assert manager.get_access_token() != first
    assert hubauth_server.refresh_count == 1


def test_expired_token_is_refreshed_before_use(hubauth_server: HubAuthServer) -> None:
    with manager_for(hubauth_server) as manager:
        first = manager.get_access_token()
        hubauth_server.clock.advance(3600)
        assert not server_accepts(hubauth_server, first)
        assert server_accepts(hubauth_server, manager.get_access_token())


@pytest.mark.hubauth_server(refresh_policy="rotate")
def test_keeps_the_newest_refresh_token_when_the_server_rotates(
    hubauth_server: HubAuthServer,
) -> None:
    with manager_for(hubauth_server) as manager:
        seen = []
        for _ in range(3):
            current = manager.current()
            assert current is not None
            seen.append(current.refresh_token)
            hubauth_server.clock.advance(1800)
            assert server_accepts(hubauth_server, manager.get_access_token())
        newest = manager.current()
        assert newest is not None
        assert len({*seen, newest.refresh_token}) == 4
        meta = f"{hubauth_server.base_url}/oauth/v1/refresh-tokens/"
        assert httpx.get(meta + newest.refresh_token).status_code == 200
        assert httpx.get(meta + seen[0]).status_code == 404
    assert hubauth_server.refresh_count == 3


def test_exchange_code_finishes_an_install(hubauth_server: HubAuthServer) -> None:
    with TokenManager(
        hubauth_server.client_id,
        hubauth_server.client_secret,
        base_url=hubauth_server.base_url,
        clock=hubauth_server.clock,
    ) as manager:
        with pytest.raises(ReconnectRequired, match="no tokens"):
            manager.get_access_token()
        tokens = manager.exchange_code(hubauth_server.mint_code(), hubauth_server.redirect_uri)
        assert tokens.hub_id == hubauth_server.hub_id
        assert tokens.expires_at_ms - tokens.issued_at_ms == 1800 * 1000
        assert manager.get_access_token() == tokens.access_token


def test_rejected_token_is_refreshed_on_next_call(hubauth_server: HubAuthServer) -> None:
    with manager_for(hubauth_server) as manager:
        first = manager.get_access_token()
        manager.token_rejected(first)
        second = manager.get_access_token()
        assert second != first
        assert manager.get_access_token() == second
    assert hubauth_server.refresh_count == 1


def test_uninstall_raises_reconnect_required_once_then_without_calling_the_server(
    hubauth_server: HubAuthServer,
) -> None:
    with manager_for(hubauth_server) as manager:
        hubauth_server.uninstall()
        hubauth_server.clock.advance(1800)
        with pytest.raises(ReconnectRequired) as caught:
            manager.get_access_token()
        assert caught.value.hubspot_status == "BAD_REFRESH_TOKEN"
        assert caught.value.http_status == 400
        with pytest.raises(ReconnectRequired, match="BAD_REFRESH_TOKEN"):
            manager.get_access_token()
        assert hubauth_server.refresh_count == 1
        # The user installs again: new tokens clear the mark.
        manager.set_tokens(hubauth_server.mint_tokens())
        assert server_accepts(hubauth_server, manager.get_access_token())


def test_transient_failure_during_early_refresh_hands_out_the_still_valid_token(
    hubauth_server: HubAuthServer,
) -> None:
    with manager_for(hubauth_server) as manager:
        first = manager.get_access_token()
        hubauth_server.clock.advance(1800 - 200)
        hubauth_server.faults.fail_next_requests(2, status=503)  # the request and its resend
        assert manager.get_access_token() == first  # 200 s left: still good
        assert manager.get_access_token() == first  # backing off: no further request
        assert hubauth_server.refresh_count == 2
        hubauth_server.clock.advance(6)  # past the renderer's default "Retry-After: 5"
        assert manager.get_access_token() != first
    assert hubauth_server.refresh_count == 3


def test_retry_after_is_honoured_before_calling_again(hubauth_server: HubAuthServer) -> None:
    with manager_for(hubauth_server) as manager:
        hubauth_server.clock.advance(1800)
        hubauth_server.faults.fail_next_requests(1, status=429, retry_after=120)
        with pytest.raises(RetryLater) as caught:
            manager.get_access_token()
        assert caught.value.retry_after == 120
        assert caught.value.http_status == 429
        hubauth_server.clock.advance(60)
        with pytest.raises(RetryLater) as waiting:
            manager.get_access_token()
        assert waiting.value.retry_after is not None and 59 <= waiting.value.retry_after <= 60
        assert hubauth_server.refresh_count == 1
        hubauth_server.clock.advance(61)
        assert server_accepts(hubauth_server, manager.get_access_token())
    assert hubauth_server.refresh_count == 2


# --- single flight ----------------------------------------------------------------------------

CALLERS = 50


async def test_fifty_tasks_across_expiry_boundaries_cause_one_refresh_each(
    hubauth_server: HubAuthServer,
) -> None:
    # Latency keeps the refresh in flight while every task piles up behind it.
    hubauth_server.faults.add_latency(0.05)
    async with async_manager_for(hubauth_server) as manager:
        initial = await manager.get_access_token()
        for expiry in range(1, 4):
            hubauth_server.clock.advance(1800)
            got = await asyncio.gather(*(manager.get_access_token() for _ in range(CALLERS)))
            assert len(set(got)) == 1
            assert got[0] != initial
            assert hubauth_server.refresh_count == expiry
            initial = got[0]


def test_fifty_threads_across_expiry_boundaries_cause_one_refresh_each(
    hubauth_server: HubAuthServer,
) -> None:
    hubauth_server.faults.add_latency(0.05)
    start = threading.Barrier(CALLERS)

    def ask(manager: TokenManager) -> str:
        start.wait(10)
        return manager.get_access_token()

    with manager_for(hubauth_server) as manager, ThreadPoolExecutor(CALLERS) as pool:
        initial = manager.get_access_token()
        for expiry in range(1, 4):
            hubauth_server.clock.advance(1800)
            got = list(pool.map(lambda _: ask(manager), range(CALLERS)))
            assert len(set(got)) == 1
            assert got[0] != initial
            assert hubauth_server.refresh_count == expiry
            initial = got[0]


async def test_fifty_tasks_share_one_failed_refresh_instead_of_a_storm(
    hubauth_server: HubAuthServer,
) -> None:
    hubauth_server.faults.add_latency(0.05)
    async with async_manager_for(hubauth_server) as manager:
        hubauth_server.clock.advance(1800)
        hubauth_server.faults.fail_next_requests(CALLERS, status=503)
        outcomes = await asyncio.gather(
            *(manager.get_access_token() for _ in range(CALLERS)), return_exceptions=True
        )
        assert all(isinstance(o, RetryLater) for o in outcomes)
        assert hubauth_server.refresh_count == 2  # one refresh, sent again once (a 5xx)


async def test_async_manager_reports_uninstall_as_reconnect_required(
    hubauth_server: HubAuthServer,
) -> None:
    async with async_manager_for(hubauth_server) as manager:
        hubauth_server.uninstall()
        hubauth_server.clock.advance(1800)
        outcomes = await asyncio.gather(
            *(manager.get_access_token() for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(o, ReconnectRequired) for o in outcomes)
        assert hubauth_server.refresh_count == 1


def test_v3_token_path_refreshes_against_hubauth_v3(hubauth_server: HubAuthServer) -> None:
    with manager_for(hubauth_server, token_path=TOKEN_PATH_V3) as manager:
        first = manager.get_access_token()
        hubauth_server.clock.advance(1800)
        hubauth_server.faults.fail_next_refreshes(1, error="BAD_HUB")  # faults cover v3 too
        with pytest.raises(ReconnectRequired):
            manager.get_access_token()
        manager.set_tokens(hubauth_server.mint_tokens())
        hubauth_server.clock.advance(1800)
        second = manager.get_access_token()
        assert second != first
        assert server_accepts(hubauth_server, second)
    assert hubauth_server.refresh_count == 2
