"""The app's shared services, built once by ``create_app`` and stored as ``app.state.services``.

Routes and middleware read them through the typed accessors below instead of loose
``app.state`` attributes, so a checker sees every use and a missing service fails loudly.

Two things are deliberately not fields: the :class:`~hubauth.core.context.Context` and the
developer plane exist only while the lifespan runs (they hold the open store), and tests swap
the context of a running app (``app.state.ctx = ctx``). They stay on ``app.state`` and are read
through :func:`context_of` / :func:`plane_of` (docs/decisions.md, "The app's shared services").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from starlette.types import Scope

from hubauth.config import Settings
from hubauth.core.context import Context
from hubauth.core.signin import ADDRESS_GROUP, EMAIL_GROUP, SignInGuard
from hubauth.ratelimit import Limit, RateLimiter
from hubauth.web.session import SessionStore

if TYPE_CHECKING:
    from hubauth.core.devplane import DevPlane
    from hubauth.web.health import MigrationCheck
    from hubauth.web.metrics import Metrics
    from hubauth.web.responses import ContractCheck


@dataclass(frozen=True)
class Services:
    """Everything ``create_app`` builds for the app's lifetime (one per worker process)."""

    settings: Settings
    metrics: Metrics
    limiter: RateLimiter
    migration_check: MigrationCheck
    #: Strict mode's response check (``HUBAUTH_STRICT_CONTRACTS``, tests); None serves unchecked.
    contract_check: ContractCheck | None
    sign_in_guard: SignInGuard

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        metrics: Metrics,
        limiter: RateLimiter,
        migration_check: MigrationCheck,
        contract_check: ContractCheck | None,
    ) -> Services:
        window = settings.signin_window
        guard = SignInGuard(
            limiter,
            per_email=Limit(EMAIL_GROUP, settings.signin_email_failures, window),
            per_address=Limit(ADDRESS_GROUP, settings.signin_address_attempts, window),
            concurrency=settings.signin_concurrency,
        )
        return cls(settings, metrics, limiter, migration_check, contract_check, guard)

    @cached_property
    def sessions(self) -> SessionStore:
        """The install pages' browser sessions. Built on first use, as before this object
        existed: it reads the key ring, which creates the key file when there is none, and an
        app that is built but never serves a page (``hubauth openapi``) must not do that."""
        settings = self.settings
        return SessionStore(
            settings.keyring(),
            idle_s=settings.session_idle_timeout,
            absolute_s=settings.session_absolute_timeout,
        )


def services_of(conn: HTTPConnection) -> Services:
    """The services of the app serving ``conn`` (a request or websocket)."""
    found: Services = conn.app.state.services
    return found


def services_in(state: Any) -> Services | None:
    """The services on an ``app.state``, or None for an app ``create_app`` did not build (the
    helpers below are shared with the resource guard's apps)."""
    found: Services | None = getattr(state, "services", None)
    return found


def services_at(scope: Scope) -> Services:
    """The services of the app an ASGI scope is running in (middleware, request parsing)."""
    found: Services = scope["app"].state.services
    return found


def app_state_in(scope: Scope) -> Any:
    """The ``app.state`` of an ASGI scope, for middleware (None outside an app)."""
    return getattr(scope.get("app"), "state", None)


def context_of(conn: HTTPConnection) -> Context:
    """The running app's context (set by the lifespan; tests may replace it)."""
    ctx: Context = conn.app.state.ctx
    return ctx


def context_in(state: Any) -> Context | None:
    """The context on an ``app.state``, or None before start-up."""
    ctx: Context | None = getattr(state, "ctx", None)
    return ctx


def plane_of(conn: HTTPConnection) -> DevPlane:
    """The developer plane (``hubauth serve --dev`` only; set by the lifespan)."""
    plane: DevPlane = conn.app.state.plane
    return plane
