"""HubSpot's v1 OAuth API (spec §1.2-§1.5):

* ``POST /oauth/v1/token``
* ``GET /oauth/v1/access-tokens/{token}``
* ``GET /oauth/v1/refresh-tokens/{token}``
* ``DELETE /oauth/v1/refresh-tokens/{token}``
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import metadata, revocation
from hubauth.core.errors import ApiError, TokenNotFound, invalid_request
from hubauth.core.token_endpoint import response_body, token_request
from hubauth.web.client_auth import with_basic_credentials
from hubauth.web.forms import check_contract, query_params, read_form
from hubauth.web.responses import NO_STORE, json_response
from hubauth.web.routing import ApiRoute

#: HubSpot's v1 spec allows these two in the query string (spec §1.2); nothing else.
V1_QUERY_PARAMS = frozenset({"client_secret", "refresh_token"})

ACCESS_TOKEN_NOT_FOUND = ApiError(
    "INVALID_AUTHENTICATION", "The access token is invalid, expired or revoked", 401
)
REFRESH_TOKEN_NOT_FOUND = ApiError(
    "OBJECT_NOT_FOUND", "The refresh token is invalid, expired or revoked", 404
)


async def token(request: Request) -> Response:
    state = request.app.state
    params = await read_form(request, state.settings.max_body_bytes)
    query = query_params(request)
    if query:
        if not state.settings.allow_query_credentials_v1 and query.keys() & V1_QUERY_PARAMS:
            raise invalid_request("credentials must be sent in the form body, not the URL")
        for name in V1_QUERY_PARAMS & query.keys():
            if name in params and params[name] != query[name]:
                raise invalid_request(f"parameter {name!r} is repeated")
            params.setdefault(name, query[name])
    params = with_basic_credentials(request, params)
    issued = await token_request(state.ctx, check_contract(params, "token-request"))
    return json_response(state, "token-response", response_body(issued))


async def access_token_metadata(request: Request) -> Response:
    try:
        body = await metadata.access_token_info(request.app.state.ctx, request.path_params["token"])
    except TokenNotFound:
        raise ACCESS_TOKEN_NOT_FOUND from None
    return json_response(request.app.state, "access-token-metadata", body)


async def refresh_token_metadata(request: Request) -> Response:
    try:
        body = await metadata.refresh_token_info(
            request.app.state.ctx, request.path_params["token"]
        )
    except TokenNotFound:
        raise REFRESH_TOKEN_NOT_FOUND from None
    return json_response(request.app.state, "refresh-token-metadata", body)


async def delete_refresh_token(request: Request) -> Response:
    try:
        await revocation.delete_refresh_token(request.app.state.ctx, request.path_params["token"])
    except TokenNotFound:
        raise REFRESH_TOKEN_NOT_FOUND from None
    return Response(status_code=204, headers=NO_STORE)


TOKEN_ERRORS = {
    400: "token-error",
    413: "token-error",
    415: "token-error",
    429: "rate-limit",
    503: "error",
}

#: With HUBAUTH_V1_SUNSET=enforce, from 2027-02-16 on the server's clock (web/sunset.py).
RETIRED = {410: "error"}

routes = [
    ApiRoute(
        "/oauth/v1/token",
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
        summary="Metadata of a refresh token",
        responses={
            200: "refresh-token-metadata",
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
        summary="Delete a refresh token (access tokens minted from it stay valid by default)",
        responses={204: None, 404: "error", 429: "rate-limit", 503: "error", **RETIRED},
        tags=["OAuth v1"],
    ),
]
