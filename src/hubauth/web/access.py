"""One access event and the request metrics for every HTTP request (pure ASGI middleware).

The access event (logger ``hubauth.access``) carries the method, the route *template*, the
status, the duration in milliseconds, the request id and the client address. It never carries
the raw path, the query string, headers or bodies: the v1 routes put tokens in the path and
HubSpot's v1 token endpoint accepts ``client_secret`` in the query string. When the matched
route has a ``{token}`` path parameter, the event carries ``token_fp`` instead, the hasher's
non-reversible fingerprint, so an operator can tell whether two requests used the same token.

Probe and scrape routes (``/healthz``, ``/readyz``, ``/metrics``) are logged at DEBUG: a load
balancer polling every few seconds would otherwise drown the log.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubauth.logs import log_event
from hubauth.web.metrics import UNMATCHED_ROUTE
from hubauth.web.services import app_state_in, context_in, services_in

_log = logging.getLogger("hubauth.access")
_CONVERTOR = re.compile(r"{([^}:]+):[^}]+}")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
_MAX_FORWARDED = 200


@functools.lru_cache(maxsize=512)  # one entry per route (and mount prefix): a bounded set
def template_of(path: str) -> str:
    """``/a/{token:path}`` → ``/a/{token}`` (the form OpenAPI and the labels use)."""
    return _CONVERTOR.sub(r"{\1}", path)


def route_template(scope: Scope) -> str:
    """The template of the route that served ``scope``, with any mount prefix, or
    ``<unmatched>``. Starlette records the matched route in ``scope["route"]``; older versions
    only record the endpoint, and an answer given before routing (the rate limiter's 429)
    records neither, so the app's routes are matched again as a fallback."""
    route = scope.get("route")
    if route is None:
        route = _rematch(scope)
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    prefix = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    return template_of(prefix + path)


def _rematch(scope: Scope) -> BaseRoute | None:
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            found: BaseRoute = route
            return found
    return None


class AccessMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            record_request(scope, status, time.perf_counter() - started)


def record_request(scope: Scope, status: int, seconds: float) -> None:
    """The access event and the request metrics of one answered request (shared by the
    middleware and the hot routes, ``web/hot_routes.py``)."""
    route = route_template(scope)
    state = app_state_in(scope)
    services = services_in(state)
    if services is not None:
        services.metrics.observe_request(scope["method"], route, status, seconds)
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    if not _log.isEnabledFor(level):
        return
    method = scope["method"]
    event: dict[str, Any] = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "request_id": scope.get("state", {}).get("request_id"),
        "client": (scope.get("client") or ("-", 0))[0],
    }
    forwarded = _header(scope, b"x-forwarded-for")
    if forwarded:
        event["forwarded_for"] = forwarded[:_MAX_FORWARDED]
    token = scope.get("path_params", {}).get("token")
    ctx = context_in(state)
    if isinstance(token, str) and ctx is not None:
        event["token_fp"] = ctx.hasher.fingerprint(token)
    log_event(_log, level, f"{method} {route} {status}", {"access": event}, batch=True)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None
