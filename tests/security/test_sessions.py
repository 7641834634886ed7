"""Server-side install-page sessions (issue 15, problem 2): the cookie carries only a random
id, the server can end a session, and each install flow is single-use. Before, the whole
session lived in a signed cookie: a cookie saved before sign-out still approved installs
afterwards, and replaying a finished ``decision`` POST minted more authorization codes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
from sqlalchemy import func, select

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.store.schema import auth_codes, browser_sessions, install_flows
from hubauth.store.sql import SqlStore
from hubauth.web.session import COOKIE_NAME
from tests.authorize.flow import authorize_url, location_params, start
from tests.support import LiveServer, Seed, seed


async def _codes_of(store: SqlStore, app_id: int) -> int:
    async with store.engine.connect() as conn:
        query = select(func.count()).select_from(auth_codes).where(auth_codes.c.app_id == app_id)
        return int((await conn.execute(query)).scalar_one())


async def test_a_cookie_saved_before_sign_out_is_worthless_after_it(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed
) -> None:
    server = live_server()
    other = await seed(ctx)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as victim:
        flow = await start(victim, authorize_url(seeded))
        before_sign_in = victim.cookies[COOKIE_NAME]
        consent = await flow.sign_in(seeded.email, seeded.password)
        assert "Connect app" in consent.text
        stolen = victim.cookies[COOKIE_NAME]
        assert stolen != before_sign_in  # rotated at sign-in
        signed_out = await flow.post("/oauth/authorize/sign-out", {})
        assert signed_out.status_code == 303
        assert victim.cookies[COOKIE_NAME] not in (stolen, before_sign_in)
    for cookie in (stolen, before_sign_in):
        async with httpx.AsyncClient(
            base_url=server.url, timeout=30, cookies={COOKIE_NAME: cookie}
        ) as thief:
            page = await thief.get(authorize_url(other))
            assert page.status_code == 200
            assert 'name="password"' in page.text  # asked to sign in: not signed in
            assert "Connect app" not in page.text
    assert await _codes_of(ctx.store, other.app_id) == 0


async def test_a_replayed_decision_mints_nothing(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
        flow = await start(browser, authorize_url(seeded))
        await flow.sign_in(seeded.email, seeded.password)
        approved = await flow.decide("approve")
        assert "code" in location_params(approved)
        for _ in range(3):
            replay = await flow.decide("approve")
            assert replay.status_code == 400
            assert "expired" in replay.text
            assert "location" not in replay.headers
    assert await _codes_of(ctx.store, seeded.app_id) == 1


async def test_concurrent_decisions_for_one_flow_mint_one_code(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed
) -> None:
    server = live_server()
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as browser:
        flow = await start(browser, authorize_url(seeded))
        await flow.sign_in(seeded.email, seeded.password)
        answers = await asyncio.gather(*(flow.decide("approve") for _ in range(12)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {303: 1, 400: 11}, statuses
    assert await _codes_of(ctx.store, seeded.app_id) == 1


async def test_a_denied_flow_cannot_be_approved_afterwards(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
        flow = await start(browser, authorize_url(seeded))
        await flow.sign_in(seeded.email, seeded.password)
        consent_fields = flow.fields
        denied = await flow.decide("deny")
        # HubSpot's install-page rule (default): a denial is not sent to the app.
        assert denied.status_code == 200 and "location" not in denied.headers
        flow.page = httpx.Response(200, text=flow.page.text)  # the consent page, kept
        assert flow.fields == consent_fields
        assert (await flow.decide("approve")).status_code == 400
    assert await _codes_of(ctx.store, seeded.app_id) == 0


async def test_the_cookie_is_a_random_id_stored_only_as_a_digest(
    client: httpx.AsyncClient, seeded: Seed, store: SqlStore
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    cookie = client.cookies[COOKIE_NAME]
    assert len(cookie) == 43  # secrets.token_urlsafe(32): nothing else in it
    async with store.engine.connect() as conn:
        hashes = (await conn.execute(select(browser_sessions.c.token_hash))).scalars().all()
    assert cookie.encode() not in hashes
    assert all(len(h) == 32 for h in hashes)


async def test_sessions_time_out_when_idle_and_absolutely(
    client: httpx.AsyncClient, seeded: Seed, clock: FrozenClock
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    # in use every 50 minutes: the idle timeout (60 min) never passes...
    for _ in range(12):
        clock.advance(50 * 60)
        page = await client.get(authorize_url(seeded))
        if "Connect app" not in page.text:
            break
    else:
        raise AssertionError("the session outlived its absolute timeout")
    # ...but 8 hours after it began, it is over
    assert 'name="password"' in page.text
    # idle: a fresh sign-in, then an hour and a minute of silence
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    clock.advance(61 * 60)
    assert 'name="password"' in (await client.get(authorize_url(seeded))).text


async def test_expired_sessions_and_flows_are_purged_with_the_tokens(
    client: httpx.AsyncClient, seeded: Seed, clock: FrozenClock, store: SqlStore
) -> None:
    flow = await start(client, authorize_url(seeded))
    await flow.sign_in(seeded.email, seeded.password)
    clock.advance(9 * 60 * 60)
    await store.purge_expired(clock.now_ms())
    async with store.engine.connect() as conn:
        for table in (browser_sessions, install_flows):
            stale = select(func.count()).select_from(table)
            stale = stale.where(table.c.expires_ms < clock.now_ms())
            assert (await conn.execute(stale)).scalar_one() == 0
