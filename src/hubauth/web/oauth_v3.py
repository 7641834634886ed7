"""HubSpot's v3 OAuth API and its date-versioned twins (spec §1.6-§1.8, §5):

* ``POST /oauth/{v}/token``
* ``POST /oauth/{v}/token/introspect``
* ``POST /oauth/{v}/token/revoke``

for ``{v}`` in :data:`VERSIONS`. HubSpot's specs alias the paths operation for operation
(spec §5.1), so one handler serves every version; the routes are generated from the list.

Unlike v1, every parameter belongs in the body (spec §1.6, §5.2): a request whose URL has
a query string is refused before anything else is read, so a secret or token put in a URL (and
thereby in proxy and server logs) is never also honoured. Bodies may be forms or, as HubSpot's
``hubspot-sdk`` sends them, JSON; clients authenticate in the body or with HTTP Basic. The one
parse of these requests is :mod:`hubauth.web.token_request`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import introspection, revocation
from hubauth.core.errors import TokenError
from hubauth.core.token_endpoint import response_body, token_request
from hubauth.core.versions import API_VERSIONS
from hubauth.web.oauth_v1 import TOKEN_ERRORS
from hubauth.web.responses import NO_STORE, json_response
from hubauth.web.routing import FORM_AND_JSON, ApiRoute
from hubauth.web.token_request import (
    INTROSPECT_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    VERSIONS,
    parsed_request,
)

__all__ = ["INTROSPECT_PATH", "REVOKE_PATH", "TOKEN_PATH", "VERSIONS", "routes"]


def token_endpoint(version: str) -> Callable[[Request], Awaitable[Response]]:
    """The token handler of one version: only the grants its spec lists are served
    (:data:`hubauth.core.versions.API_VERSIONS`)."""
    grant_types = API_VERSIONS[version].grant_types

    async def token(request: Request) -> Response:
        parsed = await parsed_request(request)
        try:
            issuer = request.app.state.settings.issuer
            issued = await token_request(
                request.app.state.ctx,
                parsed.params,
                grant_types,
                assertion_audiences=(issuer, issuer + request.url.path),
            )
        except TokenError as exc:
            raise parsed.refusal(exc) from None
        return json_response(request.app.state, "token-response", response_body(issued))

    return token


async def introspect(request: Request) -> Response:
    parsed = await parsed_request(request)
    try:
        body = await introspection.introspect(request.app.state.ctx, parsed.params)
    except TokenError as exc:
        raise parsed.refusal(exc) from None
    return json_response(request.app.state, "introspection-response", body)


async def revoke(request: Request) -> Response:
    """200 with an empty body (RFC 7009 §2.2: "all necessary information is conveyed in the
    response code"; HubSpot's spec declares no success body, spec §1.8)."""
    parsed = await parsed_request(request)
    try:
        await revocation.revoke_token(request.app.state.ctx, parsed.params)
    except TokenError as exc:
        raise parsed.refusal(exc) from None
    return Response(status_code=200, headers=NO_STORE)


def _routes(version: str) -> list[ApiRoute]:
    tags = [f"OAuth {version}"]
    return [
        ApiRoute(
            TOKEN_PATH.format(version=version),
            token_endpoint(version),
            methods=["POST"],
            name=f"{version}_token",
            summary="Exchange a code or refresh token for tokens"
            + (
                ", or get an app token (client_credentials)"
                if "client_credentials" in API_VERSIONS[version].grant_types
                else ""
            )
            + "; form or JSON body",
            request_contract="token-request",
            request_media_types=FORM_AND_JSON,
            responses={200: "token-response", **TOKEN_ERRORS},
            tags=tags,
        ),
        ApiRoute(
            INTROSPECT_PATH.format(version=version),
            introspect,
            methods=["POST"],
            name=f"{version}_introspect",
            summary="Describe a token of the calling client (RFC 7662); "
            'anything else is {"active": false}',
            request_contract="introspection-request",
            request_media_types=FORM_AND_JSON,
            responses={200: "introspection-response", **TOKEN_ERRORS},
            tags=tags,
        ),
        ApiRoute(
            REVOKE_PATH.format(version=version),
            revoke,
            methods=["POST"],
            name=f"{version}_revoke",
            summary="Revoke a refresh or access token of the calling client (RFC 7009); "
            "200 whether or not it was live",
            request_contract="revocation-request",
            request_media_types=FORM_AND_JSON,
            responses={200: None, **TOKEN_ERRORS},
            tags=tags,
        ),
    ]


routes: list[ApiRoute] = [route for version in VERSIONS for route in _routes(version)]
