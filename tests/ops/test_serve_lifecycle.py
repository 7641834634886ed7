"""``hubauth serve`` as a process: SIGTERM lets an in-flight request finish and closes storage;
start-up refuses a database whose schema is behind and says which command fixes it."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.context import Context
from hubauth.web.app import SchemaBehind, create_app
from tests.support import (
    TEST_KEY,
    LiveServer,
    Seed,
    create_pg_database,
    drop_pg_database,
    hubauth_cmd,
    mint_code,
)


@asynccontextmanager
async def code_row_locked(database_url: str, code_hash: bytes) -> AsyncIterator[None]:
    """Hold a lock that makes the server's redemption of this code wait: a row lock on
    PostgreSQL, the write lock on SQLite (the server waits within its busy timeout)."""
    if database_url.startswith("postgresql"):
        conn = await asyncpg.connect(database_url)
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SELECT 1 FROM auth_codes WHERE code_hash = $1 FOR UPDATE", code_hash)
        try:
            yield
        finally:
            await tx.rollback()
            await conn.close()
    else:
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()


async def wait_until_blocked(database_url: str, request: asyncio.Task[httpx.Response]) -> None:
    """Until the server's request is waiting on our lock (observed on PostgreSQL; on SQLite,
    only that the request has not finished after a second)."""
    if database_url.startswith("postgresql"):
        name = database_url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(database_url)
        try:
            for _ in range(100):
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = $1 AND wait_event_type = 'Lock'",
                    name,
                )
                if waiting:
                    return
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        raise AssertionError("the server's request never waited on the lock")
    await asyncio.sleep(1.0)
    assert not request.done(), "the request did not wait on the SQLite write lock"


async def test_sigterm_lets_the_in_flight_request_finish_then_closes_storage(
    database_url: str, server_env: dict[str, str], ctx: Context, seeded: Seed
) -> None:
    server = LiveServer(database_url, {**server_env, "HUBAUTH_LOG_LEVEL": "info"})
    code = await mint_code(ctx, seeded)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": seeded.redirect_uri}
    try:
        async with code_row_locked(database_url, ctx.hasher.hash(code)):
            request = asyncio.create_task(
                asyncio.to_thread(
                    httpx.post,
                    server.url + "/oauth/v1/token",
                    data={**form, **seeded.creds()},
                    timeout=30,
                )
            )
            await wait_until_blocked(database_url, request)
            server.proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            assert server.proc.poll() is None, "the server quit with a request in flight"
            assert not request.done()
            with pytest.raises(httpx.ConnectError):  # draining: no new connections
                await asyncio.to_thread(httpx.get, server.url + "/healthz", timeout=2)
        response = await request
        assert response.status_code == 200, response.text
        assert response.json()["refresh_token"].startswith("na1-")
        exit_code = await asyncio.to_thread(server.proc.wait, 20)
        output = server.proc.stdout.read().decode() if server.proc.stdout else ""
    finally:
        if server.proc.poll() is None:
            server.stop()
    assert exit_code == 0, output
    assert "storage closed" in output


def test_graceful_stop_is_bounded_by_shutdown_timeout(
    pg_url: str, server_env: dict[str, str]
) -> None:
    """A request that never finishes (its body never arrives) does not keep a stopping server
    alive past ``shutdown_timeout``; without the bound granian would wait for it forever."""
    env = {**server_env, "HUBAUTH_SHUTDOWN_TIMEOUT": "2"}
    server = LiveServer(pg_url, env)
    stuck = socket.create_connection(("127.0.0.1", server.port))
    try:
        stuck.sendall(
            b"POST /oauth/v1/token HTTP/1.1\r\nHost: hubauth.test\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            b"grant_type="
        )
        time.sleep(0.5)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        exit_code = server.proc.wait(timeout=30)
        stopped_after = time.monotonic() - started
    finally:
        stuck.close()
        if server.proc.poll() is None:
            server.stop()
    assert exit_code == 0
    assert 1.5 < stopped_after < 10, stopped_after


# --- the schema gate ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def test_serve_refuses_a_database_whose_schema_is_behind(
    empty_database: str, server_env: dict[str, str]
) -> None:
    result = subprocess.run(
        hubauth_cmd("serve", "--port", "1", "--database", empty_database),
        env=server_env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0
    err = result.stderr.decode()
    assert "hubauth db upgrade" in err
    assert "schema is at nothing" in err


async def test_app_start_up_refuses_a_database_whose_schema_is_behind(
    empty_database: str,
) -> None:
    app = create_app(Settings(database_url=empty_database, secret_key=TEST_KEY))
    with pytest.raises(SchemaBehind, match="hubauth db upgrade"):
        async with app.router.lifespan_context(app):
            pass
