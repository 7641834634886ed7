"""Pure ASGI middleware: a request id on every request and response."""

from __future__ import annotations

import itertools
import os
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INCOMING_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class RequestIds:
    """Request ids in UUID form (RFC 9562 version 8): a random prefix per process and a counter.

    Unique, not secret (they are echoed to the caller and only correlate log lines), so the
    operating system's randomness is read once per process instead of once per request as
    ``uuid4`` does. The prefix is redrawn in a forked child: server workers are forks.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        r = secrets.token_hex(10)  # 74 of these 80 random bits are used
        variant = "89ab"[int(r[15], 16) & 3]
        self._prefix = f"{r[:8]}-{r[8:12]}-8{r[12:15]}-{variant}{r[16:19]}-"
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


new_request_id = RequestIds()


def assign_request_id(scope: Scope) -> tuple[bytes, bytes]:
    """Give the request its id (kept from ``X-Request-Id`` when it is a UUID, so a load
    balancer's id carries through), record it in the scope's state and return the response
    header that echoes it. Shared by the middleware and the hot routes (``web/hot_routes.py``)."""
    rid = None
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _INCOMING_ID.fullmatch(value.lower()):
            rid = value.decode().lower()
            break
    rid = rid or new_request_id()
    state = scope.get("state")
    if state is None:
        scope["state"] = {"request_id": rid}
    else:
        state["request_id"] = rid
    return (b"x-request-id", rid.encode())


class RequestIdMiddleware:
    """Give each request an id (kept from ``X-Request-Id`` when it is a UUID, so a load
    balancer's id carries through), expose it to handlers and echo it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = assign_request_id(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_id)
