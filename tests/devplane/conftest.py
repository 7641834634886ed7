"""Fixtures of the developer-mode suite: each test gets a private database (the clock offset,
faults and counters are server-wide, and ``reset`` erases everything), on SQLite and
PostgreSQL, and the app built with ``dev = true``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hubauth.config import Settings
from hubauth.web.app import create_app
from tests.conftest import BACKENDS, _migrate
from tests.support import TEST_KEY, create_pg_database, drop_pg_database, official_check

#: The control API answers only requests addressed to a loopback host.
BASE = "http://127.0.0.1"
JSON = {"content-type": "application/json"}


@pytest.fixture(params=BACKENDS)
def dev_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dev.db'}"
        asyncio.run(_migrate(url))
        yield url
        return
    url = create_pg_database()
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def dev_settings(dev_database_url: str) -> Settings:
    return Settings(
        database_url=dev_database_url, secret_key=TEST_KEY, strict_contracts=True, dev=True
    )


@pytest.fixture
async def dev_app(dev_settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(dev_settings, contract_check=official_check)
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: Starlette, base_url: str = BASE) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def dev(dev_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(dev_app) as c:
        yield c


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(path, json=body)


@pytest.fixture
async def world(dev: httpx.AsyncClient) -> dict[str, Any]:
    """An app, a hub and a user created through the control API."""
    return await make_world(dev)


async def make_world(dev: httpx.AsyncClient) -> dict[str, Any]:
    app = (
        await post(
            dev,
            "/_hubauth/apps",
            {
                "name": "Dev test app",
                "redirect_uris": ["http://localhost:3000/callback"],
                "scopes": "oauth crm.objects.contacts.read",
                "optional_scopes": "crm.objects.deals.read",
            },
        )
    ).json()
    hub = (await post(dev, "/_hubauth/hubs", {"domain": "dev.example.test"})).json()
    user = (
        await post(dev, "/_hubauth/users", {"email": "dev@example.test", "hubs": [hub["hub_id"]]})
    ).json()
    return {"app": app, "hub": hub, "user": user}


def install_body(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "client_id": world["app"]["client_id"],
        "hub_id": world["hub"]["hub_id"],
        "user_id": world["user"]["user_id"],
    }


def refresh_form(world: dict[str, Any], refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": world["app"]["client_id"],
        "client_secret": world["app"]["client_secret"],
    }
