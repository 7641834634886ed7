"""The ASGI application: route table, middleware, error handlers and the lifespan that opens
(and closes) storage.

``create_app`` is the only entry point; the CLI, the tests and the pytest plugin all call it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from hubauth.config import Settings
from hubauth.contracts.checker import check_response, compile_all
from hubauth.core.audit import AuditSink, fan_out, log_audit
from hubauth.core.clock import Clock, OffsetClock, SystemClock
from hubauth.core.context import Context
from hubauth.core.devplane import DEV_WARNING, DevPlane, EventBuffer, flush_request_count
from hubauth.core.ports import StoreUnavailable
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.devplane import SqlDevStore
from hubauth.store.sql import SqlStore
from hubauth.web import (
    appinstalls,
    authorize,
    devmode,
    discovery,
    oauth_v1,
    oauth_v3,
    ops,
    registration,
)
from hubauth.web.access import AccessMiddleware
from hubauth.web.errors import EXCEPTION_HANDLERS
from hubauth.web.health import MigrationCheck
from hubauth.web.hot_routes import HotRoutes
from hubauth.web.metrics import Metrics, counting_store_unavailable
from hubauth.web.middleware import RequestIdMiddleware
from hubauth.web.ratelimit import FailureThrottle, RateLimitMiddleware, build_limiter
from hubauth.web.responses import ContractCheck
from hubauth.web.services import Services
from hubauth.web.sunset import V1SunsetMiddleware

_log = logging.getLogger("hubauth")


class HubauthApp(Starlette):
    """Starlette, with the hottest routes answered on a lean path in front of the middleware
    stack (``web/hot_routes.py``); everything else, and every non-HTTP scope, takes the stack."""

    hot: HotRoutes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self.hot
        if hot is not None and scope["type"] == "http":
            route = hot.match(scope)
            if route is not None:
                scope["app"] = self
                if await hot.serve(route, scope, receive, send):
                    return
        await super().__call__(scope, receive, send)


class SchemaBehind(RuntimeError):
    """The database schema is older than this hubauth; ``hubauth db upgrade`` fixes it."""


def route_table(*, dev: bool = False) -> list[BaseRoute]:
    """Every public route, in one place (the OpenAPI description is generated from it).
    ``dev`` adds the developer control API and dashboard (``hubauth serve --dev`` only)."""
    return [
        *oauth_v1.routes,
        *oauth_v3.routes,
        *appinstalls.routes,
        *discovery.routes,
        *registration.routes,
        *authorize.routes,
        *ops.routes,
        *(devmode.routes if dev else ()),
    ]


def create_app(
    settings: Settings,
    *,
    store: SqlStore | None = None,
    clock: Clock | None = None,
    contract_check: ContractCheck | None = None,
    extra_middleware: Sequence[Middleware] = (),
    freeze_heap: bool = False,
) -> HubauthApp:
    """Build the app. A given ``store`` is used as is (and not closed); otherwise one is opened
    from ``settings.database_url`` on start-up, after checking the schema is current.

    ``extra_middleware`` runs inside the request-id middleware (so its error bodies carry the
    correlationId); only the pytest plugin's fault injection uses it.

    ``freeze_heap`` (served processes only): once started, everything alive is moved out of the
    cyclic garbage collector's reach (``gc.freeze``). Otherwise every full collection under
    load walks the whole start-up heap (modules, compiled contracts, templates, the pool):
    measured at 40-60 ms, in the middle of requests, it set the grants' p99 latency
    (docs/performance.md). Not for tests that build many apps in one process: frozen objects
    are never collected."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_store = store is None
        active = store or SqlStore.from_url(
            settings.database_url, pool_size=settings.db_pool_size, timeout=settings.db_timeout
        )
        try:
            if own_store:
                schema = await migrate.status(active.engine)
                if not schema.servable:
                    raise SchemaBehind(schema.problem())
            sinks: list[AuditSink] = [log_audit, metrics.audit_sink]
            if events is not None:
                sinks.append(events)
            app.state.ctx = Context(
                store=active,
                clock=serving_clock,
                hasher=TokenHasher(settings.keyring()),
                policy=settings.policy(),
                audit=fan_out(*sinks),
            )
            if dev_clock is not None:
                _log.warning(DEV_WARNING)
                app.state.plane = DevPlane(
                    app.state.ctx, SqlDevStore(active.engine, active.hot), dev_clock, events
                )
            if freeze_heap:
                gc.collect()
                gc.freeze()
            yield
        finally:
            plane = getattr(app.state, "plane", None)
            if plane is not None:  # the plain requests this worker has not written yet
                with contextlib.suppress(StoreUnavailable):
                    await flush_request_count(plane)
            if own_store:
                await active.close()
                _log.info("storage closed")
            await limiter.close()
            for handler in logging.getLogger("hubauth").handlers:
                handler.flush()  # access lines are held briefly (hubauth.logs.LineHandler)

    # Developer mode reads time through an offset shared by every worker (core.devplane).
    dev_clock = OffsetClock(clock or SystemClock()) if settings.dev else None
    events = EventBuffer(dev_clock.now_ms) if dev_clock is not None else None
    serving_clock: Clock = dev_clock or clock or SystemClock()
    metrics = Metrics()
    handlers = {
        **EXCEPTION_HANDLERS,
        StoreUnavailable: counting_store_unavailable(EXCEPTION_HANDLERS[StoreUnavailable]),
    }
    limiter = build_limiter(settings, serving_clock)
    # Outermost first: every response (429s included) gets a request id and an access-log line.
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(AccessMiddleware),
        # Outside the rate limiter: a 429 from v1 carries the sunset headers too.
        Middleware(V1SunsetMiddleware, mode=settings.v1_sunset),
    ]
    if settings.rate_limit_enabled:
        middleware.append(Middleware(RateLimitMiddleware, limiter=limiter, settings=settings))
    if settings.dev:
        middleware.append(Middleware(devmode.DevMiddleware))
    middleware.extend(extra_middleware)
    app = HubauthApp(
        routes=route_table(dev=settings.dev),
        middleware=middleware,
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    if not settings.dev and not extra_middleware:
        throttle = FailureThrottle(limiter, settings) if settings.rate_limit_enabled else None
        app.hot = HotRoutes(app.routes, handlers, throttle=throttle, sunset=settings.v1_sunset)
    compile_all()
    app.state.services = Services.build(
        settings,
        metrics=metrics,
        limiter=limiter,
        migration_check=MigrationCheck(),
        contract_check=contract_check or (check_response if settings.strict_contracts else None),
    )
    return app


def asgi_app_from_env() -> Any:
    """Factory for ASGI servers (``granian --factory hubauth.web.app:asgi_app_from_env``)."""
    from hubauth.config import load_settings
    from hubauth.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, freeze_heap=True)
