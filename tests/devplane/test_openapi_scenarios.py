"""Every operation and status the dev server documents under ``/_hubauth/`` is produced by a
scenario here, and its body is checked against the documented contract (the app runs with
the official JSON Structure checker), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.devplane.conftest import install_body

Scenario = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[httpx.Response]]


def _json(method: str, path: str, body: Any) -> Scenario:
    async def run(c: httpx.AsyncClient, _: dict[str, Any]) -> httpx.Response:
        return await c.request(method, "/_hubauth" + path, json=body)

    return run


def _get(path: str) -> Scenario:
    async def run(c: httpx.AsyncClient, _: dict[str, Any]) -> httpx.Response:
        return await c.get("/_hubauth" + path)

    return run


def _with_world(method: str, path: str, body: Callable[[dict[str, Any]], Any]) -> Scenario:
    async def run(c: httpx.AsyncClient, world: dict[str, Any]) -> httpx.Response:
        return await c.request(method, "/_hubauth" + path, json=body(world))

    return run


async def _button(c: httpx.AsyncClient, _: dict[str, Any]) -> httpx.Response:
    await c.get("/_hubauth/")  # sets the CSRF cookie if the client has none yet
    token = c.cookies["hubauth_dev_csrf"]
    return await c.post("/_hubauth/ui/advance", data={"seconds": "1", "csrf_token": token})


async def _tokens(c: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    response = await c.post("/_hubauth/installs/tokens", json=install_body(world))
    body: dict[str, Any] = response.json()
    return body


async def _expire(c: httpx.AsyncClient, world: dict[str, Any]) -> httpx.Response:
    tokens = await _tokens(c, world)
    return await c.post("/_hubauth/tokens/expire", json={"token": tokens["access_token"]})


async def _revoke(c: httpx.AsyncClient, world: dict[str, Any]) -> httpx.Response:
    tokens = await _tokens(c, world)
    return await c.post("/_hubauth/tokens/revoke", json={"token": tokens["refresh_token"]})


NEW_APP = {"name": "Scenario", "redirect_uris": ["https://a.example/cb"], "scopes": "oauth"}

#: "METHOD /path status" -> how to get that answer; order matters (reset runs last).
SCENARIOS: dict[str, Scenario] = {
    "GET /_hubauth/ 200": _get("/"),
    "GET /_hubauth/assets/authorize.css 200": _get("/assets/authorize.css"),
    "POST /_hubauth/ui/{action} 303": _button,
    "GET /_hubauth/state 200": _get("/state"),
    "GET /_hubauth/clock 200": _get("/clock"),
    "POST /_hubauth/clock/advance 200": _json("POST", "/clock/advance", {"seconds": 1}),
    "POST /_hubauth/clock/advance 400": _json("POST", "/clock/advance", {"seconds": -1}),
    "POST /_hubauth/clock/set 200": _json("POST", "/clock/set", {"now_ms": 4_102_444_800_000}),
    "POST /_hubauth/clock/set 400": _json("POST", "/clock/set", {}),
    "GET /_hubauth/faults 200": _get("/faults"),
    "POST /_hubauth/faults 201": _json("POST", "/faults", {"kind": "refresh", "count": 1}),
    "POST /_hubauth/faults 200": _json(
        "POST", "/faults", {"kind": "latency", "latency_seconds": 0}
    ),
    "POST /_hubauth/faults 400": _json("POST", "/faults", {"kind": "refresh", "error": "TEAPOT"}),
    "DELETE /_hubauth/faults 200": _json("DELETE", "/faults", None),
    "GET /_hubauth/counters 200": _get("/counters"),
    "DELETE /_hubauth/counters 200": _json("DELETE", "/counters", None),
    "POST /_hubauth/apps 201": _json("POST", "/apps", NEW_APP),
    "POST /_hubauth/apps 400": _json("POST", "/apps", {**NEW_APP, "scopes": "not.a.scope"}),
    "POST /_hubauth/hubs 201": _json("POST", "/hubs", {"domain": "s.example"}),
    "POST /_hubauth/hubs 400": _json("POST", "/hubs", {"domain": "s.example", "members": [999]}),
    "POST /_hubauth/users 201": _json("POST", "/users", {"email": "s@example.test"}),
    "POST /_hubauth/users 409": _json("POST", "/users", {"email": "s@example.test"}),
    "POST /_hubauth/users 400": _json("POST", "/users", {"email": "nope"}),
    "POST /_hubauth/installs 201": _with_world("POST", "/installs", install_body),
    "POST /_hubauth/installs 404": _with_world(
        "POST", "/installs", lambda w: {**install_body(w), "hub_id": 999_999}
    ),
    "POST /_hubauth/installs 400": _json("POST", "/installs", {"client_id": "x"}),
    "POST /_hubauth/installs/tokens 200": _with_world("POST", "/installs/tokens", install_body),
    "POST /_hubauth/installs/tokens 404": _with_world(
        "POST", "/installs/tokens", lambda w: {**install_body(w), "client_id": "unknown"}
    ),
    "POST /_hubauth/installs/tokens 400": _json("POST", "/installs/tokens", {}),
    "POST /_hubauth/tokens/expire 200": _expire,
    "POST /_hubauth/tokens/expire 404": _json("POST", "/tokens/expire", {"token": "C-unknown"}),
    "POST /_hubauth/tokens/expire 400": _json("POST", "/tokens/expire", {"kind": "nope"}),
    "POST /_hubauth/tokens/revoke 200": _revoke,
    "POST /_hubauth/tokens/revoke 404": _json(
        "POST", "/tokens/revoke", {"kind": "access_token", "id": 999_999}
    ),
    "POST /_hubauth/tokens/revoke 400": _json("POST", "/tokens/revoke", {}),
    "POST /_hubauth/uninstall 200": _with_world(
        "POST", "/uninstall", lambda w: {"app_id": w["app"]["app_id"], "hub_id": w["hub"]["hub_id"]}
    ),
    "POST /_hubauth/uninstall 400": _json("POST", "/uninstall", {"hub_id": 1}),
    "POST /_hubauth/reset 200": _json("POST", "/reset", {}),
}


def _documented(doc: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path} {status}"
        for path, item in doc["paths"].items()
        if path.startswith("/_hubauth")
        for method, op in item.items()
        for status in op["responses"]
    }


async def test_every_documented_control_response_has_a_scenario_that_produces_it(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    doc = (await dev.get("/openapi.json")).json()
    assert _documented(doc) == set(SCENARIOS)
    for key, scenario in SCENARIOS.items():
        response = await scenario(dev, world)
        assert response.status_code == int(key.rsplit(" ", 1)[1]), (key, response.text)
