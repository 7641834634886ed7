"""HubSpot's v1 OAuth API (docs/sources.md: SPEC, G-V1):

* ``POST /oauth/v1/token``
* ``GET /oauth/v1/access-tokens/{token}``
* ``GET /oauth/v1/refresh-tokens/{token}``
* ``DELETE /oauth/v1/refresh-tokens/{token}``
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import clients, metadata, revocation
from hubauth.core.errors import ApiError, TokenError, TokenNotFound
from hubauth.core.models import App
from hubauth.core.token_endpoint import response_body, token_request
from hubauth.web.client_auth import basic_credentials
from hubauth.web.errors import api_error_response
from hubauth.web.responses import NO_STORE, json_response
from hubauth.web.routing import ApiRoute
from hubauth.web.services import context_of
from hubauth.web.token_request import V1_QUERY_PARAMS, V1_TOKEN_PATH, parsed_request

__all__ = ["V1_QUERY_PARAMS", "routes"]

ACCESS_TOKEN_NOT_FOUND = ApiError(
    "INVALID_AUTHENTICATION", "The access token is invalid, expired or revoked", 401
)
REFRESH_TOKEN_NOT_FOUND = ApiError(
    "OBJECT_NOT_FOUND", "The refresh token is invalid, expired or revoked", 404
)


async def token(request: Request) -> Response:
    """Parsed by :mod:`hubauth.web.token_request` (form body, query credentials, Basic)."""
    parsed = await parsed_request(request)
    try:
        issued = await token_request(context_of(request), parsed.params)
    except TokenError as exc:
        raise parsed.refusal(exc) from None
    return json_response(request.app.state, "token-response", response_body(issued))


async def access_token_metadata(request: Request) -> Response:
    try:
        body = await metadata.access_token_info(context_of(request), request.path_params["token"])
    except TokenNotFound:
        raise ACCESS_TOKEN_NOT_FOUND from None
    return json_response(request.app.state, "access-token-metadata", body)


CLIENT_AUTH_REQUIRED = ApiError(
    "INVALID_AUTHENTICATION",
    "This server requires the app's client_id and client_secret (HTTP Basic) here",
    401,
)


async def _owner(request: Request) -> App | None:
    """With ``HUBAUTH_V1_REFRESH_TOKEN_CLIENT_AUTH``, the app authenticated by HTTP Basic
    (RFC 6749 §2.3.1; a GET and a DELETE have no body), else ``None`` (HubSpot: the token alone
    suffices, docs/sources.md: G-V1). Missing or wrong credentials: 401 before the token is looked
    up."""
    ctx = context_of(request)
    if not ctx.policy.v1_refresh_token_client_auth:
        return None
    try:
        creds = basic_credentials(request.headers.get("authorization", ""))
        if creds is None:
            raise CLIENT_AUTH_REQUIRED
        return await clients.authenticate(ctx, *creds)
    except TokenError:
        raise CLIENT_AUTH_REQUIRED from None


def _unauthenticated(request: Request, exc: ApiError) -> Response:
    response = api_error_response(request, exc)
    response.headers["WWW-Authenticate"] = 'Basic realm="hubauth"'
    return response


async def refresh_token_metadata(request: Request) -> Response:
    try:
        owner = await _owner(request)
        body = await metadata.refresh_token_info(
            context_of(request), request.path_params["token"], owner
        )
    except TokenNotFound:
        raise REFRESH_TOKEN_NOT_FOUND from None
    except ApiError as exc:
        if exc is not CLIENT_AUTH_REQUIRED:
            raise
        return _unauthenticated(request, exc)
    return json_response(request.app.state, "refresh-token-metadata", body)


async def delete_refresh_token(request: Request) -> Response:
    try:
        owner = await _owner(request)
        await revocation.delete_refresh_token(
            context_of(request), request.path_params["token"], owner
        )
    except TokenNotFound:
        raise REFRESH_TOKEN_NOT_FOUND from None
    except ApiError as exc:
        if exc is not CLIENT_AUTH_REQUIRED:
            raise
        return _unauthenticated(request, exc)
    return Response(status_code=204, headers=NO_STORE)


TOKEN_ERRORS = {
    400: "token-error",
    401: "token-error",
    413: "token-error",
    415: "token-error",
    429: "rate-limit",
    503: "error",
}

#: With HUBAUTH_V1_SUNSET=enforce, from 2027-02-16 on the server's clock (web/sunset.py).
RETIRED = {410: "error"}

routes = [
    ApiRoute(
        V1_TOKEN_PATH,
        token,
        methods=["POST"],
        name="v1_token",
        summary="Exchange a code or refresh token for tokens (client_credentials too)",
        request_contract="token-request",
        responses={200: "token-response", **TOKEN_ERRORS, **RETIRED},
        tags=["OAuth v1"],
    ),
    ApiRoute(
        "/oauth/v1/access-tokens/{token:path}",
        access_token_metadata,
        methods=["GET"],
        name="v1_access_token_metadata",
        summary="Metadata of an access token (remaining lifetime in expires_in)",
        responses={
            200: "access-token-metadata",
            401: "error",
            429: "rate-limit",
            503: "error",
            **RETIRED,
        },
        tags=["OAuth v1"],
    ),
    ApiRoute(
        "/oauth/v1/refresh-tokens/{token:path}",
        refresh_token_metadata,
        methods=["GET"],
        name="v1_refresh_token_metadata",
        summary="Metadata of a refresh token (401: HUBAUTH_V1_REFRESH_TOKEN_CLIENT_AUTH is on "
        "and the owning app's HTTP Basic credentials are missing or wrong)",
        responses={
            200: "refresh-token-metadata",
            401: "error",
            404: "error",
            429: "rate-limit",
            503: "error",
            **RETIRED,
        },
        tags=["OAuth v1"],
    ),
    ApiRoute(
        "/oauth/v1/refresh-tokens/{token:path}",
        delete_refresh_token,
        methods=["DELETE"],
        name="v1_delete_refresh_token",
        summary="Delete a refresh token (access tokens minted from it stay valid by default; "
        "401 as for its metadata)",
        responses={
            204: None,
            401: "error",
            404: "error",
            429: "rate-limit",
            503: "error",
            **RETIRED,
        },
        tags=["OAuth v1"],
    ),
]
