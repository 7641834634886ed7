"""Rendering errors in HubSpot's two shapes (docs/sources.md: G-V3, ERR), once, for every route.

Token endpoints answer with the RFC 6749 + HubSpot hybrid; everything else with HubSpot's
generic error object. The request id is the ``correlationId``, so a user quoting it lets an
operator find the log line.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from hubauth.core.errors import ApiError, TokenError, unavailable
from hubauth.core.ports import StoreUnavailable
from hubauth.web.responses import json_response

_log = logging.getLogger("hubauth.web")

_CATEGORY_BY_STATUS = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "FORBIDDEN",
    404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "VALIDATION_ERROR",
    415: "VALIDATION_ERROR",
    429: "RATE_LIMITS",
    503: "SERVICE_UNAVAILABLE",
}


def request_id(request: Request) -> str:
    return scope_request_id(request.scope)


def scope_request_id(scope: Any) -> str:
    rid: str = scope.get("state", {}).get("request_id", _NO_REQUEST_ID)
    return rid


_NO_REQUEST_ID = "00000000-0000-0000-0000-000000000000"


def token_error_response(request: Request, exc: TokenError) -> Response:
    body = {
        "error": exc.error,
        "error_description": exc.message,
        "status": exc.status,
        "message": exc.message,
        "correlationId": request_id(request),
    }
    headers = {}
    if exc.error == "invalid_client" and exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="hubauth"'
    return json_response(request.app.state, "token-error", body, exc.http_status, headers)


def api_error_response(request: Request, exc: ApiError) -> Response:
    body: dict[str, Any] = {
        "status": "error",
        "message": exc.message,
        "correlationId": request_id(request),
        "category": exc.category,
    }
    if exc.sub_category:
        body["subCategory"] = exc.sub_category
    if exc.context:
        body["context"] = exc.context
    headers = {"Retry-After": "5"} if exc.http_status == 503 else None
    return json_response(request.app.state, "error", body, exc.http_status, headers)


async def on_token_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TokenError)
    return token_error_response(request, exc)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return api_error_response(request, exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message = {
        404: "No such endpoint",
        405: f"Method {request.method} is not allowed here",
    }.get(status, exc.detail if isinstance(exc.detail, str) else "Request failed")
    response = api_error_response(
        request, ApiError(_CATEGORY_BY_STATUS.get(status, "ERROR"), message, status)
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_store_unavailable(request: Request, exc: Exception) -> Response:
    _log.error("database unavailable: %s", exc)
    return api_error_response(request, unavailable())


#: nginx's "client closed request": recorded in the access log and metrics, never sent (there
#: is nobody to send it to).
CLIENT_CLOSED = 499


async def on_client_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away while its body was being read (an aborted upload). Not a server
    error: one info line, no traceback, and an empty answer nobody receives."""
    _log.info("client disconnected before the request was read (request %s)", request_id(request))
    return Response(status_code=CLIENT_CLOSED)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("unhandled error")
    return api_error_response(
        request, ApiError("INTERNAL_ERROR", "An internal error occurred", 500)
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    TokenError: on_token_error,
    ApiError: on_api_error,
    HTTPException: on_http_exception,
    StoreUnavailable: on_store_unavailable,
    ClientDisconnect: on_client_disconnect,
    Exception: on_unexpected,
}
