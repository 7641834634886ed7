"""``hubauth tokens purge-expired`` removes only dead rows, in batches, while the server keeps
answering; ``hubauth tokens list`` shows support staff ids, status and hash prefixes, never
token values. Each test gets a fresh database so row counts are exact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select

from hubauth.cli.main import cli
from hubauth.config import Settings
from hubauth.core.audit import null_audit
from hubauth.core.clock import FrozenClock, SystemClock
from hubauth.core.context import Context
from hubauth.core.token_endpoint import token_request
from hubauth.core.tokens import TokenHasher
from hubauth.store.admin import REFRESH_RETENTION_MS
from hubauth.store.schema import access_tokens, auth_codes, refresh_tokens
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.conftest import _migrate
from tests.ops.conftest import asgi_client
from tests.support import TEST_KEY, Seed, create_pg_database, drop_pg_database, mint_code, seed

DAY_S = 24 * 3600


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        asyncio.run(_migrate(url))
        yield url
        return
    url = create_pg_database()
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        drop_pg_database(url)


@dataclass
class World:
    ctx: Context
    clock: FrozenClock
    store: SqlStore


@pytest.fixture
async def world(fresh_url: str) -> AsyncIterator[World]:
    store = SqlStore.from_url(fresh_url, pool_size=5)
    # Start in the past so rows made "then" are expired in real time too (for the CLI).
    clock = FrozenClock(SystemClock().now_ms() - 40 * DAY_S * 1000)
    yield World(
        Context(store, clock, TokenHasher(TEST_KEY.encode()), audit=null_audit), clock, store
    )
    await store.close()


async def exchange(ctx: Context, s: Seed) -> tuple[str, str]:
    code = await mint_code(ctx, s)
    issued = await token_request(
        ctx,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": s.redirect_uri,
         **s.creds()},
    )  # fmt: skip
    assert issued.refresh_token is not None
    return issued.access_token, issued.refresh_token


async def counts(store: SqlStore) -> dict[str, int]:
    async with store.engine.connect() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in (access_tokens, auth_codes, refresh_tokens)
        }


async def build_history(w: World) -> tuple[Seed, list[str]]:
    """40 days ago: 12 exchanges (5 refresh tokens then revoked) and 3 codes never used.
    Now: 2 exchanges, one refresh token revoked. Returns the live refresh tokens."""
    s = await seed(w.ctx)
    old = [await exchange(w.ctx, s) for _ in range(12)]
    for _, rt in old[:5]:
        assert await w.store.revoke_refresh_token(
            w.ctx.hasher.hash(rt), w.clock.now_ms(), with_access_tokens=False
        )
    for _ in range(3):
        await mint_code(w.ctx, s)
    w.clock.advance(40 * DAY_S)
    recent = [await exchange(w.ctx, s) for _ in range(2)]
    assert await w.store.revoke_refresh_token(
        w.ctx.hasher.hash(recent[0][1]), w.clock.now_ms(), with_access_tokens=False
    )
    assert w.clock.now_ms() - 40 * DAY_S * 1000 < w.clock.now_ms() - REFRESH_RETENTION_MS
    return s, [rt for _, rt in old[5:]] + [recent[1][1]]


async def test_purge_removes_only_dead_rows_in_batches(world: World) -> None:
    _, live_refresh = await build_history(world)
    assert await counts(world.store) == {
        "access_tokens": 14,
        "auth_codes": 17,
        "refresh_tokens": 14,
    }
    deletes: list[int] = []

    def note(_c: object, _cur: object, statement: str, *_a: object) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(1)

    event.listen(world.store.engine.sync_engine, "before_cursor_execute", note)
    try:
        removed = await world.store.purge_expired(world.clock.now_ms(), batch_size=4)
    finally:
        event.remove(world.store.engine.sync_engine, "before_cursor_execute", note)
    # 12 expired access tokens, 15 expired codes, 5 refresh tokens revoked 40 days ago.
    assert removed == 12 + 15 + 5
    assert await counts(world.store) == {"access_tokens": 2, "auth_codes": 2, "refresh_tokens": 9}
    # ceil(12/4)+1 + ceil(15/4) + ceil(5/4), plus one each for the (empty) install-page
    # sessions, install flows and used client-assertion jtis: never one statement for everything.
    assert len(deletes) == 4 + 4 + 2 + 1 + 1 + 1
    for rt in live_refresh:
        record = await world.store.find_refresh_token(world.ctx.hasher.hash(rt))
        assert record is not None and record.revoked_ms is None
    assert await world.store.purge_expired(world.clock.now_ms(), batch_size=4) == 0


async def test_purge_runs_safely_beside_serving_requests(world: World, fresh_url: str) -> None:
    s, live_refresh = await build_history(world)
    settings = Settings(database_url=fresh_url, secret_key=TEST_KEY)
    app = create_app(settings, store=world.store, clock=world.clock)
    async with app.router.lifespan_context(app), asgi_client(app) as client:

        async def refresh(rt: str) -> int:
            form = {"grant_type": "refresh_token", "refresh_token": rt, **s.creds()}
            return (await client.post("/oauth/v1/token", data=form)).status_code

        results = await asyncio.gather(
            world.store.purge_expired(world.clock.now_ms(), batch_size=2),
            *(refresh(rt) for rt in live_refresh),
            *(client.get(f"/oauth/v1/refresh-tokens/{rt}") for rt in live_refresh),
        )
    assert results[0] == 32
    statuses = results[1 : 1 + len(live_refresh)]
    assert statuses == [200] * len(live_refresh)
    assert [r.status_code for r in results[1 + len(live_refresh) :]] == [200] * len(live_refresh)


async def test_purge_expired_command_reports_what_it_removed(
    world: World, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_history(world)  # its "now" has caught up with the real clock
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    args = ["tokens", "purge-expired", "--batch-size", "10", "--json", "--database", fresh_url]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["removed"] == 12 + 15 + 5
    assert await counts(world.store) == {"access_tokens": 2, "auth_codes": 2, "refresh_tokens": 9}


async def test_tokens_list_shows_ids_status_and_hash_prefix_never_values(
    world: World, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await seed(world.ctx)
    at, rt = await exchange(world.ctx, s)
    other = await seed(world.ctx)
    await exchange(world.ctx, other)
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    args = ["tokens", "list", "--hub", str(s.hub_id), "--json", "--database", fresh_url]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.output)["tokens"]
    assert {r["kind"] for r in rows} == {"refresh_token", "access_token"}
    assert all(r["hub_id"] == s.hub_id and r["user_id"] == s.user_id for r in rows)
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["refresh_token"]["hash_prefix"] == world.ctx.hasher.hash(rt)[:4].hex()
    assert by_kind["access_token"]["hash_prefix"] == world.ctx.hasher.hash(at)[:4].hex()
    # The world's clock is 40 days behind: in real time the access token has expired.
    assert by_kind["access_token"]["status"] == "expired"
    assert by_kind["refresh_token"]["status"] == "live"
    assert by_kind["refresh_token"]["expires"] is None
    assert by_kind["access_token"]["scopes"] == list(s.scopes)
    assert at not in result.output and rt not in result.output

    args = ["tokens", "list", "--app", str(s.app_id), "--user", str(s.user_id), "--database",
            fresh_url]  # fmt: skip
    text = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert text.exit_code == 0
    assert text.output.splitlines()[0].split()[:4] == ["KIND", "ID", "HASH", "STATUS"]
    assert len(text.output.splitlines()) == 3
    assert at not in text.output and rt not in text.output


def test_tokens_list_needs_a_filter(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    result = CliRunner().invoke(cli, ["tokens", "list", "--database", fresh_url])
    assert result.exit_code == 2
    assert "--app, --hub, --user" in result.output
