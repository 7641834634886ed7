"""Creating apps, hubs and users for the developer control API (``POST /_hubauth/apps`` …) with
the checks ``hubauth apps|hubs|users create`` applies, through the same core functions
(:func:`hubauth.core.scopes.parse`, :func:`~hubauth.core.scopes.check_app_scopes`,
:func:`~hubauth.core.redirect_uris.check_registration`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hubauth.core import scopes, tokens
from hubauth.core.context import Context
from hubauth.core.models import App, Hub, RefreshPolicy, User
from hubauth.core.passwords import hash_password
from hubauth.core.redirect_uris import RedirectUriRefused, check_registration


class ProvisioningError(ValueError):
    """A value that cannot be used; ``param`` names the CLI flag / JSON field at fault."""

    def __init__(self, param: str, reason: str) -> None:
        super().__init__(f"{param}: {reason}")
        self.param = param
        self.reason = reason


def parse_scopes(raw: str | None, param: str) -> tuple[str, ...]:
    try:
        return scopes.parse(raw)
    except scopes.ScopeError as exc:
        raise ProvisioningError(param, exc.reason) from None


@dataclass(frozen=True, slots=True)
class CreatedApp:
    app: App
    client_secret: str  # shown once, never stored


async def create_app(
    ctx: Context,
    *,
    name: str,
    redirect_uris: Sequence[str],
    required_scopes: str,
    optional_scopes: str = "",
    refresh_policy: RefreshPolicy,
    is_private: bool = False,
    custom_scopes: bool = False,
) -> CreatedApp:
    """Register an app (a HubSpot "public app": client id, secret, redirect URIs, scopes).
    Scope names must be HubSpot's known ones unless ``custom_scopes``, and the redirect URIs
    must pass the server's registration policy (``redirect_uri_policy``)."""
    if not name.strip():
        raise ProvisioningError("name", "must not be empty")
    required = parse_scopes(required_scopes, "scopes")
    optional = parse_scopes(optional_scopes, "optional_scopes")
    check_app(ctx, required, optional, redirect_uris, custom_scopes=custom_scopes)
    secret = tokens.new_client_secret()
    app = await ctx.store.create_app(
        client_id=tokens.new_client_id(),
        client_secret_hash=ctx.hasher.hash_secret(secret),
        client_secret_key_id=ctx.hasher.key_id,
        name=name,
        redirect_uris=tuple(redirect_uris),
        scopes=required,
        optional_scopes=optional,
        is_private_distribution=is_private,
        refresh_policy=refresh_policy,
        now_ms=ctx.now_ms(),
    )
    return CreatedApp(app, secret)


def check_app(
    ctx: Context,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    redirect_uris: Sequence[str],
    *,
    custom_scopes: bool = False,
) -> None:
    """What an app may be registered with (the CLI, the developer API, RFC 7591 registration):
    at least one required scope, catalogue scopes (:func:`hubauth.core.scopes.check_app_scopes`)
    and redirect URIs the registration policy accepts."""
    if not required:
        raise ProvisioningError("scopes", "an app needs at least one scope")
    try:
        scopes.check_app_scopes(required, optional, allow_custom=custom_scopes)
    except scopes.ScopeError as exc:
        raise ProvisioningError("scopes", exc.reason) from None
    if not redirect_uris:
        raise ProvisioningError("redirect_uri", "an app needs at least one redirect URI")
    try:
        check_registration(redirect_uris, ctx.policy.redirect_uri_policy)
    except RedirectUriRefused as exc:
        raise ProvisioningError("redirect_uri", "\n".join(exc.problems)) from None


async def rotate_secret(ctx: Context, app: App, grace_s: int = 0) -> tuple[str, int | None]:
    """A new client secret for ``app`` (returned once; only its HMAC is stored). With
    ``grace_s`` the old one keeps working that long; returns the secret and that deadline."""
    secret = tokens.new_client_secret()
    until = ctx.now_ms() + grace_s * 1000 if grace_s else None
    await ctx.store.set_client_secret_hash(
        app.app_id,
        ctx.hasher.hash_secret(secret),
        ctx.hasher.key_id,
        previous_hash=app.client_secret_hash if grace_s else None,
        previous_key_id=app.client_secret_key_id if grace_s else None,
        previous_until_ms=until,
    )
    ctx.audit("client_secret_rotated", app_id=app.app_id, grace_s=grace_s)
    return secret, until


async def delete_app(ctx: Context, app_id: int) -> dict[str, int] | None:
    """Delete an app and revoke everything of it (tokens, codes, installs, keys, its
    registration); the counts, or None when there is no such app."""
    removed = await ctx.store.delete_app(app_id)
    if removed is not None:
        ctx.audit("app_deleted", app_id=app_id, refresh_tokens=removed["refresh_tokens"])
    return removed


async def create_hub(
    ctx: Context,
    *,
    domain: str,
    hublet: str = "na1",
    hub_id: int | None = None,
    members: Sequence[int] = (),
) -> Hub:
    """Create an account, optionally with the users allowed to install apps into it."""
    if not domain.strip():
        raise ProvisioningError("domain", "must not be empty")
    for user_id in members:
        if await ctx.store.find_user(user_id) is None:
            raise ProvisioningError("member", f"no user {user_id}")
    hub = await ctx.store.create_hub(domain, hublet, hub_id, now_ms=ctx.now_ms())
    for user_id in members:
        await ctx.store.add_hub_member(hub.hub_id, user_id)
    return hub


async def create_user(
    ctx: Context,
    *,
    email: str,
    password: str | None = None,
    user_id: int | None = None,
    hub_ids: Sequence[int] = (),
) -> User:
    """Create a user who can sign in (with ``password``) and install into ``hub_ids``."""
    if "@" not in email:
        raise ProvisioningError("email", "not an email address")
    for hub_id in hub_ids:
        if await ctx.store.find_hub(hub_id) is None:
            raise ProvisioningError("hub", f"no hub {hub_id}")
    user = await ctx.store.create_user(
        email, hash_password(password) if password else None, user_id, now_ms=ctx.now_ms()
    )
    for hub_id in hub_ids:
        await ctx.store.add_hub_member(hub_id, user.user_id)
    return user
