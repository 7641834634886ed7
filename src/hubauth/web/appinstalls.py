"""HubSpot's App Uninstalls API: ``DELETE /appinstalls/{v}/external-install`` for ``{v}`` in
v3, 2026-03 and 2026-09 (https://developers.hubspot.com/docs/api-reference/latest/app-management/app-uninstalls).

The caller authenticates with an access token of the install (``Authorization: Bearer``,
RFC 6750 §2.1); a success is 204 with no body. Every failure to authenticate is one 401 with
HubSpot's ``Error`` shape, whatever the reason, so the answer says nothing about the token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import installs
from hubauth.core.errors import ApiError, TokenNotFound
from hubauth.web.errors import api_error_response
from hubauth.web.responses import NO_STORE
from hubauth.web.routing import ApiRoute
from hubauth.web.services import context_of

VERSIONS: tuple[str, ...] = ("v3", "2026-03", "2026-09")
UNINSTALL_PATH = "/appinstalls/{version}/external-install"

UNAUTHENTICATED = ApiError(
    "INVALID_AUTHENTICATION",
    "Authentication credentials not found: send an access token of the install as "
    "'Authorization: Bearer <token>'",
    401,
)
_MAX_TOKEN = 1024


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (RFC 6750 §2.1), or None."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
        return None
    return token


async def uninstall(request: Request) -> Response:
    token = bearer_token(request)
    try:
        if token is None:
            raise TokenNotFound
        await installs.uninstall_with_access_token(context_of(request), token)
    except TokenNotFound:
        response = api_error_response(request, UNAUTHENTICATED)
        response.headers["WWW-Authenticate"] = 'Bearer realm="hubauth"'
        return response
    return Response(status_code=204, headers=NO_STORE)


routes: list[ApiRoute] = [
    ApiRoute(
        UNINSTALL_PATH.format(version=version),
        uninstall,
        methods=["DELETE"],
        name=f"{version}_app_uninstall",
        summary="Uninstall the app from the account of the bearer access token: every token "
        "of the install is revoked",
        responses={204: None, 401: "error", 429: "rate-limit", 503: "error"},
        tags=[f"App Uninstalls {version}"],
    )
    for version in VERSIONS
]
