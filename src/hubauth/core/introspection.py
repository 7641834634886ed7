"""Token introspection (RFC 7662) as HubSpot's v3 API serves it (spec §1.7).

``POST /oauth/{v3|2026-03|2026-09}/token/introspect`` replaces v1's two metadata lookups.
The caller authenticates as a client (``client_secret_post``, RFC 7662 §2.1 requires some
authentication) and may only learn about tokens issued to that client: for anything else —
unknown, expired, revoked, rotated away, uninstalled, or another client's token — the answer is
``{"active": false}`` and nothing more (RFC 7662 §2.2; spec §1.7 "inactive/unknown token").

Active bodies carry HubSpot's fields (``PublicAccessTokenInfoResponse`` /
``PublicRefreshTokenInfoResponse``) plus RFC 7662 §2.2's ``scope``, ``iat`` and (access tokens)
``exp``, so a generic RFC 7662 resource-server library can read them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubauth.core import clients, metadata, token_params
from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.models import App
from hubauth.core.token_params import TokenKind

#: RFC 7662 §2.2: an inactive token's response "SHOULD NOT contain any additional claims".
INACTIVE: dict[str, Any] = {"active": False}

#: spec §1.7: HubSpot writes ``Bearer`` here, unlike the token endpoint's ``bearer``.
TOKEN_TYPE = "Bearer"


async def introspect(ctx: Context, params: Mapping[str, str]) -> dict[str, Any]:
    """Authenticate the client, then describe the token if it is live and the client's own.

    Raises ``invalid_client`` (:mod:`hubauth.core.clients`) before looking at the token, so an
    unauthenticated caller learns nothing about it; a missing token is ``invalid_request``.
    """
    app = await clients.authenticate(ctx, params.get("client_id"), params.get("client_secret"))
    query = token_params.parse(params)
    for kind in query.lookup_order():
        try:
            if kind is TokenKind.ACCESS:
                return await _access_token(ctx, app, query.token)
            return await _refresh_token(ctx, app, query.token)
        except TokenNotFound:
            continue
    return dict(INACTIVE)


async def _access_token(ctx: Context, app: App, token: str) -> dict[str, Any]:
    record, remaining = await metadata.live_access_token(ctx, token)
    _check_owner(ctx, app, record.app_id, TokenKind.ACCESS)
    body: dict[str, Any] = {
        "active": True,
        "token": token,
        "token_type": TOKEN_TYPE,
        # Always access_token, app-level (client_credentials) tokens included: HubSpot's union
        # has no third shape and its SDKs pick the model by token_use. What marks an app token
        # is signed_access_token.isUserLevel false / isServiceAccount true and the 0 ids
        # (docs/decisions.md, UNCONFIRMED at HubSpot).
        "token_use": TokenKind.ACCESS.value,
        "client_id": record.client_id,
        "app_id": record.app_id,
        # HubSpot's schema requires both ids; app-level tokens have neither, so 0 as in v1.
        "hub_id": record.hub_id or 0,
        "user_id": record.user_id or 0,
        "scopes": list(record.scopes),
        "scope": " ".join(record.scopes),
        "expires_in": remaining,
        "exp": record.expires_ms // 1000,
        "iat": record.created_ms // 1000,
        "is_private_distribution": record.is_private_distribution,
        "signed_access_token": metadata.signed_access_token(ctx, record),
    }
    if record.user_email is not None:
        body["user"] = record.user_email
    if record.hub_domain is not None:
        body["hub_domain"] = record.hub_domain
    return body


async def _refresh_token(ctx: Context, app: App, token: str) -> dict[str, Any]:
    record = await metadata.live_refresh_token(ctx, token)
    _check_owner(ctx, app, record.app_id, TokenKind.REFRESH)
    return {
        "active": True,
        "token": token,
        "token_type": TOKEN_TYPE,
        "token_use": TokenKind.REFRESH.value,
        "client_id": record.client_id,
        "app_id": record.app_id,
        "hub_id": record.hub_id,
        "user_id": record.user_id,
        "user": record.user_email,
        "hub_domain": record.hub_domain,
        "scopes": list(record.scopes),
        "scope": " ".join(record.scopes),
        "iat": record.created_ms // 1000,
    }


def _check_owner(ctx: Context, app: App, owner_app_id: int, kind: TokenKind) -> None:
    """Another client's token is reported exactly like an unknown one (RFC 7662 §4: the
    server must not reveal tokens to clients they were not issued to). The event is audited:
    a client holding someone else's live token is a leak an operator wants to hear about."""
    if owner_app_id != app.app_id and app.client_id not in ctx.policy.resource_server_clients:
        ctx.audit(
            "foreign_token_presented", via="v3_introspect", app_id=app.app_id, kind=kind.value
        )
        raise TokenNotFound
