"""Revocation: HubSpot's v1 ``DELETE /oauth/v1/refresh-tokens/{t}`` (spec §1.5) and the
RFC 7009 / v3 ``POST /oauth/v3/token/revoke`` (spec §1.8)."""

from __future__ import annotations

from collections.abc import Mapping

from hubauth.core import clients, token_params, tokens
from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.metadata import live_refresh_token
from hubauth.core.models import AccessTokenRecord, App, RefreshTokenRecord
from hubauth.core.token_params import TokenKind


async def delete_refresh_token(ctx: Context, token: str, owner: App | None = None) -> None:
    """v1 DELETE: the refresh token dies; access tokens minted from it live on unless the
    ``revoke_access_tokens_with_refresh`` policy says otherwise (HubSpot default: they live).
    With ``owner``, only that app's token is deleted (others are "not found")."""
    # A token the metadata endpoint reports as dead (e.g. its hub was deleted) is "not found"
    # here too: answering 204 for it would tell a prober that it once existed.
    await live_refresh_token(ctx, token, owner)
    token_hash = ctx.hasher.candidates(token)
    revoked = await ctx.store.revoke_refresh_token(
        token_hash,
        ctx.now_ms(),
        with_access_tokens=ctx.policy.revoke_access_tokens_with_refresh,
    )
    if not revoked:
        raise TokenNotFound
    ctx.audit("refresh_token_revoked", via="v1_delete", fingerprint=ctx.hasher.fingerprint(token))


async def revoke_token(ctx: Context, params: Mapping[str, str]) -> None:
    """v3 ``POST /oauth/{v}/token/revoke`` (spec §1.8) with RFC 7009 §2.1-§2.2 semantics.

    The client authenticates first (``invalid_client`` otherwise). After that the request
    succeeds whatever the token turns out to be: RFC 7009 §2.2 says an invalid token is not an
    error "since the client cannot handle such an error in a reasonable way", and HubSpot
    answers 200 for unknown tokens (spec §1.8). Another client's token is left alone and also
    answered with success: refusing it, as RFC 7009 §2.1 would, tells the caller the token is
    live somewhere and turns the endpoint into an oracle for stolen tokens.

    * refresh token: revoked; access tokens minted from it (its family) die too when
      ``Policy.v3_revoke_access_tokens`` is on (default, RFC 7009 §2.1 SHOULD). This is a
      separate switch from v1 DELETE's ``revoke_access_tokens_with_refresh`` because HubSpot
      documents v1 DELETE as leaving them alive (spec §1.5) and is silent for v3 (§7 item 3).
    * access token: only that access token is revoked (RFC 7009 §2.1 leaves the refresh token
      to the server; killing the grant on an access-token revoke would surprise HubSpot apps,
      whose revoke is documented as the refresh-token clean-up).
    """
    app = await clients.authenticate(ctx, params.get("client_id"), params.get("client_secret"))
    query = token_params.parse(params)
    if not tokens.plausible_token(query.token):
        return
    token_hash = ctx.hasher.candidates(query.token)
    for kind in query.lookup_order():
        owner: RefreshTokenRecord | AccessTokenRecord | None
        if kind is TokenKind.REFRESH:
            owner = await ctx.store.find_refresh_token(token_hash)
        else:
            owner = await ctx.store.find_access_token(token_hash)
        if owner is None:
            continue
        if owner.app_id != app.app_id:
            ctx.audit(
                "foreign_token_presented", via="v3_revoke", app_id=app.app_id, kind=kind.value
            )
            return
        now = ctx.now_ms()
        if kind is TokenKind.REFRESH:
            revoked = await ctx.store.revoke_refresh_token(
                token_hash, now, with_access_tokens=ctx.policy.v3_revoke_access_tokens
            )
        else:
            revoked = await ctx.store.revoke_access_token(token_hash, now)
        if revoked:
            ctx.audit(
                f"{kind.value}_revoked",
                via="v3_revoke",
                app_id=app.app_id,
                fingerprint=ctx.hasher.fingerprint(query.token),
            )
        return
