"""Fixtures of the operations suite: the app with its own audit sinks (so metrics count domain
events), an app whose database is unreachable, and a dedicated PostgreSQL database for the
multi-process tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.conftest import _migrate
from tests.support import TEST_KEY, create_pg_database, drop_pg_database, official_check

#: Nothing listens on the discard port: connecting is refused at once.
UNREACHABLE_URL = "postgresql://postgres@127.0.0.1:9/unreachable"


def asgi_client(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://hubauth.test")


@pytest.fixture
async def ops_app(settings: Settings, store: SqlStore, clock: FrozenClock) -> AsyncIterator[Any]:
    """The app exactly as ``create_app`` wires it (audit fanned out to log and metrics),
    sharing the test's store and clock; every JSON body is checked with the official package."""
    app = create_app(settings, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def ops_client(ops_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(ops_app) as c:
        yield c


@pytest.fixture
async def limited_client(
    settings: Settings, store: SqlStore, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a rate limit of one failure per window: the second failure answers 429."""
    tight = settings.model_copy(
        update={"rate_limit_client_failures": 1, "rate_limit_address_failures": 1}
    )
    app = create_app(tight, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app), asgi_client(app) as c:
        yield c


@pytest.fixture
async def down_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose database refuses connections (every store call raises StoreUnavailable)."""
    down = SqlStore.from_url(UNREACHABLE_URL, pool_size=1)
    app = create_app(
        settings.model_copy(update={"database_url": UNREACHABLE_URL}),
        store=down,
        contract_check=official_check,
    )
    async with app.router.lifespan_context(app), asgi_client(app) as c:
        yield c
    await down.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database of its own, for tests that run several servers."""
    url = create_pg_database()
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def live_env(server_env: dict[str, str]) -> dict[str, str]:
    return {**server_env, "HUBAUTH_SECRET_KEY": TEST_KEY}
