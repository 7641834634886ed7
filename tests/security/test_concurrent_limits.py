"""Limits that hold under concurrency (issue 15, problems 1 and 3; CWE-367): bursts of real
parallel requests against ``hubauth serve`` on SQLite and PostgreSQL, with the in-process and
the Redis limiter. Before, the limit was checked before the work and the failure counted after
it, so every request of a burst passed the check: 60 concurrent wrong passwords were all
evaluated against a limit of 10, 300 wrong secrets against a limit of 50."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from hubauth.core.context import Context
from tests.authorize.flow import Flow, authorize_url, start
from tests.security.helpers import TOKEN, issue
from tests.support import LiveServer, Seed

BURST = 60
LIMITER = pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])


def _client(server: LiveServer) -> httpx.AsyncClient:
    # One connection per request of the burst, so the server really sees them in parallel.
    limits = httpx.Limits(max_connections=BURST + 10, max_keepalive_connections=BURST + 10)
    return httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits)


@LIMITER
async def test_a_burst_of_wrong_secrets_gets_at_most_the_client_limit_through(
    live_server: Callable[..., LiveServer], seeded: Seed, redis: bool
) -> None:
    server = live_server(
        redis=redis,
        rate_limit_window=600,
        rate_limit_client_failures=10,
        rate_limit_address_failures=100_000,
    )
    wrong = {
        "grant_type": "refresh_token",
        "refresh_token": "na1-0000",
        "client_id": seeded.client_id,
        "client_secret": "00000000-0000-4000-8000-000000000000",
    }
    async with _client(server) as http:
        answers = await asyncio.gather(*(http.post(TOKEN, data=wrong) for _ in range(BURST)))
        statuses = Counter(r.status_code for r in answers)
        assert set(statuses) <= {400, 429}, statuses
        assert statuses[400] <= 10, statuses
        assert statuses[429] >= BURST - 10, statuses
        # the right secret is refused too now: the limit is reached, nothing is left over
        right = {**wrong, "client_secret": seeded.client_secret}
        assert (await http.post(TOKEN, data=right)).status_code == 429


@LIMITER
async def test_a_burst_of_successes_leaves_the_failure_budget_untouched(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed, redis: bool
) -> None:
    """Reservations of requests that succeed are given back: after bursts of successes the
    whole failure budget is still there, and no more."""
    server = live_server(redis=redis, rate_limit_window=600, rate_limit_address_failures=10)
    async with _client(server) as http:
        tokens = await issue(http, ctx, seeded)
        for _ in range(3):
            burst = await asyncio.gather(
                *(http.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}") for _ in range(8))
            )
            assert [r.status_code for r in burst] == [200] * 8
        # 9, not 10: LiveServer's readiness probe (an unknown refresh token) was one failure
        for i in range(9):
            assert (await http.get(f"/oauth/v1/refresh-tokens/na1-guess-{i}")).status_code == 404
        assert (await http.get("/oauth/v1/refresh-tokens/na1-guess-x")).status_code == 429


async def _sign_in_flow(http: httpx.AsyncClient, s: Seed) -> Flow:
    return await start(http, authorize_url(s))


@LIMITER
async def test_a_burst_of_wrong_passwords_is_evaluated_at_most_the_limit_times(
    live_server: Callable[..., LiveServer], seeded: Seed, redis: bool
) -> None:
    server = live_server(redis=redis, signin_email_failures=10, signin_address_attempts=1000)
    async with _client(server) as http:
        flow = await _sign_in_flow(http, seeded)
        answers = await asyncio.gather(
            *(
                flow.post("/oauth/authorize/sign-in", {"email": seeded.email, "password": "guess"})
                for _ in range(BURST)
            )
        )
        statuses = Counter(r.status_code for r in answers)
        assert set(statuses) <= {422, 429}, statuses
        assert statuses[422] <= 10, statuses
        # the right password, sent last, is refused: the burst used up the account's budget
        last = await flow.post(
            "/oauth/authorize/sign-in", {"email": seeded.email, "password": seeded.password}
        )
        assert last.status_code == 429
        assert "Too many failed sign-in attempts" in last.text


async def test_successful_sign_ins_count_toward_the_address_budget_not_the_apis(
    live_server: Callable[..., LiveServer], seeded: Seed
) -> None:
    """A flood of sign-ins (even with a valid account) is bounded per address, and install
    pages' failures do not spend the token endpoint's per-address budget."""
    server = live_server(signin_address_attempts=3, rate_limit_address_failures=5)
    async with _client(server) as http:
        for _ in range(3):
            http.cookies.clear()
            flow = await _sign_in_flow(http, seeded)
            signed_in = await flow.post(
                "/oauth/authorize/sign-in", {"email": seeded.email, "password": seeded.password}
            )
            assert signed_in.status_code == 303
        http.cookies.clear()
        flow = await _sign_in_flow(http, seeded)
        flooded = await flow.post(
            "/oauth/authorize/sign-in", {"email": seeded.email, "password": seeded.password}
        )
        assert flooded.status_code == 429
        assert "from this address" in flooded.text
        # install-page failures spend a budget of their own (same size)...
        for _ in range(5):
            assert (await http.get("/oauth/authorize?client_id=nope")).status_code == 400
        assert (await http.get("/oauth/authorize?client_id=nope")).status_code == 429
        # the token endpoint still answers this address (400: a real failure, not 429)
        wrong = {"grant_type": "refresh_token", "refresh_token": "na1-x", **seeded.creds()}
        assert (await http.post(TOKEN, data=wrong)).status_code == 400
