"""Rate limiting of failures (RFC 6749 §10.10 credentials guessing): the sliding-window
algorithm on both backends (in-process and Redis), and the web layer's 429 with Retry-After
and HubSpot's rate-limit body. Redis tests use a random key prefix each."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.ratelimit import Limit, RateLimiter, window
from hubauth.ratelimit.memory import MemoryLimiter
from hubauth.ratelimit.redis import RedisLimiter
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.security.helpers import TOKEN, LogCapture, code_form, issue, refresh
from tests.support import Seed, mint_code, official_check, seed

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = Limit("test", 5, 10)


# --- the algorithm ---------------------------------------------------------------------------


def test_sliding_window_weighs_the_previous_window_by_its_overlap() -> None:
    w = 10_000
    assert window.estimate(10, 0, 0, w) == 10
    assert window.estimate(10, 0, 2_500, w) == 7.5
    assert window.estimate(10, 3, 5_000, w) == 8
    assert window.estimate(10, 0, 9_999, w) == pytest.approx(0.001)


def test_retry_after_is_when_the_estimate_drops_below_the_limit() -> None:
    w, limit = 10_000, 5
    assert window.retry_after_s(0, 4, 0, w, limit) == 0
    # 5 now at the start of a window: in the next window its weight must fall below 100%
    assert window.retry_after_s(0, 5, 0, w, limit) == 11
    # 10 in the previous window at 50%: estimate 5; need prev*(W-e)/W < 5 → e > 5000
    assert window.retry_after_s(10, 0, 5_000, w, limit) == 1
    for prev, cur, at in [(7, 2, 1_000), (0, 9, 3_000), (20, 5, 0)]:
        wait = window.retry_after_s(prev, cur, at, w, limit)
        later = at + wait * 1000
        if later // w == at // w:
            assert window.estimate(prev, cur, later, w) < limit
        else:
            assert window.estimate(cur if later // w == at // w + 1 else 0, 0, later, w) < limit


# --- both backends ---------------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest, clock: FrozenClock) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        made: RateLimiter = MemoryLimiter(clock)
    else:
        made = RedisLimiter(REDIS_URL, clock, prefix=f"hubauth-test:{secrets.token_hex(6)}:")
    yield made
    await made.close()


async def test_limit_is_reached_after_that_many_hits(limiter: RateLimiter) -> None:
    for n in range(1, LIMIT.limit):
        assert (await limiter.hit("client-a", LIMIT)).allowed, n
    last = await limiter.hit("client-a", LIMIT)
    assert not last.allowed and last.retry_after_s >= 1
    assert not (await limiter.peek("client-a", LIMIT)).allowed


async def test_peek_does_not_count(limiter: RateLimiter) -> None:
    for _ in range(LIMIT.limit * 3):
        assert (await limiter.peek("client-b", LIMIT)).allowed


async def test_subjects_and_groups_are_counted_apart(limiter: RateLimiter) -> None:
    for _ in range(LIMIT.limit):
        await limiter.hit("client-c", LIMIT)
    assert not (await limiter.peek("client-c", LIMIT)).allowed
    assert (await limiter.peek("client-d", LIMIT)).allowed
    assert (await limiter.peek("client-c", Limit("other", 5, 10))).allowed


async def test_limit_lifts_after_retry_after(limiter: RateLimiter, clock: FrozenClock) -> None:
    for _ in range(LIMIT.limit):
        verdict = await limiter.hit("client-e", LIMIT)
    assert not verdict.allowed
    clock.advance(verdict.retry_after_s)
    assert (await limiter.peek("client-e", LIMIT)).allowed
    clock.advance(2 * LIMIT.window_s)
    assert (await limiter.peek("client-e", LIMIT)).count == 0


async def test_concurrent_hits_are_all_counted(limiter: RateLimiter) -> None:
    big = Limit("burst", 10_000, 60)
    await asyncio.gather(*(limiter.hit("client-f", big) for _ in range(300)))
    assert (await limiter.peek("client-f", big)).count == pytest.approx(300, abs=300 * 0.1)


async def test_reserve_counts_at_most_the_limit_under_a_concurrent_burst(
    limiter: RateLimiter,
) -> None:
    verdicts = await asyncio.gather(*(limiter.reserve("client-r", LIMIT) for _ in range(50)))
    taken = [v.reservation for v in verdicts if v.allowed]
    assert len(taken) == LIMIT.limit
    assert all(not v.allowed and v.retry_after_s >= 1 for v in verdicts if v.reservation is None)
    assert not (await limiter.peek("client-r", LIMIT)).allowed


async def test_refunded_reservations_free_their_slots(limiter: RateLimiter) -> None:
    for _ in range(3):
        taken = [await limiter.reserve("client-s", LIMIT) for _ in range(LIMIT.limit)]
        assert all(v.allowed and v.reservation is not None for v in taken)
        assert not (await limiter.reserve("client-s", LIMIT)).allowed
        for verdict in taken:
            assert verdict.reservation is not None
            await limiter.refund(verdict.reservation)
    assert (await limiter.peek("client-s", LIMIT)).count == 0
    # a refund never drives a count below zero
    assert (await limiter.reserve("client-s", LIMIT)).allowed


async def test_redis_counts_are_shared_between_nodes(clock: FrozenClock, logs: LogCapture) -> None:
    prefix = f"hubauth-test:{secrets.token_hex(6)}:"
    nodes = [RedisLimiter(REDIS_URL, clock, prefix=prefix) for _ in range(3)]
    try:
        big = Limit("shared", 10_000, 60)
        await asyncio.gather(*(nodes[i % 3].hit("client-g", big) for i in range(300)))
        for node in nodes:
            verdict = await node.peek("client-g", big)
            # the previous window's weight can only add; a shortfall means the limiter failed
            # open, and the warning says why
            assert verdict.count >= 300 * 0.9, logs.text()[-2000:]
        at_limit = Limit("shared-small", 4, 60)
        for node in nodes[:2]:
            await node.hit("client-h", at_limit)
            await node.hit("client-h", at_limit)
        assert not (await nodes[2].peek("client-h", at_limit)).allowed
    finally:
        for node in nodes:
            await node.close()


async def test_redis_outage_fails_open(clock: FrozenClock, logs: LogCapture) -> None:
    down = RedisLimiter("redis://127.0.0.1:1/0", clock, timeout_s=0.2)
    try:
        for _ in range(LIMIT.limit * 2):
            assert (await down.hit("client-i", LIMIT)).allowed
    finally:
        await down.close()
    assert sum("Redis unavailable" in line for line in logs.lines) == 1


async def test_memory_limiter_stays_bounded_under_random_subjects(clock: FrozenClock) -> None:
    small = MemoryLimiter(clock, max_keys=100)
    for i in range(5_000):
        await small.hit(f"random-{i}", LIMIT)
    assert len(small) <= 100
    # the most recent subjects are still tracked
    assert (await small.peek("random-4999", LIMIT)).count == 1


# --- the web layer ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def limited_client(
    settings: Settings, store: SqlStore, ctx: Context, clock: FrozenClock, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    tuned = settings.model_copy(
        update={"rate_limit_client_failures": 3, "rate_limit_address_failures": 6, **overrides}
    )
    app = create_app(tuned, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as c:
            yield c


@pytest.fixture(params=["memory", "redis"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    if request.param == "memory":
        yield settings
    else:
        yield settings.model_copy(
            update={
                "redis_url": REDIS_URL,
                "rate_limit_redis_prefix": f"hubauth-test:{secrets.token_hex(6)}:",
            }
        )


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["status"] == "error" and body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["correlationId"] == response.headers["x-request-id"]


async def test_failed_client_authentications_are_throttled_per_client_id(
    backend_settings: Settings,
    store: SqlStore,
    ctx: Context,
    clock: FrozenClock,
    seeded: Seed,
    logs: LogCapture,
) -> None:
    code = await mint_code(ctx, seeded)
    async with limited_client(backend_settings, store, ctx, clock) as client:
        wrong = code_form(seeded, code, client_secret="00000000-0000-4000-8000-000000000000")
        for _ in range(3):
            assert (await client.post(TOKEN, data=wrong)).status_code == 400
        # even the right secret is refused now, before any work (the code survives)
        assert_rate_limited(await client.post(TOKEN, data=code_form(seeded, code)))
        [event] = logs.events("rate_limited")
        assert event["group"] == "oauth:failures:client"
        # another client from the same address is not affected by this client's limit
        other = await seed(ctx)
        assert (await client.post(TOKEN, data=code_form(other, "na1-x"))).status_code == 400
        clock.advance(20)
        assert (await client.post(TOKEN, data=code_form(seeded, code))).status_code == 200


async def test_failed_token_lookups_are_throttled_per_address(
    backend_settings: Settings, store: SqlStore, ctx: Context, clock: FrozenClock, seeded: Seed
) -> None:
    async with limited_client(backend_settings, store, ctx, clock) as client:
        live = await issue(client, ctx, seeded)
        for i in range(6):
            probe = await client.get(f"/oauth/v1/refresh-tokens/na1-guess-{i}")
            assert probe.status_code == 404
        assert_rate_limited(await client.get(f"/oauth/v1/refresh-tokens/{live['refresh_token']}"))
        assert_rate_limited(await client.get(f"/oauth/v1/access-tokens/{live['access_token']}"))
        clock.advance(20)
        ok = await client.get(f"/oauth/v1/refresh-tokens/{live['refresh_token']}")
        assert ok.status_code == 200


async def test_successful_requests_never_count(
    backend_settings: Settings, store: SqlStore, ctx: Context, clock: FrozenClock, seeded: Seed
) -> None:
    async with limited_client(backend_settings, store, ctx, clock) as client:
        tokens = await issue(client, ctx, seeded)
        for _ in range(30):
            assert (await refresh(client, seeded, tokens["refresh_token"])).status_code == 200
            assert (
                await client.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")
            ).status_code == 200


async def test_failures_on_one_node_count_on_another_with_redis(
    settings: Settings, store: SqlStore, ctx: Context, clock: FrozenClock, seeded: Seed
) -> None:
    shared = settings.model_copy(
        update={
            "redis_url": REDIS_URL,
            "rate_limit_redis_prefix": f"hubauth-test:{secrets.token_hex(6)}:",
        }
    )
    wrong = {"grant_type": "refresh_token", "refresh_token": "na1-x", **seeded.creds()}
    wrong["client_secret"] = "00000000-0000-4000-8000-000000000000"
    async with (
        limited_client(shared, store, ctx, clock) as node_a,
        limited_client(shared, store, ctx, clock) as node_b,
    ):
        for node in (node_a, node_b, node_a):
            assert (await node.post(TOKEN, data=wrong)).status_code == 400
        assert_rate_limited(await node_b.post(TOKEN, data=wrong))


async def test_rate_limiting_can_be_switched_off(
    settings: Settings, store: SqlStore, ctx: Context, clock: FrozenClock
) -> None:
    async with limited_client(settings, store, ctx, clock, rate_limit_enabled=False) as client:
        for i in range(20):
            assert (await client.get(f"/oauth/v1/refresh-tokens/na1-{i}")).status_code == 404


async def test_basic_header_client_id_is_charged_too(
    settings: Settings, store: SqlStore, ctx: Context, clock: FrozenClock, seeded: Seed
) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "na1-x"}
    auth = (seeded.client_id, "00000000-0000-4000-8000-000000000000")
    async with limited_client(settings, store, ctx, clock) as client:
        for _ in range(3):
            assert (await client.post(TOKEN, data=form, auth=auth)).status_code == 401
        response = await client.post(TOKEN, data=form, auth=(seeded.client_id, "x"))
        assert_rate_limited(response)
        assert response.json()["groupName"] == "oauth:failures:client"
