"""The token endpoint's grants, one function each (RFC 6749 §4.1.3, §6, §4.4).

Each function takes an already-authenticated client (:func:`hubauth.core.clients.authenticate`),
checks the grant, and asks the store to persist the result in one atomic operation.
Nothing is written when a check fails, except the deliberate security responses: a replayed
authorization code (RFC 6749 §4.1.2) or a reused rotated refresh token (RFC 9700 §4.14.2)
revokes the token family.
"""

from __future__ import annotations

from hubauth.core import errors, pkce, scopes, tokens
from hubauth.core.context import Context
from hubauth.core.models import (
    App,
    AuthCode,
    IssuedTokens,
    NewAccessToken,
    NewRefreshToken,
    RefreshPolicy,
    RefreshTokenRecord,
    TokenUse,
)


def _new_access(
    ctx: Context,
    app: App,
    *,
    hub_id: int | None,
    user_id: int | None,
    granted: tuple[str, ...],
    family_id: str | None,
    hublet: str,
    now_ms: int,
    install_id: int | None = None,
    token_use: TokenUse = TokenUse.ACCESS_TOKEN,
) -> tuple[str, NewAccessToken, int]:
    ttl = (
        ctx.policy.client_credentials_ttl_s
        if token_use is TokenUse.CLIENT_CREDENTIALS
        else ctx.policy.access_token_ttl_s
    )
    value = tokens.new_access_token(hublet)
    record = NewAccessToken(
        token_hash=ctx.hasher.hash(value),
        app_id=app.app_id,
        hub_id=hub_id,
        user_id=user_id,
        scopes=granted,
        created_ms=now_ms,
        expires_ms=now_ms + ttl * 1000,
        token_use=token_use,
        family_id=family_id,
        install_id=install_id,
        key_id=ctx.hasher.key_id,
    )
    return value, record, ttl


async def authorization_code(
    ctx: Context,
    app: App,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None = None,
) -> IssuedTokens:
    """RFC 6749 §4.1.3: exchange a code for an access token and a refresh token."""
    if not code:
        raise errors.missing_parameter("code")
    if not redirect_uri:
        raise errors.missing_parameter("redirect_uri")
    if not tokens.plausible_token(code):
        raise errors.bad_auth_code()
    record = await ctx.store.find_code(ctx.hasher.candidates(code))
    now = ctx.now_ms()
    if record is None or record.app_id != app.app_id:
        if record is not None:
            _failed(ctx, "foreign_code", app_id=app.app_id, owner_app_id=record.app_id)
        raise errors.bad_auth_code()
    if record.consumed_ms is not None:
        retried = await _code_retried(ctx, app, record, redirect_uri, code_verifier, now)
        if retried is not None:
            return retried
        await _code_replayed(ctx, record, now)
        raise errors.bad_auth_code()
    if now >= record.expires_ms:
        raise errors.expired_auth_code()
    if redirect_uri != record.redirect_uri:
        _failed(ctx, "redirect_uri_mismatch", app_id=app.app_id, hub_id=record.hub_id)
        raise errors.mismatched_redirect_uri()
    try:
        _check_pkce(record, code_verifier)
    except errors.TokenError:
        _failed(ctx, "pkce_verifier_mismatch", app_id=app.app_id, hub_id=record.hub_id)
        raise
    if record.hub_deleted:
        raise errors.bad_hub()
    if not record.install_active:
        raise errors.bad_auth_code()

    refresh_value, refresh, access_value, access, ttl = _code_tokens(ctx, app, record, now)
    if not await ctx.store.redeem_code(record.code_hash, now, refresh, access):
        # Lost a race against a concurrent redemption: that is a replay too.
        await _code_replayed(ctx, record, now)
        raise errors.bad_auth_code()
    ctx.audit(
        "grant_issued",
        grant_type="authorization_code",
        app_id=app.app_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        family=refresh.family_id,
    )
    return _code_issued(record, access_value, refresh_value, ttl)


def _code_tokens(
    ctx: Context, app: App, record: AuthCode, now: int
) -> tuple[str, NewRefreshToken, str, NewAccessToken, int]:
    family_id = tokens.new_family_id(now)
    refresh_value = tokens.new_refresh_token(record.hublet, ctx.policy.token_shape)
    refresh = NewRefreshToken(
        token_hash=ctx.hasher.hash(refresh_value),
        app_id=app.app_id,
        install_id=record.install_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        scopes=record.scopes,
        family_id=family_id,
        created_ms=now,
        key_id=ctx.hasher.key_id,
    )
    access_value, access, ttl = _new_access(
        ctx,
        app,
        hub_id=record.hub_id,
        user_id=record.user_id,
        granted=record.scopes,
        family_id=family_id,
        hublet=record.hublet,
        now_ms=now,
        install_id=record.install_id,
    )
    return refresh_value, refresh, access_value, access, ttl


def _code_issued(record: AuthCode, access_value: str, refresh_value: str, ttl: int) -> IssuedTokens:
    return IssuedTokens(
        access_token=access_value,
        refresh_token=refresh_value,
        expires_in=ttl,
        scopes=record.scopes,
        token_use=TokenUse.ACCESS_TOKEN,
        hub_id=record.hub_id,
        user_id=record.user_id,
    )


async def _code_retried(
    ctx: Context,
    app: App,
    record: AuthCode,
    redirect_uri: str,
    code_verifier: str | None,
    now: int,
) -> IssuedTokens | None:
    """Opt-in (``code_retry_grace``, default 0 = off): a used code presented again may replace
    its first redemption instead of being refused. RFC 6749 §4.1.2 says a code used more than
    once MUST be refused, which is the default; docs/decisions.md ("Code exchange after a lost
    response") says when an operator may choose otherwise. Every one of these must hold:
    the same authenticated client (checked by the caller), within the grace after the first
    redemption, the same redirect URI and a PKCE verifier that matches (RFC 9700 §4.5: an
    intercepted code alone is useless), and nothing from the first redemption used: its refresh
    token never refreshed. Then, atomically, the first redemption's tokens are revoked and a
    new family issued; the code now points at it. None: treat it as a replay.
    """
    grace_ms = ctx.policy.code_retry_grace_s * 1000
    if grace_ms <= 0 or record.consumed_ms is None or record.family_id is None:
        return None
    if now - record.consumed_ms > grace_ms or now >= record.expires_ms:
        return None
    if redirect_uri != record.redirect_uri or record.hub_deleted or not record.install_active:
        return None
    try:
        _check_pkce(record, code_verifier)
    except errors.TokenError:
        return None
    refresh_value, refresh, access_value, access, ttl = _code_tokens(ctx, app, record, now)
    replaced = await ctx.store.redeem_code_again(
        record.code_hash, record.family_id, now - grace_ms, now, refresh, access
    )
    if not replaced:
        return None
    ctx.audit(
        "code_redeemed_again",
        app_id=app.app_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        family=refresh.family_id,
        replaced_family=record.family_id,
    )
    return _code_issued(record, access_value, refresh_value, ttl)


def _check_pkce(record: AuthCode, verifier: str | None) -> None:
    if record.code_challenge is not None:
        if not pkce.verify(verifier, record.code_challenge, record.code_challenge_method or ""):
            raise errors.bad_code_verifier()
    elif verifier is not None:
        # RFC 9700 §4.8.2 (PKCE downgrade): a verifier for a code issued without a challenge
        # means someone is replaying a code into a different flow.
        raise errors.bad_code_verifier()


async def _code_replayed(ctx: Context, record: AuthCode, now_ms: int) -> None:
    revoked = 0
    if ctx.policy.revoke_on_code_replay:
        family = record.family_id
        if family is None:  # lost a race: read what the winning redemption wrote
            fresh = await ctx.store.find_code(record.code_hash)
            family = fresh.family_id if fresh else None
        if family is not None:
            revoked = await ctx.store.revoke_family(family, now_ms)
    ctx.audit(
        "code_replay_detected",
        app_id=record.app_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        tokens_revoked=revoked,
    )


async def refresh_token(
    ctx: Context, app: App, refresh_token: str | None, scope: str | None = None
) -> IssuedTokens:
    """RFC 6749 §6: a new access token for a live refresh token of this client.

    Under the ``rotate`` policy a new refresh token replaces the presented one (RFC 9700
    §4.14.2), and a retired one presented again is reuse unless :func:`_retry_within_grace`
    recovers a lost response. Under ``static`` the access token is written only if the refresh
    token is still live in the same statement, so a revocation or uninstall acknowledged
    before it committed cannot leave it alive (RFC 7009 §2.2).
    """
    if not refresh_token:
        raise errors.missing_parameter("refresh_token")
    if not tokens.plausible_token(refresh_token):
        raise errors.bad_refresh_token()
    token_hash = ctx.hasher.candidates(refresh_token)
    record = await ctx.store.find_refresh_token(token_hash)
    now = ctx.now_ms()
    if record is None or record.revoked_ms is not None or not record.install_active:
        raise errors.bad_refresh_token()
    if record.app_id != app.app_id:
        _failed(ctx, "foreign_refresh_token", app_id=app.app_id, owner_app_id=record.app_id)
        if ctx.policy.uniform_token_errors:
            raise errors.bad_refresh_token()
        raise errors.bad_refresh_token("refresh token was not issued to this client")
    if record.rotated_ms is not None:
        return await _retry_within_grace(ctx, app, record, scope, now)
    if record.hub_deleted:
        raise errors.bad_hub()
    granted = _narrow_or_refuse(ctx, app, record, scope)

    access_value, access, ttl = _refreshed_access(ctx, app, record, granted, now)
    returned_refresh = refresh_token
    if record.refresh_policy is RefreshPolicy.ROTATE:
        returned_refresh, successor = _successor(ctx, app, record, now)
        if not await ctx.store.rotate_refresh_token(record.refresh_id, now, successor, access):
            # Retired (or revoked) since we read it: a concurrent request rotated it first.
            fresh = await ctx.store.find_refresh_token(token_hash)
            if fresh is None or fresh.revoked_ms is not None or fresh.rotated_ms is None:
                raise errors.bad_refresh_token()
            return await _retry_within_grace(ctx, app, fresh, scope, now)
    elif not await ctx.store.issue_access_token_if_live(record.refresh_id, access):
        raise errors.bad_refresh_token()  # revoked, rotated or uninstalled meanwhile
    elif record.key_id != ctx.hasher.key_id:
        await _rehash(ctx, record, refresh_token)
    ctx.audit(
        "token_refreshed",
        app_id=app.app_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        family=record.family_id,
        rotated=record.refresh_policy is RefreshPolicy.ROTATE,
    )
    return _refreshed(record, access_value, returned_refresh, ttl, granted)


def rotation_grace_ms(ctx: Context, record: RefreshTokenRecord) -> int:
    """The app's own grace if it has one, else the server-wide setting."""
    seconds = record.rotation_grace_s
    return (ctx.policy.rotation_grace_s if seconds is None else seconds) * 1000


async def _retry_within_grace(
    ctx: Context, app: App, record: RefreshTokenRecord, scope: str | None, now_ms: int
) -> IssuedTokens:
    """A retired refresh token presented again by its own client.

    RFC 9700 §4.14.2 asks for reuse detection; what it must stop is two parties using one
    family. A client whose refresh response was lost (the rotation committed, the 200 never
    arrived) retries with the token it holds, and nobody has used the successor it never
    received. So within the grace period after the rotation, while that successor is unused,
    the successor (and the access token issued with it) is retired and a new one issued, all
    in one transaction (``Store.replace_unused_successor``). Anything else is reuse and
    revokes the family: the successor was used (two holders), the grace has passed, the app
    does not rotate, or the presented token was itself replaced by a grace retry (its
    response was not lost after all). docs/decisions.md, "Rotation grace".
    """
    assert record.rotated_ms is not None
    grace_ms = rotation_grace_ms(ctx, record)
    if (
        record.refresh_policy is not RefreshPolicy.ROTATE
        or grace_ms <= 0
        or now_ms - record.rotated_ms > grace_ms
    ):
        await _refresh_reused(ctx, record, now_ms)
        raise errors.bad_refresh_token()
    if record.hub_deleted:
        raise errors.bad_hub()
    granted = _narrow_or_refuse(ctx, app, record, scope)
    access_value, access, ttl = _refreshed_access(ctx, app, record, granted, now_ms)
    returned_refresh, successor = _successor(ctx, app, record, now_ms)
    if not await ctx.store.replace_unused_successor(record.refresh_id, now_ms, successor, access):
        await _refresh_reused(ctx, record, now_ms)
        raise errors.bad_refresh_token()
    ctx.audit(
        "refresh_retried_within_grace",
        app_id=app.app_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        family=record.family_id,
        since_rotation_ms=now_ms - record.rotated_ms,
    )
    return _refreshed(record, access_value, returned_refresh, ttl, granted)


def _narrow_or_refuse(
    ctx: Context, app: App, record: RefreshTokenRecord, scope: str | None
) -> tuple[str, ...]:
    try:
        return _narrow(record.scopes, scope)
    except errors.TokenError:
        _failed(ctx, "scope_escalation", app_id=app.app_id, hub_id=record.hub_id)
        raise


def _refreshed_access(
    ctx: Context, app: App, record: RefreshTokenRecord, granted: tuple[str, ...], now_ms: int
) -> tuple[str, NewAccessToken, int]:
    return _new_access(
        ctx,
        app,
        hub_id=record.hub_id,
        user_id=record.user_id,
        granted=granted,
        family_id=record.family_id,
        hublet=record.hublet,
        now_ms=now_ms,
        install_id=record.install_id,
    )


def _successor(
    ctx: Context, app: App, record: RefreshTokenRecord, now_ms: int
) -> tuple[str, NewRefreshToken]:
    value = tokens.new_refresh_token(record.hublet, ctx.policy.token_shape)
    return value, NewRefreshToken(
        token_hash=ctx.hasher.hash(value),
        app_id=app.app_id,
        install_id=record.install_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        scopes=record.scopes,
        family_id=record.family_id,
        created_ms=now_ms,
        parent_id=record.refresh_id,
        key_id=ctx.hasher.key_id,
    )


def _refreshed(
    record: RefreshTokenRecord,
    access_value: str,
    refresh_value: str,
    ttl: int,
    granted: tuple[str, ...],
) -> IssuedTokens:
    return IssuedTokens(
        access_token=access_value,
        refresh_token=refresh_value,
        expires_in=ttl,
        scopes=granted,
        token_use=TokenUse.ACCESS_TOKEN,
        hub_id=record.hub_id,
        user_id=record.user_id,
    )


async def _rehash(ctx: Context, record: RefreshTokenRecord, value: str) -> None:
    """Key rotation: a refresh token stored under an older key (or the pre-keyring legacy
    scheme) moves to the newest key on its first use, so the old key can be dropped once
    ``hubauth keys status`` counts nothing under it. Conditional on the old digest: a racing
    node doing the same is harmless."""
    if await ctx.store.rehash_refresh_token(
        record.refresh_id, record.token_hash, ctx.hasher.hash(value), ctx.hasher.key_id
    ):
        ctx.audit(
            "refresh_token_rehashed",
            app_id=record.app_id,
            from_key=record.key_id or "legacy",
            to_key=ctx.hasher.key_id or "legacy",
        )


def _narrow(granted: tuple[str, ...], scope: str | None) -> tuple[str, ...]:
    """RFC 6749 §6: a refresh may ask for fewer scopes, never for more."""
    if not scope:
        return granted
    try:
        requested = scopes.parse(scope)
    except scopes.ScopeError as exc:
        raise errors.TokenError("invalid_scope", "BAD_SCOPES", exc.reason) from None
    if not requested:
        return granted
    extra = [s for s in requested if s not in granted]
    if extra:
        raise errors.TokenError(
            "invalid_scope", "BAD_SCOPES", "requested scopes exceed those originally granted"
        )
    return requested


def _failed(ctx: Context, reason: str, **ids: object) -> None:
    """Audit a refused grant that looks like an attack rather than a bug (RFC 9700 §4.5,
    §4.8, §4.10): someone else's code or token, a wrong PKCE verifier, a different redirect
    URI, or a scope escalation. Identifiers only; never the presented value."""
    ctx.audit("grant_refused", reason=reason, **ids)


async def _refresh_reused(ctx: Context, record: RefreshTokenRecord, now_ms: int) -> None:
    revoked = await ctx.store.revoke_family(record.family_id, now_ms)
    ctx.audit(
        "refresh_reuse_detected",
        app_id=record.app_id,
        hub_id=record.hub_id,
        user_id=record.user_id,
        family=record.family_id,
        tokens_revoked=revoked,
    )


async def client_credentials(ctx: Context, app: App, scope: str | None) -> IssuedTokens:
    """RFC 6749 §4.4: an app-level access token, no user and no refresh token.

    HubSpot answers ``BAD_SCOPES`` when no scope is asked for (spec §2.6), and the requested
    scopes must all be configured on the app.
    """
    try:
        requested = scopes.parse(scope)
    except scopes.ScopeError as exc:
        raise errors.bad_scopes(exc.reason) from None
    if not requested:
        raise errors.bad_scopes("client_credentials needs a scope")
    granted = scopes.narrow_for_client_credentials(requested, app.scopes + app.optional_scopes)
    now = ctx.now_ms()
    value, access, ttl = _new_access(
        ctx,
        app,
        hub_id=None,
        user_id=None,
        granted=granted,
        family_id=None,
        hublet=ctx.policy.hublet,
        now_ms=now,
        token_use=TokenUse.CLIENT_CREDENTIALS,
    )
    await ctx.store.issue_access_token(access)
    ctx.audit("grant_issued", grant_type="client_credentials", app_id=app.app_id)
    return IssuedTokens(
        access_token=value, expires_in=ttl, scopes=granted, token_use=TokenUse.CLIENT_CREDENTIALS
    )
