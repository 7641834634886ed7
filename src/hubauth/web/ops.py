"""Operations routes: probes, metrics and the API description (``docs/operations.md``).

All are read-only. ``/metrics`` requires the ``HUBAUTH_METRICS_TOKEN`` bearer token (and is
off while it is unset); the others are unauthenticated. ``/docs`` is meant for the internal
network: a deployment exposes only the OAuth paths on its public listener (see
``docs/operations.md``).
"""

from __future__ import annotations

from hubauth.web.health import healthz, readyz
from hubauth.web.metrics import metrics_endpoint
from hubauth.web.openapi import openapi_json
from hubauth.web.reference import docs_page
from hubauth.web.routing import ApiRoute, TextRoute

TAGS = ["Operations"]

routes = [
    ApiRoute(
        "/healthz",
        healthz,
        methods=["GET"],
        name="healthz",
        summary="Liveness: the process answers (no database access)",
        responses={200: "health"},
        tags=TAGS,
    ),
    ApiRoute(
        "/readyz",
        readyz,
        methods=["GET"],
        name="readyz",
        summary="Readiness: the database answers and its schema is current; 503 otherwise",
        responses={200: "health", 503: "error"},
        tags=TAGS,
    ),
    TextRoute(
        "/metrics",
        metrics_endpoint,
        methods=["GET"],
        name="metrics",
        summary="Prometheus metrics (text exposition format), summed over all workers; "
        "requires 'Authorization: Bearer <HUBAUTH_METRICS_TOKEN>' (404 while that is unset)",
        media_types={200: "text/plain", 401: "application/json"},
        tags=TAGS,
    ),
    ApiRoute(
        "/openapi.json",
        openapi_json,
        methods=["GET"],
        name="openapi",
        summary="This OpenAPI 3.1 description, generated from the route table",
        responses={200: "openapi-document"},
        tags=TAGS,
    ),
    TextRoute(
        "/docs",
        docs_page,
        methods=["GET"],
        name="docs",
        summary="The API reference as one self-contained HTML page",
        media_types={200: "text/html"},
        tags=TAGS,
    ),
]
