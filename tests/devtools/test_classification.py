"""Every token-endpoint failure the spec lists lands in the right exception.

First against the real testing server (real revocations where hubauth can produce them, the
fault switches otherwise), then the literal bodies seen in the wild (docs/sources.md: POSTHOG, ERR),
which hubauth itself no longer emits (historic shapes, the hull 403, HTTP-date Retry-After).
"""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from hubauth.client import (
    Misconfigured,
    ReconnectRequired,
    RefreshError,
    RetryLater,
    Timing,
    TokenManager,
)
from hubauth.client.errors import classify_response, parse_retry_after
from hubauth.client.protocol import read_token_response, transport_error
from hubauth.testing import HubAuthServer
from tests.devtools.conftest import token_set


def expired_manager(server: HubAuthServer, **options: Any) -> TokenManager:
    """A manager whose token has expired, so the next call must refresh."""
    manager = TokenManager(
        options.pop("client_id", server.client_id),
        options.pop("client_secret", server.client_secret),
        base_url=options.pop("base_url", server.base_url),
        clock=server.clock,
        tokens=token_set(server),
        **options,
    )
    server.clock.advance(1801)
    return manager


def refresh_error(manager: TokenManager) -> RefreshError:
    with manager, pytest.raises(RefreshError) as caught:
        manager.get_access_token()
    return caught.value


# --- against the server -----------------------------------------------------------------------


def test_bad_refresh_token_invalid_grant_after_uninstall(hubauth_server: HubAuthServer) -> None:
    manager = expired_manager(hubauth_server)
    hubauth_server.uninstall()
    error = refresh_error(manager)
    assert type(error) is ReconnectRequired
    assert (error.error, error.hubspot_status) == ("invalid_grant", "BAD_REFRESH_TOKEN")


def test_bad_refresh_token_with_invalid_request_is_reconnect(
    hubauth_server: HubAuthServer,
) -> None:
    manager = expired_manager(hubauth_server)
    hubauth_server.faults.fail_next_refreshes(1, error="BAD_REFRESH_TOKEN/invalid_request")
    error = refresh_error(manager)
    assert type(error) is ReconnectRequired
    assert (error.error, error.hubspot_status) == ("invalid_request", "BAD_REFRESH_TOKEN")


def test_bad_hub_access_denied_after_hub_deletion(hubauth_server: HubAuthServer) -> None:
    manager = expired_manager(hubauth_server)
    hubauth_server.delete_hub()
    error = refresh_error(manager)
    assert type(error) is ReconnectRequired
    assert (error.error, error.hubspot_status) == ("access_denied", "BAD_HUB")


def test_unknown_client_id_is_misconfigured(hubauth_server: HubAuthServer) -> None:
    manager = expired_manager(hubauth_server, client_id="00000000-0000-0000-0000-000000000000")
    error = refresh_error(manager)
    assert type(error) is Misconfigured
    assert (error.error, error.hubspot_status) == ("invalid_client", "BAD_CLIENT_ID")


def test_wrong_client_secret_is_misconfigured_not_revoked(hubauth_server: HubAuthServer) -> None:
    # docs/sources.md USERTOUR: a rotated secret must not be taken for a revoked grant.
    manager = expired_manager(hubauth_server, client_secret="11111111-1111-1111-1111-111111111111")
    error = refresh_error(manager)
    assert type(error) is Misconfigured
    assert (error.error, error.hubspot_status) == ("invalid_client", "BAD_CLIENT_SECRET")
    assert error.http_status == 400


def test_misconfiguration_is_not_remembered_as_reconnect(hubauth_server: HubAuthServer) -> None:
    manager = expired_manager(hubauth_server)
    hubauth_server.faults.fail_next_refreshes(1, error="invalid_client")
    with manager:
        with pytest.raises(Misconfigured):
            manager.get_access_token()
        assert manager.get_access_token()  # fixed (here: the fault is gone), works again


def test_rate_limit_429_carries_retry_after(hubauth_server: HubAuthServer) -> None:
    manager = expired_manager(hubauth_server)
    hubauth_server.faults.fail_next_requests(1, status=429, retry_after=30)
    error = refresh_error(manager)
    assert type(error) is RetryLater
    assert (error.http_status, error.retry_after) == (429, 30)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retry_later(hubauth_server: HubAuthServer, status: int) -> None:
    manager = expired_manager(hubauth_server)
    # two: the manager sends a refresh again once when its answer may have been lost
    hubauth_server.faults.fail_next_requests(2, status=status)
    error = refresh_error(manager)
    assert type(error) is RetryLater
    assert error.http_status == status
    assert error.retry_after is not None and error.retry_after > 0


def test_connection_refused_is_retry_later(hubauth_server: HubAuthServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening
        manager = expired_manager(hubauth_server, base_url=closed)
        error = refresh_error(manager)
    assert type(error) is RetryLater
    assert error.http_status is None
    assert "ConnectError" in str(error)


def test_timeout_is_retry_later(hubauth_server: HubAuthServer) -> None:
    manager = expired_manager(hubauth_server, timing=Timing(timeout_s=0.1))
    hubauth_server.faults.add_latency(1.0)
    error = refresh_error(manager)
    assert type(error) is RetryLater
    assert "ReadTimeout" in str(error)


# --- the bodies seen in the wild (docs/sources.md: POSTHOG, ERR) ----------------------------------


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> RefreshError:
    return classify_response(status, headers or {}, body, now_ms=1_767_225_600_000)


@pytest.mark.parametrize(
    "body",
    [
        b'{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token"}',
        b'{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token",'
        b'"correlationId":"c","requestId":"r"}',
        b'{"error":"invalid_grant","error_description":"refresh token is invalid"}',
        b'{"status":"BAD_REFRESH_TOKEN","error":"invalid_request","message":"x"}',
    ],
    ids=["historic", "historic-variant", "bare-rfc6749", "invalid-request-variant"],
)
def test_historic_and_variant_revocation_bodies_are_reconnect(body: bytes) -> None:
    assert type(classify(400, body)) is ReconnectRequired


@pytest.mark.parametrize("status", [400, 403])
def test_bad_hub_is_reconnect_at_400_and_at_the_older_403(status: int) -> None:
    body = b'{"status":"BAD_HUB","message":"missing or unknown hub id","correlationId":"c"}'
    error = classify(status, body)
    assert type(error) is ReconnectRequired
    assert error.correlation_id == "c"


def test_bad_client_secret_without_error_field_is_misconfigured() -> None:
    body = b'{"status":"BAD_CLIENT_SECRET","message":"missing or invalid client_secret"}'
    assert type(classify(400, body)) is Misconfigured


def test_invalid_client_at_401_is_misconfigured_not_revoked() -> None:
    # docs/sources.md: USERTOUR's "any 401 means revoked" is the mistake to avoid.
    assert type(classify(401, b'{"error":"invalid_client"}')) is Misconfigured


@pytest.mark.parametrize("status", [408, 429, 477, 500, 502, 503, 504, 521, 526])
def test_transient_statuses_are_retry_later_whatever_the_body(status: int) -> None:
    assert type(classify(status, b"<html>gateway</html>")) is RetryLater


def test_hubspot_rate_limit_body_with_retry_after() -> None:
    body = (
        b'{"status":"error","message":"You have reached your ten_secondly_rolling limit.",'
        b'"errorType":"RATE_LIMIT","correlationId":"c","policyName":"TEN_SECONDLY_ROLLING"}'
    )
    error = classify(429, body, {"retry-after": "10"})
    assert type(error) is RetryLater
    assert error.retry_after == 10
    assert error.hubspot_status is None  # "error" is the generic marker, not a code


def test_retry_after_as_http_date() -> None:
    now_ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:30 GMT", now_ms) == 90
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now_ms) == 0
    assert parse_retry_after("soon", now_ms) is None
    assert parse_retry_after(None, now_ms) is None


def test_unexpected_client_errors_are_neither_retry_nor_reconnect() -> None:
    body = b'{"error":"invalid_request","status":"BAD_REQUEST","message":"missing grant_type"}'
    error = classify(400, body)
    assert type(error) is RefreshError
    assert error.describe() == "BAD_REQUEST: missing grant_type"
    assert type(classify(404, b"")) is RefreshError


def test_a_200_that_is_not_a_token_response_is_a_refresh_error() -> None:
    for content in (b"<html>captive portal</html>", b'{"access_token":"x"}', b"[]"):
        response = httpx.Response(200, content=content)
        with pytest.raises(RefreshError) as caught:
            read_token_response(response, now_ms=0)
        assert type(caught.value) is RefreshError


def test_unusable_token_url_is_misconfigured() -> None:
    exc = httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol.")
    assert type(transport_error(exc)) is Misconfigured
