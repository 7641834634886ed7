"""``GET /.well-known/oauth-authorization-server``: OAuth 2.0 Authorization Server Metadata
(RFC 8414 §3), describing what this server actually does.

Every value is derived from the code that implements it (the v3 route paths, the token
endpoint's grant list, the PKCE module's methods), so the document cannot drift from the
server; ``tests/v3/test_discovery.py`` also exercises each advertised capability.

HubSpot's own classic-app document was never captured (docs/sources.md: AE-WK; UNCONFIRMED); its MCP
server's document has the same members as ours, apart from ``scopes_supported`` (see below).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import client_assertion, pkce
from hubauth.core.token_endpoint import GRANT_TYPES
from hubauth.web import oauth_v3, registration
from hubauth.web.responses import JSONResponse
from hubauth.web.routing import ApiRoute
from hubauth.web.services import services_of
from hubauth.web.token_request import ENDPOINTS

WELL_KNOWN_PATH = "/.well-known/oauth-authorization-server"
#: The consent flow (docs/sources.md: WWO); served by ``web/authorize.py``.
AUTHORIZE_PATH = "/oauth/authorize"
#: Metadata changes only with a deployment; let clients cache it for an hour.
CACHE_CONTROL = "public, max-age=3600"


def metadata_document(issuer: str, *, registration_enabled: bool = False) -> dict[str, Any]:
    """The RFC 8414 §2 members this server supports.

    ``scopes_supported`` is left out on purpose (RFC 8414 §2 says RECOMMENDED, and a server
    "MAY choose not to advertise some supported scope values"): scopes are whatever each app
    is configured with, so any fixed list would be wrong, and the union of every app's scopes
    would tell strangers what the installed apps can do. HubSpot's MCP server publishes ``[]``,
    which would claim no scope is supported.
    """
    version = oauth_v3.VERSIONS[0]
    token = oauth_v3.TOKEN_PATH.format(version=version)
    introspect = oauth_v3.INTROSPECT_PATH.format(version=version)
    revoke = oauth_v3.REVOKE_PATH.format(version=version)
    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + token,
        "introspection_endpoint": issuer + introspect,
        "revocation_endpoint": issuer + revoke,
        "grant_types_supported": list(GRANT_TYPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        # what each endpoint's parse accepts (web/token_request.py), hence the truth
        "token_endpoint_auth_methods_supported": _methods(token),
        # RFC 8414 §2: required once private_key_jwt is listed.
        "token_endpoint_auth_signing_alg_values_supported": list(client_assertion.ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": _methods(introspect),
        "revocation_endpoint_auth_methods_supported": _methods(revoke),
        "code_challenge_methods_supported": list(pkce.SUPPORTED_METHODS),
    }
    if registration_enabled:  # RFC 8414 §2: only when registration is offered
        document["registration_endpoint"] = issuer + registration.REGISTER_PATH
    return document


def _methods(path: str) -> list[str]:
    return [str(method) for method in ENDPOINTS[path].auth_methods]


async def authorization_server_metadata(request: Request) -> Response:
    services = services_of(request)
    settings = services.settings
    body = metadata_document(settings.issuer, registration_enabled=registration.enabled(settings))
    check = services.contract_check
    if check is not None:
        check("authorization-server-metadata", body)
    return JSONResponse(body, headers={"Cache-Control": CACHE_CONTROL})


routes = [
    ApiRoute(
        WELL_KNOWN_PATH,
        authorization_server_metadata,
        methods=["GET"],
        name="authorization_server_metadata",
        summary="OAuth 2.0 Authorization Server Metadata (RFC 8414)",
        responses={200: "authorization-server-metadata"},
        tags=["Discovery"],
    ),
]
