"""``hubauth serve``: the production server (granian, multi-process)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import click

from hubauth.cli.common import config_option, database_option, open_context, run, settings_from
from hubauth.cli.demo import instructions, seed
from hubauth.cli.errors import RuntimeFailure, bind_problem
from hubauth.cli.presence import Presence, presence_for
from hubauth.config import Settings
from hubauth.core.devplane import DEV_WARNING
from hubauth.logs import granian_log_config
from hubauth.store import migrate
from hubauth.store.urls import to_async_url

ALREADY_SERVING = (
    "a hubauth server is already running on this database, so --demo will not reset the demo "
    "under it: use the credentials it printed, or start without --demo and run "
    "`hubauth apps list` (then `hubauth apps rotate-secret APP_ID` for a new secret)"
)


async def _prepare(settings: Settings, demo: bool) -> str | None:
    async with open_context(settings) as ctx:
        engine = ctx.store.engine  # type: ignore[attr-defined]
        if demo:
            await migrate.upgrade(engine)
            seeded = await seed(ctx)
            return instructions(seeded, settings.issuer, settings.auth_code_ttl)
        status = await migrate.status(engine)
        # Ahead by compatible (expand) migrations is fine: a rolling upgrade (store/migrate.py).
        if not status.servable:
            raise click.ClickException(status.problem())
    return None


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Default 8080.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Default: CPU count.")
@click.option("--demo", is_flag=True, help="Migrate, seed the demo app/hub/user and print them.")
@click.option(
    "--dev",
    is_flag=True,
    help="Developer mode: the control API and dashboard under /_hubauth/ (never in production).",
)
@click.option(
    "--dev-allow-remote",
    is_flag=True,
    help="Allow --dev on a non-loopback --host (anyone who reaches it controls the server).",
)
@database_option
@config_option
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    demo: bool,
    dev: bool,
    dev_allow_remote: bool,
    database_url: str | None,
    config_file: str | None,
) -> None:
    """Serve the OAuth API.

    SIGTERM (or SIGINT) stops gracefully: the listening socket closes, in-flight requests get up
    to shutdown_timeout seconds to finish, then each worker's lifespan closes its pool.

    Refuses to start, with one line, when the port is taken (even by another hubauth), when
    the database cannot be reached, and with --demo when another server runs on the same
    database; a failed start removes the files it created.
    """
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    flags = {"dev": True} if dev else {}
    if dev_allow_remote:
        flags["dev_allow_remote"] = True
    settings = settings_from(
        database_url, config_file, host=host, port=port, workers=workers, **flags
    )
    problem = bind_problem(settings.host, settings.port)
    if problem is not None:
        raise RuntimeFailure(problem)
    # Worker processes rebuild settings from the environment: hand them what the flags said.
    os.environ["HUBAUTH_DATABASE_URL"] = settings.database_url
    os.environ["HUBAUTH_HOST"] = settings.host
    os.environ["HUBAUTH_PORT"] = str(settings.port)
    os.environ["HUBAUTH_DEV"] = "true" if settings.dev else "false"
    os.environ["HUBAUTH_DEV_ALLOW_REMOTE"] = "true" if settings.dev_allow_remote else "false"
    if config_file:
        os.environ["HUBAUTH_CONFIG"] = os.path.abspath(config_file)
    leftovers = _Leftovers(settings)
    presence: Presence | None = None
    try:
        _create_key(settings)  # once, before workers race for it
        presence = _claim(settings, demo)
        text = run(_prepare(settings, demo))
        _share(presence)
    except BaseException:
        if presence is not None:
            presence.release()
        leftovers.remove()
        raise
    if text:
        click.echo(text)
    n_workers = settings.workers or os.cpu_count() or 1
    metrics_dir = _multiprocess_metrics_dir(n_workers)
    click.echo(f"hubauth listening on {settings.issuer} ({n_workers} worker(s))", err=True)
    if settings.dev:
        click.secho(f"WARNING: {DEV_WARNING}", fg="red", bold=True, err=True)
        click.echo(f"Developer dashboard: {settings.issuer}/_hubauth/", err=True)
    try:
        Server(
            "hubauth.web.app:asgi_app_from_env",
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,
            workers=n_workers,
            factory=True,
            # Never on: granian's access log writes the raw path, and v1 paths carry tokens.
            # hubauth's own access log (hubauth.web.access) logs the route template instead.
            log_access=False,
            log_level=LogLevels(settings.log_level),
            log_dictconfig=granian_log_config(settings.log_format),
            workers_kill_timeout=settings.shutdown_timeout,
        ).serve()
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _create_key(settings: Settings) -> None:
    try:
        settings.server_key()
    except OSError as exc:
        raise RuntimeFailure(
            f"cannot create the server key file {settings.secret_key_file} ({exc.strerror}); "
            "set HUBAUTH_SECRET_KEY_FILE to a writable path, or HUBAUTH_SECRET_KEY"
        ) from None


def _claim(settings: Settings, demo: bool) -> Presence:
    """With --demo, the exclusive lock (no other server on this database); else nothing yet."""
    presence: Presence = run(_presence(settings.database_url))
    if demo and not presence.try_exclusive():
        presence.release()
        raise RuntimeFailure(ALREADY_SERVING)
    return presence


async def _presence(database_url: str) -> Presence:
    """Opened inside ``run`` so that an unreachable database gets its one-line explanation."""
    presence = presence_for(database_url)
    if not presence.try_shared():  # probes the connection; given up again in _share
        presence.release()
        raise RuntimeFailure("another hubauth is seeding its demo on this database; try again")
    return presence


def _share(presence: Presence) -> None:
    """Hold the shared lock for the server's life; a demo seeding elsewhere ends soon."""
    deadline = time.monotonic() + 10
    while not presence.try_shared():
        if time.monotonic() > deadline:
            raise RuntimeFailure("another hubauth is seeding its demo on this database; try again")
        time.sleep(0.1)


class _Leftovers:
    """Files a start creates (the key file, the SQLite database and its companions), so a
    failed start can remove exactly those and nothing an earlier run left."""

    def __init__(self, settings: Settings) -> None:
        candidates: list[Path] = []
        if settings.secret_key is None:
            candidates.append(Path(settings.secret_key_file))
        url = to_async_url(settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database:
            db = Path(url.database)
            candidates += [db] + [
                db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal", "-writer.lock")
            ]
        self._new = [p for p in candidates if not p.exists()]

    def remove(self) -> None:
        for path in self._new:
            with contextlib.suppress(OSError):
                path.unlink()


def _multiprocess_metrics_dir(n_workers: int) -> str | None:
    """With several workers, point prometheus-client's multiprocess mode at a fresh directory
    (removed on exit) so ``/metrics`` sums every worker. It must be in the environment before
    the workers import prometheus_client; an operator-set directory is used as is."""
    if n_workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    path = tempfile.mkdtemp(prefix="hubauth-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path
