"""HubSpot's v3 OAuth API and its date-versioned twins (spec §1.6-§1.8, §5):

* ``POST /oauth/{v}/token``
* ``POST /oauth/{v}/token/introspect``
* ``POST /oauth/{v}/token/revoke``

for ``{v}`` in :data:`VERSIONS`. HubSpot's specs alias the paths operation for operation
(spec §5.1), so one handler serves every version; the routes are generated from the list.

Unlike v1, every parameter belongs in the form body (spec §1.6, §5.2): a request whose URL has
a query string is refused before anything else is read, so a secret or token put in a URL (and
thereby in proxy and server logs) is never also honoured.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import introspection, revocation
from hubauth.core.errors import invalid_request
from hubauth.core.token_endpoint import response_body, token_request
from hubauth.core.versions import API_VERSIONS
from hubauth.web.forms import check_contract, read_form
from hubauth.web.oauth_v1 import TOKEN_ERRORS
from hubauth.web.responses import NO_STORE, json_response
from hubauth.web.routing import ApiRoute

#: ``v3`` first: it is the version the discovery document advertises.
VERSIONS: tuple[str, ...] = ("v3", "2026-03", "2026-09")

TOKEN_PATH = "/oauth/{version}/token"
INTROSPECT_PATH = "/oauth/{version}/token/introspect"
REVOKE_PATH = "/oauth/{version}/token/revoke"

#: Names worth telling an operator about when they show up in a URL (values never logged).
_SENSITIVE = frozenset(
    {"client_secret", "refresh_token", "access_token", "token", "code", "code_verifier"}
)


async def _form(request: Request, contract: str) -> dict[str, str]:
    """The form body, after refusing any query string, checked against ``contract``."""
    state = request.app.state
    raw_query = request.scope.get("query_string", b"")
    if raw_query:
        names = {name for name, _ in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)}
        state.ctx.audit(
            "query_parameters_refused", path=request.url.path, exposed=sorted(names & _SENSITIVE)
        )
        raise invalid_request("v3 parameters must be sent in the form body, not in the URL")
    params = await read_form(request, state.settings.max_body_bytes)
    return check_contract(params, contract)


def token_endpoint(version: str) -> Callable[[Request], Awaitable[Response]]:
    """The token handler of one version: only the grants its spec lists are served
    (:data:`hubauth.core.versions.API_VERSIONS`)."""
    grant_types = API_VERSIONS[version].grant_types

    async def token(request: Request) -> Response:
        params = await _form(request, "token-request")
        issued = await token_request(request.app.state.ctx, params, grant_types)
        return json_response(request.app.state, "token-response", response_body(issued))

    return token


async def introspect(request: Request) -> Response:
    params = await _form(request, "introspection-request")
    body = await introspection.introspect(request.app.state.ctx, params)
    return json_response(request.app.state, "introspection-response", body)


async def revoke(request: Request) -> Response:
    """200 with an empty body (RFC 7009 §2.2: "all necessary information is conveyed in the
    response code"; HubSpot's spec declares no success body, spec §1.8)."""
    params = await _form(request, "revocation-request")
    await revocation.revoke_token(request.app.state.ctx, params)
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
            + "; form body only",
            request_contract="token-request",
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
            responses={200: None, **TOKEN_ERRORS},
            tags=tags,
        ),
    ]


routes: list[ApiRoute] = [route for version in VERSIONS for route in _routes(version)]
