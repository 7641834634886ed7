"""Server-key rotation in one process, on SQLite and PostgreSQL: the keyring (core/keys.py),
digests stored before it existed, re-hashing on use, ``keys status`` and dropping a key.

The two-node rotation over real servers is in ``test_key_rotation_two_nodes.py``."""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hubauth.config import ConfigError, Settings, load_settings
from hubauth.core import errors, metadata
from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.key_status import KeyRole, key_usage
from hubauth.core.keys import Keyring, KeyringError, Purpose, derive, server_key
from hubauth.core.token_endpoint import token_request
from hubauth.core.tokens import TokenHasher
from hubauth.store.schema import access_tokens, apps, refresh_tokens
from hubauth.store.sql import SqlStore
from hubauth.web.session import SessionStore
from tests.support import TEST_KEY, Seed, mint_code, seed

KEY_A = TEST_KEY.encode()
KEY_B = secrets.token_hex(32).encode()


def ring(*keys: bytes, legacy: bool = True) -> Keyring:
    return Keyring([server_key(k) for k in keys], accept_legacy=legacy)


def with_ring(ctx: Context, keyring: Keyring) -> Context:
    return dataclasses.replace(ctx, hasher=TokenHasher(keyring))


async def exchange(ctx: Context, s: Seed) -> tuple[str, str]:
    code = await mint_code(ctx, s)
    issued = await token_request(
        ctx,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": s.redirect_uri,
            **s.creds(),
        },
    )
    assert issued.refresh_token is not None
    return issued.refresh_token, issued.access_token


async def refresh(ctx: Context, s: Seed, rt: str) -> str:
    issued = await token_request(
        ctx, {"grant_type": "refresh_token", "refresh_token": rt, **s.creds()}
    )
    return issued.access_token


async def refresh_works(ctx: Context, s: Seed, rt: str) -> bool:
    try:
        await refresh(ctx, s, rt)
    except errors.TokenError:
        return False
    return True


async def access_works(ctx: Context, at: str) -> bool:
    try:
        await metadata.live_access_token(ctx, at)
    except TokenNotFound:
        return False
    return True


async def key_of_refresh(store: SqlStore, rt_hashes: tuple[bytes, ...]) -> str | None:
    async with store.engine.connect() as conn:
        row = (
            await conn.execute(
                select(refresh_tokens.c.key_id).where(refresh_tokens.c.token_hash.in_(rt_hashes))
            )
        ).one()
    return row[0]


async def make_legacy(ctx: Context, s: Seed, rt: str, at: str) -> None:
    """Rewrite a seeded app's secret and a token pair exactly as the release before the keyring
    stored them: raw HMAC-SHA256 under the server key, no key id."""

    def raw(value: str) -> bytes:
        return hmac.digest(KEY_A, value.encode(), "sha256")

    store = ctx.store
    assert isinstance(store, SqlStore)
    async with store.engine.begin() as conn:
        await conn.execute(
            update(apps)
            .where(apps.c.app_id == s.app_id)
            .values(client_secret_hash=raw(s.client_secret), key_id=None)
        )
        for table, value in ((refresh_tokens, rt), (access_tokens, at)):
            await conn.execute(
                update(table)
                .where(table.c.token_hash == ctx.hasher.hash(value))
                .values(token_hash=raw(value), key_id=None)
            )


# --- the keyring --------------------------------------------------------------------------------


def test_each_purpose_has_its_own_derived_key_and_none_is_the_raw_key() -> None:
    keys = {derive(KEY_A, p) for p in Purpose}
    assert len(keys) == len(Purpose)
    assert KEY_A not in keys and all(len(k) == 32 for k in keys)
    assert derive(KEY_A, Purpose.SESSION) != derive(KEY_B, Purpose.SESSION)


def test_key_ids_are_derived_from_the_key_so_every_node_agrees() -> None:
    assert server_key(KEY_A).key_id == server_key(KEY_A).key_id != server_key(KEY_B).key_id
    assert KEY_A.decode() not in repr(server_key(KEY_A))


def test_token_digests_client_secret_digests_and_signatures_differ_for_one_value() -> None:
    hasher = TokenHasher(ring(KEY_A))
    value = "na1-1234-5678-9abc-def0-123456789abc"
    forms = {hasher.hash(value), hasher.hash_secret(value)}
    forms.add(hmac.digest(KEY_A, value.encode(), "sha256"))  # the legacy digest
    assert len(forms) == 3
    assert hasher.candidates(value)[0] == hasher.hash(value)


def test_a_ring_refuses_short_or_duplicate_keys() -> None:
    with pytest.raises(KeyringError):
        ring(b"short")
    with pytest.raises(KeyringError):
        ring(KEY_A, KEY_A)


def test_settings_build_the_ring_from_the_list_the_single_key_or_the_key_file(
    tmp_path: Path,
) -> None:
    a, b = KEY_A.decode(), KEY_B.decode()
    listed = Settings(secret_keys=f"{b}, {a}", secret_key=a).keyring()
    assert listed.key_ids == (server_key(KEY_B).key_id, server_key(KEY_A).key_id)
    assert Settings(secret_key=a).keyring().key_ids == (server_key(KEY_A).key_id,)
    key_file = tmp_path / "hubauth.key"
    key_file.write_text(f"# newest first\n{b}\n{a}\n")
    assert Settings(secret_key_file=key_file).keyring().key_ids == listed.key_ids
    created = tmp_path / "new.key"
    assert len(Settings(secret_key_file=created).keyring().keys) == 1
    assert created.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError, match="secret_keys"):
        load_settings(secret_keys=f"{b},tooshort")
    assert Settings(secret_keys=b).masked()["secret_keys"] == "********"


def pre_keyring_session_digest(session_id: str) -> bytes:
    """How the release before the keyring hashed a session id: HMAC of a label under the raw
    server key, then HMAC of the id under that."""
    from hubauth.web import session as session_module

    key = hmac.new(KEY_A, session_module._KEY_LABEL, "sha256").digest()
    return hmac.digest(key, session_id.encode(), "sha256")


async def test_sessions_made_under_an_old_key_or_before_the_keyring_are_still_found(
    store: SqlStore, ctx: Context
) -> None:
    now = ctx.now_ms()

    def sessions(keyring: Keyring) -> SessionStore:
        return SessionStore(keyring, idle_s=600, absolute_s=3600)

    async def create(digest: bytes) -> None:
        await store.create_browser_session(digest, "csrf", now, now + 600_000, now + 3_600_000)

    async def found(keyring: Keyring, session_id: str) -> bool:
        digests = sessions(keyring)._candidates(session_id)
        return await store.find_browser_session(digests, now) is not None

    under_a, legacy, under_b = (secrets.token_urlsafe(32) for _ in range(3))
    await create(sessions(ring(KEY_A))._hash(under_a))
    await create(pre_keyring_session_digest(legacy))
    await create(sessions(ring(KEY_B, KEY_A))._hash(under_b))
    assert await found(ring(KEY_B, KEY_A), under_a)
    assert await found(ring(KEY_B, KEY_A), legacy)
    assert await found(ring(KEY_A, KEY_B), under_b)  # mid-roll: a node that lists B last
    assert not await found(ring(KEY_B, legacy=False), under_a)
    assert not await found(ring(KEY_B, legacy=False), legacy)
    assert await found(ring(KEY_B, legacy=False), under_b)


# --- stored digests (SQLite and PostgreSQL) -----------------------------------------------------


async def test_digests_stored_before_the_keyring_still_work_and_move_to_the_newest_key(
    ctx: Context, store: SqlStore
) -> None:
    ctx = with_ring(ctx, ring(KEY_A))
    s = await seed(ctx)
    rt, at = await exchange(ctx, s)
    await make_legacy(ctx, s, rt, at)
    assert await key_of_refresh(store, ctx.hasher.candidates(rt)) is None

    assert await access_works(ctx, at)  # found by its legacy digest
    await refresh(ctx, s, rt)  # client secret and refresh token both legacy: accepted
    newest = ctx.hasher.key_id
    assert await key_of_refresh(store, ctx.hasher.candidates(rt)) == newest
    app = await store.find_app(s.app_id)
    assert app is not None and app.client_secret_key_id == newest
    assert await refresh_works(ctx, s, rt)

    # With legacy digests switched off, only the legacy access token (never re-hashed: it
    # expires) stops working.
    strict = with_ring(ctx, ring(KEY_A, legacy=False))
    assert await refresh_works(strict, s, rt)
    assert not await access_works(strict, at)


async def test_a_rotated_ring_accepts_old_digests_and_rehashes_what_is_used(
    ctx: Context, store: SqlStore
) -> None:
    old = with_ring(ctx, ring(KEY_A))
    s = await seed(old)
    used_rt, used_at = await exchange(old, s)
    idle_rt, idle_at = await exchange(old, s)
    code = await mint_code(old, s)

    rotated = with_ring(ctx, ring(KEY_B, KEY_A))
    usage = {u.key_id: u for u in await key_usage(rotated)}
    a_id, b_id = server_key(KEY_A).key_id, server_key(KEY_B).key_id
    before = usage[a_id].counts
    assert before["client_secrets"] >= 1 and before["refresh_tokens"] >= 2
    assert before["access_tokens"] >= 2 and before["codes"] >= 1

    assert await access_works(rotated, used_at) and await access_works(rotated, idle_at)
    assert await refresh_works(rotated, s, used_rt)  # re-hashes the secret and used_rt
    issued = await token_request(
        rotated,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": s.redirect_uri}
        | s.creds(),
    )
    assert await key_of_refresh(store, rotated.hasher.candidates(used_rt)) == b_id
    assert await key_of_refresh(store, rotated.hasher.candidates(idle_rt)) == a_id
    assert issued.refresh_token is not None
    assert await key_of_refresh(store, rotated.hasher.candidates(issued.refresh_token)) == b_id

    after = {u.key_id: u for u in await key_usage(rotated)}
    assert after[a_id].counts["client_secrets"] == before["client_secrets"] - 1
    assert after[a_id].role is KeyRole.LISTED and after[b_id].role is KeyRole.NEWEST

    # A node still on the previous step of the roll reads what the rotated node wrote, because
    # the runbook lists the new key everywhere before any node makes it the newest.
    adding = with_ring(ctx, ring(KEY_A, KEY_B))
    assert await access_works(adding, issued.access_token)
    assert await refresh_works(adding, s, issued.refresh_token)


async def test_dropping_a_key_invalidates_exactly_what_still_depended_on_it(
    ctx: Context, store: SqlStore
) -> None:
    old = with_ring(ctx, ring(KEY_A))
    s = await seed(old)
    moved_rt, moved_at = await exchange(old, s)
    idle_rt, idle_at = await exchange(old, s)
    rotated = with_ring(ctx, ring(KEY_B, KEY_A))
    new_rt, new_at = await exchange(rotated, s)  # also re-hashes the client secret
    fresh_at = await refresh(rotated, s, moved_rt)  # moved_rt now under B

    dropped = with_ring(ctx, ring(KEY_B, legacy=False))
    assert await refresh_works(dropped, s, moved_rt)
    assert await refresh_works(dropped, s, new_rt)
    assert await access_works(dropped, new_at) and await access_works(dropped, fresh_at)
    assert not await refresh_works(dropped, s, idle_rt)
    assert not await access_works(dropped, idle_at)
    assert not await access_works(dropped, moved_at)  # access tokens are never re-hashed
    usage = {u.key_id: u for u in await key_usage(dropped)}
    gone = usage[server_key(KEY_A).key_id]
    assert gone.role is KeyRole.UNLISTED and gone.counts["refresh_tokens"] >= 1


async def test_client_secret_under_a_dropped_key_is_refused(ctx: Context) -> None:
    old = with_ring(ctx, ring(KEY_A))
    s = await seed(old)
    rt, _ = await exchange(old, s)
    with pytest.raises(errors.TokenError) as refused:
        await refresh(with_ring(ctx, ring(KEY_B)), s, rt)
    assert refused.value.status == "BAD_CLIENT_SECRET"


def test_while_upgrading_from_a_release_without_the_keyring_new_digests_are_legacy() -> None:
    """``HUBAUTH_WRITE_LEGACY_HASHES``: what the upgraded node writes, the old release (raw
    HMAC under its one key; session ids under HMAC(key, label)) can read."""
    keyring = Keyring([server_key(KEY_A)], write_legacy=True)
    hasher = TokenHasher(keyring)
    assert hasher.key_id is None and keyring.accept_legacy
    assert hasher.hash("t") == hmac.digest(KEY_A, b"t", "sha256")
    assert hasher.hash_secret("s") == hmac.digest(KEY_A, b"s", "sha256")
    store = SessionStore(keyring, idle_s=600, absolute_s=3600)
    assert store._hash("sid") == pre_keyring_session_digest("sid")
    assert Settings(secret_key=KEY_A.decode(), write_legacy_hashes=True).keyring().write_legacy
