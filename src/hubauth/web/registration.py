"""RFC 7591 dynamic client registration and RFC 7592 client management, over HTTP.

* ``POST /oauth/register``: register a client (201). Needs the operator's admin token
  (``HUBAUTH_ADMIN_TOKEN``) as a Bearer token, unless ``HUBAUTH_OPEN_REGISTRATION`` is on.
* ``GET|PUT|DELETE /oauth/register/{client_id}``: read, replace (RFC 7592 §2.2: the body is
  the full metadata) or delete the client; ``POST /oauth/register/{client_id}/secret`` issues a
  new client secret (hubauth's extension). Each needs the client's registration access token
  or the admin token.

The validation and the writes are :mod:`hubauth.core.registration`'s, which calls the same
core functions as ``hubauth apps create|delete|rotate-secret``. Errors are RFC 7591 §3.2.2
bodies (``invalid_redirect_uri``, ``invalid_client_metadata``: 400) and RFC 6750 §3.1
``invalid_token`` (401).
"""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import registration
from hubauth.core.models import RefreshPolicy
from hubauth.core.registration import NotAllowed, RegistrationError
from hubauth.web.appinstalls import bearer_token
from hubauth.web.forms import read_body
from hubauth.web.responses import NO_STORE, json_response
from hubauth.web.routing import ApiRoute
from hubauth.web.services import context_of, services_of
from hubauth.web.token_request import ENDPOINTS, JSON_TYPE, TOKEN_PATH, VERSIONS

REGISTER_PATH = "/oauth/register"
CLIENT_PATH = REGISTER_PATH + "/{client_id}"
SECRET_PATH = CLIENT_PATH + "/secret"
TAGS = ["Client registration (RFC 7591/7592)"]
_CHALLENGE = 'Bearer realm="hubauth-registration"'


def enabled(settings: Any) -> bool:
    """Whether registration is offered at all (advertised in discovery only then)."""
    return bool(settings.open_registration or settings.admin_token is not None)


def auth_methods() -> list[str]:
    """What the token endpoint really accepts (the methods discovery advertises)."""
    token = TOKEN_PATH.format(version=VERSIONS[0])
    return [str(method) for method in ENDPOINTS[token].auth_methods]


def _is_admin(request: Request) -> bool:
    expected = services_of(request).settings.admin_token
    presented = bearer_token(request)
    if expected is None or presented is None:
        return False
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), expected.get_secret_value().encode()
    )


def _error(request: Request, status: int, error: str, description: str) -> Response:
    headers = {"WWW-Authenticate": f'{_CHALLENGE}, error="{error}"'} if status == 401 else None
    body = {"error": error, "error_description": description}
    return json_response(request.app.state, "registration-error", body, status, headers)


def _unauthorized(request: Request) -> Response:
    return _error(request, 401, "invalid_token", "a valid registration access token is required")


async def _metadata(request: Request) -> registration.Metadata:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != JSON_TYPE:
        raise RegistrationError("invalid_client_metadata", f"Content-Type must be {JSON_TYPE}")
    raw = await read_body(request, services_of(request).settings.max_body_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RegistrationError("invalid_client_metadata", "the body is not valid JSON") from None
    return registration.parse_metadata(body, auth_methods())


def _client_uri(request: Request, client_id: str) -> str:
    issuer: str = services_of(request).settings.issuer
    return issuer + CLIENT_PATH.format(client_id=client_id)


def _describe(request: Request, found: registration.Registered, status: int = 200) -> Response:
    body = registration.describe(found, _client_uri(request, found.app.client_id))
    return json_response(request.app.state, "client-information", body, status)


async def register(request: Request) -> Response:
    settings = services_of(request).settings
    if not settings.open_registration and not _is_admin(request):
        return _unauthorized(request)
    try:
        metadata = await _metadata(request)
        created = await registration.register(
            context_of(request), metadata, RefreshPolicy(settings.default_refresh_policy)
        )
    except RegistrationError as exc:
        return _error(request, 400, exc.error, exc.description)
    return _describe(request, created, 201)


async def _client(request: Request) -> registration.Registered:
    token = None if _is_admin(request) else bearer_token(request)
    if token is None and not _is_admin(request):
        raise NotAllowed
    return await registration.find(context_of(request), request.path_params["client_id"], token)


async def read(request: Request) -> Response:
    try:
        found = await _client(request)
    except NotAllowed:
        return _unauthorized(request)
    return _describe(request, found)


async def replace(request: Request) -> Response:
    try:
        found = await _client(request)
    except NotAllowed:
        return _unauthorized(request)
    try:
        metadata = await _metadata(request)
        updated = await registration.update(context_of(request), found, metadata)
    except RegistrationError as exc:
        return _error(request, 400, exc.error, exc.description)
    return _describe(request, updated)


async def delete(request: Request) -> Response:
    """RFC 7592 §2.3: 204, and the client's tokens, codes and installs are gone with it."""
    try:
        found = await _client(request)
    except NotAllowed:
        return _unauthorized(request)
    await registration.delete(context_of(request), found)
    return Response(status_code=204, headers=NO_STORE)


async def rotate_secret(request: Request) -> Response:
    try:
        found = await _client(request)
    except NotAllowed:
        return _unauthorized(request)
    rotated = await registration.rotate_secret(context_of(request), found)
    return _describe(request, rotated)


_ERRORS = {401: "registration-error"}
routes = [
    ApiRoute(
        REGISTER_PATH,
        register,
        methods=["POST"],
        name="register_client",
        summary="Register a client (RFC 7591); admin token unless open registration is on",
        request_contract="client-registration-request",
        request_media_types=(JSON_TYPE,),
        responses={201: "client-information", 400: "registration-error", **_ERRORS},
        tags=TAGS,
    ),
    ApiRoute(
        CLIENT_PATH,
        read,
        methods=["GET"],
        name="read_client",
        summary="Read a registered client (RFC 7592 §2.1)",
        responses={200: "client-information", **_ERRORS},
        tags=TAGS,
    ),
    ApiRoute(
        CLIENT_PATH,
        replace,
        methods=["PUT"],
        name="update_client",
        summary="Replace a client's metadata (RFC 7592 §2.2)",
        request_contract="client-registration-request",
        request_media_types=(JSON_TYPE,),
        responses={200: "client-information", 400: "registration-error", **_ERRORS},
        tags=TAGS,
    ),
    ApiRoute(
        CLIENT_PATH,
        delete,
        methods=["DELETE"],
        name="delete_client",
        summary="Delete a client and revoke everything of it (RFC 7592 §2.3)",
        responses={204: None, **_ERRORS},
        tags=TAGS,
    ),
    ApiRoute(
        SECRET_PATH,
        rotate_secret,
        methods=["POST"],
        name="rotate_client_secret",
        summary="Issue a new client secret (the old one stops working)",
        responses={200: "client-information", **_ERRORS},
        tags=TAGS,
    ),
]
