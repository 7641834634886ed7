"""Seeding and HTTP helpers for the fault tests (they talk to real server processes)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.support import TEST_KEY, Seed, mint_code, seed

TOKEN = "/oauth/v1/token"


@dataclass
class Prepared:
    seed: Seed
    codes: list[str]


def prepare(
    database_url: str, n_codes: int, refresh_policy: RefreshPolicy = RefreshPolicy.STATIC
) -> Prepared:
    """An app of its own and ``n_codes`` fresh authorization codes, written directly."""

    async def run() -> Prepared:
        store = SqlStore.from_url(database_url, pool_size=2)
        try:
            ctx = Context(
                store=store,
                clock=SystemClock(),
                hasher=TokenHasher(TEST_KEY.encode()),
                audit=null_audit,
            )
            s = await seed(ctx, refresh_policy=refresh_policy)
            return Prepared(s, [await mint_code(ctx, s) for _ in range(n_codes)])
        finally:
            await store.close()

    return asyncio.run(run())


def code_form(s: Seed, code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": s.redirect_uri,
        **s.creds(),
    }


async def token_works(client: httpx.AsyncClient, tokens: dict[str, Any]) -> bool:
    access = await client.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")
    refresh = await client.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}")
    return access.status_code == 200 and refresh.status_code == 200


def fault_env(server_env: dict[str, str]) -> dict[str, str]:
    """Rate limiting is not under test here; bursts of expected failures must not trip it."""
    return {**server_env, "HUBAUTH_RATE_LIMIT_ENABLED": "false", "HUBAUTH_LOG_LEVEL": "error"}
