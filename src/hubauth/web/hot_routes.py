"""The lean path of the hottest routes: the token endpoints, introspection, revocation and the v1
metadata lookups, served without Starlette's middleware stack and router (issue 19).

Every request those routes get goes through the same per-request layers as any other request,
in the same order, with the same code (:func:`~hubauth.web.middleware.assign_request_id`,
:func:`~hubauth.web.access.record_request`, :func:`~hubauth.web.sunset.v1_headers`,
:class:`~hubauth.web.ratelimit.FailureThrottle`, the app's exception handlers), and then the
route's own endpoint function, the one Starlette routes to otherwise. What the lean path leaves
out is the plumbing between them:

* the route is found with one dict lookup (or a prefix test for the ``{token}`` routes) instead
  of matching every route's regular expression in turn;
* the layers run in one function with the response sent once, instead of five nested
  middleware objects each wrapping ``send`` in a closure of its own and Starlette's two
  exception-handling layers wrapping it twice more;
* the endpoint's response is sent as two messages built directly from its rendered headers and
  body.

Measured served (``bench/``) and in process (``bench.inprocess``): docs/performance.md.

The lean path is off where the stack has layers it does not know: developer mode
(``DevMiddleware``: clock, faults, counters) and any ``extra_middleware`` (the pytest plugin's
fault injection). A v1 request once v1 is retired (``HUBAUTH_V1_SUNSET=enforce``), a ``HEAD``,
and an app mounted under a prefix go through the full stack too.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from hubauth.core.sunset import V1Sunset
from hubauth.web.access import record_request
from hubauth.web.middleware import assign_request_id
from hubauth.web.ratelimit import GUARDED_PREFIXES, FailureThrottle
from hubauth.web.routing import ApiRoute
from hubauth.web.sunset import v1_headers
from hubauth.web.token_request import VERSIONS

Endpoint = Callable[[Request], Awaitable[Response]]
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]

#: The routes the lean path serves, by route name (``web/oauth_v1.py``, ``web/oauth_v3.py``).
HOT_ROUTE_NAMES = frozenset(
    {
        "v1_token",
        "v1_access_token_metadata",
        "v1_refresh_token_metadata",
        *(f"{version}_{op}" for version in VERSIONS for op in ("token", "introspect", "revoke")),
    }
)
_TOKEN_PARAM = "{token:path}"


@dataclass(frozen=True, slots=True)
class HotRoute:
    route: ApiRoute
    endpoint: Endpoint
    #: The ``{token}`` routes: the path's prefix before the token.
    prefix: str | None = None


class HotRoutes:
    """The hot routes of one app and the per-request layers they share with the stack."""

    def __init__(
        self,
        routes: Iterable[BaseRoute],
        handlers: Mapping[Any, ExceptionHandler],
        *,
        throttle: FailureThrottle | None,
        sunset: V1Sunset,
    ) -> None:
        self._exact: dict[tuple[str, str], HotRoute] = {}
        self._prefixed: dict[str, list[HotRoute]] = {}
        for route in routes:
            if isinstance(route, ApiRoute) and route.name in HOT_ROUTE_NAMES:
                self._add(route)
        self._handlers = handlers
        self._throttle = throttle
        self._sunset = V1Sunset(sunset)

    def _add(self, route: ApiRoute) -> None:
        methods = (route.methods or set()) - {"HEAD"}
        if route.path.endswith(_TOKEN_PARAM) and list(route.param_convertors) == ["token"]:
            prefix = route.path[: -len(_TOKEN_PARAM)]
            hot = HotRoute(route, route.endpoint, prefix)
            for method in methods:
                self._prefixed.setdefault(method, []).append(hot)
        elif not route.param_convertors:
            for method in methods:
                self._exact[(method, route.path)] = HotRoute(route, route.endpoint)
        else:
            raise ValueError(f"the lean path cannot serve {route.path}")

    def match(self, scope: Scope) -> HotRoute | None:
        if scope.get("root_path"):
            return None
        method, path = scope["method"], scope["path"]
        hot = self._exact.get((method, path))
        if hot is not None:
            return hot
        for candidate in self._prefixed.get(method, ()):
            assert candidate.prefix is not None
            if path.startswith(candidate.prefix):
                return candidate
        return None

    async def serve(self, hot: HotRoute, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request; False (nothing done) when it needs the full stack after all."""
        sunset = v1_headers(self._sunset, scope)
        if sunset is None:
            return False  # retired: the sunset middleware answers 410
        started = time.perf_counter()
        status = 500  # as the access middleware: what the client gets if we raise
        scope["route"] = hot.route
        scope["endpoint"] = hot.endpoint
        if hot.prefix is not None:
            scope["path_params"] = {"token": scope["path"][len(hot.prefix) :]}
        else:
            scope["path_params"] = {}
        extra = [*sunset, assign_request_id(scope)]
        throttle = self._throttle if scope["path"].startswith(GUARDED_PREFIXES) else None
        reserved: list[Any] = []
        try:
            response: Response | None = None
            if throttle is not None:
                reserved, blocked = await throttle.admit(scope, receive)
                if blocked is not None:
                    response = throttle.too_many(scope, blocked)
            if response is None:
                request = Request(scope, receive)
                try:
                    response = await hot.endpoint(request)
                except Exception as exc:
                    response = await self._handle(request, exc)
            status = response.status_code
            await _send(response, extra, scope, receive, send)
        finally:
            if throttle is not None:
                await throttle.settle(reserved, status)
            record_request(scope, status, time.perf_counter() - started)
        return True

    async def _handle(self, request: Request, exc: Exception) -> Response:
        """The app's handler for ``exc`` (by class, most specific first), as Starlette's
        exception middleware would pick it; ``Exception``'s handler logs and answers 500."""
        for cls in type(exc).__mro__:
            handler = self._handlers.get(cls)
            if handler is not None:
                return await handler(request, exc)
        raise exc


async def _send(
    response: Response, extra: list[tuple[bytes, bytes]], scope: Scope, receive: Receive, send: Send
) -> None:
    if type(response).__call__ is not Response.__call__:  # a streaming or file response
        await response(scope, receive, _adding(extra, send))
        return
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [*response.raw_headers, *extra],
        }
    )
    await send({"type": "http.response.body", "body": response.body})
    if response.background is not None:
        await response.background()


def _adding(extra: list[tuple[bytes, bytes]], send: Send) -> Send:
    async def with_headers(message: Any) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    return with_headers
