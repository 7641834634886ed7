"""Fault tolerance (slow): the database vanishing and coming back, the server SIGKILLed in the
middle of a burst of grants, and two server processes racing for the same code or refresh
token — all against a PostgreSQL cluster the test starts on its own port (never the shared
server), and for the crash test on SQLite as well.

The invariant everywhere: a token acknowledged to a client (HTTP 200) is never lost, and no
half-written state remains (a consumed code always has its token family).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hubauth.core.models import RefreshPolicy
from hubauth.store.sql import SqlStore
from tests.conftest import _migrate
from tests.faults.cluster import PgCluster, Server
from tests.faults.helpers import TOKEN, code_form, fault_env, prepare, token_works
from tests.support import official_check

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FAIL_FAST_S = 10
"""Generous ceiling for one request while the database is down (connection refused is
immediate; the pool and command timeouts are 5 and 10 s)."""


async def wait_until_ok(client: httpx.AsyncClient, path: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if (await client.get(path)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"the server did not recover within {timeout_s} s")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    official_check("error", body)
    assert body["category"] == "SERVICE_UNAVAILABLE"
    assert body["correlationId"] == response.headers["x-request-id"]
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_outage_gives_fast_503s_then_recovers_without_losing_tokens(
    cluster: PgCluster, server_env: dict[str, str], mode: str
) -> None:
    prepared = prepare(cluster.url, 60)
    s, codes = prepared.seed, prepared.codes
    server = Server(cluster.url, fault_env(server_env), workers=2)
    try:

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                acked: list[dict[str, Any]] = []
                for code in codes[:10]:
                    response = await client.post(TOKEN, data=code_form(s, code))
                    assert response.status_code == 200, response.text
                    acked.append(response.json())

                # a burst in flight while the database goes away
                burst = [
                    asyncio.create_task(client.post(TOKEN, data=code_form(s, code)))
                    for code in codes[10:40]
                ]
                await asyncio.sleep(0.02)
                await asyncio.to_thread(cluster.stop, mode)
                for response in await asyncio.gather(*burst):
                    assert response.status_code in (200, 503), response.text
                    if response.status_code == 200:
                        acked.append(response.json())
                    else:
                        assert_unavailable(response)

                # while it is down: every endpoint fails fast with the HubSpot 503 body
                probes = [
                    client.build_request("POST", TOKEN, data=code_form(s, codes[40])),
                    client.build_request(
                        "GET", f"/oauth/v1/access-tokens/{acked[0]['access_token']}"
                    ),
                    client.build_request(
                        "GET", f"/oauth/v1/refresh-tokens/{acked[0]['refresh_token']}"
                    ),
                    client.build_request(
                        "DELETE", f"/oauth/v1/refresh-tokens/{acked[1]['refresh_token']}"
                    ),
                ]
                for request in probes * 3:
                    started = time.monotonic()
                    response = await client.send(request)
                    assert time.monotonic() - started < FAIL_FAST_S
                    assert_unavailable(response)

                await asyncio.to_thread(cluster.start)
                await wait_until_ok(client, f"/oauth/v1/access-tokens/{acked[0]['access_token']}")
                for tokens in acked:
                    assert await token_works(client, tokens), "an acknowledged token was lost"
                for code in codes[41:46]:
                    assert (await client.post(TOKEN, data=code_form(s, code))).status_code == 200

        asyncio.run(scenario())
    finally:
        server.stop()


# --- SIGKILL mid-burst -----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_db(request: pytest.FixtureRequest, cluster: PgCluster, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield cluster.url
        return
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    asyncio.run(_migrate(url))
    yield url


def half_written_state(database_url: str, app_id: int) -> dict[str, int]:
    """Rows that would prove a grant was only partly stored (all counts must be 0)."""
    checks = {
        "consumed_codes_without_family": """
            SELECT count(*) FROM auth_codes
            WHERE app_id = :app AND consumed_ms IS NOT NULL AND family_id IS NULL""",
        "consumed_codes_without_refresh_token": """
            SELECT count(*) FROM auth_codes c
            WHERE c.app_id = :app AND c.consumed_ms IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM refresh_tokens r WHERE r.family_id = c.family_id)""",
        "consumed_codes_without_access_token": """
            SELECT count(*) FROM auth_codes c
            WHERE c.app_id = :app AND c.consumed_ms IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM access_tokens a WHERE a.family_id = c.family_id)""",
        "families_without_consumed_code": """
            SELECT count(*) FROM refresh_tokens r
            WHERE r.app_id = :app AND NOT EXISTS (
              SELECT 1 FROM auth_codes c WHERE c.family_id = r.family_id
              AND c.consumed_ms IS NOT NULL)""",
    }

    async def run() -> dict[str, int]:
        store = SqlStore.from_url(database_url, pool_size=1)
        try:
            async with store.engine.connect() as conn:
                return {
                    name: (await conn.execute(text(sql), {"app": app_id})).scalar_one()
                    for name, sql in checks.items()
                }
        finally:
            await store.close()

    return asyncio.run(run())


def test_sigkill_during_grant_burst_loses_no_acknowledged_token(
    crash_db: str, server_env: dict[str, str]
) -> None:
    prepared = prepare(crash_db, 240)
    s, codes = prepared.seed, prepared.codes
    env = fault_env(server_env)
    server = Server(crash_db, env, workers=2)
    acked: list[dict[str, Any]] = []
    killed = threading.Event()

    async def burst() -> None:
        limit = asyncio.Semaphore(16)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

            async def one(code: str) -> None:
                async with limit:
                    if killed.is_set():
                        return
                    try:
                        response = await client.post(TOKEN, data=code_form(s, code))
                    except httpx.TransportError:
                        return  # the server died under this request: not acknowledged
                    if response.status_code == 200:
                        acked.append(response.json())
                        if len(acked) == 60 and not killed.is_set():
                            killed.set()
                            await asyncio.to_thread(server.kill)

            await asyncio.gather(*(one(code) for code in codes))

    try:
        asyncio.run(burst())
    finally:
        server.kill()
    assert killed.is_set() and len(acked) >= 60

    restarted = Server(crash_db, env, workers=1)
    try:

        async def verify() -> None:
            async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as client:
                for tokens in acked:
                    assert await token_works(client, tokens), "an acknowledged token was lost"
                    refreshed = await client.post(
                        TOKEN,
                        data={
                            "grant_type": "refresh_token",
                            "refresh_token": tokens["refresh_token"],
                            **s.creds(),
                        },
                    )
                    assert refreshed.status_code == 200, refreshed.text

        asyncio.run(verify())
    finally:
        restarted.stop()
    assert half_written_state(crash_db, s.app_id) == dict.fromkeys(
        (
            "consumed_codes_without_family",
            "consumed_codes_without_refresh_token",
            "consumed_codes_without_access_token",
            "families_without_consumed_code",
        ),
        0,
    )


# --- two processes, one database ---------------------------------------------------------------


@pytest.fixture
def two_servers(cluster: PgCluster, server_env: dict[str, str]) -> Iterator[list[Server]]:
    env = fault_env(server_env)
    servers = [Server(cluster.url, env), Server(cluster.url, env)]
    yield servers
    for server in servers:
        server.stop()


ROUNDS = 15
PER_SERVER = 3


def test_two_servers_racing_on_one_code_give_one_winner(
    cluster: PgCluster, two_servers: list[Server]
) -> None:
    prepared = prepare(cluster.url, ROUNDS)
    s = prepared.seed

    async def race() -> None:
        clients = [httpx.AsyncClient(base_url=srv.url, timeout=30) for srv in two_servers]
        try:
            for code in prepared.codes:
                responses = await asyncio.gather(
                    *(
                        c.post(TOKEN, data=code_form(s, code))
                        for c in clients
                        for _ in range(PER_SERVER)
                    )
                )
                statuses = sorted(r.status_code for r in responses)
                assert statuses == [200] + [400] * (2 * PER_SERVER - 1), statuses
        finally:
            for c in clients:
                await c.aclose()

    asyncio.run(race())


def test_two_servers_racing_on_one_rotating_refresh_token_give_one_live_successor(
    cluster: PgCluster, two_servers: list[Server]
) -> None:
    """Within the rotation grace every racer is a retry of a token whose successor nobody used
    yet: all get 200, and across both nodes exactly one successor is left alive."""
    prepared = prepare(cluster.url, ROUNDS, refresh_policy=RefreshPolicy.ROTATE)
    s = prepared.seed

    async def race() -> None:
        clients = [httpx.AsyncClient(base_url=srv.url, timeout=30) for srv in two_servers]
        try:
            for code in prepared.codes:
                issued = await clients[0].post(TOKEN, data=code_form(s, code))
                assert issued.status_code == 200, issued.text
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": issued.json()["refresh_token"],
                    **s.creds(),
                }
                responses = await asyncio.gather(
                    *(c.post(TOKEN, data=form) for c in clients for _ in range(PER_SERVER))
                )
                assert [r.status_code for r in responses] == [200] * (2 * PER_SERVER)
                alive = [
                    (
                        await clients[1].get(
                            f"/oauth/v1/refresh-tokens/{r.json()['refresh_token']}"
                        )
                    ).status_code
                    == 200
                    for r in responses
                ]
                assert alive.count(True) == 1, alive
        finally:
            for c in clients:
                await c.aclose()

    asyncio.run(race())


def test_two_servers_racing_on_one_rotating_refresh_token_without_grace_give_one_winner(
    cluster: PgCluster, two_servers: list[Server]
) -> None:
    prepared = prepare(cluster.url, ROUNDS, refresh_policy=RefreshPolicy.ROTATE)
    s = prepared.seed

    async def no_grace() -> None:
        store = SqlStore.from_url(cluster.url, pool_size=1)
        try:
            assert await store.set_rotation_grace(s.app_id, 0)
        finally:
            await store.close()

    asyncio.run(no_grace())

    async def race() -> None:
        clients = [httpx.AsyncClient(base_url=srv.url, timeout=30) for srv in two_servers]
        try:
            for code in prepared.codes:
                issued = await clients[0].post(TOKEN, data=code_form(s, code))
                assert issued.status_code == 200, issued.text
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": issued.json()["refresh_token"],
                    **s.creds(),
                }
                responses = await asyncio.gather(
                    *(c.post(TOKEN, data=form) for c in clients for _ in range(PER_SERVER))
                )
                statuses = sorted(r.status_code for r in responses)
                assert statuses == [200] + [400] * (2 * PER_SERVER - 1), statuses
                assert {r.json()["status"] for r in responses if r.status_code == 400} == {
                    "BAD_REFRESH_TOKEN"
                }
        finally:
            for c in clients:
                await c.aclose()

    asyncio.run(race())
