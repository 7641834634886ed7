"""Fault switches and traffic counters for the testing server, as one ASGI middleware.

A test flips a switch from its own thread; the middleware (running on the server's event loop)
reads it on the next request. Every injected answer is rendered by the real error renderers
(:mod:`hubauth.web.errors`) from the real domain errors (:mod:`hubauth.core.errors`), so an
injected ``BAD_HUB`` is byte-for-byte what a deleted hub produces (spec §4.1), and a 429/503
is HubSpot's generic error object (spec §4.2, §4.3) with a ``Retry-After`` header.

The middleware is installed only by :class:`hubauth.testing.HubAuthServer` (through
``create_app(extra_middleware=...)``); production apps never carry it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hubauth.core import errors
from hubauth.core.errors import ApiError, TokenError
from hubauth.web.errors import api_error_response, token_error_response
from hubauth.web.token_request import TokenRequest, parse

#: Every token endpoint hubauth serves or may serve: v1, v3 and the dated twins (spec §1.1).
TOKEN_PATH = re.compile(r"/oauth/(?:v1|v3|\d{4}-\d{2})/token")


def _invalid_request_bad_refresh_token() -> TokenError:
    # Spec §4.1 "observed deviation": a live answer on 2026-10-06 paired BAD_REFRESH_TOKEN with
    # invalid_request instead of invalid_grant; clients must key on `status` too.
    return TokenError("invalid_request", "BAD_REFRESH_TOKEN", errors.REFRESH_TOKEN_MESSAGE)


#: The refresh failures a test can ask for, by the name HubSpot gives them (spec §4.1, §6).
REFRESH_ERRORS: dict[str, Callable[[], TokenError]] = {
    "BAD_REFRESH_TOKEN": errors.bad_refresh_token,
    "BAD_REFRESH_TOKEN/invalid_request": _invalid_request_bad_refresh_token,
    "BAD_HUB": errors.bad_hub,
    "invalid_client": errors.bad_client_secret,
    "BAD_CLIENT_SECRET": errors.bad_client_secret,
    "BAD_CLIENT_ID": errors.bad_client_id,
}

#: Statuses ``fail_next_requests`` can produce, with HubSpot's category and message for each.
REQUEST_FAILURES: dict[int, tuple[str, str]] = {
    429: ("RATE_LIMITS", "You have reached your ten_secondly_rolling limit."),
    500: ("INTERNAL_ERROR", "An internal error occurred"),
    502: ("BAD_GATEWAY", "The service is temporarily unavailable; retry later"),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later"),
    504: ("GATEWAY_TIMEOUT", "The service is temporarily unavailable; retry later"),
}


@dataclass(frozen=True, slots=True)
class _RequestFailure:
    status: int
    retry_after: int | None


class Faults:
    """Switches a test flips; each ``fail_next_*`` is consumed one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refresh_failures: list[Callable[[], TokenError]] = []
        self._request_failures: list[_RequestFailure] = []
        self._latency_s = 0.0

    def fail_next_refreshes(self, n: int = 1, error: str = "BAD_REFRESH_TOKEN") -> None:
        """The next ``n`` refresh-token grants answer with HubSpot's ``error`` body.

        ``error`` is one of :data:`REFRESH_ERRORS`: ``BAD_REFRESH_TOKEN`` (400 invalid_grant),
        ``BAD_REFRESH_TOKEN/invalid_request`` (the observed variant), ``BAD_HUB`` (400
        access_denied), ``invalid_client``/``BAD_CLIENT_SECRET`` or ``BAD_CLIENT_ID``.
        The grant is not run, so nothing changes in the store.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        try:
            factory = REFRESH_ERRORS[error]
        except KeyError:
            known = sorted(REFRESH_ERRORS)
            raise ValueError(f"unknown refresh error {error!r}; one of {known}") from None
        with self._lock:
            self._refresh_failures.extend([factory] * n)

    def fail_next_requests(
        self, n: int = 1, status: int = 503, retry_after: int | None = None
    ) -> None:
        """The next ``n`` requests (any endpoint) answer ``status`` with HubSpot's generic error
        body and, when given, ``Retry-After: <retry_after>`` (delta-seconds, RFC 9110 §10.2.3).
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        if status not in REQUEST_FAILURES:
            raise ValueError(f"status must be one of {sorted(REQUEST_FAILURES)}")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after is a number of seconds >= 0")
        with self._lock:
            self._request_failures.extend([_RequestFailure(status, retry_after)] * n)

    def add_latency(self, seconds: float) -> None:
        """Delay every following request by ``seconds`` of real time (until :meth:`clear`)."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        with self._lock:
            self._latency_s = seconds

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._refresh_failures.clear()
            self._request_failures.clear()
            self._latency_s = 0.0

    @property
    def latency(self) -> float:
        return self._latency_s

    @property
    def pending(self) -> int:
        """Injected failures not yet delivered."""
        with self._lock:
            return len(self._refresh_failures) + len(self._request_failures)

    def _take_request_failure(self) -> _RequestFailure | None:
        with self._lock:
            return self._request_failures.pop(0) if self._request_failures else None

    def _take_refresh_failure(self) -> TokenError | None:
        with self._lock:
            return self._refresh_failures.pop(0)() if self._refresh_failures else None


class Traffic:
    """What reached the server: token requests by ``grant_type`` (counted before any fault)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: Counter[str] = Counter()
        self._requests = 0

    def _note(self, grant_type: str | None) -> None:
        with self._lock:
            self._requests += 1
            if grant_type is not None:
                self._grants[grant_type] += 1

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    def grants(self, grant_type: str) -> int:
        with self._lock:
            return self._grants[grant_type]

    @property
    def refreshes(self) -> int:
        return self.grants("refresh_token")

    def reset(self) -> None:
        with self._lock:
            self._grants.clear()
            self._requests = 0


class FaultMiddleware:
    """Counts traffic, then delays or fails requests as the :class:`Faults` switches say.

    Order: latency, then a pending request failure (any endpoint), then a pending refresh
    failure (refresh-token grants only); otherwise the request reaches the app unchanged.
    """

    def __init__(self, app: ASGIApp, faults: Faults, traffic: Traffic) -> None:
        self.app = app
        self.faults = faults
        self.traffic = traffic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        grant_type = None
        if scope["method"] == "POST" and TOKEN_PATH.fullmatch(scope["path"]):
            # the app's own parse, cached for the handler: the body is read once, by it
            try:
                parsed = await parse(scope, receive)
            except ClientDisconnect:  # left for the route, as without this middleware
                parsed = None
            if isinstance(parsed, TokenRequest):
                grant_type = parsed.params.get("grant_type")
        self.traffic._note(grant_type)

        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        request = Request(scope, receive)
        failure = self.faults._take_request_failure()
        if failure is not None:
            category, message = REQUEST_FAILURES[failure.status]
            response = api_error_response(request, ApiError(category, message, failure.status))
            if failure.retry_after is not None:
                response.headers["Retry-After"] = str(failure.retry_after)
            await response(scope, receive, send)
            return
        if grant_type == "refresh_token":
            token_error = self.faults._take_refresh_failure()
            if token_error is not None:
                await token_error_response(request, token_error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
