"""``hubauth serve``: the production server (granian, multi-process)."""

from __future__ import annotations

import os
import shutil
import tempfile

import click

from hubauth.cli.common import config_option, database_option, open_context, run, settings_from
from hubauth.cli.demo import instructions, seed
from hubauth.config import Settings
from hubauth.logs import granian_log_config
from hubauth.store import migrate


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
@database_option
@config_option
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    demo: bool,
    database_url: str | None,
    config_file: str | None,
) -> None:
    """Serve the OAuth API.

    SIGTERM (or SIGINT) stops gracefully: the listening socket closes, in-flight requests get up
    to ``shutdown_timeout`` seconds to finish, then each worker's lifespan closes its pool.
    """
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    settings = settings_from(database_url, config_file, host=host, port=port, workers=workers)
    # Worker processes rebuild settings from the environment: hand them what the flags said.
    os.environ["HUBAUTH_DATABASE_URL"] = settings.database_url
    os.environ["HUBAUTH_HOST"] = settings.host
    os.environ["HUBAUTH_PORT"] = str(settings.port)
    if config_file:
        os.environ["HUBAUTH_CONFIG"] = os.path.abspath(config_file)
    settings.keyring()  # create the key file once, before workers race for it
    text = run(_prepare(settings, demo))
    if text:
        click.echo(text)
    n_workers = settings.workers or os.cpu_count() or 1
    metrics_dir = _multiprocess_metrics_dir(n_workers)
    click.echo(f"hubauth listening on {settings.issuer} ({n_workers} worker(s))", err=True)
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


def _multiprocess_metrics_dir(n_workers: int) -> str | None:
    """With several workers, point prometheus-client's multiprocess mode at a fresh directory
    (removed on exit) so ``/metrics`` sums every worker. It must be in the environment before
    the workers import prometheus_client; an operator-set directory is used as is."""
    if n_workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    path = tempfile.mkdtemp(prefix="hubauth-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path
