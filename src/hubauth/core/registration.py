"""Dynamic client registration (RFC 7591) and client management (RFC 7592).

A client registers with JSON metadata; the validation is the CLI's (``hubauth apps create``):
:func:`hubauth.core.provisioning.create_app` checks the scopes against the catalogue and the
redirect URIs against the registration policy. Management (read, replace, delete, new secret)
is allowed to the holder of the client's registration access token, a random value stored only
as its HMAC digest (RFC 7592 §1.1), or to the operator's admin token (checked by the caller).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from hubauth.core import client_assertion, provisioning
from hubauth.core.context import Context
from hubauth.core.models import App, RefreshPolicy
from hubauth.core.provisioning import ProvisioningError

#: hubauth's extension members (RFC 7591 §2: servers may define more metadata).
REFRESH_POLICY = "hubauth_refresh_policy"
OPTIONAL_SCOPE = "hubauth_optional_scope"
GRANT_TYPES = ("authorization_code", "refresh_token")
DEFAULT_AUTH_METHOD = "client_secret_post"  # RFC 7591 §2 says client_secret_basic; see decisions
JWT_METHOD = "private_key_jwt"
#: the apps.name column's width
MAX_NAME = 200


class RegistrationError(ValueError):
    """RFC 7591 §3.2.2: ``invalid_redirect_uri`` or ``invalid_client_metadata``, 400."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class NotAllowed(Exception):
    """Unknown client or wrong registration access token (RFC 7592 §3: 401, indistinguishable
    so a stranger cannot probe which client ids exist)."""


@dataclass(frozen=True, slots=True)
class Metadata:
    client_name: str
    redirect_uris: tuple[str, ...]
    scope: str
    optional_scope: str
    token_endpoint_auth_method: str
    jwks: str | None
    refresh_policy: RefreshPolicy | None


@dataclass(frozen=True, slots=True)
class Registered:
    app: App
    auth_method: str
    jwks: str | None
    client_secret: str | None = None
    registration_access_token: str | None = None


def parse_metadata(body: Any, auth_methods: Collection[str]) -> Metadata:
    """The client metadata of a registration or update request (RFC 7591 §2)."""
    if not isinstance(body, Mapping):
        raise _metadata("the body must be a JSON object")
    name = body.get("client_name")
    if not isinstance(name, str) or not name.strip():
        raise _metadata("client_name is required (a non-empty string)")
    if len(name.strip()) > MAX_NAME or "\x00" in name:
        raise _metadata(f"client_name: at most {MAX_NAME} characters, no NUL")
    uris = body.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise RegistrationError("invalid_redirect_uri", "redirect_uris must be a non-empty list")
    scope = _string(body, "scope")
    if not scope:
        raise _metadata("scope is required (space-separated; an app needs at least one)")
    method = _string(body, "token_endpoint_auth_method") or DEFAULT_AUTH_METHOD
    if method not in auth_methods:
        raise _metadata(
            f"token_endpoint_auth_method {method!r} is not supported; "
            f"supported: {', '.join(sorted(auth_methods))}"
        )
    if "jwks_uri" in body:
        raise _metadata("jwks_uri is not supported: register the keys by value in jwks")
    jwks: str | None = None
    if body.get("jwks") is not None:
        if not isinstance(body["jwks"], Mapping):
            raise _metadata("jwks must be a JWK Set object")
        try:
            jwks = client_assertion.normalize_jwks(_json(body["jwks"]))
        except client_assertion.BadKeys as exc:
            raise _metadata(f"jwks: {exc}") from None
    if method == JWT_METHOD and jwks is None:
        raise _metadata("private_key_jwt needs the client's public keys in jwks")
    for member, allowed in (("grant_types", GRANT_TYPES), ("response_types", ("code",))):
        values = body.get(member)
        if values is not None and (not isinstance(values, list) or not set(values) <= set(allowed)):
            raise _metadata(f"{member} may only contain {', '.join(allowed)}")
    policy_raw = _string(body, REFRESH_POLICY)
    try:
        policy = RefreshPolicy(policy_raw) if policy_raw else None
    except ValueError:
        raise _metadata(f"{REFRESH_POLICY} must be static or rotate") from None
    return Metadata(
        client_name=name.strip(),
        redirect_uris=tuple(uris),
        scope=scope,
        optional_scope=_string(body, OPTIONAL_SCOPE),
        token_endpoint_auth_method=method,
        jwks=jwks,
        refresh_policy=policy,
    )


async def register(ctx: Context, metadata: Metadata, default_policy: RefreshPolicy) -> Registered:
    """Create the app exactly as ``hubauth apps create`` does, and its registration token."""
    try:
        created = await provisioning.create_app(
            ctx,
            name=metadata.client_name,
            redirect_uris=metadata.redirect_uris,
            required_scopes=metadata.scope,
            optional_scopes=metadata.optional_scope,
            refresh_policy=metadata.refresh_policy or default_policy,
        )
    except ProvisioningError as exc:
        raise _from_provisioning(exc) from None
    app = created.app
    if metadata.jwks is not None:
        await ctx.store.set_app_jwks(app.app_id, metadata.jwks, ctx.now_ms())
    token = secrets.token_urlsafe(32)
    await ctx.store.save_registration(
        app.app_id,
        ctx.hasher.hash_secret(token),
        ctx.hasher.key_id,
        metadata.token_endpoint_auth_method,
        ctx.now_ms(),
    )
    ctx.audit(
        "client_registered", app_id=app.app_id, auth_method=metadata.token_endpoint_auth_method
    )
    return Registered(
        app,
        metadata.token_endpoint_auth_method,
        metadata.jwks,
        None if metadata.token_endpoint_auth_method == JWT_METHOD else created.client_secret,
        token,
    )


async def find(ctx: Context, client_id: str, registration_token: str | None) -> Registered:
    """The registered client, if ``registration_token`` is its token, or with ``None`` when the
    caller already proved the admin token. Raises :class:`NotAllowed`."""
    # client ids are UUIDs: anything else (too long, control characters a database would
    # refuse) is simply unknown
    plausible = len(client_id) <= 100 and client_id.isprintable()
    app = await ctx.store.find_app_by_client_id(client_id) if plausible else None
    registration = await ctx.store.find_registration(app.app_id) if app is not None else None
    if registration_token is not None:
        # compare even for an unknown client, so timing does not tell whether it exists
        digest, key_id = (
            registration[:2] if registration is not None else (b"\0" * 32, ctx.hasher.key_id)
        )
        if not ctx.hasher.secret_matches(registration_token, digest, key_id) or (
            registration is None
        ):
            raise NotAllowed
    if app is None:
        raise NotAllowed
    method = registration[2] if registration is not None else DEFAULT_AUTH_METHOD
    return Registered(app, method, await ctx.store.find_app_jwks(app.app_id))


async def update(ctx: Context, current: Registered, metadata: Metadata) -> Registered:
    """RFC 7592 §2.2: the request's metadata replaces the registered metadata, checked as on
    registration."""
    try:
        required = provisioning.parse_scopes(metadata.scope, "scopes")
        optional = provisioning.parse_scopes(metadata.optional_scope, "optional_scopes")
        provisioning.check_app(ctx, required, optional, metadata.redirect_uris)
    except ProvisioningError as exc:
        raise _from_provisioning(exc) from None
    app = current.app
    policy = metadata.refresh_policy or app.refresh_policy
    await ctx.store.update_app(
        app.app_id,
        name=metadata.client_name,
        redirect_uris=metadata.redirect_uris,
        scopes=required,
        optional_scopes=optional,
        refresh_policy=policy,
    )
    await ctx.store.set_app_jwks(app.app_id, metadata.jwks, ctx.now_ms())
    registration = await ctx.store.find_registration(app.app_id)
    if registration is not None:
        await ctx.store.save_registration(
            app.app_id,
            registration[0],
            registration[1],
            metadata.token_endpoint_auth_method,
            ctx.now_ms(),
        )
    ctx.audit("client_updated", app_id=app.app_id)
    updated = await ctx.store.find_app(app.app_id)
    assert updated is not None
    return Registered(updated, metadata.token_endpoint_auth_method, metadata.jwks)


def describe(registered: Registered, registration_client_uri: str) -> dict[str, Any]:
    """The client information response (RFC 7591 §3.2.1, RFC 7592 §3)."""
    app = registered.app
    body: dict[str, Any] = {
        "client_id": app.client_id,
        "client_name": app.name,
        "redirect_uris": list(app.redirect_uris),
        "scope": " ".join(app.scopes),
        OPTIONAL_SCOPE: " ".join(app.optional_scopes),
        "token_endpoint_auth_method": registered.auth_method,
        "grant_types": list(GRANT_TYPES),
        "response_types": ["code"],
        REFRESH_POLICY: app.refresh_policy.value,
        "registration_client_uri": registration_client_uri,
        "app_id": app.app_id,
    }
    if registered.jwks is not None:
        body["jwks"] = _loads(registered.jwks)
    if registered.client_secret is not None:
        body["client_secret"] = registered.client_secret
        body["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: 0 means it does not expire
    if registered.registration_access_token is not None:
        body["registration_access_token"] = registered.registration_access_token
    return body


def _from_provisioning(exc: ProvisioningError) -> RegistrationError:
    if exc.param == "redirect_uri":
        return RegistrationError("invalid_redirect_uri", exc.reason)
    return _metadata(f"{exc.param}: {exc.reason}")


def _metadata(description: str) -> RegistrationError:
    return RegistrationError("invalid_client_metadata", description)


def _string(body: Mapping[str, Any], member: str) -> str:
    value = body.get(member)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _metadata(f"{member} must be a string")
    return value.strip()


def _json(value: Any) -> str:
    return json.dumps(value)


def _loads(text: str) -> Any:
    return json.loads(text)


async def delete(ctx: Context, registered: Registered) -> None:
    """RFC 7592 §2.3: the client goes with every token, code and install of it."""
    await provisioning.delete_app(ctx, registered.app.app_id)


async def rotate_secret(ctx: Context, registered: Registered) -> Registered:
    """A new client secret, the old one refused from now on (as ``apps rotate-secret``)."""
    secret, _ = await provisioning.rotate_secret(ctx, registered.app)
    return Registered(registered.app, registered.auth_method, registered.jwks, secret)
