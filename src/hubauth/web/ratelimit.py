"""Throttling failed requests to the OAuth endpoints (pure ASGI middleware).

What counts: every request under ``/oauth/`` that ends in 400, 401, 403 or 404 — failed client
authentication, failed grants (bad codes, refresh tokens, verifiers) and failed token lookups at
the metadata endpoints. Successful requests are never counted, so a healthy integration never
meets a limit however busy it is. The App Uninstalls API (``/appinstalls/``) takes access
tokens too and is counted the same way.

Who is charged: the source address, and the ``client_id`` when a token-endpoint request names
one (body or HTTP Basic), as the handler will read it: both use the one parse that
:mod:`hubauth.web.token_request` caches on the scope. A request the parse refuses charges the
address only. Once either has reached its limit in the rolling window, requests are answered
``429`` with ``Retry-After`` and HubSpot's rate-limit body (docs/sources.md: ERR) before any work is
done.

The install pages (``/oauth/authorize`` and everything under it, ``/oauth/{hub_id}/authorize``)
charge their failures to a budget of their own (``install:failures:address``, same size): a
browser's mistakes, or a flood of sign-in attempts, must not use up the per-address budget of
an integration's token requests from the same address. Sign-in attempts are limited again, per
e-mail and per address, in :mod:`hubauth.core.signin`.

In-flight requests hold their reservation until they finish, so more concurrent requests per
client id (or address) than its failure limit are answered 429 even if they would all have
succeeded; the defaults (50 and 100) sit well above an integration's concurrency.

A middleware rather than per-route code so every OAuth route (v1, v3, dated, authorize)
is covered the same way, including routes other modules add.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubauth.config import Settings
from hubauth.core.audit import log_audit
from hubauth.core.clock import Clock
from hubauth.ratelimit import Limit, RateLimiter, Reservation, Verdict
from hubauth.ratelimit.memory import MemoryLimiter
from hubauth.web.errors import scope_request_id
from hubauth.web.responses import json_response
from hubauth.web.services import app_state_in, context_in
from hubauth.web.token_request import parse

_log = logging.getLogger("hubauth.web")

#: The App Uninstalls API takes access tokens too: guessing them is throttled the same way.
GUARDED_PREFIXES = ("/oauth/", "/appinstalls/")
FAILURE_STATUSES = frozenset({400, 401, 403, 404})
CLIENT_GROUP = "oauth:failures:client"
ADDRESS_GROUP = "oauth:failures:address"
INSTALL_GROUP = "install:failures:address"
_INSTALL_PAGE = re.compile(r"/oauth/(?:[0-9]+/)?authorize(?:/|$)")


def build_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    if settings.redis_url:
        from hubauth.ratelimit.redis import RedisLimiter

        return RedisLimiter(settings.redis_url, clock, prefix=settings.rate_limit_redis_prefix)
    return MemoryLimiter(clock, max_keys=settings.rate_limit_max_keys)


class FailureThrottle:
    """The limits above, for one app: what the middleware and the hot routes
    (``web/hot_routes.py``) both apply, so a request is throttled the same way on either."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        window = settings.rate_limit_window
        self.client_limit = Limit(CLIENT_GROUP, settings.rate_limit_client_failures, window)
        self.address_limit = Limit(ADDRESS_GROUP, settings.rate_limit_address_failures, window)
        self.install_limit = Limit(INSTALL_GROUP, settings.rate_limit_address_failures, window)

    async def admit(self, scope: Scope, receive: Receive) -> Admission:
        """Reserve one failure for each subject the request is charged to, before the route
        runs; the verdict that blocks it, if any (its reservations are then given back)."""
        address = (scope.get("client") or ("unknown", 0))[0]
        try:
            parsed = await parse(scope, receive)
        except ClientDisconnect:  # the route meets the disconnect again and answers for it
            parsed = None
        client_id = parsed.client_id if parsed is not None else None
        install_page = _INSTALL_PAGE.match(scope["path"]) is not None
        charged: list[tuple[str, Limit]] = [
            (address, self.install_limit if install_page else self.address_limit)
        ]
        if client_id:
            charged.append((client_id, self.client_limit))

        # Reserve before the route runs, settle after (RateLimiter.reserve): a burst of
        # concurrent failures gets at most the limit through, not everything that arrived
        # before the first failure was counted (CWE-367, issue 15).
        reserved: list[Reservation] = []
        blocked: list[Verdict] = []
        for subject, limit in charged:
            verdict = await self.limiter.reserve(subject, limit)
            if not verdict.allowed:
                blocked.append(verdict)
            elif verdict.reservation is not None:
                reserved.append(verdict.reservation)
        if not blocked:
            return reserved, None
        await self.refund(reserved)
        worst = max(blocked, key=lambda v: v.retry_after_s)
        ctx = context_in(app_state_in(scope))
        audit = ctx.audit if ctx is not None else log_audit
        audit(
            "rate_limited",
            group=worst.limit.group,
            policy=worst.limit.policy_name,
            address=address,
        )
        return [], worst

    async def settle(self, reserved: list[Reservation], status: int) -> None:
        """Anything but a failure answer (a success, a 5xx, a client that went away before
        an answer) gives the attempt back."""
        if reserved and status not in FAILURE_STATUSES:
            await self.refund(reserved)

    async def refund(self, reserved: list[Reservation]) -> None:
        for reservation in reserved:
            await self.limiter.refund(reservation)

    def too_many(self, scope: Scope, verdict: Verdict) -> Response:
        """HubSpot's 429 for a blocked request."""
        policy = verdict.limit.policy_name
        body = {
            "status": "error",
            "message": f"You have reached your {policy.lower()} limit.",
            "errorType": "RATE_LIMIT",
            # HubSpot's specs make every OAuth operation's default response the Error object,
            # whose category is required; the observed 429 bodies do not show one.
            "category": "RATE_LIMITS",
            "correlationId": scope_request_id(scope),
            "policyName": policy,
            "groupName": verdict.limit.group,
        }
        state = app_state_in(scope)
        return json_response(
            state, "rate-limit", body, 429, {"Retry-After": str(verdict.retry_after_s)}
        )


#: The reservations a request holds, and the verdict that refused it (None: admitted).
Admission = tuple[list[Reservation], Verdict | None]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.throttle = FailureThrottle(limiter, settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        reserved, blocked = await self.throttle.admit(scope, receive)
        if blocked is not None:
            await self.throttle.too_many(scope, blocked)(scope, receive, send)
            return

        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            await self.throttle.settle(reserved, status)
