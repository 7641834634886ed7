"""The App Uninstalls API on two ``hubauth serve`` processes sharing one PostgreSQL database:
an uninstall answered by one node is seen by the other at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.support import TEST_KEY, LiveServer, mint_code, seed

pytestmark = pytest.mark.slow


@pytest.fixture
def nodes(pg_url: str, live_env: dict[str, str]) -> Iterator[tuple[LiveServer, LiveServer]]:
    a = LiveServer(pg_url, live_env)
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
    store = SqlStore.from_url(pg_url, pool_size=2)
    yield Context(store, SystemClock(), TokenHasher(TEST_KEY.encode()), audit=null_audit)
    await store.close()


async def test_uninstall_on_one_node_kills_the_install_on_the_other(
    nodes: tuple[LiveServer, LiveServer], pg_ctx: Context
) -> None:
    a, b = nodes
    s = await seed(pg_ctx)
    bystander = await seed(pg_ctx)
    with httpx.Client(timeout=10) as http:
        pairs = []
        for who in (s, s, bystander):
            code = await mint_code(pg_ctx, who)
            r = http.post(
                b.url + "/oauth/v3/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": who.redirect_uri,
                    **who.creds(),
                },
            )
            assert r.status_code == 200, r.text
            pairs.append(r.json())
        mine, mine_too, theirs = pairs
        assert http.get(f"{a.url}/oauth/v1/access-tokens/{mine_too['access_token']}").is_success

        gone = http.delete(
            a.url + "/appinstalls/2026-09/external-install",
            headers={"Authorization": f"Bearer {mine['access_token']}"},
        )

        assert gone.status_code == 204, gone.text
        for token in (mine["access_token"], mine_too["access_token"]):
            assert http.get(f"{b.url}/oauth/v1/access-tokens/{token}").status_code == 401
        refresh = {"grant_type": "refresh_token", "refresh_token": mine_too["refresh_token"]}
        refused = http.post(b.url + "/oauth/v3/token", data={**refresh, **s.creds()})
        assert refused.json()["status"] == "BAD_REFRESH_TOKEN"
        again = http.delete(
            b.url + "/appinstalls/v3/external-install",
            headers={"Authorization": f"Bearer {mine['access_token']}"},
        )
        assert again.status_code == 401
        assert http.get(f"{b.url}/oauth/v1/access-tokens/{theirs['access_token']}").is_success
        assert http.get(f"{a.url}/oauth/v1/refresh-tokens/{theirs['refresh_token']}").is_success
