"""``HUBAUTH_V1_SUNSET``: v1 announces its retirement (RFC 9745 Deprecation, RFC 8594 Sunset, a
Link to the v3 successor), can be retired at 2027-02-16 on the server's clock, or left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.core.sunset import V1_SUNSET_MS, V1Sunset
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.security.helpers import issue
from tests.support import Seed, official_check, seed

SUNSET = "Tue, 16 Feb 2027 00:00:00 GMT"
A_DAY_BEFORE_MS = V1_SUNSET_MS - 86_400_000

ServerFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(A_DAY_BEFORE_MS)


@pytest.fixture
def server_for(settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context) -> ServerFor:
    """``server_for(mode)``: the app with ``v1_sunset=mode`` on the test's store and clock."""

    @asynccontextmanager
    async def open_server(mode: str) -> AsyncIterator[httpx.AsyncClient]:
        configured = settings.model_copy(update={"v1_sunset": V1Sunset(mode)})
        app = create_app(configured, store=store, clock=clock, contract_check=official_check)
        async with app.router.lifespan_context(app):
            app.state.ctx = ctx
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as c:
                yield c

    return open_server


def v1_calls(s: Seed, pair: dict[str, str]) -> list[tuple[str, str, dict[str, str], str]]:
    """(method, path, form, expected successor) for every v1 operation."""
    creds = s.creds()
    refresh = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"], **creds}
    return [
        ("POST", "/oauth/v1/token", refresh, "/oauth/v3/token"),
        (
            "GET",
            f"/oauth/v1/access-tokens/{pair['access_token']}",
            {},
            "/oauth/v3/token/introspect",
        ),
        (
            "GET",
            f"/oauth/v1/refresh-tokens/{pair['refresh_token']}",
            {},
            "/oauth/v3/token/introspect",
        ),
        (
            "DELETE",
            "/oauth/v1/refresh-tokens/na1-0000-0000-0000-0000-000000000000",
            {},
            "/oauth/v3/token/revoke",
        ),
    ]


async def call(
    client: httpx.AsyncClient, method: str, path: str, form: dict[str, str]
) -> httpx.Response:
    return await client.request(method, path, data=form or None)


async def test_announce_is_the_default_and_marks_every_v1_response_but_not_v3(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    s = await seed(ctx)
    pair = await issue(client, ctx, s)
    for method, path, form, successor in v1_calls(s, pair):
        response = await call(client, method, path, form)
        assert response.status_code < 500, response.text
        assert response.headers["Sunset"] == SUNSET
        assert response.headers["Deprecation"] == "@1772323200"
        assert response.headers["Link"] == f'<{successor}>; rel="successor-version"'
    unknown = await client.get("/oauth/v1/access-tokens/Cnope")  # errors are marked too
    assert unknown.status_code == 401 and unknown.headers["Sunset"] == SUNSET
    v3 = await client.post("/oauth/v3/token", data={"grant_type": "x"})
    assert "Sunset" not in v3.headers and "Deprecation" not in v3.headers


async def test_off_serves_v1_without_any_signal(server_for: ServerFor, ctx: Context) -> None:
    async with server_for("off") as client:
        s = await seed(ctx)
        pair = await issue(client, ctx, s)
        for method, path, form, _ in v1_calls(s, pair):
            response = await call(client, method, path, form)
            assert not {"sunset", "deprecation", "link"} & set(response.headers), path


async def test_enforce_retires_v1_at_the_sunset_on_the_servers_clock_and_v3_keeps_working(
    server_for: ServerFor, ctx: Context, clock: FrozenClock
) -> None:
    async with server_for("enforce") as client:
        s = await seed(ctx)
        pair = await issue(client, ctx, s)
        before = await call(client, *v1_calls(s, pair)[0][:3])
        assert before.status_code == 200 and before.headers["Sunset"] == SUNSET

        clock.advance(86_400)  # exactly the sunset instant

        for method, path, form, successor in v1_calls(s, pair):
            response = await call(client, method, path, form)
            assert response.status_code == 410, (path, response.text)
            body = response.json()
            official_check("error", body)
            assert body["category"] == "GONE"
            assert successor in body["message"]
            assert response.headers["Sunset"] == SUNSET
            assert response.headers["Link"] == f'<{successor}>; rel="successor-version"'
        refresh = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
        v3 = await client.post("/oauth/v3/token", data={**refresh, **s.creds()})
        assert v3.status_code == 200, v3.text
        introspected = await client.post(
            "/oauth/v3/token/introspect",
            data={"token": v3.json()["access_token"], **s.creds()},
        )
        assert introspected.json()["active"] is True


async def test_retired_v1_does_not_touch_storage(
    server_for: ServerFor, ctx: Context, clock: FrozenClock
) -> None:
    async with server_for("enforce") as client:
        s = await seed(ctx)
        pair = await issue(client, ctx, s)
        clock.advance(86_400 + 1)
        await client.delete(f"/oauth/v1/refresh-tokens/{pair['refresh_token']}")
        alive = await client.post(
            "/oauth/v3/token/introspect", data={"token": pair["refresh_token"], **s.creds()}
        )
        assert alive.json()["active"] is True
