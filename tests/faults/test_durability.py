"""Lost responses and stalled databases, made deterministic (issue 21), against real server
processes and, for PostgreSQL, a private cluster this module starts (tests/faults/cluster.py).

Rotating clients keep refreshing while: COMMIT acknowledgements are withheld
(``synchronous_standby_names`` naming a standby that does not exist), the server is SIGKILLed
mid-burst, the whole cluster is frozen (SIGSTOP/SIGCONT), or (SQLite) another process holds the
write lock. Every case checks: no acknowledged token lost (each client's last tokens, or their
grace-retried successor, work), no family revoked (no client ever sees BAD_REFRESH_TOKEN), no
family with two live refresh tokens, and every answer within the database timeout plus a margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hubauth.core.models import RefreshPolicy
from hubauth.store.sql import SqlStore
from tests.conftest import _migrate
from tests.faults.cluster import PgCluster, Server
from tests.faults.helpers import TOKEN, code_form, fault_env, prepare
from tests.support import Seed, official_check

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: HUBAUTH_DB_TIMEOUT of the servers here: short, so the stalls stay short too.
DB_TIMEOUT_S = 2.0
#: What a loaded 2-core CI machine may add to an answer on top of the database timeout.
MARGIN_S = 2.0
CLIENTS = 8


def durable_env(server_env: dict[str, str]) -> dict[str, str]:
    return {**fault_env(server_env), "HUBAUTH_DB_TIMEOUT": str(DB_TIMEOUT_S)}


@dataclass
class Install:
    """One client's view: the tokens it last received."""

    tokens: dict[str, Any]
    acked: int = 0
    unavailable: int = 0
    lost: int = 0  # no answer at all (connection reset / server gone)


@dataclass
class Fleet:
    seed: Seed
    installs: list[Install]
    latencies: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # any 4xx: a family lost

    async def refresh(self, client: httpx.AsyncClient, install: Install) -> int | None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": install.tokens["refresh_token"],
            **self.seed.creds(),
        }
        started = time.monotonic()
        try:
            response = await client.post(TOKEN, data=form)
        except httpx.TransportError:
            install.lost += 1
            return None
        finally:
            self.latencies.append(time.monotonic() - started)
        if response.status_code == 200:
            install.tokens = response.json()
            install.acked += 1
        elif response.status_code == 503:
            body = response.json()
            official_check("error", body)
            assert body["category"] == "SERVICE_UNAVAILABLE"
            install.unavailable += 1
        else:
            self.refused.append(response.text)
        return response.status_code

    async def refresh_all(self, client: httpx.AsyncClient) -> list[int | None]:
        return await asyncio.gather(*(self.refresh(client, i) for i in self.installs))

    def assert_bounded(self) -> None:
        slowest = max(self.latencies, default=0.0)
        assert slowest <= DB_TIMEOUT_S + MARGIN_S, f"an answer took {slowest:.2f} s"


def fleet_for(database_url: str, server: Server, n: int = CLIENTS) -> Fleet:
    prepared = prepare(database_url, n, refresh_policy=RefreshPolicy.ROTATE)

    async def install_all() -> list[Install]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            out = []
            for code in prepared.codes:
                response = await client.post(TOKEN, data=code_form(prepared.seed, code))
                assert response.status_code == 200, response.text
                out.append(Install(response.json()))
            return out

    return Fleet(prepared.seed, asyncio.run(install_all()))


async def settle(fleet: Fleet, client: httpx.AsyncClient, timeout_s: float = 20) -> None:
    """Retry (with the tokens each client holds) until every client got a 200 once more."""
    deadline = time.monotonic() + timeout_s
    pending = list(fleet.installs)
    while pending:
        assert time.monotonic() < deadline, "the clients did not recover"
        statuses = await asyncio.gather(*(fleet.refresh(client, i) for i in pending))
        pending = [i for i, s in zip(pending, statuses, strict=True) if s != 200]
        if pending:
            await asyncio.sleep(0.2)


def family_state(database_url: str, app_id: int) -> dict[str, int]:
    """Families with other than exactly one live refresh token, and revoked refresh tokens."""

    async def run() -> dict[str, int]:
        store = SqlStore.from_url(database_url, pool_size=1)
        try:
            async with store.engine.connect() as conn:
                live = (
                    await conn.execute(
                        text(
                            """SELECT family_id, sum(CASE WHEN revoked_ms IS NULL
                                 AND rotated_ms IS NULL THEN 1 ELSE 0 END) AS live
                               FROM refresh_tokens WHERE app_id = :app GROUP BY family_id"""
                        ),
                        {"app": app_id},
                    )
                ).all()
                revoked = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM refresh_tokens"
                            " WHERE app_id = :app AND revoked_ms IS NOT NULL"
                        ),
                        {"app": app_id},
                    )
                ).scalar_one()
        finally:
            await store.close()
        return {
            "families_without_exactly_one_live_token": sum(1 for r in live if r.live != 1),
            "revoked_refresh_tokens": revoked,
        }

    return asyncio.run(run())


async def assert_tokens_work(fleet: Fleet, client: httpx.AsyncClient) -> None:
    for install in fleet.installs:
        for kind in ("access", "refresh"):
            token = install.tokens[f"{kind}_token"]
            response = await client.get(f"/oauth/v1/{kind}-tokens/{token}")
            assert response.status_code == 200, f"an acknowledged {kind} token was lost"


def assert_intact(fleet: Fleet, database_url: str) -> None:
    assert fleet.refused == [], fleet.refused[:3]
    assert family_state(database_url, fleet.seed.app_id) == {
        "families_without_exactly_one_live_token": 0,
        "revoked_refresh_tokens": 0,
    }


# --- PostgreSQL: COMMIT acknowledgements withheld ------------------------------------------------


async def _sql(cluster: PgCluster, *statements: str) -> None:
    for statement in statements:
        await cluster._execute(statement)  # the test's own cluster


def test_withheld_commit_acknowledgements_answer_503_in_time_and_every_install_survives(
    cluster: PgCluster, server_env: dict[str, str]
) -> None:
    server = Server(cluster.url, durable_env(server_env))
    try:
        fleet = fleet_for(cluster.url, server)

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                await _sql(
                    cluster,
                    "ALTER SYSTEM SET synchronous_standby_names = 'nobody_listens'",
                    "SELECT pg_reload_conf()",
                )
                try:
                    await asyncio.sleep(0.5)
                    # every rotation commits locally, and its acknowledgement never comes
                    statuses = await fleet.refresh_all(client)
                    assert statuses == [503] * CLIENTS, statuses
                    # the retries while it lasts cannot commit either
                    assert set(await fleet.refresh_all(client)) == {503}
                finally:
                    await _sql(
                        cluster,
                        "ALTER SYSTEM RESET synchronous_standby_names",
                        "SELECT pg_reload_conf()",
                    )
                # the same tokens again: their rotations did commit, and are retried in grace
                await settle(fleet, client)
                await assert_tokens_work(fleet, client)

        asyncio.run(scenario())
    finally:
        server.stop()
    fleet.assert_bounded()
    assert_intact(fleet, cluster.url)


# --- PostgreSQL: the whole cluster frozen --------------------------------------------------------


def cluster_pids(cluster: PgCluster) -> list[int]:
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def test_frozen_cluster_answers_within_the_timeout_then_recovers_by_itself(
    cluster: PgCluster, server_env: dict[str, str]
) -> None:
    server = Server(cluster.url, durable_env(server_env), workers=2)
    try:
        fleet = fleet_for(cluster.url, server)

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                for _ in range(3):
                    await fleet.refresh_all(client)
                burst = asyncio.ensure_future(keep_refreshing(fleet, client, seconds=6))
                await asyncio.sleep(0.3)
                pids = cluster_pids(cluster)
                signal_all(pids, signal.SIGSTOP)
                try:
                    await asyncio.sleep(4)  # twice the database timeout, mid-burst
                finally:
                    signal_all(pids, signal.SIGCONT)
                await burst
                await settle(fleet, client)
                await assert_tokens_work(fleet, client)

        asyncio.run(scenario())
    finally:
        log = server.output()
        server.stop()
    fleet.assert_bounded()
    assert sum(i.unavailable for i in fleet.installs) > 0  # the freeze was felt
    assert "InterfaceError" not in log
    assert_intact(fleet, cluster.url)


async def keep_refreshing(
    fleet: Fleet, client: httpx.AsyncClient, seconds: float, stop: asyncio.Event | None = None
) -> None:
    deadline = time.monotonic() + seconds

    async def loop(install: Install) -> None:
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            await fleet.refresh(client, install)
            await asyncio.sleep(0.05)

    await asyncio.gather(*(loop(i) for i in fleet.installs))


# --- SIGKILL of the server during rotation bursts (SQLite and PostgreSQL) -----------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_db(request: pytest.FixtureRequest, cluster: PgCluster, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield cluster.url
        return
    url = f"sqlite:///{tmp_path / 'rotations.db'}"
    asyncio.run(_migrate(url))
    yield url


KILLS = 3


def test_sigkill_during_rotation_bursts_revokes_no_family(
    crash_db: str, server_env: dict[str, str]
) -> None:
    env = durable_env(server_env)
    server = Server(crash_db, env, workers=2)
    fleet = fleet_for(crash_db, server, n=16)
    try:
        for _ in range(KILLS):

            async def burst(target: Server) -> None:
                async with httpx.AsyncClient(base_url=target.url, timeout=30) as client:
                    killed = asyncio.Event()
                    running = asyncio.ensure_future(
                        keep_refreshing(fleet, client, seconds=30, stop=killed)
                    )
                    before = sum(i.acked for i in fleet.installs)
                    while sum(i.acked for i in fleet.installs) < before + 40:
                        await asyncio.sleep(0.01)
                    await asyncio.to_thread(target.kill)
                    killed.set()  # the clients retry when the server is back, within the grace
                    await running

            asyncio.run(burst(server))
            server = Server(crash_db, env, workers=2)

        async def recover(target: Server) -> None:
            async with httpx.AsyncClient(base_url=target.url, timeout=30) as client:
                await settle(fleet, client)
                await assert_tokens_work(fleet, client)

        asyncio.run(recover(server))
    finally:
        server.stop()
    assert sum(i.lost for i in fleet.installs) > 0  # some answers were lost to the kills
    assert_intact(fleet, crash_db)


# --- SQLite: a held write lock, a frozen writer ---------------------------------------------------


@contextlib.contextmanager
def held_write_lock(path: str, how: str) -> Iterator[None]:
    """``sqlite``: another process's open write transaction; ``flock``: a writer of another
    hubauth process frozen while holding the writer queue's lock (store/hot.py)."""
    if how == "sqlite":
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@pytest.mark.parametrize("how", ["sqlite", "flock"])
def test_sqlite_held_write_lock_answers_within_the_timeout_then_recovers(
    tmp_path: Path, server_env: dict[str, str], how: str
) -> None:
    path = str(tmp_path / "locked.db")
    url = f"sqlite:///{path}"
    asyncio.run(_migrate(url))
    server = Server(url, durable_env(server_env))
    try:
        fleet = fleet_for(url, server)

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                with held_write_lock(path, how):
                    assert set(await fleet.refresh_all(client)) == {503}
                    assert set(await fleet.refresh_all(client)) == {503}
                await settle(fleet, client)
                await assert_tokens_work(fleet, client)

        asyncio.run(scenario())
    finally:
        server.stop()
    fleet.assert_bounded()
    assert_intact(fleet, url)
