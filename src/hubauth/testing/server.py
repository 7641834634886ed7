"""A real hubauth HTTP server for an integration's tests, in-process, with a clock tests move.

The server is uvicorn in a background thread with its own event loop, serving
``create_app(...)`` on a free loopback port over a temporary, migrated SQLite database that
is pre-seeded with one app, one hub and one user. The app reads time only through the
:class:`~hubauth.core.clock.OffsetClock` it was given (the core's one clock seam), so
``server.clock.advance(1800)`` expires access tokens, lapses codes and counts ``expires_in``
down exactly as if half an hour had passed — no patching of ``time.time``.

Helpers that change state (:meth:`HubAuthServer.mint_code`, :meth:`HubAuthServer.uninstall`,
...) run the real core operations on the server's loop, so they are safe to call from a test's
thread or from inside an async test. The server runs in developer mode: its clock offset,
fault switches and counters are :mod:`hubauth.core.devplane`'s, the functions
``hubauth serve --dev`` serves under ``/_hubauth/`` (which this server answers too).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import logging
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import httpx
import uvicorn
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from hubauth.config import Settings
from hubauth.core import authorization, devplane
from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.devplane import DevPlane
from hubauth.core.models import RefreshPolicy
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.engine import create_engine
from hubauth.store.sql import SqlStore
from hubauth.testing.faults import Faults, Traffic
from hubauth.testing.seeding import SeededInstall, seed_install
from hubauth.web.app import create_app
from hubauth.web.responses import ContractCheck

T = TypeVar("T")

START_TIMEOUT_S = 30.0

CALL_TIMEOUT_S = 30.0


class MovableClock(Protocol):
    """What the server needs from its clock: the core's ``now_ms`` and a way forward."""

    def now_ms(self) -> int: ...

    def advance(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class ServerConfig:
    """What the seeded server looks like; every field has a HubSpot-like default."""

    scopes: tuple[str, ...] = ("oauth", "crm.objects.contacts.read")
    optional_scopes: tuple[str, ...] = ("crm.objects.deals.read",)
    redirect_uri: str = "http://localhost:8765/callback"
    #: ``static`` echoes the refresh token (HubSpot, docs/sources.md: MK-NODE); ``rotate`` issues a
    #: new one.
    refresh_policy: RefreshPolicy | str = RefreshPolicy.STATIC
    access_token_ttl: int = 1800
    auth_code_ttl: int = 300
    #: Called with (contract name, body) for every JSON body the server renders.
    contract_check: ContractCheck | None = None
    #: A clock to serve with (must have ``advance``); default: a fresh OffsetClock.
    clock: MovableClock | None = None
    #: Any other :class:`hubauth.config.Settings` field.
    settings: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> ServerConfig:
        return dataclasses.replace(self, **changes)


_template_lock = threading.Lock()
_template: Path | None = None


async def _migrated_template() -> Path:
    """An empty database at the current schema, migrated once per process and copied for each
    server (running Alembic costs more than the rest of a start-up)."""
    global _template
    with _template_lock:  # servers start one at a time per thread; this guards the first one
        if _template is None:
            directory = Path(tempfile.mkdtemp(prefix="hubauth-template-"))
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            path = directory / "template.db"
            engine = create_engine(f"sqlite:///{path}", pool_size=1)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()  # the last connection's close folds the WAL back in
            _template = path
        return _template


class _IsolatedSettings(Settings):
    """Settings from arguments only: a developer's ``HUBAUTH_*`` environment must not leak into
    the throw-away test server."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class HubAuthServer:
    """One running server. Use as a context manager, or :meth:`start` / :meth:`stop`."""

    def __init__(self, directory: Path, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        #: A given clock is the base the server's (shared, developer-mode) offset sits on, so
        #: moving it moves the server; otherwise ``advance`` moves the server's own offset.
        self.clock: MovableClock = self.config.clock or _PlaneClock(self)
        self.faults = Faults(self._plane, self.call)
        self.traffic = Traffic(self._plane, self.call)
        self.database_path = Path(directory) / "hubauth.db"
        self.database_url = f"sqlite:///{self.database_path}"
        self.settings: Settings = _IsolatedSettings(
            **{
                "database_url": self.database_url,
                "secret_key": secrets.token_hex(32),
                "access_token_ttl": self.config.access_token_ttl,
                "auth_code_ttl": self.config.auth_code_ttl,
                "strict_contracts": self.config.contract_check is not None,
                "log_level": "warning",
                # The controls (clock, faults, counters) are developer mode's, through the
                # same core functions as `hubauth serve --dev`; the port is loopback only.
                "dev": True,
                **self.config.settings,
            }
        )
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._ctx: Context | None = None
        self._app: Any = None
        self._seed: SeededInstall | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("server already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # the kernel picks a free port: no race with other tests
        self._sock = sock
        self._thread = threading.Thread(
            target=self._run, name=f"hubauth-test-server-{self.port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"hubauth test server did not start within {START_TIMEOUT_S} s")
        if self._error is not None:
            self.stop()
            raise RuntimeError(f"hubauth test server failed to start: {self._error}") from (
                self._error
            )
        return self

    def stop(self, *, wait: bool = True) -> None:
        """Shut down. ``wait=False`` only asks (uvicorn needs ~0.2 s to wind down); call
        :meth:`join` later — the plugin does so at the end of the session, so a suite of
        function-scoped servers does not pay the shutdown per test."""
        if self._app is not None and self._ready.is_set() and self._error is None:
            with contextlib.suppress(Exception):  # stopping must not fail on a dying server
                self.faults.clear()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if wait:
            self.join()

    def join(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait for a stopping server's thread to finish (forcing it after ``timeout``)."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._uvicorn is not None:
                self._uvicorn.force_exit = True
                self._thread.join(5)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        shutil.copyfile(await _migrated_template(), self.database_path)
        store = SqlStore.from_url(self.database_url)
        try:
            self._ctx = Context(
                store=store,
                clock=self.clock,
                hasher=TokenHasher(self.settings.keyring()),
                policy=self.settings.policy(),
                audit=null_audit,
            )
            self._seed = await self._seed_install(self._ctx)
            app = create_app(
                self.settings,
                store=store,
                clock=self.config.clock,
                contract_check=self.config.contract_check,
            )
            self._app = app
            self._uvicorn = uvicorn.Server(
                uvicorn.Config(
                    app,
                    lifespan="on",
                    log_level=logging.WARNING,
                    access_log=False,
                    # A test server has nothing worth draining: a request still sleeping in
                    # injected latency must not hold up the test's teardown.
                    # uvicorn annotates this int but uses it as float seconds (asyncio.wait_for).
                    timeout_graceful_shutdown=0.5,  # type: ignore[arg-type]
                )
            )
            assert self._sock is not None
            serving = asyncio.create_task(self._uvicorn.serve(sockets=[self._sock]))
            while not self._uvicorn.started:
                if serving.done():
                    await serving
                    raise RuntimeError("uvicorn stopped during start-up (see its log)")
                await asyncio.sleep(0.005)
            self._ready.set()
            await serving
        finally:
            await store.close()

    async def _seed_install(self, ctx: Context) -> SeededInstall:
        return await seed_install(
            ctx,
            redirect_uris=[self.config.redirect_uri],
            scopes=self.config.scopes,
            optional_scopes=self.config.optional_scopes,
            refresh_policy=RefreshPolicy(self.config.refresh_policy),
        )

    # --- what a test reads --------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._sock is not None, "server not started"
        return int(self._sock.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/v1/token"

    def _seeded(self) -> SeededInstall:
        assert self._seed is not None, "server not started"
        return self._seed

    @property
    def client_id(self) -> str:
        return self._seeded().client_id

    @property
    def client_secret(self) -> str:
        return self._seeded().client_secret

    @property
    def app_id(self) -> int:
        return self._seeded().app_id

    @property
    def hub_id(self) -> int:
        return self._seeded().hub_id

    @property
    def hub_domain(self) -> str:
        return self._seeded().hub_domain

    @property
    def user_id(self) -> int:
        return self._seeded().user_id

    @property
    def user_email(self) -> str:
        return self._seeded().email

    @property
    def user_password(self) -> str:
        return self._seeded().password

    @property
    def redirect_uri(self) -> str:
        return self.config.redirect_uri

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.config.scopes

    @property
    def optional_scopes(self) -> tuple[str, ...]:
        return self.config.optional_scopes

    @property
    def refresh_count(self) -> int:
        """Refresh-token grants that reached the server (injected failures included)."""
        return self.traffic.refreshes

    # --- what a test does ---------------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (where its store lives) and wait for it."""
        if self._loop is None or not self._ready.is_set():
            coro.close()
            raise RuntimeError("server not started")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("call() from the server's own thread would deadlock")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(CALL_TIMEOUT_S)

    def mint_code(
        self,
        *,
        optional: tuple[str, ...] = (),
        code_challenge: str | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """An authorization code, as if the seeded user had approved the install (accepting
        the ``optional`` scopes); ``code_challenge`` is an RFC 7636 S256 challenge."""
        return self.call(self._mint_code(optional, code_challenge, redirect_uri))

    async def _mint_code(
        self, optional: tuple[str, ...], code_challenge: str | None, redirect_uri: str | None
    ) -> str:
        ctx = self._context()
        seeded = self._seeded()
        return await authorization.approve_directly(
            ctx,
            client_id=seeded.client_id,
            hub_id=seeded.hub_id,
            user_id=seeded.user_id,
            redirect_uri=redirect_uri or self.redirect_uri,
            scope=" ".join(self.scopes),
            optional_scope=" ".join(self.optional_scopes),
            accepted_optional=optional,
            code_challenge=code_challenge,
        )

    def mint_tokens(self, *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
        """Install and exchange the code over HTTP; returns the token response body."""
        code = self.mint_code(optional=optional)
        response = httpx.post(
            self.token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            timeout=CALL_TIMEOUT_S,
        )
        if response.status_code != 200:
            raise RuntimeError(f"code exchange failed: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body

    def uninstall(self) -> int:
        """The hub's user uninstalls the app: the install goes and its tokens are revoked in the
        store, so later refreshes get 400 ``BAD_REFRESH_TOKEN`` (docs/sources.md: NANGO)."""
        seeded = self._seeded()
        return self.call(
            devplane.uninstall(
                self._plane(), app_id=seeded.app_id, hub_id=seeded.hub_id, via="pytest_plugin"
            )
        )

    def delete_hub(self) -> bool:
        """The account is deleted: later refreshes get 400 ``BAD_HUB`` (docs/sources.md:
        POSTHOG)."""
        return self.call(
            self._context().store.delete_hub(self._seeded().hub_id, self.clock.now_ms())
        )

    def _context(self) -> Context:
        """The served app's context (its clock is the server's)."""
        return self._plane().ctx

    def _plane(self) -> DevPlane:
        plane: DevPlane | None = getattr(getattr(self._app, "state", None), "plane", None)
        if plane is None:
            raise RuntimeError("server not started")
        return plane


class _PlaneClock:
    """The server's clock as a test sees it: ``advance`` moves the shared developer-mode
    offset (:func:`hubauth.core.devplane.advance_clock`), exactly as
    ``POST /_hubauth/clock/advance`` does."""

    def __init__(self, server: HubAuthServer) -> None:
        self._server = server
        self._real = SystemClock()

    def now_ms(self) -> int:
        try:
            return self._server._plane().clock.now_ms()
        except RuntimeError:  # not started yet: no offset
            return self._real.now_ms()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        server = self._server
        server.call(devplane.advance_clock(server._plane(), seconds))

    @property
    def offset_seconds(self) -> float:
        try:
            return self._server._plane().clock.offset_ms / 1000
        except RuntimeError:
            return 0.0
