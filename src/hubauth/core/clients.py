"""Client authentication (RFC 6749 §2.3.1, ``client_secret_post`` as HubSpot uses it)."""

from __future__ import annotations

from typing import Literal

from hubauth.core import errors
from hubauth.core.context import Context
from hubauth.core.models import App

_MAX_CLIENT_FIELD = 256


async def authenticate(ctx: Context, client_id: str | None, client_secret: str | None) -> App:
    """Return the app whose credentials these are, or raise ``invalid_client``.

    The secret is compared in constant time against its stored HMAC. An unknown client still
    pays for one hash so the two failure paths cost the same. A secret stored under an older
    server key is re-hashed under the newest one once it has been checked (key rotation).
    """
    if not client_id or len(client_id) > _MAX_CLIENT_FIELD:
        ctx.audit("client_auth_failed", reason="missing_or_malformed_client_id")
        raise errors.bad_client_id()
    app = await ctx.store.find_app_by_client_id(client_id)
    secret = client_secret or ""
    if app is None:
        ctx.hasher.hash_secret(secret[:_MAX_CLIENT_FIELD])
        ctx.audit("client_auth_failed", reason="unknown_client_id")
        raise errors.bad_client_id()
    matched = _secret_matches(ctx, app, secret) if secret else None
    if matched is None or len(secret) > _MAX_CLIENT_FIELD:
        ctx.audit("client_auth_failed", reason="bad_client_secret", app_id=app.app_id)
        raise errors.bad_client_secret()
    if matched == "current" and app.client_secret_key_id != ctx.hasher.key_id:
        rehashed = await ctx.store.rehash_client_secret(
            app.app_id, app.client_secret_hash, ctx.hasher.hash_secret(secret), ctx.hasher.key_id
        )
        if rehashed:
            ctx.audit(
                "client_secret_rehashed",
                app_id=app.app_id,
                from_key=app.client_secret_key_id or "legacy",
                to_key=ctx.hasher.key_id or "legacy",
            )
    return app


def _secret_matches(ctx: Context, app: App, secret: str) -> Literal["current", "previous"] | None:
    """Which secret matched: the current one, or the previous one during a rotation's grace
    period (both are compared, in constant time each, so timing does not tell which one
    matched), each under the server key its digest was made with."""
    hasher = ctx.hasher
    current = hasher.secret_matches(secret, app.client_secret_hash, app.client_secret_key_id)
    if app.previous_secret_hash is None or app.previous_secret_until_ms is None:
        return "current" if current else None
    previous = hasher.secret_matches(secret, app.previous_secret_hash, app.previous_secret_key_id)
    if current:
        return "current"
    if previous and ctx.now_ms() < app.previous_secret_until_ms:
        return "previous"
    return None
