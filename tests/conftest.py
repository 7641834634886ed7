"""Fixtures: every storage-touching test runs on SQLite and on PostgreSQL.

PostgreSQL is not optional: if the server is unreachable the tests fail with a message saying
how to start it (CI starts it in .ci/run).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.audit import null_audit
from hubauth.core.clock import FrozenClock, SystemClock
from hubauth.core.context import Context, Policy
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.sql import SqlStore, create_engine
from hubauth.web.app import create_app
from tests.support import (
    METRICS_TOKEN,
    TEST_KEY,
    Seed,
    create_pg_database,
    drop_pg_database,
    official_check,
    seed,
)

BACKENDS = ("sqlite", "postgresql")


async def _migrate(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One migrated database per backend for the whole session; tests isolate by creating
    their own apps, hubs and users (every lookup is by a random token's hash)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hubauth.db'}"
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
def backend(database_url: str) -> str:
    return database_url.split(":", 1)[0]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(SystemClock().now_ms())


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_KEY,
        strict_contracts=True,
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    s = SqlStore.from_url(database_url, pool_size=5)
    yield s
    await s.close()


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def ctx(store: SqlStore, clock: FrozenClock, policy: Policy) -> Context:
    return Context(
        store=store,
        clock=clock,
        hasher=TokenHasher(TEST_KEY.encode()),
        policy=policy,
        audit=null_audit,
    )


@pytest.fixture
async def seeded(ctx: Context) -> Seed:
    return await seed(ctx)


@pytest.fixture
async def client(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app in-process, sharing ``ctx``'s store and clock; every response body is
    checked against its contract with the official json-structure package."""
    app = create_app(settings, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx  # the same policy and audit sink the test configured
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as c:
            yield c


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBAUTH_")}
    env["HUBAUTH_SECRET_KEY"] = TEST_KEY
    env["HUBAUTH_METRICS_TOKEN"] = METRICS_TOKEN
    env["HUBAUTH_LOG_LEVEL"] = "warning"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent / "src")
    return env
