"""Seed a hubauth database for the benchmark, fast.

The app, hubs, users and installs go through the real :class:`~hubauth.store.sql.SqlStore`
(a handful of rows). The tokens, 10^3 to 10^6 of them, go straight into their tables in bulk
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) as the server would have stored them:
HMAC-SHA256 digests under the server key, minted by :mod:`hubauth.core.tokens`. A random sample
of the token values is written to files the wrk Lua script reads.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from hubauth.core import tokens
from hubauth.core.clock import SystemClock
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.queries import ACCESS_COLUMNS
from hubauth.store.sql import SqlStore, create_engine

SCOPES = ("oauth", "crm.objects.contacts.read")
REDIRECT_URI = "https://bench.example.test/callback"
HUBS = 100
#: At most this many token values go to a file: enough that lookups spread over the whole
#: index (the sample is drawn uniformly from every stored token) without making wrk's
#: per-thread start-up read a million lines.
SAMPLE = 20_000
ACCESS_TTL_MS = 6 * 3600 * 1000

REFRESH_COLS = (
    "token_hash",
    "app_id",
    "install_id",
    "hub_id",
    "user_id",
    "scopes",
    "family_id",
    "created_ms",
    "key_id",
)
#: As the server inserts them (the seeded rows must be what the server would write).
ACCESS_COLS = ACCESS_COLUMNS
CODE_COLS = (
    "code_hash",
    "app_id",
    "install_id",
    "hub_id",
    "user_id",
    "scopes",
    "redirect_uri",
    "created_ms",
    "expires_ms",
    # the server key's id, as the server stores it: without it the first use of each seeded
    # token would take the key-rotation re-hash path instead of the steady state
    "key_id",
)


@dataclass
class Seeded:
    """What the scenarios need to know about a seeded database."""

    database_url: str
    client_id: str
    client_secret: str
    app_id: int
    installs: list[tuple[int, int, int]]  # (install_id, hub_id, user_id)
    refresh_file: Path
    access_file: Path
    live_tokens: int


def _now_ms() -> int:
    return SystemClock().now_ms()


async def _bulk_insert(url: str, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]]):
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            marks = ",".join("?" * len(cols))
            with conn:
                conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
        finally:
            conn.close()
        return
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(table, records=rows, columns=list(cols))
    finally:
        await conn.close()


def _chunks(n: int, size: int = 100_000) -> Iterable[int]:
    while n > 0:
        yield min(n, size)
        n -= size


async def seed(database_url: str, key: bytes, n_tokens: int, workdir: Path) -> Seeded:
    """Migrate, create one app with ``HUBS`` installs, then ``n_tokens`` live refresh tokens
    and as many live access tokens, spread over the installs."""
    engine = create_engine(database_url, pool_size=1)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    hasher = TokenHasher(key)
    now = _now_ms()
    store = SqlStore.from_url(database_url, pool_size=2)
    try:
        secret = tokens.new_client_secret()
        app = await store.create_app(
            client_id=tokens.new_client_id(),
            client_secret_hash=hasher.hash_secret(secret),
            client_secret_key_id=hasher.key_id,
            name="bench",
            redirect_uris=[REDIRECT_URI],
            scopes=SCOPES,
            now_ms=now,
        )
        installs = []
        tag = secrets.token_hex(4)
        for i in range(HUBS):
            hub = await store.create_hub(f"bench{i}-{tag}.example.test", now_ms=now)
            user = await store.create_user(f"bench{i}-{tag}@example.test", now_ms=now)
            await store.add_hub_member(hub.hub_id, user.user_id)
            inst = await store.upsert_install(app.app_id, hub.hub_id, user.user_id, SCOPES, now)
            installs.append((inst.install_id, hub.hub_id, user.user_id))
    finally:
        await store.close()

    rng = random.Random()
    scopes = " ".join(SCOPES)
    refresh_sample: list[str] = []
    access_sample: list[str] = []
    keep = min(1.0, SAMPLE / max(1, n_tokens))
    for size in _chunks(n_tokens):
        refresh_rows, access_rows = [], []
        for i in range(size):
            install_id, hub_id, user_id = installs[i % len(installs)]
            # Random, not time-ordered as the server mints them: seeded families are spread
            # over the whole index, the worst case for later inserts.
            family = secrets.token_hex(16)
            refresh = tokens.new_refresh_token("na1")
            access = tokens.new_access_token("na1")
            refresh_rows.append(
                (
                    hasher.hash(refresh),
                    app.app_id,
                    install_id,
                    hub_id,
                    user_id,
                    scopes,
                    family,
                    now,
                    hasher.key_id,
                )
            )
            access_rows.append(
                (
                    hasher.hash(access),
                    app.app_id,
                    hub_id,
                    user_id,
                    install_id,
                    scopes,
                    "access_token",
                    family,
                    now,
                    now + ACCESS_TTL_MS,
                    hasher.key_id,
                )
            )
            if rng.random() < keep:
                refresh_sample.append(refresh)
                access_sample.append(access)
        await _bulk_insert(database_url, "refresh_tokens", REFRESH_COLS, refresh_rows)
        await _bulk_insert(database_url, "access_tokens", ACCESS_COLS, access_rows)
    rng.shuffle(refresh_sample)
    rng.shuffle(access_sample)
    workdir.mkdir(parents=True, exist_ok=True)
    refresh_file = workdir / "refresh.txt"
    access_file = workdir / "access.txt"
    refresh_file.write_text("\n".join(refresh_sample) + "\n")
    access_file.write_text("\n".join(access_sample) + "\n")
    return Seeded(
        database_url=database_url,
        client_id=app.client_id,
        client_secret=secret,
        app_id=app.app_id,
        installs=installs,
        refresh_file=refresh_file,
        access_file=access_file,
        live_tokens=n_tokens,
    )


async def mint_codes(s: Seeded, key: bytes, n: int, out: Path) -> Path:
    """``n`` fresh single-use authorization codes (5-minute lifetime, as the server mints)."""
    hasher = TokenHasher(key)
    now = _now_ms()
    scopes = " ".join(SCOPES)
    values, rows = [], []
    for i in range(n):
        install_id, hub_id, user_id = s.installs[i % len(s.installs)]
        code = tokens.new_auth_code("na1")
        values.append(code)
        rows.append(
            (
                hasher.hash(code),
                s.app_id,
                install_id,
                hub_id,
                user_id,
                scopes,
                REDIRECT_URI,
                now,
                now + 300_000,
                hasher.key_id,
            )
        )
    await _bulk_insert(s.database_url, "auth_codes", CODE_COLS, rows)
    out.write_text("\n".join(values) + "\n")
    return out


async def add_expired_access_tokens(s: Seeded, key: bytes, n: int) -> None:
    """``n`` access tokens that expired an hour ago: work for ``purge-expired``."""
    hasher = TokenHasher(key)
    now = _now_ms()
    scopes = " ".join(SCOPES)
    for size in _chunks(n):
        rows = []
        for i in range(size):
            install_id, hub_id, user_id = s.installs[i % len(s.installs)]
            rows.append(
                (
                    hasher.hash(tokens.new_access_token("na1")),
                    s.app_id,
                    hub_id,
                    user_id,
                    install_id,
                    scopes,
                    "access_token",
                    None,
                    now - 2 * 3600_000,
                    now - 3600_000,
                    hasher.key_id,
                )
            )
        await _bulk_insert(s.database_url, "access_tokens", ACCESS_COLS, rows)


def run(coro: Any) -> Any:
    return asyncio.run(coro)
