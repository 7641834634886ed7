"""One canonical parse of each token request (issue #15, items 3 and 4).

The attack: with a second ``Content-Type: text/plain``, or ``Authorization: Basic`` followed by
``Authorization: Bearer x``, the rate limiter and the handler read different copies of the
header, so 51+ wrong secrets for one client were never throttled. Now a repeated header is
refused before anything else, and the limiter, the fault middleware and the handler all use the
parse cached on the ASGI scope (``hubauth.web.token_request``)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Message

from hubauth.config import Settings
from hubauth.core import devplane
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.core.devplane import DevPlane
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from hubauth.web.token_request import (
    ENDPOINTS,
    SCOPE_KEY,
    ParseFailure,
    TokenRequest,
    parse,
)
from tests.security.helpers import LogCapture
from tests.security.test_rate_limiting import assert_rate_limited, limited_client
from tests.support import Seed, db_snapshot, official_check

WRONG = "00000000-0000-4000-8000-000000000000"
FORM = "application/x-www-form-urlencoded"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _probe(path: str, s: Seed, secret: str) -> dict[str, str]:
    if path.endswith("/token"):
        return {"grant_type": "refresh_token", "refresh_token": "na1-x", "client_id": s.client_id}
    return {"token": "na1-x", "client_id": s.client_id, "client_secret": secret}


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
@pytest.mark.parametrize(
    "second",
    [("content-type", "text/plain"), ("authorization", "Bearer x")],
    ids=["content-type", "authorization"],
)
async def test_repeated_content_type_or_authorization_is_400_before_anything_else(
    client: httpx.AsyncClient,
    store: SqlStore,
    seeded: Seed,
    logs: LogCapture,
    path: str,
    second: tuple[str, str],
) -> None:
    """Even with credentials that would succeed: which copy counts is the attack."""
    params = {"grant_type": "client_credentials", "scope": "oauth", "token": "na1-x"}
    headers = [("content-type", FORM), ("authorization", basic(*seeded.creds().values()))]
    headers.append(second)
    before = await db_snapshot(store)
    response = await client.post(path + "?x=1", content=urlencode(params), headers=headers)
    assert response.status_code == 400, response.text
    name = "Content-Type" if second[0] == "content-type" else "Authorization"
    assert response.json()["message"] == f"the {name} header is repeated"
    assert response.json()["error"] == "invalid_request"
    assert await db_snapshot(store) == before
    assert not logs.events("client_auth_failed")
    assert not logs.events("query_parameters_refused")  # refused before the query is looked at


@pytest.mark.parametrize("second", [("content-type", "text/plain"), ("authorization", "Bearer x")])
async def test_repeated_header_guessing_is_throttled_and_never_checks_a_secret(
    settings: Settings,
    store: SqlStore,
    ctx: Context,
    clock: FrozenClock,
    seeded: Seed,
    logs: LogCapture,
    second: tuple[str, str],
) -> None:
    """The reproduction from #15: wrong secrets behind a repeated header. No secret is
    evaluated at all now, and the address is throttled (limit 6 here) with an audit event."""
    params = {"grant_type": "refresh_token", "refresh_token": "na1-x"}
    headers = [("content-type", FORM), ("authorization", basic(seeded.client_id, WRONG)), second]
    async with limited_client(settings, store, ctx, clock) as client:
        for _ in range(6):
            response = await client.post(
                "/oauth/v1/token", content=urlencode(params), headers=headers
            )
            assert response.status_code == 400
        assert_rate_limited(
            await client.post("/oauth/v1/token", content=urlencode(params), headers=headers)
        )
    assert not logs.events("client_auth_failed")
    [event] = logs.events("rate_limited")
    assert event["group"] == "oauth:failures:address"


@pytest.mark.parametrize("how", ["json", "basic-v3", "basic-json"])
async def test_limiter_charges_the_client_the_handler_authenticated(
    settings: Settings,
    store: SqlStore,
    ctx: Context,
    clock: FrozenClock,
    seeded: Seed,
    logs: LogCapture,
    how: str,
) -> None:
    """Bodies the old limiter never read (JSON) and Basic on v3 are charged per client_id:
    after 3 failures (the limit here) even the right secret is refused before any work."""
    path = "/oauth/2026-03/token/introspect"

    def request(secret: str) -> dict[str, Any]:
        if how == "json":
            return {
                "json": {"token": "na1-x", "client_id": seeded.client_id, "client_secret": secret}
            }
        auth = {"Authorization": basic(seeded.client_id, secret)}
        if how == "basic-json":
            return {"json": {"token": "na1-x"}, "headers": auth}
        return {"data": {"token": "na1-x"}, "headers": auth}

    async with limited_client(settings, store, ctx, clock) as client:
        for _ in range(3):
            assert (await client.post(path, **request(WRONG))).status_code in (400, 401)
        limited = await client.post(path, **request(seeded.client_secret))
        assert_rate_limited(limited)
        assert limited.json()["groupName"] == "oauth:failures:client"
    assert len(logs.events("client_auth_failed")) == 3


# --- the parse itself: once per request, cached, shared ----------------------------------------


class _App:
    def __init__(self, settings: Settings) -> None:
        # parse() reads only the settings of the app's services.
        services = type("Services", (), {"settings": settings})()
        self.state = type("State", (), {"services": services, "ctx": None})()


def _scope(settings: Settings, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": headers,
        "app": _App(settings),
    }


def _receive(body: bytes, calls: list[int]) -> Any:
    async def receive() -> Message:
        calls.append(1)
        if len(calls) > 1:
            raise AssertionError("the body was read twice")
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def test_parse_reads_the_body_once_and_caches_the_outcome(settings: Settings) -> None:
    calls: list[int] = []
    body = json.dumps({"token": "t", "client_id": "c"}).encode()
    scope = _scope(
        settings,
        "/oauth/v3/token/introspect",
        [(b"content-type", b"application/json"), (b"authorization", basic("c", "s").encode())],
    )
    receive = _receive(body, calls)
    first = await parse(scope, receive)
    assert isinstance(first, TokenRequest)
    assert await parse(scope, receive) is first and scope[SCOPE_KEY] is first
    assert calls == [1]
    assert dict(first.params) == {"token": "t", "client_id": "c", "client_secret": "s"}
    assert first.auth_method == "client_secret_basic" and first.client_id == "c"
    with pytest.raises(TypeError):
        first.params["client_id"] = "other"  # type: ignore[index]


async def test_a_refused_parse_is_cached_and_names_no_client(settings: Settings) -> None:
    calls: list[int] = []
    scope = _scope(settings, "/oauth/v1/token", [(b"content-type", FORM.encode())])
    receive = _receive(b"client_id=c&client_id=d", calls)
    refused = await parse(scope, receive)
    assert isinstance(refused, ParseFailure) and refused.client_id is None
    assert refused.error.message == "parameter 'client_id' is repeated"
    assert await parse(scope, receive) is refused and calls == [1]


async def test_other_paths_and_methods_are_not_parsed(settings: Settings) -> None:
    calls: list[int] = []
    for method, path in [("POST", "/oauth/authorize/sign-in"), ("GET", "/oauth/v1/token")]:
        scope = {**_scope(settings, path, []), "method": method}
        assert await parse(scope, _receive(b"", calls)) is None
    assert calls == []


@pytest.fixture
async def faulty_client(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> AsyncIterator[tuple[httpx.AsyncClient, DevPlane]]:
    """The app in developer mode, whose middleware applies the queued faults (the pytest
    plugin's server runs the same one)."""
    app = create_app(
        settings.model_copy(update={"dev": True}),
        store=store,
        clock=clock,
        contract_check=official_check,
    )
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c, app.state.plane


async def test_fault_middleware_reads_grant_type_from_the_same_parse(
    faulty_client: tuple[httpx.AsyncClient, DevPlane], seeded: Seed
) -> None:
    """A JSON refresh on 2026-03 is recognised as one (the old peek read forms only)."""
    client, plane = faulty_client
    before = (await devplane.counters(plane)).grants.get("refresh_token", 0)
    await devplane.fail_next_refreshes(plane, 1)
    body = {"grant_type": "refresh_token", "refresh_token": "na1-x", **seeded.creds()}
    response = await client.post("/oauth/2026-03/token", json=body)
    assert response.status_code == 400 and response.json()["status"] == "BAD_REFRESH_TOKEN"
    assert (await devplane.counters(plane)).grants["refresh_token"] == before + 1
    assert await devplane.list_faults(plane) == []


async def test_a_client_gone_mid_body_is_not_cached_as_a_parse(settings: Settings) -> None:
    """An aborted upload is the route's to answer (as a disconnect), not a cached refusal."""
    messages: list[Message] = [
        {"type": "http.request", "body": b"grant_type=refresh_", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = _scope(settings, "/oauth/v3/token", [(b"content-type", FORM.encode())])
    with pytest.raises(ClientDisconnect):
        await parse(scope, receive)
    assert SCOPE_KEY not in scope
