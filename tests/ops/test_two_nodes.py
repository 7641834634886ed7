"""Two ``hubauth serve`` processes on one PostgreSQL database, requests alternating between
them, as behind a load balancer: every node sees every other node's writes at once, because
all state is in the database (docs/operations.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.support import METRICS_AUTH, TEST_KEY, LiveServer, mint_code, official_check, seed


@pytest.fixture
def nodes(pg_url: str, live_env: dict[str, str]) -> Iterator[tuple[LiveServer, LiveServer]]:
    # Node A runs two workers (its /metrics sums them); node B one.
    a = LiveServer(pg_url, live_env, workers=2)
    try:
        b = LiveServer(pg_url, live_env)
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
async def pg_ctx(pg_url: str) -> AsyncIterator[Context]:
    """A core context on the nodes' database, with their server key and the real clock."""
    store = SqlStore.from_url(pg_url, pool_size=2)
    yield Context(store, SystemClock(), TokenHasher(TEST_KEY.encode()), audit=null_audit)
    await store.close()


def _healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hubauth_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": "/healthz",
                "status": "200",
            }:
                return sample.value
    return 0.0


async def test_a_token_lifecycle_alternating_between_two_nodes(
    nodes: tuple[LiveServer, LiveServer], pg_ctx: Context
) -> None:
    a, b = nodes
    s = await seed(pg_ctx)
    code = await mint_code(pg_ctx, s)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": s.redirect_uri}
    with httpx.Client(timeout=10) as http:
        r = http.post(a.url + "/oauth/v1/token", data={**form, **s.creds()})  # exchange on A
        assert r.status_code == 200, r.text
        official_check("token-response", r.json())
        rt, at = r.json()["refresh_token"], r.json()["access_token"]

        replay = http.post(b.url + "/oauth/v1/token", data={**form, **s.creds()})  # replay on B
        assert replay.status_code == 400
        assert replay.json()["status"] == "BAD_AUTH_CODE"

        # The replay revoked the first family (RFC 6749 §4.1.2): start a fresh one on B.
        code = await mint_code(pg_ctx, s)
        form["code"] = code
        r = http.post(b.url + "/oauth/v1/token", data={**form, **s.creds()})
        assert r.status_code == 200
        rt, at = r.json()["refresh_token"], r.json()["access_token"]
        assert http.get(f"{a.url}/oauth/v1/access-tokens/{at}").status_code == 200  # read on A

        refresh = {"grant_type": "refresh_token", "refresh_token": rt, **s.creds()}
        r = http.post(b.url + "/oauth/v1/token", data=refresh)  # refresh on B
        assert r.status_code == 200
        assert (
            http.get(f"{a.url}/oauth/v1/access-tokens/{r.json()['access_token']}").json()["hub_id"]
            == s.hub_id
        )

        assert http.delete(f"{a.url}/oauth/v1/refresh-tokens/{rt}").status_code == 204  # on A
        gone = http.get(f"{b.url}/oauth/v1/refresh-tokens/{rt}")  # metadata on B
        assert gone.status_code == 404
        official_check("error", gone.json())
        assert http.post(b.url + "/oauth/v1/token", data=refresh).status_code == 400
        assert http.post(a.url + "/oauth/v1/token", data=refresh).status_code == 400

        assert http.get(a.url + "/readyz").status_code == 200
        assert http.get(b.url + "/readyz").status_code == 200

    for _ in range(20):  # new connections, spread over node A's two workers
        assert httpx.get(a.url + "/healthz", timeout=5).status_code == 200
    scrapes = [
        httpx.get(a.url + "/metrics", headers=METRICS_AUTH, timeout=5).text for _ in range(4)
    ]
    assert [_healthz_count(t) for t in scrapes] == [20.0] * 4
