"""Liveness and readiness probes for load balancers and orchestrators.

* ``GET /healthz``: the process is alive and its event loop answers. It touches nothing else,
  so a database outage never makes an orchestrator restart healthy processes.
* ``GET /readyz``: this node can serve: the database answers (``Store.ping``) and its schema is
  the one this hubauth needs (``migrate.status``). Otherwise 503 with HubSpot's error object,
  ``context`` naming each failed check, so the load balancer takes the node out of rotation.

A schema *ahead* of this node (a revision it does not know, written by a newer release during
a rolling deploy) is ready: migrations are expand-then-contract (docs/operations.md).

Both are unauthenticated and cheap. The migration check reads ``alembic_version`` and the
migration scripts; its answer is kept for :data:`MIGRATION_CHECK_TTL_S` (schemas change only on
deploys), while the database ping runs every time because that is what readiness is about.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from hubauth.core.errors import ApiError
from hubauth.core.ports import Store, StoreUnavailable
from hubauth.store import migrate
from hubauth.web.responses import json_response

#: How long a migration check result is reused.
MIGRATION_CHECK_TTL_S = 10.0
#: A readiness answer slower than this is a failure: probes have short timeouts of their own.
READINESS_TIMEOUT_S = 2.0


@dataclass
class MigrationCheck:
    """``migrate.status`` with its result kept for ``ttl_s`` seconds (per process)."""

    ttl_s: float = MIGRATION_CHECK_TTL_S
    _checked_at: float = field(default=-1e18, repr=False)
    _current: bool = field(default=False, repr=False)
    #: Whether the last check found the schema ahead of this code (a newer release's).
    ahead: bool = field(default=False, repr=False)

    async def up_to_date(self, store: Store) -> bool:
        now = time.monotonic()
        if now - self._checked_at < self.ttl_s:
            return self._current
        engine = getattr(store, "engine", None)
        if engine is None:  # a store without SQL has no migrations to be behind on
            return True
        status = await migrate.status(engine)
        # A revision this code does not know comes from a newer release during a rolling
        # deploy: ready while the schema_compat row says this code still serves it (expand
        # migrations); unready once a contract migration has left it behind.
        self._current = status.servable
        self.ahead = status.ahead
        self._checked_at = now
        return self._current


async def healthz(request: Request) -> Response:
    return json_response(request.app.state, "health", {"status": "ok"})


async def _failed_checks(request: Request) -> dict[str, list[str]]:
    store: Store = request.app.state.ctx.store
    check: MigrationCheck = request.app.state.migration_check
    try:
        await store.ping()
    except StoreUnavailable:
        return {"database": ["unreachable"]}
    try:
        if not await check.up_to_date(store):
            if check.ahead:
                return {"migrations": ["schema is ahead by a migration this release cannot serve"]}
            return {"migrations": ["schema is behind: run `hubauth db upgrade`"]}
    except (StoreUnavailable, SQLAlchemyError, OSError):
        return {"migrations": ["could not read the schema revision"]}
    return {}


async def readyz(request: Request) -> Response:
    try:
        failed = await asyncio.wait_for(_failed_checks(request), READINESS_TIMEOUT_S)
    except TimeoutError:
        failed = {"database": [f"no answer within {READINESS_TIMEOUT_S:g} s"]}
    if failed:
        raise ApiError(
            "SERVICE_UNAVAILABLE",
            "not ready: " + ", ".join(sorted(failed)),
            503,
            context=failed,
        )
    body = {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    return json_response(request.app.state, "health", body)
