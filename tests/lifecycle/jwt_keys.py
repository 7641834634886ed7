"""Keys and client assertions for the ``private_key_jwt`` tests (RFC 7523), signed with
joserfc as a client would."""

from __future__ import annotations

import json
import secrets
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from hubauth.core.client_assertion import ASSERTION_TYPE, normalize_jwks
from hubauth.core.context import Context

Key = ECKey | RSAKey


def new_key(kind: str = "ES256", kid: str | None = None) -> Key:
    key: Key = ECKey.generate_key("P-256") if kind == "ES256" else RSAKey.generate_key(2048)
    if kid is not None:
        key.ensure_kid()
    return key


def public_jwk(key: Key, kid: str | None = None) -> dict[str, Any]:
    jwk = dict(key.as_dict(private=False))
    if kid is not None:
        jwk["kid"] = kid
    return jwk


async def register_key(ctx: Context, app_id: int, kind: str = "ES256") -> Key:
    """A new key pair whose public half is the app's only registered key."""
    key = new_key(kind)
    jwks = normalize_jwks(json.dumps(public_jwk(key)))
    assert await ctx.store.set_app_jwks(app_id, jwks, ctx.now_ms())
    return key


def sign_assertion(
    key: Key,
    client_id: str,
    audience: str | list[str],
    *,
    now_s: int,
    lifetime_s: int = 60,
    alg: str | None = None,
    **claims: Any,
) -> str:
    payload: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now_s,
        "exp": now_s + lifetime_s,
        "jti": secrets.token_urlsafe(16),
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    algorithm = alg or ("ES256" if isinstance(key, ECKey) else "RS256")
    return jwt.encode({"alg": algorithm}, payload, key, algorithms=[algorithm])


def assertion_form(assertion: str, client_id: str | None = None) -> dict[str, str]:
    form = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    if client_id is not None:
        form["client_id"] = client_id
    return form
