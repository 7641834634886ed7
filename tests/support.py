"""Test helpers shared by the suites: databases on both backends, contract checking with the
official ``json-structure`` package, seeded apps, and a real server in a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from json_structure import InstanceValidator

from hubauth import contracts
from hubauth.core import authorization
from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.testing.seeding import CHEAP_PASSWORDS, seed_install

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "HUBAUTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEST_KEY = "k" * 16 + secrets.token_hex(16)
#: ``HUBAUTH_METRICS_TOKEN`` of the test apps and servers; scrapes send it as a bearer token.
METRICS_TOKEN = "metrics-" + "m" * 32
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


# Real argon2id hashes at the cheapest parameters (see hubauth.testing.seeding).
hash_password = CHEAP_PASSWORDS.hash


class ContractViolation(AssertionError):
    pass


_validators: dict[str, InstanceValidator] = {}


def official_check(contract: str, body: Any) -> None:
    """Validate a body with the official package (a fresh validator per call: the official
    one keeps its error list on the object and mutates its inputs)."""
    schema = copy.deepcopy(contracts.load(contract))
    errors = InstanceValidator(schema).validate(copy.deepcopy(body))
    if errors:
        raise ContractViolation(f"{contract}: {errors} in {body!r}")


# --- PostgreSQL databases ---------------------------------------------------------------------


async def _pg_exec(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    """A fresh, empty database on the shared server; returns its URL."""
    name = "hubauth_t_" + secrets.token_hex(6)
    try:
        asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is required for the storage tests and is not reachable at "
            f"{PG_ADMIN_URL} ({exc}); start it (see .ci/run) or set HUBAUTH_TEST_POSTGRES_URL"
        ) from exc
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- seeded data ------------------------------------------------------------------------------


@dataclass
class Seed:
    app_id: int
    client_id: str
    client_secret: str
    hub_id: int
    hub_domain: str
    user_id: int
    email: str
    password: str
    redirect_uri: str
    scopes: tuple[str, ...]
    optional_scopes: tuple[str, ...]

    def creds(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}


async def seed(
    ctx: Context,
    *,
    scopes: tuple[str, ...] = ("oauth", "crm.objects.contacts.read"),
    optional_scopes: tuple[str, ...] = ("crm.objects.deals.read",),
    refresh_policy: RefreshPolicy = RefreshPolicy.STATIC,
    redirect_uri: str = "https://app.example.test/callback",
) -> Seed:
    """An app, a hub and a user of their own for one test (unique values, no clashes)."""
    made = await seed_install(
        ctx,
        redirect_uris=[redirect_uri, "http://localhost:8765/cb"],
        scopes=scopes,
        optional_scopes=optional_scopes,
        refresh_policy=refresh_policy,
    )
    return Seed(
        app_id=made.app_id,
        client_id=made.client_id,
        client_secret=made.client_secret,
        hub_id=made.hub_id,
        hub_domain=made.hub_domain,
        user_id=made.user_id,
        email=made.email,
        password=made.password,
        redirect_uri=redirect_uri,
        scopes=scopes,
        optional_scopes=optional_scopes,
    )


async def seed_and_code(database_url: str) -> tuple[Seed, str]:
    """An install seeded straight into the database a real server uses, and a fresh code."""
    from hubauth.core.clock import SystemClock
    from hubauth.core.tokens import TokenHasher
    from hubauth.store.sql import SqlStore

    store = SqlStore.from_url(database_url, pool_size=1)
    try:
        ctx = Context(store=store, clock=SystemClock(), hasher=TokenHasher(TEST_KEY.encode()))
        s = await seed(ctx)
        return s, await mint_code(ctx, s)
    finally:
        await store.close()


async def mint_code(
    ctx: Context,
    s: Seed,
    *,
    optional: tuple[str, ...] = (),
    code_challenge: str | None = None,
    redirect_uri: str | None = None,
) -> str:
    return await authorization.approve_directly(
        ctx,
        client_id=s.client_id,
        hub_id=s.hub_id,
        user_id=s.user_id,
        redirect_uri=redirect_uri or s.redirect_uri,
        scope=" ".join(s.scopes),
        optional_scope=" ".join(s.optional_scopes),
        accepted_optional=optional,
        code_challenge=code_challenge,
    )


# --- a real server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hubauth_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "hubauth.cli", *args]


class LiveServer:
    """``hubauth serve`` in a subprocess (granian), as a user would run it."""

    def __init__(
        self,
        database_url: str,
        env: dict[str, str],
        workers: int = 1,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.proc = subprocess.Popen(
            hubauth_cmd(
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--database",
                database_url,
                *extra_args,
            ),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group, so a forced stop reaches the workers too: a worker left
            # behind would hold the output pipe open and hang the final read for ever.
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"hubauth serve exited early:\n{out}")
            try:
                httpx.get(self.url + "/oauth/v1/refresh-tokens/probe", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("hubauth serve did not start within 30 s")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            out, _ = self.proc.communicate()
        return out.decode() if out else ""


#: The install pages' own state (sessions and pending flows, web/session.py): a page view
#: changes them by design; "nothing changed" is about the domain (apps, codes, tokens...).
PAGE_STATE_TABLES = frozenset({"browser_sessions", "install_flows"})


async def db_snapshot(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every domain table, ordered: compare before/after to prove nothing
    changed."""
    from sqlalchemy import select

    from hubauth.store.schema import metadata

    out: dict[str, list[tuple[Any, ...]]] = {}
    async with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in PAGE_STATE_TABLES:
                continue
            rows = (await conn.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
