"""Prometheus metrics (``GET /metrics``, Prometheus text exposition format).

Request metrics are labelled with the route *template* (``/oauth/v1/access-tokens/{token}``),
never the raw path: the v1 routes carry tokens in the path, and raw paths would also make the
label set unbounded. Requests that match no route are labelled ``<unmatched>``.

Domain events (grants, refreshes, revocations, failed client authentication, code replay and
refresh-token reuse) are counted by :meth:`Metrics.audit_sink`, an audit sink composed with the
logging sink (``core/audit.py``), so core code emits each event once and knows nothing of
Prometheus. Every audit event is also counted by name in ``hubauth_audit_events_total``, so
events added later are visible without touching this module.

Access: ``GET /metrics`` requires ``Authorization: Bearer <HUBAUTH_METRICS_TOKEN>`` (compared
in constant time); while that setting is unset the route answers 404, as if it did not exist.
The counts are operational data an outsider must not watch (issue 15): chosen over a separate
listener because it needs no second port, works unchanged behind any proxy, and a scraper
(Prometheus ``authorization.credentials``) supports it.

No oracles: the audit events that exist to tell an operator something an HTTP client is *not*
told (``foreign_token_presented``: another app's live token presented; ``grant_refused``: a
foreign code or refresh token, a PKCE or redirect-URI mismatch, which
``HUBAUTH_UNIFORM_TOKEN_ERRORS`` answers exactly like an unknown token) are not counted here:
a counter that moves for one and not the other would undo the uniform answers. They stay in the
audit log.

Several worker processes: when ``PROMETHEUS_MULTIPROC_DIR`` is set (``hubauth serve`` sets it
to a fresh temporary directory when it starts more than one worker), prometheus-client keeps
each process's values in memory-mapped files there and ``/metrics`` adds them up across
workers, so any worker's answer covers the whole server. The variable must be set before
``prometheus_client`` is first imported, which ``hubauth serve`` does before forking workers.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hubauth.core.errors import ApiError
from hubauth.web.appinstalls import bearer_token
from hubauth.web.errors import api_error_response
from hubauth.web.services import services_in, services_of

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"
#: Seconds; from a cache-hit metadata read (~1 ms) to a slow PostgreSQL write under load.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LABEL_VALUE = re.compile(r"[a-z0-9_]{1,40}")
#: Audit events never counted in metrics (see the module docstring).
NOT_COUNTED = frozenset({"foreign_token_presented", "grant_refused"})
_UNAUTHENTICATED = ApiError(
    "INVALID_AUTHENTICATION",
    "Send the metrics token as 'Authorization: Bearer <HUBAUTH_METRICS_TOKEN>'",
    401,
)
#: Like every other answer: not cached.
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _label(value: object) -> str:
    """Audit field values used as labels come from hubauth's code, but a label must never be
    able to grow the series count, so anything unexpected is folded into ``other``."""
    text = str(value).lower() if value is not None else "none"
    return text if _LABEL_VALUE.fullmatch(text) else "other"


class Metrics:
    """The metric families of one app (one registry, so in-process tests start from zero)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "hubauth_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "hubauth_http_request_duration_seconds",
            "Time from request start to the end of the response, by route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.grants = Counter(
            "hubauth_grants_issued",
            "Token grants issued, by grant type",
            ["grant_type"],
            registry=r,
        )
        self.refreshes = Counter(
            "hubauth_token_refreshes",
            "Refresh-token grants, by whether the refresh token was rotated",
            ["rotated"],
            registry=r,
        )
        self.revocations = Counter(
            "hubauth_revocations",
            "Tokens revoked, by event and channel",
            ["event", "via"],
            registry=r,
        )
        self.client_auth_failures = Counter(
            "hubauth_client_auth_failures",
            "Failed client authentications, by reason",
            ["reason"],
            registry=r,
        )
        self.replays = Counter(
            "hubauth_replays_detected",
            "Replayed authorization codes and reused rotated refresh tokens",
            ["kind"],
            registry=r,
        )
        self.store_unavailable = Counter(
            "hubauth_store_unavailable",
            "Requests that failed because the database could not be reached (answered 503)",
            registry=r,
        )
        self.audit_events = Counter(
            "hubauth_audit_events", "Audit events, by event name", ["event"], registry=r
        )
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    # --- requests -----------------------------------------------------------------------------

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in HTTP_METHODS:
            method = "other"  # clients choose the method token: it must not grow the series
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            # Resolving label values is the costly part of an observation; the label sets are
            # few and bounded (methods x route templates x statuses), so each is resolved once.
            labels = (method, route, str(status))
            children = (self.requests.labels(*labels), self.latency.labels(*labels))
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    # --- domain events ------------------------------------------------------------------------

    def audit_sink(self, event: str, /, **fields: object) -> None:
        """An :class:`~hubauth.core.audit.AuditSink` that counts instead of logging."""
        if event in NOT_COUNTED:
            return
        self.audit_events.labels(_label(event)).inc()
        if event == "grant_issued":
            self.grants.labels(_label(fields.get("grant_type"))).inc()
        elif event == "token_refreshed":
            self.refreshes.labels(str(bool(fields.get("rotated"))).lower()).inc()
            self.grants.labels("refresh_token").inc()
        elif event == "refresh_retried_within_grace":  # a rotation too, after a lost response
            self.refreshes.labels("true").inc()
            self.grants.labels("refresh_token").inc()
        elif event.endswith("_revoked"):
            self.revocations.labels(_label(event), _label(fields.get("via", "unknown"))).inc()
        elif event == "client_auth_failed":
            self.client_auth_failures.labels(_label(fields.get("reason"))).inc()
        elif event == "code_replay_detected":
            self.replays.labels("authorization_code").inc()
        elif event == "refresh_reuse_detected":
            self.replays.labels("refresh_token").inc()

    # --- exposition ---------------------------------------------------------------------------

    def exposition(self) -> bytes:
        directory = os.environ.get(MULTIPROC_ENV)
        if directory:
            merged = CollectorRegistry()
            _multiprocess.MultiProcessCollector(merged, path=directory)
            return generate_latest(merged)
        return generate_latest(self.registry)


def counting_store_unavailable(
    handler: Callable[[Request, Exception], Awaitable[Response]],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Wrap the ``StoreUnavailable`` exception handler so each such failure is counted."""

    async def handle(request: Request, exc: Exception) -> Response:
        services = services_in(request.app.state)
        if services is not None:
            services.metrics.store_unavailable.inc()
        return await handler(request, exc)

    return handle


async def metrics_endpoint(request: Request) -> Response:
    expected = services_of(request).settings.metrics_token
    if expected is None:
        raise HTTPException(404)
    presented = bearer_token(request) or ""
    if not hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), expected.get_secret_value().encode()
    ):
        response = api_error_response(request, _UNAUTHENTICATED)
        response.headers["WWW-Authenticate"] = 'Bearer realm="hubauth-metrics"'
        return response
    metrics: Metrics = services_of(request).metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST, headers=_HEADERS)
