"""Admin commands: apps, hubs, users, installs, authorize (mint a code as if approved), tokens."""

from __future__ import annotations

import os
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from hubauth.cli.common import (
    async_command,
    database_option,
    emit,
    json_option,
    open_context,
    settings_from,
)
from hubauth.cli.errors import RuntimeFailure, UsageFailure
from hubauth.core import authorization, provisioning, scopes
from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.core.passwords import hash_password
from hubauth.store import directory


def _scopes(raw: str | None, what: str) -> tuple[str, ...]:
    try:
        return scopes.parse(raw)
    except scopes.ScopeError as exc:
        raise UsageFailure(f"{what}: {exc.reason}") from None


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
@click.option(
    "--custom-scopes",
    is_flag=True,
    help="Allow scope names that are not in HubSpot's scope catalogue.",
)
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
    custom_scopes: bool,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Register an app; prints app_id, client_id and the client secret (shown only once).

    Scope names are checked against HubSpot's known scopes (a misspelling gets a "did you
    mean"); --custom-scopes accepts others. A scope is either required or optional.
    """
    # parse first, so a malformed list is named by its flag (the core names its field)
    _scopes(required_scopes, "--scopes")
    _scopes(optional_scopes, "--optional-scopes")
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        try:
            created = await provisioning.create_app(
                ctx,
                name=name,
                redirect_uris=redirect_uris,
                required_scopes=required_scopes,
                optional_scopes=optional_scopes,
                refresh_policy=RefreshPolicy(refresh_policy or settings.default_refresh_policy),
                is_private=is_private,
                custom_scopes=custom_scopes,
            )
        except provisioning.ProvisioningError as exc:
            raise _usage(exc) from None
    app, secret = created.app, created.client_secret
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


@apps.command("set-rotation-grace")
@click.argument("app_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("seconds", metavar="SECONDS|default")
@database_option
@json_option
@async_command
async def set_rotation_grace(
    app_id: int, seconds: str, database_url: str | None, as_json: bool
) -> None:
    """Set how long a rotated refresh token of this app may be retried (0: never).

    Under ``rotate``, a client whose refresh response was lost retries with the token it holds;
    within the grace, while the successor it never received is unused, that is a retry, not
    reuse (docs/decisions.md, "Rotation grace"). ``default`` follows the rotation_grace
    setting again.
    """
    grace: int | None = None
    if seconds != "default":
        try:
            grace = click.IntRange(0, 300)(seconds)
        except click.BadParameter as exc:
            raise click.BadParameter(str(exc), param_hint="SECONDS") from None
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        if not await ctx.store.set_rotation_grace(app_id, grace):
            raise click.ClickException(f"no app {app_id}")
        ctx.audit("rotation_grace_changed", app_id=app_id, seconds=grace)
    shown = "default" if grace is None else f"{grace} s"
    emit({"app_id": app_id, "rotation_grace": grace}, as_json, f"app {app_id}: {shown}")


@apps.command("list")
@database_option
@json_option
@async_command
async def list_apps(database_url: str | None, as_json: bool) -> None:
    """List apps: ids, client id, name, scopes and live installs (never secrets)."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        found = await directory.list_apps(_engine(ctx))
    rows = [_app_dict(a) for a in found]
    if as_json:
        emit({"apps": rows}, True)
        return
    _table(
        ("APP", "CLIENT_ID", "POLICY", "INSTALLS", "NAME"),
        [
            (
                str(r["app_id"]),
                r["client_id"],
                r["refresh_policy"],
                str(r["active_installs"]),
                r["name"],
            )
            for r in rows
        ],
        "(no apps)",
    )


@apps.command("show")
@click.argument("app", metavar="APP_ID|CLIENT_ID")
@database_option
@json_option
@async_command
async def show_app(app: str, database_url: str | None, as_json: bool) -> None:
    """Show one app, by app_id or client_id (the client secret cannot be shown: only its
    hash is stored; `apps rotate-secret` issues a new one)."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        app_id = await _resolve_app(ctx, app)
        found = await directory.list_apps(_engine(ctx), app_id)
    data = _app_dict(found[0])
    if as_json:
        emit(data, True)
        return
    for key, value in data.items():
        shown = " ".join(value) if isinstance(value, list) else value
        click.echo(f"{key}: {shown}")


@apps.command("delete")
@click.argument("app", metavar="APP_ID|CLIENT_ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@database_option
@json_option
@async_command
async def delete_app(app: str, yes: bool, database_url: str | None, as_json: bool) -> None:
    """Delete an app and revoke everything of it: its refresh and access tokens, unused codes
    and installs go with it, in one transaction."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        app_id = await _resolve_app(ctx, app)
        if not yes and not click.confirm(
            f"delete app {app_id} and revoke all its tokens?", err=True
        ):
            raise UsageFailure("not deleted (pass --yes to skip the question)")
        removed = await provisioning.delete_app(ctx, app_id)
        if removed is None:
            raise RuntimeFailure(f"no app {app}; `hubauth apps list` shows the apps")
    emit(
        {"deleted": app_id, **removed},
        as_json,
        f"deleted app {app_id}: revoked {removed['refresh_tokens']} refresh token(s), "
        f"{removed['access_tokens']} access token(s), {removed['auth_codes']} code(s), "
        f"{removed['installs']} install(s)",
    )


@apps.command("rotate-secret")
@click.argument("app", metavar="APP_ID|CLIENT_ID")
@click.option(
    "--grace",
    type=click.IntRange(0, 30 * 24 * 3600),
    default=0,
    show_default=True,
    help="Seconds during which the old secret keeps working too (0: it stops at once).",
)
@database_option
@json_option
@async_command
async def rotate_secret(app: str, grace: int, database_url: str | None, as_json: bool) -> None:
    """Issue a new client secret and print it (once: only its hash is stored)."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        app_id = await _resolve_app(ctx, app)
        current = await ctx.store.find_app(app_id)
        assert current is not None  # _resolve_app found it
        secret, until = await provisioning.rotate_secret(ctx, current, grace)
    emit(
        {
            "app_id": app_id,
            "client_id": current.client_id,
            "client_secret": secret,
            "previous_secret_valid_until": _iso(until),
        },
        as_json,
    )


def _usage(exc: provisioning.ProvisioningError) -> click.ClickException:
    """The core's refusal worded as the CLI's flags (``--scopes``, ``--redirect-uri``)."""
    if exc.param == "redirect_uri":
        return click.BadParameter(exc.reason, param_hint="--redirect-uri")
    if exc.param == "scopes" and "at least one" in exc.reason:
        return UsageFailure(f"--scopes: {exc.reason}")
    return UsageFailure(exc.reason)


async def _resolve_app(ctx: Context, app: str) -> int:
    """An app_id or a client_id (what people have at hand) to the app's id."""
    found = await (
        ctx.store.find_app(int(app))
        if app.isdigit() and len(app) < 10
        else ctx.store.find_app_by_client_id(app)
    )
    if found is None:
        raise RuntimeFailure(f"no app {app}; `hubauth apps list` shows the apps")
    return found.app_id


def _engine(ctx: Context) -> AsyncEngine:
    return ctx.store.engine  # type: ignore[attr-defined,no-any-return]


def _app_dict(a: directory.AppRow) -> dict[str, Any]:
    return {
        "app_id": a.app_id,
        "client_id": a.client_id,
        "name": a.name,
        "redirect_uris": list(a.redirect_uris),
        "scopes": list(a.scopes),
        "optional_scopes": list(a.optional_scopes),
        "refresh_policy": a.refresh_policy,
        "private_distribution": a.is_private_distribution,
        "created": _iso(a.created_ms),
        "active_installs": a.active_installs,
    }


def _table(header: tuple[str, ...], lines: list[tuple[str, ...]], empty: str) -> None:
    """Columns padded to their widest cell; the last column is left unpadded."""
    every = [header, *lines]
    widths = [max(len(line[i]) for line in every) for i in range(len(header) - 1)]
    for line in every:
        padded = [c.ljust(w) for c, w in zip(line, widths, strict=False)]
        click.echo("  ".join([*padded, line[-1]]).rstrip())
    if not lines:
        click.echo(empty)


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


@hubs.command("list")
@database_option
@json_option
@async_command
async def list_hubs(database_url: str | None, as_json: bool) -> None:
    """List accounts with their members' user ids."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        found = await directory.list_hubs(_engine(ctx))
    rows: list[dict[str, Any]] = [
        {
            "hub_id": h.hub_id,
            "hub_domain": h.hub_domain,
            "hublet": h.hublet,
            "created": _iso(h.created_ms),
            "deleted": _iso(h.deleted_ms),
            "members": list(h.members),
        }
        for h in found
    ]
    if as_json:
        emit({"hubs": rows}, True)
        return
    _table(
        ("HUB", "HUBLET", "STATUS", "MEMBERS", "DOMAIN"),
        [
            (
                str(r["hub_id"]),
                r["hublet"],
                "deleted" if r["deleted"] else "active",
                " ".join(map(str, r["members"])) or "-",
                r["hub_domain"],
            )
            for r in rows
        ],
        "(no hubs)",
    )


@click.group()
def users() -> None:
    """Users who sign in and install apps."""


@users.command("create")
@click.option("--email", required=True)
@click.option(
    "--password",
    default=None,
    help="Sign-in password (hashed with argon2id). Visible to other local users in `ps`: "
    "prefer --password-stdin, HUBAUTH_USER_PASSWORD or the prompt.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option(
    "--password-prompt",
    is_flag=True,
    help="Ask for the password (hidden, twice); the default when stdin is a terminal and no "
    "other source is given.",
)
@click.option("--user-id", type=click.IntRange(1, 2**31 - 1), default=None)
@click.option("--hub", "hub_ids", type=int, multiple=True, help="hub_id the user belongs to.")
@database_option
@json_option
@async_command
async def create_user(
    email: str,
    password: str | None,
    password_stdin: bool,
    password_prompt: bool,
    user_id: int | None,
    hub_ids: tuple[int, ...],
    database_url: str | None,
    as_json: bool,
) -> None:
    """Create a user; prints user_id. The password comes from exactly one of --password,
    --password-stdin, HUBAUTH_USER_PASSWORD or a prompt; with none, the user cannot sign in."""
    if "@" not in email:
        raise click.BadParameter("not an email address", param_hint="--email")
    password = _password_from(password, stdin=password_stdin, prompt=password_prompt)
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        user = await ctx.store.create_user(
            email, hash_password(password) if password else None, user_id, now_ms=ctx.now_ms()
        )
        for hub_id in hub_ids:
            await ctx.store.add_hub_member(hub_id, user.user_id)
    emit({"user_id": user.user_id, "email": user.email}, as_json)


@users.command("list")
@database_option
@json_option
@async_command
async def list_users(database_url: str | None, as_json: bool) -> None:
    """List users, whether they can sign in (have a password) and their hubs."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        found = await directory.list_users(_engine(ctx))
    rows: list[dict[str, Any]] = [
        {
            "user_id": u.user_id,
            "email": u.email,
            "can_sign_in": u.can_sign_in,
            "created": _iso(u.created_ms),
            "hubs": list(u.hubs),
        }
        for u in found
    ]
    if as_json:
        emit({"users": rows}, True)
        return
    _table(
        ("USER", "SIGN-IN", "HUBS", "EMAIL"),
        [
            (
                str(r["user_id"]),
                "yes" if r["can_sign_in"] else "no",
                " ".join(map(str, r["hubs"])) or "-",
                r["email"],
            )
            for r in rows
        ],
        "(no users)",
    )


@click.command("list")
@click.option("--app", "app_id", type=int, default=None, help="Only installs of this app_id.")
@click.option("--hub", "hub_id", type=int, default=None, help="Only installs in this hub_id.")
@click.option("--all", "include_uninstalled", is_flag=True, help="Include uninstalled ones.")
@database_option
@json_option
@async_command
async def list_installs(
    app_id: int | None,
    hub_id: int | None,
    include_uninstalled: bool,
    database_url: str | None,
    as_json: bool,
) -> None:
    """List installs (an app connected to a hub by a user) and their granted scopes."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        found = await directory.list_installs(
            _engine(ctx), app_id=app_id, hub_id=hub_id, include_uninstalled=include_uninstalled
        )
    rows: list[dict[str, Any]] = [
        {
            "install_id": i.install_id,
            "app_id": i.app_id,
            "hub_id": i.hub_id,
            "user_id": i.user_id,
            "scopes": list(i.scopes),
            "created": _iso(i.created_ms),
            "updated": _iso(i.updated_ms),
            "uninstalled": _iso(i.uninstalled_ms),
        }
        for i in found
    ]
    if as_json:
        emit({"installs": rows}, True)
        return
    _table(
        ("INSTALL", "APP", "HUB", "USER", "STATUS", "SCOPES"),
        [
            (
                str(r["install_id"]),
                str(r["app_id"]),
                str(r["hub_id"]),
                str(r["user_id"]),
                "uninstalled" if r["uninstalled"] else "active",
                " ".join(r["scopes"]),
            )
            for r in rows
        ],
        "(no installs)",
    )


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
    rows: list[dict[str, Any]] = [
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


PASSWORD_ENV = "HUBAUTH_USER_PASSWORD"


def _password_from(given: str | None, *, stdin: bool, prompt: bool) -> str | None:
    from_env = os.environ.get(PASSWORD_ENV)
    sources = [given is not None, stdin, prompt, from_env is not None]
    if sum(sources) > 1:
        raise click.UsageError(
            f"give the password one way only: --password, --password-stdin, {PASSWORD_ENV} "
            "or --password-prompt"
        )
    if given is not None:
        return given
    if stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--password-stdin: stdin has no password")
        return line
    if from_env is not None:
        return from_env
    if prompt or sys.stdin.isatty():
        entered: str = click.prompt(
            "Password (empty: none)",
            default="",
            show_default=False,
            hide_input=True,
            confirmation_prompt=True,
        )
        return entered or None
    return None


def random_password() -> str:
    return secrets.token_urlsafe(12)
