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
``429`` with ``Retry-After`` and HubSpot's rate-limit body (spec §4.3) before any work is done.

A middleware rather than per-route code so every OAuth route (v1, v3, dated, authorize)
is covered the same way, including routes other modules add.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubauth.config import Settings
from hubauth.core.audit import log_audit
from hubauth.core.clock import Clock
from hubauth.ratelimit import Limit, RateLimiter, Verdict
from hubauth.ratelimit.memory import MemoryLimiter
from hubauth.web.errors import request_id
from hubauth.web.responses import json_response
from hubauth.web.token_request import parse

_log = logging.getLogger("hubauth.web")

#: The App Uninstalls API takes access tokens too: guessing them is throttled the same way.
GUARDED_PREFIXES = ("/oauth/", "/appinstalls/")
FAILURE_STATUSES = frozenset({400, 401, 403, 404})
CLIENT_GROUP = "oauth:failures:client"
ADDRESS_GROUP = "oauth:failures:address"


def build_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    if settings.redis_url:
        from hubauth.ratelimit.redis import RedisLimiter

        return RedisLimiter(settings.redis_url, clock, prefix=settings.rate_limit_redis_prefix)
    return MemoryLimiter(clock, max_keys=settings.rate_limit_max_keys)


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        window = settings.rate_limit_window
        self.client_limit = Limit(CLIENT_GROUP, settings.rate_limit_client_failures, window)
        self.address_limit = Limit(ADDRESS_GROUP, settings.rate_limit_address_failures, window)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        parsed = await parse(scope, receive)
        client_id = parsed.client_id if parsed is not None else None
        charged: list[tuple[str, Limit]] = [(address, self.address_limit)]
        if client_id:
            charged.append((client_id, self.client_limit))

        blocked = []
        for subject, limit in charged:
            verdict = await self.limiter.peek(subject, limit)
            if not verdict.allowed:
                blocked.append(verdict)
        if blocked:
            worst = max(blocked, key=lambda v: v.retry_after_s)
            ctx = getattr(scope["app"].state, "ctx", None) if "app" in scope else None
            audit = ctx.audit if ctx is not None else log_audit
            audit(
                "rate_limited",
                group=worst.limit.group,
                policy=worst.limit.policy_name,
                address=address,
            )
            await self._too_many(scope, receive, send, worst)
            return

        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status in FAILURE_STATUSES:
            for subject, limit in charged:
                await self.limiter.hit(subject, limit)

    async def _too_many(self, scope: Scope, receive: Receive, send: Send, verdict: Verdict) -> None:
        request = Request(scope, receive)
        policy = verdict.limit.policy_name
        body = {
            "status": "error",
            "message": f"You have reached your {policy.lower()} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": request_id(request),
            "policyName": policy,
            "groupName": verdict.limit.group,
        }
        state = scope["app"].state if "app" in scope else None
        response = json_response(
            state, "rate-limit", body, 429, {"Retry-After": str(verdict.retry_after_s)}
        )
        await response(scope, receive, send)
