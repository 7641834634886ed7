"""TokenManager and AsyncTokenManager when a refresh response is lost after the server acted on
it (issue 21): against the real testing server under ``rotate``, behind a proxy that throws the
answer away and resets the connection. The manager sends the refresh again with the token it
holds; the server's rotation grace turns that into a retry rather than reuse, so the install
survives. Attempts are bounded: a manager never spins."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hubauth.client import AsyncTokenManager, ReconnectRequired, RetryLater, TokenManager
from hubauth.testing import HubAuthServer
from tests.devtools.conftest import token_set
from tests.devtools.cutting_proxy import CuttingProxy

pytestmark = pytest.mark.hubauth_server(refresh_policy="rotate")


@pytest.fixture
def proxy(hubauth_server: HubAuthServer) -> Iterator[CuttingProxy]:
    with CuttingProxy(hubauth_server.port) as cutting:
        yield cutting


def alive(server: HubAuthServer, kind: str, token: str) -> bool:
    url = f"{server.base_url}/oauth/v1/{kind}-tokens/{token}"
    return httpx.get(url).status_code == 200


def test_sync_manager_recovers_a_lost_rotation_and_keeps_the_install(
    hubauth_server: HubAuthServer, proxy: CuttingProxy
) -> None:
    tokens = token_set(hubauth_server)
    with TokenManager(
        hubauth_server.client_id,
        hubauth_server.client_secret,
        base_url=proxy.url,
        clock=hubauth_server.clock,
        tokens=tokens,
    ) as manager:
        hubauth_server.clock.advance(1800)
        proxy.cut_next(1)
        access = manager.get_access_token()
        assert proxy.cut == 1 and hubauth_server.refresh_count == 2
        assert alive(hubauth_server, "access", access)
        held = manager.current()
        assert held is not None and held.refresh_token != tokens.refresh_token
        assert alive(hubauth_server, "refresh", held.refresh_token)
        # and the install goes on rotating normally
        hubauth_server.clock.advance(1800)
        assert alive(hubauth_server, "access", manager.get_access_token())


async def test_async_manager_recovers_a_lost_rotation_and_keeps_the_install(
    hubauth_server: HubAuthServer, proxy: CuttingProxy
) -> None:
    tokens = token_set(hubauth_server)
    async with AsyncTokenManager(
        hubauth_server.client_id,
        hubauth_server.client_secret,
        base_url=proxy.url,
        clock=hubauth_server.clock,
        tokens=tokens,
    ) as manager:
        hubauth_server.clock.advance(1800)
        proxy.cut_next(1)
        access = await manager.get_access_token()
        assert proxy.cut == 1 and hubauth_server.refresh_count == 2
        assert alive(hubauth_server, "access", access)
        held = await manager.current()
        assert held is not None and alive(hubauth_server, "refresh", held.refresh_token)
        hubauth_server.clock.advance(1800)
        assert alive(hubauth_server, "access", await manager.get_access_token())


def test_a_manager_whose_answers_keep_getting_lost_stops_and_recovers_within_the_grace(
    hubauth_server: HubAuthServer, proxy: CuttingProxy
) -> None:
    """Every answer lost: one resend per call, then RetryLater and the backoff (no spinning);
    the next call after the backoff, still within the server's grace, succeeds."""
    with TokenManager(
        hubauth_server.client_id,
        hubauth_server.client_secret,
        base_url=proxy.url,
        clock=hubauth_server.clock,
        tokens=token_set(hubauth_server),
    ) as manager:
        hubauth_server.clock.advance(1800)
        proxy.cut_next(100)
        with pytest.raises(RetryLater):
            manager.get_access_token()
        assert hubauth_server.refresh_count == 2
        with pytest.raises(RetryLater):
            manager.get_access_token()  # backing off: no request at all
        assert hubauth_server.refresh_count == 2

        proxy.stop_cutting()
        hubauth_server.clock.advance(2)  # past the 1 s backoff, well within the 30 s grace
        assert alive(hubauth_server, "access", manager.get_access_token())
        assert hubauth_server.refresh_count == 3


def test_a_resend_after_the_grace_is_reuse_and_the_manager_asks_to_reconnect(
    hubauth_server: HubAuthServer, proxy: CuttingProxy
) -> None:
    """The limit of the guarantee: a retry that comes after the grace (here the whole outage
    lasted longer) is indistinguishable from reuse; the family is revoked."""
    with TokenManager(
        hubauth_server.client_id,
        hubauth_server.client_secret,
        base_url=proxy.url,
        clock=hubauth_server.clock,
        tokens=token_set(hubauth_server),
    ) as manager:
        hubauth_server.clock.advance(1800)
        proxy.cut_next(2)
        with pytest.raises(RetryLater):
            manager.get_access_token()
        hubauth_server.clock.advance(120)
        with pytest.raises(ReconnectRequired):
            manager.get_access_token()
