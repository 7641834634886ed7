"""Client authentication (RFC 6749 §2.3.1, ``client_secret_post`` as HubSpot uses it)."""

from __future__ import annotations

from hubauth.core import errors
from hubauth.core.context import Context
from hubauth.core.models import App

_MAX_CLIENT_FIELD = 256


async def authenticate(ctx: Context, client_id: str | None, client_secret: str | None) -> App:
    """Return the app whose credentials these are, or raise ``invalid_client``.

    The secret is compared in constant time against its stored HMAC. An unknown client still
    pays for one hash so the two failure paths cost the same.
    """
    if not client_id or len(client_id) > _MAX_CLIENT_FIELD:
        ctx.audit("client_auth_failed", reason="missing_or_malformed_client_id")
        raise errors.bad_client_id()
    app = await ctx.store.find_app_by_client_id(client_id)
    secret = client_secret or ""
    if app is None:
        ctx.hasher.hash(secret[:_MAX_CLIENT_FIELD])
        ctx.audit("client_auth_failed", reason="unknown_client_id")
        raise errors.bad_client_id()
    if not secret or len(secret) > _MAX_CLIENT_FIELD or not _secret_matches(ctx, app, secret):
        ctx.audit("client_auth_failed", reason="bad_client_secret", app_id=app.app_id)
        raise errors.bad_client_secret()
    return app


def _secret_matches(ctx: Context, app: App, secret: str) -> bool:
    """The current secret, or the previous one during a rotation's grace period (both are
    compared, in constant time each, so timing does not tell which one matched)."""
    current = ctx.hasher.matches(secret, app.client_secret_hash)
    if app.previous_secret_hash is None or app.previous_secret_until_ms is None:
        return current
    previous = ctx.hasher.matches(secret, app.previous_secret_hash)
    return current or (previous and ctx.now_ms() < app.previous_secret_until_ms)
