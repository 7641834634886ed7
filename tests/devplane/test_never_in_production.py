"""Without developer mode every ``/_hubauth/`` path is the plain 404 of an unknown path, and the
API description does not mention them; with it, requests addressed to a non-loopback host and
forged dashboard posts are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from hubauth.config import Settings
from hubauth.web import devmode
from hubauth.web.app import create_app
from tests.devplane.conftest import client_for

UNKNOWN = "/no-such-path"


@pytest.fixture
async def production(dev_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dev_settings.model_copy(update={"dev": False}))
    async with app.router.lifespan_context(app), client_for(app) as c:
        yield c


def _shape(response: httpx.Response) -> tuple[int, dict[str, str], dict[str, object]]:
    volatile = {"x-request-id", "content-length", "date"}
    headers = {k: v for k, v in response.headers.items() if k not in volatile}
    body = response.json()
    body.pop("correlationId", None)
    return response.status_code, headers, body


def _dev_paths() -> list[tuple[str, str]]:
    found = []
    for route in devmode.routes:
        assert isinstance(route, Route)
        path = route.path.replace("{action}", "advance")
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            found.append((method, path))
    return [*found, ("GET", "/_hubauth"), ("GET", "/_hubauth/anything/else")]


async def test_every_control_path_is_a_plain_404_without_dev_mode(
    production: httpx.AsyncClient,
) -> None:
    for method, path in _dev_paths():
        unknown = await production.request(method, UNKNOWN, json={})
        response = await production.request(method, path, json={})
        assert response.status_code == 404, (method, path)
        assert _shape(response) == _shape(unknown), (method, path)


async def test_the_production_api_description_has_no_control_routes(
    production: httpx.AsyncClient,
) -> None:
    doc = (await production.get("/openapi.json")).json()
    assert not [p for p in doc["paths"] if p.startswith("/_hubauth")]


async def test_the_dev_api_description_lists_the_control_routes_under_their_own_tag(
    dev: httpx.AsyncClient,
) -> None:
    doc = (await dev.get("/openapi.json")).json()
    ops = [
        op
        for path, item in doc["paths"].items()
        if path.startswith("/_hubauth")
        for op in item.values()
    ]
    assert len(ops) == len(_dev_paths()) - 2
    assert {tag for op in ops for tag in op["tags"]} == set(devmode.TAGS)
    advance = doc["paths"]["/_hubauth/clock/advance"]["post"]
    assert "application/json" in advance["requestBody"]["content"]


async def test_requests_addressed_to_another_host_are_refused(dev_app: Starlette) -> None:
    """DNS rebinding: a hostile name resolving to 127.0.0.1 must not reach the controls."""
    async with client_for(dev_app, "http://attacker.example") as c:
        assert (await c.get("/_hubauth/clock")).status_code == 403
        assert (await c.post("/_hubauth/reset", json={})).status_code == 403
        assert (await c.get("/_hubauth/")).status_code == 403
    async with client_for(dev_app, "http://localhost:8080") as c:
        assert (await c.get("/_hubauth/clock")).status_code == 200


async def test_a_dashboard_post_without_the_csrf_token_is_refused(
    dev: httpx.AsyncClient,
) -> None:
    page = await dev.get("/_hubauth/")
    assert page.status_code == 200
    token = page.cookies.get(devmode.CSRF_COOKIE)
    assert token and f'value="{token}"' in page.text
    forged = await dev.post("/_hubauth/ui/advance", data={"seconds": "60", "csrf_token": "x"})
    assert forged.status_code == 403
    assert (await dev.get("/_hubauth/clock")).json()["offset_ms"] == 0
    done = await dev.post("/_hubauth/ui/advance", data={"seconds": "60", "csrf_token": token})
    assert done.status_code == 303
    assert (await dev.get("/_hubauth/clock")).json()["offset_ms"] == 60_000


async def test_the_dashboard_has_the_install_pages_security_headers(
    dev: httpx.AsyncClient,
) -> None:
    from hubauth.web.pages import security_headers

    page = await dev.get("/_hubauth/")
    for name, value in security_headers().items():
        assert page.headers[name] == value
