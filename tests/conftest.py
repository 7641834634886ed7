"""Fixtures: every storage-touching test runs on SQLite and on PostgreSQL.

PostgreSQL is not optional: if the server is unreachable the tests fail with a message saying
how to start it (CI starts it in .ci/run).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import urllib3.connectionpool

from hubauth.config import Settings
from hubauth.core.audit import null_audit
from hubauth.core.clock import FrozenClock, SystemClock
from hubauth.core.context import Context, Policy
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.engine import create_engine
from hubauth.store.sql import SqlStore
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


# --- every body checked against HubSpot's published OpenAPI specs ------------------------------
# The responses the suite already gets from hubauth (in-process through httpx.ASGITransport, and
# from real `hubauth serve` processes through httpx, urllib3 and requests, which the official
# Python client uses) are recorded on the client side, as sent on the wire; at the end of the
# session each one that belongs to an operation of HubSpot's specs is validated against it
# (tests/hubspot_spec.py). A divergence fails the run and names the test that produced it.


@dataclass(frozen=True)
class Observed:
    test: str
    method: str
    path: str
    status: int
    content_type: str
    body: bytes


OBSERVED: list[Observed] = []


def _observe(method: str, url: str, status: int, content_type: str, body: bytes | None) -> None:
    if body is None:
        return
    path = urlsplit(url).path
    if path.startswith("/oauth/"):
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        OBSERVED.append(Observed(test, method.upper(), path, status, content_type, body))


def _read_body(response: httpx.Response) -> bytes | None:
    try:
        return response.content
    except httpx.ResponseNotRead:  # streamed and not read by the test: nothing to check
        return None


def _record_httpx(response: httpx.Response) -> None:
    request = response.request
    _observe(
        request.method,
        str(request.url),
        response.status_code,
        response.headers.get("content-type", ""),
        _read_body(response),
    )


_sync_send = httpx.Client.send
_async_send = httpx.AsyncClient.send
_urlopen = urllib3.connectionpool.HTTPConnectionPool.urlopen
_requests_send = requests.Session.send


def _send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
    response = _sync_send(self, request, **kwargs)
    _record_httpx(response)
    return response


async def _send_async(
    self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
) -> httpx.Response:
    response = await _async_send(self, request, **kwargs)
    _record_httpx(response)
    return response


def _urlopen_recorded(
    self: urllib3.connectionpool.HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any
) -> Any:
    response = _urlopen(self, method, url, *args, **kw)
    # Only preloaded bodies (the official client's default): reading a streamed one here would
    # take it away from the caller.
    body = getattr(response, "_body", None)
    _observe(method, url, response.status, response.headers.get("content-type", ""), body)
    return response


def _requests_send_recorded(
    self: requests.Session, request: requests.PreparedRequest, **kwargs: Any
) -> requests.Response:
    response = _requests_send(self, request, **kwargs)
    if not kwargs.get("stream"):  # requests has read the body already
        _observe(
            request.method or "",
            request.url or "",
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
        )
    return response


httpx.Client.send = _send  # type: ignore[method-assign]
httpx.AsyncClient.send = _send_async  # type: ignore[method-assign]
urllib3.connectionpool.HTTPConnectionPool.urlopen = _urlopen_recorded  # type: ignore[method-assign]
requests.Session.send = _requests_send_recorded  # type: ignore[method-assign]


def spec_divergences(observed: list[Observed]) -> list[str]:
    from tests import hubspot_spec

    out = []
    for seen in observed:
        op = hubspot_spec.find(seen.method, seen.path)
        if op is None:
            continue
        for problem in hubspot_spec.problems(op, seen.status, seen.content_type, seen.body):
            out.append(
                f"{seen.test}: {seen.method} {op.template} ({op.version}) {seen.status}: "
                f"{problem}; body {seen.body[:300]!r}"
            )
    return out


_SPEC_REPORT: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests import hubspot_spec

    if not OBSERVED:
        return
    reason = hubspot_spec.missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            _SPEC_REPORT.append(f"FAILED (CI): {reason}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            _SPEC_REPORT.append(f"skipped: {reason}")
        return
    found = spec_divergences(OBSERVED)
    checked = sum(1 for s in OBSERVED if hubspot_spec.find(s.method, s.path) is not None)
    if found:
        _SPEC_REPORT.extend(found)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _SPEC_REPORT.insert(
        0, f"{checked} responses checked against HubSpot's OpenAPI specs: {len(found)} divergences"
    )
    # Which published 200 bodies this run never produced (a partial run leaves some out).
    seen_200 = {
        (op.version, op.method, op.template)
        for s in OBSERVED
        if s.status == 200 and (op := hubspot_spec.find(s.method, s.path)) is not None
    }
    unseen = [
        f"{op.method} {op.template} ({op.version})"
        for op in hubspot_spec.operations()
        if op.schema(200) is not None and (op.version, op.method, op.template) not in seen_200
    ]
    if unseen:
        _SPEC_REPORT.insert(1, "200 bodies not produced by this run: " + ", ".join(unseen))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SPEC_REPORT:
        terminalreporter.section("HubSpot's published specs")
        for line in _SPEC_REPORT:
            terminalreporter.write_line(line)
