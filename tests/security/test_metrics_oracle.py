"""``/metrics`` is no oracle (issue 15, problem 5), against ``hubauth serve``: it needs the
``HUBAUTH_METRICS_TOKEN`` bearer token (off while unset), and no counter moves differently for
another app's live token than for an unknown one, also with ``HUBAUTH_UNIFORM_TOKEN_ERRORS``.
Before, ``/metrics`` was open on the API listener and
``hubauth_audit_events_total{event="foreign_token_presented"}`` told the two apart. Also: the
rate limiter's 429s carry their route's label, not ``<unmatched>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hubauth.core.context import Context
from tests.security.helpers import TOKEN, issue
from tests.support import METRICS_AUTH, LiveServer, Seed, seed

UNKNOWN_RT = "na1-0000-0000-0000-0000-000000000000"


def _series(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.endswith(("_created", "_bucket", "_sum"))
    }


def _moved(before: str, after: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    old = _series(before)
    return {k: v - old.get(k, 0.0) for k, v in _series(after).items() if v != old.get(k, 0.0)}


async def test_metrics_need_the_bearer_token(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "hubauth_" not in refused.text
        allowed = await http.get("/metrics", headers=METRICS_AUTH)
        assert allowed.status_code == 200 and "hubauth_http_requests" in allowed.text
        assert allowed.headers["cache-control"] == "no-store"


async def test_metrics_are_off_without_a_token(live_server: Callable[..., LiveServer]) -> None:
    server = live_server(unset=("metrics_token",))
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for headers in ({}, METRICS_AUTH):
            response = await http.get("/metrics", headers=headers)
            assert response.status_code == 404
            assert "hubauth_" not in response.text


async def _scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics", headers=METRICS_AUTH)
    assert response.status_code == 200
    return response.text


async def _oracle_check(server: LiveServer, ctx: Context, victim: Seed, attacker: Seed) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        live = await issue(http, ctx, victim)

        async def probe(token: str) -> tuple[list[httpx.Response], dict[Any, float]]:
            before = await _scrape(http)
            answers = [
                await http.post(
                    "/oauth/v3/token/introspect", data={"token": token, **attacker.creds()}
                ),
                await http.post(
                    "/oauth/v3/token/revoke", data={"token": token, **attacker.creds()}
                ),
                await http.post(
                    TOKEN,
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": token,
                        **attacker.creds(),
                    },
                ),
            ]
            return answers, _moved(before, await _scrape(http))

        foreign_answers, foreign_moved = await probe(live["refresh_token"])
        unknown_answers, unknown_moved = await probe(UNKNOWN_RT)
    assert [a.status_code for a in foreign_answers] == [a.status_code for a in unknown_answers]
    assert foreign_moved == unknown_moved, (foreign_moved, unknown_moved)


@pytest.mark.parametrize("uniform", [True, False], ids=["uniform-errors", "hubspot-errors"])
async def test_no_counter_tells_a_foreign_token_from_an_unknown_one(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed, uniform: bool
) -> None:
    server = live_server(uniform_token_errors=uniform)
    await _oracle_check(server, ctx, seeded, await seed(ctx))


async def test_the_limiters_429_is_labelled_with_its_route(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server(rate_limit_address_failures=1)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        # the readiness probe used the one failure: this is refused by the limiter
        assert (await http.get("/oauth/v1/refresh-tokens/na1-x")).status_code == 429
        text = await _scrape(http)
    route = "/oauth/v1/refresh-tokens/{token}"
    series = _series(text)
    key = (
        "hubauth_http_requests_total",
        frozenset({"method": "GET", "route": route, "status": "429"}.items()),
    )
    assert series.get(key) == 1
    assert not any(
        dict(labels).get("route") == "<unmatched>" and dict(labels).get("status") == "429"
        for _, labels in series
    )
