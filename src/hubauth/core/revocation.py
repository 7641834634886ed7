"""Revocation: HubSpot's v1 ``DELETE /oauth/v1/refresh-tokens/{t}`` (spec §1.5) and the
RFC 7009 / v3 ``POST /oauth/v3/token/revoke`` (spec §1.8)."""

from __future__ import annotations

from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.metadata import live_refresh_token


async def delete_refresh_token(ctx: Context, token: str) -> None:
    """v1 DELETE: the refresh token dies; access tokens minted from it live on unless the
    ``revoke_access_tokens_with_refresh`` policy says otherwise (HubSpot default: they live)."""
    # A token the metadata endpoint reports as dead (e.g. its hub was deleted) is "not found"
    # here too: answering 204 for it would tell a prober that it once existed.
    await live_refresh_token(ctx, token)
    token_hash = ctx.hasher.hash(token)
    revoked = await ctx.store.revoke_refresh_token(
        token_hash,
        ctx.now_ms(),
        with_access_tokens=ctx.policy.revoke_access_tokens_with_refresh,
    )
    if not revoked:
        raise TokenNotFound
    ctx.audit("refresh_token_revoked", via="v1_delete", fingerprint=ctx.hasher.fingerprint(token))
