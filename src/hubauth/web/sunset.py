"""The v1 sunset on the wire (``HUBAUTH_V1_SUNSET``, ``core/sunset.py``): pure ASGI middleware
for every request under ``/oauth/v1/``.

While v1 is deprecated every response, errors and 429s included, gets

    Deprecation: @1772323200                       (RFC 9745 §2)
    Sunset: Tue, 16 Feb 2027 00:00:00 GMT          (RFC 8594 §3)
    Link: </oauth/v3/token>; rel="successor-version"   (RFC 8288; RFC 5829 §3.4)

where the link names the v3 operation that replaces the one called. Once retired (``enforce``
and the server's clock at or past the sunset) the request is not served: 410 Gone with
HubSpot's error object, category ``GONE``, and the same headers. HubSpot's own answer for a
retired API is UNCONFIRMED (docs/decisions.md).
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubauth.core.errors import ApiError
from hubauth.core.sunset import (
    V1_DEPRECATION_HEADER,
    V1_SUNSET_HTTP_DATE,
    V1Phase,
    V1Sunset,
    v1_phase,
)
from hubauth.web.errors import api_error_response

V1_PREFIX = "/oauth/v1/"


def successor(method: str, path: str) -> str:
    """The v3 path that replaces ``method path`` of v1."""
    if path.startswith("/oauth/v1/refresh-tokens/") and method == "DELETE":
        return "/oauth/v3/token/revoke"
    if path.startswith(("/oauth/v1/access-tokens/", "/oauth/v1/refresh-tokens/")):
        return "/oauth/v3/token/introspect"
    return "/oauth/v3/token"


def sunset_headers(method: str, path: str) -> list[tuple[bytes, bytes]]:
    return list(_headers_to(successor(method, path)))


@functools.lru_cache(maxsize=8)  # one per successor path: three of them
def _headers_to(successor_path: str) -> tuple[tuple[bytes, bytes], ...]:
    link = f'<{successor_path}>; rel="successor-version"'
    return (
        (b"deprecation", V1_DEPRECATION_HEADER.encode()),
        (b"sunset", V1_SUNSET_HTTP_DATE.encode()),
        (b"link", link.encode()),
    )


def v1_headers(mode: V1Sunset, scope: Scope) -> tuple[tuple[bytes, bytes], ...] | None:
    """The sunset headers a request gets, ``()`` for none; ``None`` when v1 is retired and the
    request must be answered 410 (the middleware does that; the hot routes hand it over)."""
    path = scope["path"]
    if mode is V1Sunset.OFF or not path.startswith(V1_PREFIX):
        return ()
    if v1_phase(mode, scope["app"].state.ctx.now_ms()) is V1Phase.RETIRED:
        return None
    return _headers_to(successor(scope["method"], path))


def retired(method: str, path: str) -> ApiError:
    return ApiError(
        "GONE",
        f"OAuth v1 was retired on 2027-02-16; use {successor(method, path)} instead",
        410,
    )


class V1SunsetMiddleware:
    def __init__(self, app: ASGIApp, *, mode: V1Sunset) -> None:
        self.app = app
        self.mode = V1Sunset(mode)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.mode is V1Sunset.OFF
            or not scope["path"].startswith(V1_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        headers = sunset_headers(method, path)
        phase = v1_phase(self.mode, scope["app"].state.ctx.now_ms())

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        if phase is V1Phase.RETIRED:
            response = api_error_response(Request(scope, receive), retired(method, path))
            await response(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)
