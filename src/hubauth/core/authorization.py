"""Issuing authorization codes (RFC 6749 §4.1.1-§4.1.2) once a user has approved an install.

Both the consent page and ``hubauth authorize`` end here: the install (app x hub x user x
scopes) is created or updated, and a single-use code bound to client, redirect URI, hub, user,
scopes and the optional PKCE challenge is stored by hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from hubauth.core import pkce, redirect_uris, scopes, tokens
from hubauth.core.context import Context
from hubauth.core.install_page import InstallPageRules
from hubauth.core.models import App, AuthCode, Hub, User


class AuthorizationError(Exception):
    """An authorize request that cannot proceed.

    ``redirectable`` is False when the redirect URI itself cannot be trusted (unknown client,
    unregistered redirect URI), or when HubSpot's install-page rules show the error on the page
    (missing required scopes, ``Policy.install_page_rules``): the error is then shown to the
    user, never sent anywhere.
    """

    def __init__(self, error: str, description: str, *, redirectable: bool) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirectable = redirectable


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    app: App
    redirect_uri: str
    scope_request: scopes.ScopeRequest
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


async def validate_request(
    ctx: Context,
    *,
    client_id: str | None,
    redirect_uri: str | None,
    scope: str | None,
    optional_scope: str | None = None,
    state: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> AuthorizeRequest:
    """Check an authorize request in RFC 6749 §4.1.2.1 order: first what decides whether we
    may redirect at all (client, redirect URI), then everything else."""
    app = await ctx.store.find_app_by_client_id(client_id) if client_id else None
    if app is None:
        raise AuthorizationError("invalid_client", "Unknown client_id", redirectable=False)
    # Exact match, except any port on a loopback URI (RFC 9700 §4.1.3, RFC 8252 §7.3).
    if not redirect_uri or not redirect_uris.allowed(redirect_uri, app.redirect_uris):
        raise AuthorizationError(
            "invalid_request",
            "redirect_uri is not registered for this app",
            redirectable=False,
        )
    requested: tuple[str, ...] | None = None
    try:
        requested = scopes.parse(scope)
        request = scopes.check_request(
            requested, scopes.parse(optional_scope), app.scopes, app.optional_scopes
        )
    except scopes.ScopeError as exc:
        # HubSpot "will display an error" for an install URL lacking the app's required
        # scopes (docs/decisions.md); RFC 6749 §4.1.2.1 redirects invalid_scope to the app.
        lacks_required = requested is not None and any(s not in requested for s in app.scopes)
        shown_on_page = lacks_required and ctx.policy.install_page_rules is InstallPageRules.HUBSPOT
        raise AuthorizationError(
            "invalid_scope", exc.reason, redirectable=not shown_on_page
        ) from None
    if code_challenge is not None or code_challenge_method is not None:
        method = code_challenge_method or "plain"
        if method not in pkce.SUPPORTED_METHODS:
            raise AuthorizationError(
                "invalid_request", "code_challenge_method must be S256", redirectable=True
            )
        if not code_challenge or not pkce.valid_challenge(code_challenge):
            raise AuthorizationError(
                "invalid_request", "code_challenge is malformed", redirectable=True
            )
    return AuthorizeRequest(
        app=app,
        redirect_uri=redirect_uri,
        scope_request=request,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method if code_challenge else None,
    )


async def approve(
    ctx: Context,
    request: AuthorizeRequest,
    hub: Hub,
    user: User,
    accepted_optional: Iterable[str] = (),
) -> str:
    """Record the install and return a fresh authorization code (the only copy)."""
    granted = scopes.grant(request.scope_request, accepted_optional)
    now = ctx.now_ms()
    install = await ctx.store.upsert_install(
        request.app.app_id, hub.hub_id, user.user_id, granted, now
    )
    code = tokens.new_auth_code(hub.hublet, ctx.policy.token_shape)
    await ctx.store.save_code(
        AuthCode(
            code_hash=ctx.hasher.hash(code),
            app_id=request.app.app_id,
            install_id=install.install_id,
            hub_id=hub.hub_id,
            user_id=user.user_id,
            scopes=granted,
            redirect_uri=request.redirect_uri,
            created_ms=now,
            expires_ms=now + ctx.policy.auth_code_ttl_s * 1000,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            key_id=ctx.hasher.key_id,
        )
    )
    ctx.audit(
        "install_approved",
        app_id=request.app.app_id,
        hub_id=hub.hub_id,
        user_id=user.user_id,
        scopes=" ".join(granted),
    )
    return code


def redirect_with(redirect_uri: str, params: dict[str, str | None]) -> str:
    """Append parameters to a registered redirect URI, keeping its own query intact.

    Values are percent-encoded with spaces as ``%20`` (RFC 3986 §2.1), never ``+``, so a
    ``state`` decodes to the same string whether the app reads it as a form value or with
    ``decodeURIComponent`` (spec §2.1: HubSpot's SDK encodes spaces as ``%20`` too)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((k, v) for k, v in params.items() if v is not None)
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


class InstallTargetMissing(LookupError):
    """The hub or user named for a direct approval does not exist (or the hub is deleted)."""


async def approve_directly(
    ctx: Context,
    *,
    client_id: str,
    hub_id: int,
    user_id: int,
    redirect_uri: str,
    scope: str,
    optional_scope: str | None = None,
    accepted_optional: Iterable[str] | None = None,
    state: str | None = None,
    code_challenge: str | None = None,
) -> str:
    """Validate an authorize request and approve it for a given hub and user, as if the user
    had clicked "Connect" (CLI ``hubauth authorize``, the demo seed, the pytest plugin).

    ``accepted_optional`` defaults to every optional scope requested. Raises
    :class:`AuthorizationError` or :class:`InstallTargetMissing`; returns the code.
    """
    request = await validate_request(
        ctx,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        optional_scope=optional_scope,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method="S256" if code_challenge else None,
    )
    hub = await ctx.store.find_hub(hub_id)
    if hub is None or hub.deleted:
        raise InstallTargetMissing(f"no hub {hub_id}")
    user = await ctx.store.find_user(user_id)
    if user is None:
        raise InstallTargetMissing(f"no user {user_id}")
    accepted = request.scope_request.optional if accepted_optional is None else accepted_optional
    return await approve(ctx, request, hub, user, accepted)
