"""Secrets at rest and in transit to operators (RFC 9700 §4.14, RFC 6749 §10.3, §10.5): after
a full lifecycle (install with PKCE, exchange, rotation, replay, failures, revocation), no
token, code, client secret, PKCE verifier or password appears in any ``hubauth`` log line,
in any error body, or in any column of any table (text or bytes), on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from sqlalchemy import select

from hubauth.core import pkce
from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.store.schema import metadata
from hubauth.store.sql import SqlStore
from tests.security.helpers import TOKEN, LogCapture, code_form, exchange, refresh
from tests.support import Seed, mint_code, seed


async def full_lifecycle(
    client: httpx.AsyncClient, ctx: Context, s: Seed
) -> tuple[set[str], list[httpx.Response]]:
    """Run every flow once; return every secret value seen and every error response."""
    found: set[str] = {s.client_secret, s.password}
    errors: list[httpx.Response] = []

    def keep(response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            errors.append(response)
        return response

    verifier = secrets.token_urlsafe(48)
    found.add(verifier)
    code = await mint_code(ctx, s, code_challenge=pkce.s256(verifier))
    found.add(code)
    keep(await exchange(client, s, code, code_verifier="x" * 43))  # wrong verifier
    tokens = keep(await exchange(client, s, code, code_verifier=verifier)).json()
    found.update((tokens["access_token"], tokens["refresh_token"]))
    keep(await exchange(client, s, code, code_verifier=verifier))  # replay → family revoked

    code2 = await mint_code(ctx, s)
    found.add(code2)
    keep(await client.post(TOKEN, data=code_form(s, code2, client_secret=str(secrets.token_hex()))))
    second = keep(await exchange(client, s, code2)).json()
    found.update((second["access_token"], second["refresh_token"]))
    rotated = keep(await refresh(client, s, second["refresh_token"])).json()
    found.update((rotated["access_token"], rotated["refresh_token"]))
    retried = keep(await refresh(client, s, second["refresh_token"])).json()  # within the grace
    found.update((retried["access_token"], retried["refresh_token"]))
    ctx.clock.advance(ctx.policy.rotation_grace_s + 1)  # type: ignore[attr-defined]
    keep(await refresh(client, s, second["refresh_token"]))  # reuse after rotation
    keep(await refresh(client, s, rotated["refresh_token"], scope="tickets"))

    code3 = await mint_code(ctx, s)
    found.add(code3)
    third = keep(await exchange(client, s, code3)).json()
    found.update((third["access_token"], third["refresh_token"]))
    for path in (
        f"/oauth/v1/access-tokens/{third['access_token']}",
        f"/oauth/v1/refresh-tokens/{third['refresh_token']}",
        f"/oauth/v1/access-tokens/{tokens['access_token']}",  # revoked
        f"/oauth/v1/refresh-tokens/{second['refresh_token']}",  # rotated away
    ):
        keep(await client.get(path))
    keep(await client.delete(f"/oauth/v1/refresh-tokens/{third['refresh_token']}"))
    keep(await client.delete(f"/oauth/v1/refresh-tokens/{third['refresh_token']}"))
    cc = keep(
        await client.post(
            TOKEN, data={"grant_type": "client_credentials", "scope": "oauth", **s.creds()}
        )
    ).json()
    found.add(cc["access_token"])
    assert errors, "the lifecycle exercises failures too"
    return found, errors


def values_in(row: Any) -> list[str | bytes]:
    return [v for v in row if isinstance(v, str | bytes | bytearray | memoryview)]


async def test_no_secret_in_logs_error_bodies_or_any_database_column(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, logs: LogCapture
) -> None:
    s = await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)
    found, errors = await full_lifecycle(client, ctx, s)
    assert len(found) >= 14

    log_text = logs.text()
    assert logs.events("code_replay_detected") and logs.events("refresh_reuse_detected")
    error_text = "\n".join(r.text + repr(dict(r.headers)) for r in errors)
    dumped: list[tuple[str, str | bytes]] = []
    async with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                dumped.extend((table.name, v) for v in values_in(row))
    assert any(name == "refresh_tokens" for name, _ in dumped)

    for secret in found:
        assert secret not in log_text, "a secret reached the logs"
        assert secret not in error_text, "a secret reached an error response"
        raw = secret.encode()
        for table, value in dumped:
            blob = bytes(value) if not isinstance(value, str) else value.encode()
            assert raw not in blob, f"a secret is stored in clear in {table}"
