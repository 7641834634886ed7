"""Admin commands: apps, hubs, users, authorize (mint a code as if approved), tokens."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import click

from hubauth.cli.common import (
    async_command,
    database_option,
    emit,
    json_option,
    open_context,
    settings_from,
)
from hubauth.core import authorization, scopes, tokens
from hubauth.core.models import RefreshPolicy
from hubauth.core.passwords import hash_password
from hubauth.core.redirect_uris import RedirectUriRefused, check_registration


def _scopes(raw: str | None, what: str) -> tuple[str, ...]:
    try:
        return scopes.parse(raw)
    except scopes.ScopeError as exc:
        raise click.BadParameter(exc.reason, param_hint=what) from None


@click.group()
def apps() -> None:
    """OAuth apps (clients)."""


@apps.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--scopes", "required_scopes", required=True, help='Required scopes, "a b c".')
@click.option("--optional-scopes", default="", help="Optional scopes.")
@click.option(
    "--refresh-policy",
    type=click.Choice([p.value for p in RefreshPolicy]),
    default=None,
    help="static: HubSpot's behaviour (same refresh token); rotate: RFC 9700 rotation. "
    "Default: the default_refresh_policy setting (static unless configured).",
)
@click.option("--private", "is_private", is_flag=True, help="Private distribution.")
@database_option
@json_option
@async_command
async def create_app(
    name: str,
    redirect_uris: tuple[str, ...],
    required_scopes: str,
    optional_scopes: str,
    refresh_policy: str | None,
    is_private: bool,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Register an app; prints app_id, client_id and the client secret (shown only once)."""
    required = _scopes(required_scopes, "--scopes")
    if not required:
        raise click.BadParameter("an app needs at least one scope", param_hint="--scopes")
    optional = _scopes(optional_scopes, "--optional-scopes")
    settings = settings_from(database_url)
    try:
        check_registration(redirect_uris, settings.redirect_uri_policy)
    except RedirectUriRefused as exc:
        raise click.BadParameter("\n".join(exc.problems), param_hint="--redirect-uri") from None
    secret = tokens.new_client_secret()
    async with open_context(settings) as ctx:
        app = await ctx.store.create_app(
            client_id=tokens.new_client_id(),
            client_secret_hash=ctx.hasher.hash_secret(secret),
            client_secret_key_id=ctx.hasher.key_id,
            name=name,
            redirect_uris=redirect_uris,
            scopes=required,
            optional_scopes=optional,
            is_private_distribution=is_private,
            refresh_policy=RefreshPolicy(refresh_policy or settings.default_refresh_policy),
            now_ms=ctx.now_ms(),
        )
    emit({"app_id": app.app_id, "client_id": app.client_id, "client_secret": secret}, as_json)


@apps.command("set-refresh-policy")
@click.argument("app_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("policy", type=click.Choice([p.value for p in RefreshPolicy]))
@database_option
@json_option
@async_command
async def set_refresh_policy(
    app_id: int, policy: str, database_url: str | None, as_json: bool
) -> None:
    """Switch an app between static and rotating refresh tokens.

    Takes effect on the app's next refresh: under ``rotate`` each live refresh token is
    replaced when next used (and reuse of a replaced one revokes its family); switching back
    to ``static`` echoes the current token again. No token is revoked by the switch itself.
    """
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        if not await ctx.store.set_refresh_policy(app_id, RefreshPolicy(policy)):
            raise click.ClickException(f"no app {app_id}")
        ctx.audit("refresh_policy_changed", app_id=app_id, policy=policy)
    emit({"app_id": app_id, "refresh_policy": policy}, as_json, f"app {app_id}: {policy}")


@click.group()
def hubs() -> None:
    """Accounts (hubs)."""


@hubs.command("create")
@click.option("--domain", required=True)
@click.option("--hublet", default="na1", show_default=True)
@click.option("--hub-id", type=click.IntRange(1, 2**31 - 1), default=None)
@click.option("--member", "members", type=int, multiple=True, help="user_id allowed to install.")
@database_option
@json_option
@async_command
async def create_hub(
    domain: str,
    hublet: str,
    hub_id: int | None,
    members: tuple[int, ...],
    database_url: str | None,
    as_json: bool,
) -> None:
    """Create an account; prints hub_id and hub_domain."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        hub = await ctx.store.create_hub(domain, hublet, hub_id, now_ms=ctx.now_ms())
        for user_id in members:
            await ctx.store.add_hub_member(hub.hub_id, user_id)
    emit({"hub_id": hub.hub_id, "hub_domain": hub.hub_domain}, as_json)


@click.group()
def users() -> None:
    """Users who sign in and install apps."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", default=None, help="Sign-in password (hashed with argon2id).")
@click.option("--user-id", type=click.IntRange(1, 2**31 - 1), default=None)
@click.option("--hub", "hub_ids", type=int, multiple=True, help="hub_id the user belongs to.")
@database_option
@json_option
@async_command
async def create_user(
    email: str,
    password: str | None,
    user_id: int | None,
    hub_ids: tuple[int, ...],
    database_url: str | None,
    as_json: bool,
) -> None:
    """Create a user; prints user_id."""
    if "@" not in email:
        raise click.BadParameter("not an email address", param_hint="--email")
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        user = await ctx.store.create_user(
            email, hash_password(password) if password else None, user_id, now_ms=ctx.now_ms()
        )
        for hub_id in hub_ids:
            await ctx.store.add_hub_member(hub_id, user.user_id)
    emit({"user_id": user.user_id, "email": user.email}, as_json)


@click.command()
@click.option("--client-id", required=True)
@click.option("--hub-id", type=int, required=True)
@click.option("--user-id", type=int, required=True)
@click.option("--scopes", "scope", required=True, help="Requested scopes (scope parameter).")
@click.option("--optional-scopes", "optional_scope", default=None, help="optional_scope.")
@click.option("--redirect-uri", required=True)
@click.option("--state", default=None)
@click.option("--code-challenge", default=None, help="PKCE S256 challenge.")
@database_option
@json_option
@async_command
async def authorize(
    client_id: str,
    hub_id: int,
    user_id: int,
    scope: str,
    optional_scope: str | None,
    redirect_uri: str,
    state: str | None,
    code_challenge: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Approve an install as if the user had clicked "Connect"; prints the code and redirect.

    Every optional scope requested is granted (the user "ticked" them all).
    """
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        try:
            code = await authorization.approve_directly(
                ctx,
                client_id=client_id,
                hub_id=hub_id,
                user_id=user_id,
                redirect_uri=redirect_uri,
                scope=scope,
                optional_scope=optional_scope,
                state=state,
                code_challenge=code_challenge,
            )
        except authorization.AuthorizationError as exc:
            raise click.ClickException(f"{exc.error}: {exc.description}") from None
        except authorization.InstallTargetMissing as exc:
            raise click.ClickException(str(exc)) from None
    redirect = authorization.redirect_with(redirect_uri, {"code": code, "state": state})
    emit({"code": code, "redirect_url": redirect}, as_json)


@click.group("tokens")
def tokens_group() -> None:
    """Token maintenance."""


@tokens_group.command("revoke")
@click.argument("token")
@click.option(
    "--with-access-tokens/--refresh-only",
    default=True,
    show_default=True,
    help="Also revoke access tokens minted from this refresh token.",
)
@database_option
@json_option
@async_command
async def revoke_token(
    token: str, with_access_tokens: bool, database_url: str | None, as_json: bool
) -> None:
    """Revoke a refresh token or an access token."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        now = ctx.now_ms()
        token_hash = ctx.hasher.candidates(token)
        kind = None
        if await ctx.store.revoke_refresh_token(
            token_hash, now, with_access_tokens=with_access_tokens
        ):
            kind = "refresh_token"
        elif await ctx.store.revoke_access_token(token_hash, now):
            kind = "access_token"
        if kind is None:
            raise click.ClickException("no live token matches")
        ctx.audit("token_revoked", via="cli", kind=kind, fingerprint=ctx.hasher.fingerprint(token))
    emit({"revoked": kind}, as_json, f"revoked {kind}")


@tokens_group.command("purge-expired")
@click.option("--batch-size", type=click.IntRange(10, 100_000), default=1000, show_default=True)
@database_option
@json_option
@async_command
async def purge_expired(batch_size: int, database_url: str | None, as_json: bool) -> None:
    """Delete expired access tokens and codes, in short batches (safe while serving)."""
    settings = settings_from(database_url)
    started = time.monotonic()
    async with open_context(settings) as ctx:
        removed = await ctx.store.purge_expired(ctx.now_ms(), batch_size)
    emit({"removed": removed, "seconds": round(time.monotonic() - started, 3)}, as_json)


@tokens_group.command("list")
@click.option("--app", "app_id", type=int, default=None, help="Only tokens of this app_id.")
@click.option("--hub", "hub_id", type=int, default=None, help="Only tokens of this hub_id.")
@click.option("--user", "user_id", type=int, default=None, help="Only tokens of this user_id.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@database_option
@json_option
@async_command
async def list_tokens(
    app_id: int | None,
    hub_id: int | None,
    user_id: int | None,
    limit: int,
    database_url: str | None,
    as_json: bool,
) -> None:
    """List refresh and access tokens for support work, newest first.

    Shows row ids, kind, scopes, times, status and the first bytes of the stored HMAC; token
    values are never stored, so they cannot be shown.
    """
    if app_id is None and hub_id is None and user_id is None:
        raise click.UsageError("give at least one of --app, --hub, --user")
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        now = ctx.now_ms()
        found = await ctx.store.list_tokens(
            app_id=app_id, hub_id=hub_id, user_id=user_id, limit=limit
        )
    rows = [
        {
            "kind": t.kind,
            "id": t.row_id,
            "hash_prefix": t.hash_prefix,
            "status": t.status(now),
            "app_id": t.app_id,
            "hub_id": t.hub_id,
            "user_id": t.user_id,
            "scopes": list(t.scopes),
            "family": t.family_id,
            "created": _iso(t.created_ms),
            "expires": _iso(t.expires_ms),
        }
        for t in found
    ]
    if as_json:
        emit({"tokens": rows}, True)
        return
    header = ("KIND", "ID", "HASH", "STATUS", "CREATED", "EXPIRES", "APP", "HUB", "USER", "SCOPES")
    lines = [header] + [
        (
            r["kind"],
            str(r["id"]),
            r["hash_prefix"],
            r["status"],
            r["created"] or "-",
            r["expires"] or "never",
            str(r["app_id"]),
            str(r["hub_id"] or "-"),
            str(r["user_id"] or "-"),
            " ".join(r["scopes"]),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        padded = [c.ljust(w) for c, w in zip(line, widths, strict=False)]
        click.echo("  ".join([*padded, line[-1]]))
    if not rows:
        click.echo("(no tokens match)")


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def random_password() -> str:
    return secrets.token_urlsafe(12)
