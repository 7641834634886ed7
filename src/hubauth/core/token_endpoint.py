"""The token endpoint (RFC 6749 §3.2): pick the grant, authenticate the client, run it.

Shared by ``/oauth/v1/token``, ``/oauth/v3/token`` and the dated twins; the routes only differ
in where they accept parameters from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from hubauth.core import client_assertion, clients, errors, grants, versions
from hubauth.core.context import Context
from hubauth.core.models import IssuedTokens, TokenUse

GRANT_TYPES = versions.ALL_GRANTS


async def token_request(
    ctx: Context,
    params: Mapping[str, str],
    grant_types: Collection[str] = GRANT_TYPES,
    *,
    assertion_audiences: Collection[str] = (),
) -> IssuedTokens:
    """``grant_types``: those the API version offers (:mod:`hubauth.core.versions`); any other
    is ``unsupported_grant_type`` (RFC 6749 section 5.2), before the client is authenticated.
    ``assertion_audiences``: the ``aud`` values a ``private_key_jwt`` client assertion may
    carry here (the endpoint's URL and the issuer); empty where assertions are not taken."""
    grant_type = params.get("grant_type")
    if grant_type not in grant_types:
        raise errors.unsupported_grant_type(grant_type)
    if "client_assertion" in params or "client_assertion_type" in params:
        app = await client_assertion.authenticate(ctx, params, assertion_audiences)
    else:
        app = await clients.authenticate(ctx, params.get("client_id"), params.get("client_secret"))
    if grant_type == "authorization_code":
        return await grants.authorization_code(
            ctx, app, params.get("code"), params.get("redirect_uri"), params.get("code_verifier")
        )
    if grant_type == "refresh_token":
        return await grants.refresh_token(
            ctx, app, params.get("refresh_token"), params.get("scope")
        )
    return await grants.client_credentials(ctx, app, params.get("scope"))


def response_body(issued: IssuedTokens) -> dict[str, Any]:
    """HubSpot's ``AccessTokenResponse`` / ``ClientCredentialsTokenResponse`` (spec §1.2)."""
    body: dict[str, Any] = {
        "token_type": "bearer",
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
        "token_use": issued.token_use.value,
        "scopes": list(issued.scopes),
    }
    if issued.token_use is TokenUse.ACCESS_TOKEN:
        body["refresh_token"] = issued.refresh_token
        body["hub_id"] = issued.hub_id
        body["user_id"] = issued.user_id
    return body
