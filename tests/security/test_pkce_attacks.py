"""PKCE (RFC 7636; RFC 9700 §2.1.1, §4.8.2 "PKCE downgrade"): a verifier for a code issued
without a challenge is refused, and every malformed or wrong verifier is refused without
consuming the code or writing anything."""

from __future__ import annotations

import secrets

import httpx
import pytest

from hubauth.core import authorization, pkce
from hubauth.core.authorization import AuthorizationError
from hubauth.core.context import Context
from hubauth.store.sql import SqlStore
from tests.security.helpers import exchange
from tests.support import Seed, db_snapshot, mint_code

VERIFIER = secrets.token_urlsafe(48)[:64]

BAD_VERIFIERS = {
    "wrong": secrets.token_urlsafe(48)[:64],
    "too_short_42": VERIFIER[:42],
    "too_long_129": VERIFIER + "a" * 65,
    "bad_charset_plus": VERIFIER[:-1] + "+",
    "bad_charset_slash": VERIFIER[:-1] + "/",
    "bad_charset_space": VERIFIER[:-1] + " ",
    "bad_charset_non_ascii": VERIFIER[:-1] + "\u00e9",
    "empty": "",
    "the_challenge_itself": pkce.s256(VERIFIER),
}


async def assert_bad_verifier(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["status"]) == ("invalid_grant", "BAD_CODE_VERIFIER")


async def test_pkce_downgrade_verifier_for_code_without_challenge_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    before = await db_snapshot(store)
    await assert_bad_verifier(await exchange(client, seeded, code, code_verifier=VERIFIER))
    assert await db_snapshot(store) == before


@pytest.mark.parametrize("verifier", BAD_VERIFIERS.values(), ids=BAD_VERIFIERS.keys())
async def test_pkce_bad_verifier_is_refused_without_consuming_the_code(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed, verifier: str
) -> None:
    code = await mint_code(ctx, seeded, code_challenge=pkce.s256(VERIFIER))
    before = await db_snapshot(store)
    await assert_bad_verifier(await exchange(client, seeded, code, code_verifier=verifier))
    assert await db_snapshot(store) == before
    ok = await exchange(client, seeded, code, code_verifier=VERIFIER)
    assert ok.status_code == 200, ok.text


async def test_pkce_missing_verifier_is_refused(
    client: httpx.AsyncClient, ctx: Context, store: SqlStore, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded, code_challenge=pkce.s256(VERIFIER))
    before = await db_snapshot(store)
    await assert_bad_verifier(await exchange(client, seeded, code))
    assert await db_snapshot(store) == before


@pytest.mark.parametrize("length", [43, 128])
async def test_pkce_verifier_at_length_bounds_is_accepted(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, length: int
) -> None:
    verifier = (secrets.token_urlsafe(100) + "-._~")[-length:]
    code = await mint_code(ctx, seeded, code_challenge=pkce.s256(verifier))
    assert (await exchange(client, seeded, code, code_verifier=verifier)).status_code == 200


@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        (VERIFIER, "plain"),
        (pkce.s256(VERIFIER), "plain"),
        (pkce.s256(VERIFIER), "s256"),
        (pkce.s256(VERIFIER)[:-1], "S256"),
        (pkce.s256(VERIFIER) + "=", "S256"),
        ("", "S256"),
        (None, "S256"),
    ],
    ids=["plain", "plain-hashed", "lowercase-method", "short", "padded", "empty", "missing"],
)
async def test_pkce_weak_or_malformed_challenge_is_refused_at_authorize(
    ctx: Context, seeded: Seed, challenge: str | None, method: str
) -> None:
    with pytest.raises(AuthorizationError) as refused:
        await authorization.validate_request(
            ctx,
            client_id=seeded.client_id,
            redirect_uri=seeded.redirect_uri,
            scope=" ".join(seeded.scopes),
            code_challenge=challenge,
            code_challenge_method=method,
        )
    assert refused.value.error == "invalid_request"
    assert refused.value.redirectable is True
