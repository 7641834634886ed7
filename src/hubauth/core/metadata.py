"""Token metadata views: v1 ``GET /oauth/v1/access-tokens/{t}`` and ``/refresh-tokens/{t}``
(spec §1.3, §1.4) and the v3 introspection body (spec §1.7) share these lookups.

A token that is unknown, expired, revoked, rotated away or whose install is gone is reported
the same way (:class:`~hubauth.core.errors.TokenNotFound`), so the answer leaks nothing.
"""

from __future__ import annotations

import base64
import functools

import orjson

from hubauth.core import scopes as scope_rules
from hubauth.core import tokens
from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.models import AccessTokenRecord, App, RefreshTokenRecord, TokenUse

SCOPE_CATALOG: tuple[str, ...] = tuple(sorted(scope_rules.DESCRIPTIONS))


async def live_access_token(ctx: Context, token: str) -> tuple[AccessTokenRecord, int]:
    """The stored record and its remaining lifetime in whole seconds."""
    if not tokens.plausible_token(token):
        raise TokenNotFound
    record = await ctx.store.find_access_token(ctx.hasher.candidates(token))
    # A deleted hub's tokens are dead, as its refresh tokens are (BAD_HUB on refresh).
    if record is None or record.revoked_ms is not None or record.hub_deleted:
        raise TokenNotFound
    remaining_ms = record.expires_ms - ctx.now_ms()
    if remaining_ms <= 0:
        raise TokenNotFound
    return record, remaining_ms // 1000


async def live_refresh_token(
    ctx: Context, token: str, owner: App | None = None
) -> RefreshTokenRecord:
    """The live refresh token; with ``owner``, only if that app owns it (another app's token
    is "not found", exactly like an unknown one)."""
    if not tokens.plausible_token(token):
        raise TokenNotFound
    record = await ctx.store.find_refresh_token(ctx.hasher.candidates(token))
    if (
        record is None
        or (owner is not None and record.app_id != owner.app_id)
        or record.revoked_ms is not None
        or record.rotated_ms is not None
        or not record.install_active
        or record.hub_deleted
    ):
        raise TokenNotFound
    return record


@functools.lru_cache(maxsize=1024)  # per distinct scope set; apps have few
def _scope_bitmap(granted: tuple[str, ...]) -> str:
    return base64.b64encode(scope_rules.bitmap(granted, SCOPE_CATALOG)).decode()


def signed_access_token(ctx: Context, record: AccessTokenRecord) -> dict[str, object]:
    """HubSpot's ``signed_access_token`` object (spec §1.3), signed with the server key.

    ``scopes`` is a base64 bitmap over hubauth's scope catalog, as HubSpot's is over its own;
    clients treat it as opaque.
    """
    bitmap = _scope_bitmap(record.scopes)
    payload: dict[str, object] = {
        "appId": record.app_id,
        "appInstallId": str(record.install_id or 0),
        "audience": "hubauth",
        "expiresAt": record.expires_ms,
        "hubId": record.hub_id or 0,
        "hublet": record.hublet or ctx.policy.hublet,
        "installingUserId": record.user_id or 0,
        "isPrivateDistribution": record.is_private_distribution,
        "isServiceAccount": record.token_use is TokenUse.CLIENT_CREDENTIALS,
        "isUserLevel": record.user_id is not None,
        "scopeToScopeGroupPks": "",
        "scopes": bitmap,
        "trialScopeToScopeGroupPks": "",
        "trialScopes": "",
        "userId": record.user_id or 0,
    }
    signature = ctx.hasher.sign(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    payload["signature"] = signature
    payload["newSignature"] = signature
    return payload


async def access_token_info(ctx: Context, token: str) -> dict[str, object]:
    """The v1 ``AccessTokenInfoResponse`` (spec §1.3).

    App-level (client_credentials) tokens have no hub or user; HubSpot's schema still requires
    both ids, so they are reported as 0 (documented in docs/decisions.md).
    """
    record, remaining = await live_access_token(ctx, token)
    body: dict[str, object] = {
        "token": token,
        "scopes": list(record.scopes),
        "hub_id": record.hub_id or 0,
        "app_id": record.app_id,
        "user_id": record.user_id or 0,
        "expires_in": remaining,
        "token_type": "access",
        "is_private_distribution": record.is_private_distribution,
        "signed_access_token": signed_access_token(ctx, record),
    }
    if record.user_email is not None:
        body["user"] = record.user_email
    if record.hub_domain is not None:
        body["hub_domain"] = record.hub_domain
    return body


async def refresh_token_info(
    ctx: Context, token: str, owner: App | None = None
) -> dict[str, object]:
    """The v1 ``RefreshTokenMetadata`` (the founding contract) plus HubSpot's ``token_type``
    and ``hub_domain`` (spec §1.4; the literal ``"refresh"`` is our choice, §7 item 5).
    ``owner``: see :func:`live_refresh_token`."""
    record = await live_refresh_token(ctx, token, owner)
    return {
        "token": token,
        "user": record.user_email,
        "hub_domain": record.hub_domain,
        "scopes": list(record.scopes),
        "hub_id": record.hub_id,
        "client_id": record.client_id,
        "user_id": record.user_id,
        "token_type": "refresh",
    }
